//! What an application implements: one [`RecordProcessor`] per shard lease, driven through the
//! KCL's lifecycle (kinesis-spec §5.5). The worker calls one method at a time per shard, so a
//! processor needs no locking of its own, and never runs two processors for one shard at once.

use crate::checkpointer::Checkpointer;
use crate::error::ProcessError;
use crate::position::Checkpoint;
use crate::record::Record;
use std::future::Future;

/// Handed to [`RecordProcessor::initialize`].
#[derive(Debug, Clone)]
pub struct InitializeInput {
    pub shard_id: String,
    /// Where processing resumes: the lease's checkpoint.
    pub checkpoint: Checkpoint,
    /// A prepared checkpoint the previous owner left uncommitted, with its state.
    pub pending_checkpoint: Option<(Checkpoint, Option<Vec<u8>>)>,
}

/// Handed to [`RecordProcessor::process_records`].
#[derive(Debug)]
pub struct ProcessRecordsInput<'a> {
    pub shard_id: &'a str,
    pub records: &'a [Record],
    /// How far behind the tip of the shard this batch is, as Kinesis reports it.
    pub millis_behind_latest: Option<i64>,
}

/// One shard's processing. Methods are called in order: `initialize` once, `process_records`
/// for each batch, then exactly one of `shard_ended`, `lease_lost` or `shutdown_requested`.
pub trait RecordProcessor: Send + 'static {
    fn initialize(&mut self, input: InitializeInput) -> impl Future<Output = ()> + Send;

    /// Handles a batch. Returning an error names the first record not handled; the worker
    /// retries from it and, past the configured attempts, applies the poison-record policy.
    fn process_records(
        &mut self,
        input: ProcessRecordsInput<'_>,
        checkpointer: &mut Checkpointer,
    ) -> impl Future<Output = Result<(), ProcessError>> + Send;

    /// The lease went to another worker (taken after expiry, stolen, or fenced out): do not
    /// checkpoint; someone else continues from the last checkpoint.
    fn lease_lost(&mut self) -> impl Future<Output = ()> + Send {
        async {}
    }

    /// The shard is closed and fully read. Must call `checkpointer.checkpoint()` (which writes
    /// SHARD_END): the shard's children start only after that.
    fn shard_ended(&mut self, checkpointer: &mut Checkpointer) -> impl Future<Output = ()> + Send;

    /// The worker is shutting down gracefully and still holds the lease: checkpoint what has
    /// been handled, so the next owner starts right after it.
    fn shutdown_requested(&mut self, checkpointer: &mut Checkpointer) -> impl Future<Output = ()> + Send {
        async move {
            let _ = checkpointer.checkpoint().await;
        }
    }
}

/// Makes a processor for each shard lease the worker starts on.
pub trait ProcessorFactory: Send + Sync + 'static {
    type Processor: RecordProcessor;
    fn create(&self, shard_id: &str) -> Self::Processor;
}

impl<P: RecordProcessor, F: Fn(&str) -> P + Send + Sync + 'static> ProcessorFactory for F {
    type Processor = P;
    fn create(&self, shard_id: &str) -> P {
        self(shard_id)
    }
}
