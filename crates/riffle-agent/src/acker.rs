//! Turns acknowledgements into cursor positions.
//!
//! Records complete out of order (shards, retries), but a checkpoint may only cover a
//! contiguous acknowledged prefix. The acker gets every record's future in send order through a
//! bounded channel and awaits them in that order: when it moves past a record, every record sent
//! before it is acknowledged too, so the position it sets is always a safe checkpoint. That costs
//! no bookkeeping per record; a slow record only delays checkpoints behind it.
//!
//! **Failure policy.** A record the producer gives up on (RecordTtl expired, refused, shut
//! down) is counted, logged and put again after a backoff, and the acker waits for it in place:
//! the checkpoint never passes a record that was not written, and no line is dropped silently.
//! While the endpoint is down this is the producer's own retry loop, restarted every RecordTtl.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use riffle_producer::{Producer, PutError, RecordFuture};
use tokio::sync::mpsc;

use crate::cursor::Cursor;
use crate::stats::FlowStats;

/// Backoff between re-puts of a record that failed for good, capped at 30 s.
const REPUT_FIRST: Duration = Duration::from_millis(500);
const REPUT_MAX: Duration = Duration::from_secs(30);

/// One sent record (or, without `record`, a position reached by lines that made no record).
#[derive(Debug)]
pub struct Pending {
    pub cursor: Arc<Cursor>,
    pub end_offset: u64,
    pub record: Option<Sent>,
}

/// What is needed to put a record again.
#[derive(Debug)]
pub struct Sent {
    pub partition_key: String,
    pub data: Bytes,
    pub future: RecordFuture,
}

/// Awaits every pending record in order until the channel closes and drains.
pub async fn run(mut rx: mpsc::Receiver<Pending>, producer: Producer, stream: String, stats: Arc<FlowStats>) {
    while let Some(p) = rx.recv().await {
        if let Some(sent) = p.record
            && !confirm(sent, &producer, &stream, &stats).await
        {
            return; // The producer shut down: nothing more can be acknowledged.
        }
        p.cursor.ack(p.end_offset);
    }
}

/// Waits until the record is written, putting it again as often as it fails. False if the
/// producer is shut down.
async fn confirm(sent: Sent, producer: &Producer, stream: &str, stats: &FlowStats) -> bool {
    let Sent { partition_key, data, mut future } = sent;
    let mut delay = REPUT_FIRST;
    loop {
        match future.await {
            Ok(_) => {
                stats.sent();
                return true;
            }
            Err(e) => {
                stats.failed();
                tracing::error!(flow = %stats.flow, error = %e, retry_in_ms = delay.as_millis() as u64,
                    "record not written; it will be put again (the checkpoint waits for it)");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(REPUT_MAX);
                future = match producer.put(stream, &partition_key, data.clone()).await {
                    Ok(f) => f,
                    Err(PutError::ShutDown) => return false,
                    Err(e) => {
                        // `put` checked this record once already; only shutdown can refuse it now.
                        tracing::error!(flow = %stats.flow, error = %e, "record refused on re-put");
                        return false;
                    }
                };
            }
        }
    }
}
