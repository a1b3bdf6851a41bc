//! Where records that failed for good go, besides their futures: a callback, or a file of JSON
//! lines that a person or a replay job can read. A fire-and-forget caller (who dropped the
//! future) would otherwise never learn that a record was lost.

use crate::outcome::RecordError;
use base64::Engine;
use bytes::Bytes;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;

/// A record that failed for good.
#[derive(Debug, Clone)]
pub struct DeadLetter {
    pub stream: Arc<str>,
    pub partition_key: String,
    pub explicit_hash_key: Option<String>,
    pub data: Bytes,
    pub error: RecordError,
}

impl DeadLetter {
    /// One JSON line: stream, keys, data in base64, the error and the attempt count.
    pub fn to_json_line(&self) -> String {
        serde_json::json!({
            "stream": &*self.stream,
            "partition_key": self.partition_key,
            "explicit_hash_key": self.explicit_hash_key,
            "data": base64::engine::general_purpose::STANDARD.encode(&self.data),
            "error": self.error.kind.to_string(),
            "attempts": self.error.attempt_count(),
        })
        .to_string()
    }
}

type Callback = Arc<dyn Fn(&DeadLetter) + Send + Sync>;

/// Where dead letters go.
#[derive(Clone)]
pub enum DeadLetterSink {
    /// Called from the producer's task: keep it quick (hand the record to a channel).
    Callback(Callback),
    /// Appended as JSON lines ([`DeadLetter::to_json_line`]), from a thread of its own.
    File(PathBuf),
}

impl std::fmt::Debug for DeadLetterSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Callback(_) => f.write_str("DeadLetterSink::Callback"),
            Self::File(p) => f.debug_tuple("DeadLetterSink::File").field(p).finish(),
        }
    }
}

impl DeadLetterSink {
    pub fn callback(f: impl Fn(&DeadLetter) + Send + Sync + 'static) -> Self {
        Self::Callback(Arc::new(f))
    }

    pub fn file(path: impl AsRef<Path>) -> Self {
        Self::File(path.as_ref().to_path_buf())
    }
}

/// The running sink.
pub(crate) enum Sink {
    Callback(Callback),
    File { tx: Option<mpsc::Sender<String>>, writer: Option<JoinHandle<()>> },
}

impl Sink {
    pub fn open(sink: DeadLetterSink) -> std::io::Result<Self> {
        Ok(match sink {
            DeadLetterSink::Callback(f) => Sink::Callback(f),
            DeadLetterSink::File(path) => {
                let file = OpenOptions::new().create(true).append(true).open(&path)?;
                let (tx, rx) = mpsc::channel::<String>();
                let writer = std::thread::Builder::new()
                    .name("riffle-dead-letters".into())
                    .spawn(move || write_lines(file, rx, &path))?;
                Sink::File { tx: Some(tx), writer: Some(writer) }
            }
        })
    }

    pub fn send(&self, letter: &DeadLetter) {
        match self {
            Sink::Callback(f) => f(letter),
            Sink::File { tx: Some(tx), .. } => {
                let _ = tx.send(letter.to_json_line());
            }
            Sink::File { tx: None, .. } => {}
        }
    }

    /// Writes out what is queued and waits for the file to be flushed.
    pub fn close(&mut self) {
        if let Sink::File { tx, writer } = self {
            tx.take();
            if let Some(w) = writer.take() {
                let _ = w.join();
            }
        }
    }
}

fn write_lines(file: File, rx: mpsc::Receiver<String>, path: &Path) {
    let mut out = BufWriter::new(file);
    let mut result = Ok(());
    while let Ok(line) = rx.recv() {
        result = result.and_then(|_| writeln!(out, "{line}"));
        // Flush whenever the queue runs dry, so the file is current while the producer runs.
        while let Ok(more) = rx.try_recv() {
            result = result.and_then(|_| writeln!(out, "{more}"));
        }
        result = result.and_then(|_| out.flush());
    }
    if let Err(e) = result {
        tracing::error!(path = %path.display(), error = %e, "cannot write dead letters");
    }
}
