//! Integration tests for riffle-log: one binary, shared helpers in `util`.

mod fixture;
mod group_commit;
mod model;
mod reads;
mod recovery;
mod retention;
mod util;
