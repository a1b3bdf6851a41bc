//! StartStreamEncryption and StopStreamEncryption.
//!
//! The KeyId is checked for form (key id, key ARN, alias name or alias ARN) and recorded; there
//! is no KMS, so any well-formed key is accepted. The change applies at once and the stream
//! goes UPDATING, then ACTIVE; records written while encryption is on are sealed at rest
//! (`crate::sse`) and report EncryptionType KMS.

use super::validate_stream_ref;
use crate::catalog::{Encryption, Stream, StreamStatus};
use crate::sse;
use crate::state::App;
use riffle_log::{AppendRecord, ReadBatch};
use riffle_proto::shapes_more::StreamEncryptionInput;
use riffle_proto::{ApiError, Violations};
use riffle_types::ShardKey;
use std::sync::Arc;

pub const KMS: &str = "KMS";
pub const NONE: &str = "NONE";

/// EncryptionType and KeyId as DescribeStream and DescribeStreamSummary report them.
pub(crate) fn described(s: &Stream) -> (&'static str, Option<String>) {
    match &s.encryption {
        Some(e) => (KMS, Some(e.key_id.clone())),
        None => (NONE, None),
    }
}

/// Seals a batch bound for the log when stream `name` has encryption on, and returns the
/// EncryptionType that PutRecord(s) report. Every record of a batch belongs to one stream.
pub(crate) fn seal_batch(app: &App, name: &str, batch: &mut [AppendRecord]) -> &'static str {
    if app.catalog.read().streams.get(name).is_none_or(|s| s.encryption.is_none()) {
        return NONE;
    }
    if let Some(first) = batch.first() {
        let cipher = app.sse.for_stream(first.shard.stream_uid());
        for r in batch.iter_mut() {
            (r.partition_key, r.data) = cipher.seal(r.shard, &r.partition_key, &r.data);
        }
    }
    KMS
}

/// Which records of a read batch were stored encrypted (and so report EncryptionType KMS).
pub(crate) struct Opened(Option<Vec<bool>>);

impl Opened {
    pub(crate) fn encryption_type(&self, i: usize) -> Option<&'static str> {
        self.0.as_ref().and_then(|v| v.get(i).copied()).and_then(|sealed| sealed.then_some(KMS))
    }
}

/// Opens the encrypted records of a batch read from `shard`, off the async workers. A batch
/// with none (the common case) is returned as it is, without copying.
pub(crate) async fn open_batch(
    app: &App,
    shard: ShardKey,
    mut batch: ReadBatch,
) -> Result<(ReadBatch, Opened), ApiError> {
    if !batch.records.iter().any(|r| sse::is_sealed(&r.partition_key)) {
        return Ok((batch, Opened(None)));
    }
    let cipher = app.sse.for_stream(shard.stream_uid());
    let opened = tokio::task::spawn_blocking(move || {
        let mut sealed = Vec::with_capacity(batch.records.len());
        for r in &mut batch.records {
            let is = sse::is_sealed(&r.partition_key);
            if is {
                (r.partition_key, r.data) = cipher.open(shard, &r.data)?;
            }
            sealed.push(is);
        }
        Ok::<_, sse::SseError>((batch, Opened(Some(sealed))))
    })
    .await;
    match opened {
        Ok(Ok(done)) => Ok(done),
        Ok(Err(e)) => {
            tracing::error!(error = %e, shard = ?shard, "cannot open an encrypted record");
            Err(ApiError::internal())
        }
        Err(e) => {
            tracing::error!(error = %e, "decryption task failed");
            Err(ApiError::internal())
        }
    }
}

pub async fn start(app: &Arc<App>, input: StreamEncryptionInput) -> Result<(), ApiError> {
    let (name, key_id) = checked(app, input)?;
    change(app, name, Some(Encryption { key_id }))
}

pub async fn stop(app: &Arc<App>, input: StreamEncryptionInput) -> Result<(), ApiError> {
    let (name, _) = checked(app, input)?;
    change(app, name, None)
}

