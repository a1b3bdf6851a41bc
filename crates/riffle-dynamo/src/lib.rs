//! The DynamoDB subset a Kinesis consumer keeps its leases in — enough for the KCL (Java 2.x/3.x),
//! kcl-rs and Riffle's own consumer — served by `riffle serve` on the Kinesis port.
//!
//! This crate owns the model and knows nothing of HTTP: attribute values ([`value`]), exact
//! decimal numbers ([`number`]), the expression language and the legacy condition/update
//! parameters ([`expr`]), tables with hash and range keys and secondary indexes ([`table`]),
//! durable storage ([`store`], over the framed log in [`wal`]), and the operations ([`Dynamo`])
//! taking and answering JSON 1.0 bodies. `riffle-server` routes `DynamoDB_20120810.*` targets
//! here, checks signatures and frames the HTTP answer.

pub mod error;
pub mod expr;
pub mod number;
mod ops;
pub mod store;
pub mod table;
pub mod value;
pub mod wal;

pub use error::{DynamoError, ErrorKind};
pub use ops::Dynamo;
pub use store::{Store, StoreError};

use std::path::Path;

/// The `X-Amz-Target` prefix of DynamoDB requests.
pub const TARGET_PREFIX: &str = "DynamoDB_20120810.";
/// The content type DynamoDB requests carry and its answers are sent with.
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.0";

impl Dynamo {
    /// Opens (or creates) the tables stored in `dir`. With `fsync` off, nothing is synced —
    /// for in-memory servers.
    pub fn open(dir: &Path, fsync: bool, region: &str, account: &str) -> Result<Dynamo, StoreError> {
        Ok(Dynamo::new(Store::open(dir, fsync)?, region, account))
    }
}
