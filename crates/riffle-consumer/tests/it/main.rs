//! Integration tests of the consumer against a real Riffle server (Kinesis and the DynamoDB
//! lease table on one port). No mocks; no timing assertions beyond generous deadlines; failover
//! times are short so failover tests finish quickly.

mod common;
mod failover;
mod fanout;
mod handoff;
mod leases;
mod poison;
mod positions;
mod process;
mod resharding;
