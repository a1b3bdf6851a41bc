//! Resource and consumer ARNs: their model patterns (checked without a regex engine) and what
//! they point at.

use crate::state::App;
use riffle_proto::{ApiError, Violations};

pub(crate) const RESOURCE_ARN_PATTERN: &str = "arn:aws.*:kinesis:.*:\\d{12}:.*stream/\\S+";
pub(crate) const CONSUMER_ARN_PATTERN: &str =
    "^(arn):aws.*:kinesis:.*:\\d{12}:.*stream\\/[a-zA-Z0-9_.-]+\\/consumer\\/[a-zA-Z0-9_.-]+:[0-9]+";

/// What a ResourceARN names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Resource {
    Stream {
        name: String,
    },
    /// A consumer: none can exist until enhanced fan-out is served, wherever its stream is.
    Consumer {
        consumer: String,
    },
}

/// The tails that follow `arn:aws.*:kinesis:.*:\d{12}:` in `arn`, for every way the pattern's
/// wildcards can split it.
fn account_tails(arn: &str) -> impl Iterator<Item = &str> {
    let rest = arn.strip_prefix("arn:aws").unwrap_or("\n");
    rest.match_indices(":kinesis:").flat_map(move |(k, m)| {
        let after = &rest[k + m.len()..];
        // `.*` then `:` twelve digits `:`: the first colon may be the one ending ":kinesis:"
        // only if it is matched twice, which a regex cannot do, so it starts at index 0 of `after`.
        after.match_indices(':').filter_map(move |(c, _)| {
            let digits = after.get(c + 1..c + 13)?;
            (digits.bytes().all(|b| b.is_ascii_digit()) && after[c + 13..].starts_with(':')).then(|| &after[c + 14..])
        })
    })
}

fn name_chars(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// `arn:aws.*:kinesis:.*:\d{12}:.*stream/\S+`, matched whole.
pub(crate) fn resource_arn_ok(arn: &str) -> bool {
    !arn.contains('\n')
        && account_tails(arn).any(|tail| {
            tail.match_indices("stream/").any(|(i, m)| {
                let name = &tail[i + m.len()..];
                !name.is_empty() && !name.chars().any(char::is_whitespace)
            })
        })
}

/// The consumer ARN pattern, matched whole.
pub(crate) fn consumer_arn_ok(arn: &str) -> bool {
    !arn.contains('\n')
        && account_tails(arn).any(|tail| {
            tail.match_indices("stream/").any(|(i, m)| {
                let rest = &tail[i + m.len()..];
                rest.match_indices("/consumer/").any(|(j, c)| {
                    let (stream, consumer) = (&rest[..j], &rest[j + c.len()..]);
                    consumer.rsplit_once(':').is_some_and(|(name, ts)| {
                        name_chars(stream)
                            && name_chars(name)
                            && !ts.is_empty()
                            && ts.bytes().all(|b| b.is_ascii_digit())
                    })
                })
            })
        })
}

/// Model constraints of a ResourceARN member.
pub(crate) fn validate_resource_arn(v: &mut Violations, arn: &Option<String>) {
    v.required(arn, "resourceARN");
    if let Some(a) = arn.as_deref() {
        if !resource_arn_ok(a) {
            v.pattern_failed(a, "resourceARN", RESOURCE_ARN_PATTERN);
        }
        v.length(Some(a), "resourceARN", 1, 2048);
    }
}

/// Model constraints of a ConsumerARN member.
pub(crate) fn validate_consumer_arn(v: &mut Violations, arn: Option<&str>, path: &str) {
    if let Some(a) = arn {
        if !consumer_arn_ok(a) {
            v.pattern_failed(a, path, CONSUMER_ARN_PATTERN);
        }
        v.length(Some(a), path, 1, 2048);
    }
}

/// Splits a (pattern-valid) consumer ARN into its stream ARN and consumer name.
pub(crate) fn split_consumer_arn(arn: &str) -> Option<(&str, &str)> {
    let (stream_arn, rest) = arn.rsplit_once("/consumer/")?;
    let (name, _) = rest.rsplit_once(':')?;
    Some((stream_arn, name))
}

/// What a (pattern-valid) ResourceARN points at, if it is in this region and account.
pub(crate) fn resolve(app: &App, arn: &str) -> Option<Resource> {
    if let Some((_, consumer)) = split_consumer_arn(arn) {
        return Some(Resource::Consumer { consumer: consumer.to_string() });
    }
    app.name_from_arn(arn).ok().map(|name| Resource::Stream { name })
}

/// ResourceNotFound for a consumer, as AWS words it (quoted by moto's `ConsumerNotFound`).
pub(crate) fn consumer_not_found(app: &App, consumer: &str) -> ApiError {
    ApiError::not_found(format!("Consumer {consumer}, account {} not found.", app.account()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_arns() {
        assert!(resource_arn_ok("arn:aws:kinesis:us-east-1:000000000000:stream/s"));
        assert!(resource_arn_ok("arn:aws:kinesis:us-east-1:000000000000:stream/s/consumer/c:1"));
        assert!(resource_arn_ok("arn:aws-cn:kinesis::123456789012:xstream/s"));
        assert!(!resource_arn_ok("arn:aws:kinesis:000000000000:stream/s"), "region colon is needed");
        assert!(!resource_arn_ok("arn:aws:kinesis:us-east-1:00000000000:stream/s"));
        assert!(!resource_arn_ok("arn:aws:kinesis:us-east-1:000000000000:stream/"));
        assert!(!resource_arn_ok("arn:aws:kinesis:us-east-1:000000000000:stream/a b"));
        assert!(!resource_arn_ok("arn:aws:sqs:us-east-1:000000000000:stream/s"));
        assert!(!resource_arn_ok("stream/s"));
    }

    #[test]
    fn consumer_arns() {
        let ok = "arn:aws:kinesis:us-east-1:000000000000:stream/s/consumer/c:1700000000";
        assert!(consumer_arn_ok(ok));
        assert_eq!(split_consumer_arn(ok), Some(("arn:aws:kinesis:us-east-1:000000000000:stream/s", "c")));
        assert!(!consumer_arn_ok("arn:aws:kinesis:us-east-1:000000000000:stream/s/consumer/c"));
        assert!(!consumer_arn_ok("arn:aws:kinesis:us-east-1:000000000000:stream/s/consumer/c:x"));
        assert!(!consumer_arn_ok("arn:aws:kinesis:us-east-1:000000000000:stream/s"));
        assert!(!consumer_arn_ok("arn:aws:kinesis:us-east-1:000000000000:stream/a b/consumer/c:1"));
    }
}