/// Model constraints, then the service's own checks; returns the stream name and key.
fn checked(app: &App, input: StreamEncryptionInput) -> Result<(String, String), ApiError> {
    let mut v = Violations::new();
    v.required(&input.encryption_type, "encryptionType");
    v.one_of(input.encryption_type.as_deref(), "encryptionType", &[NONE, KMS]);
    v.required(&input.key_id, "keyId");
    v.length(input.key_id.as_deref(), "keyId", 1, 2048);
    validate_stream_ref(&mut v, input.stream());
    v.finish()?;
    if input.encryption_type.as_deref() != Some(KMS) {
        // Wording from kinesis-mock's CommonValidations.isKmsEncryptionType.
        return Err(ApiError::invalid_argument("KMS is the only valid EncryptionType for this request"));
    }
    let key_id = input.key_id.clone().expect("validated");
    check_key_id(&key_id)?;
    Ok((app.resolve_name(input.stream())?, key_id))
}

fn change(app: &Arc<App>, name: String, to: Option<Encryption>) -> Result<(), ApiError> {
    app.update_stream(&name, |s| {
        app.require_active(s)?;
        s.encryption = to;
        s.status = StreamStatus::Updating;
        Ok(())
    })?;
    super::lifecycle::active_after_update(app, name);
    Ok(())
}

/// A KMS key as Kinesis accepts one: a key id (GUID or multi-Region `mrk-` id), `alias/<name>`,
/// or the ARN of a key or an alias. Messages as kinesis-mock's `validateKeyId` words them.
pub(crate) fn check_key_id(key: &str) -> Result<(), ApiError> {
    if key.starts_with("arn:") {
        let parts: Vec<&str> = key.splitn(6, ':').collect();
        let ok = parts.len() == 6
            && parts[1].starts_with("aws")
            && parts[2] == "kms"
            && !parts[3].is_empty()
            && parts[4].len() == 12
            && parts[4].bytes().all(|b| b.is_ascii_digit())
            && match parts[5].split_once('/') {
                Some(("key", id)) => key_id_ok(id),
                Some(("alias", name)) => alias_ok(name),
                _ => false,
            };
        if ok {
            return Ok(());
        }
        return Err(ApiError::invalid_argument("Received KeyId ARN is not a properly formatted ARN"));
    }
    let ok = match key.strip_prefix("alias/") {
        Some(name) => alias_ok(name),
        None => key_id_ok(key),
    };
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid_argument("Received KeyId is not a properly formatted Alias or GUID"))
    }
}

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` in hex, or `mrk-` and 32 hex digits.
fn key_id_ok(id: &str) -> bool {
    if let Some(hex) = id.strip_prefix("mrk-") {
        return hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit());
    }
    id.len() == 36
        && id
            .bytes()
            .enumerate()
            .all(|(i, b)| if matches!(i, 8 | 13 | 18 | 23) { b == b'-' } else { b.is_ascii_hexdigit() })
}

/// KMS alias names: 1–250 of letters, digits, `/ _ -` (and `:` inside ARNs' `aws/` names).
fn alias_ok(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 250
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-' | b':'))
}

#[cfg(test)]
mod tests {
    use super::check_key_id as check;

    #[test]
    fn key_id_forms() {
        for ok in [
            "12345678-1234-1234-1234-123456789012",
            "mrk-1234abcd12ab34cd56ef1234567890ab",
            "alias/aws/kinesis",
            "alias/MyAliasName",
            "arn:aws:kms:us-east-1:123456789012:key/12345678-1234-1234-1234-123456789012",
            "arn:aws:kms:us-east-1:123456789012:alias/MyAliasName",
            "arn:aws-cn:kms:cn-north-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab",
        ] {
            assert!(check(ok).is_ok(), "{ok}");
        }
        for bad in ["n/a", "alias/", "1234", "12345678-1234-1234-1234-12345678901z", "alias/a b"] {
            assert_eq!(check(bad).unwrap_err().message, "Received KeyId is not a properly formatted Alias or GUID");
        }
        for bad in [
            "arn:aws:kms:us-east-1:123456789012:key/nope",
            "arn:aws:s3:us-east-1:123456789012:key/12345678-1234-1234-1234-123456789012",
            "arn:aws:kms:us-east-1:1234:alias/x",
            "arn:aws:kms:us-east-1:123456789012:thing/x",
        ] {
            assert_eq!(check(bad).unwrap_err().message, "Received KeyId ARN is not a properly formatted ARN");
        }
    }
}
