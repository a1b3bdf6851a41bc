//! TransactWriteItems' `ClientRequestToken`: for 10 minutes after a transaction succeeds, the
//! same token with the same request gets the same answer without being applied again, and with a
//! different request an IdempotentParameterMismatchException.
//!
//! Tokens live in memory: a restart forgets them, so a retry that straddles a restart applies
//! again (as one that comes after the 10 minutes does in DynamoDB). Only successes are
//! remembered: a cancelled transaction changed nothing, so running its retry again is safe.

use crate::error::{DynamoError, ErrorKind};
use serde_json::Value as Json;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How long a token is remembered.
pub(crate) const TOKEN_TTL: Duration = Duration::from_secs(600);

struct Entry {
    request: Json,
    answer: Json,
    at: Instant,
}

/// The tokens of recent successful transactions.
#[derive(Default)]
pub(crate) struct Tokens {
    entries: HashMap<String, Entry>,
}

impl Tokens {
    /// The answer already given to `token`, if it was used for this same request; an error if
    /// it was used for another.
    pub(crate) fn check(&mut self, token: &str, request: &Json, now: Instant) -> Result<Option<Json>, DynamoError> {
        self.entries.retain(|_, e| now.saturating_duration_since(e.at) < TOKEN_TTL);
        match self.entries.get(token) {
            None => Ok(None),
            Some(e) if e.request == *request => Ok(Some(e.answer.clone())),
            // Not confirmed against DynamoDB: the wording other emulators use.
            Some(_) => Err(DynamoError::new(
                ErrorKind::IdempotentParameterMismatch,
                "The request uses the same client token as a previous, but non-identical request.",
            )),
        }
    }

    pub(crate) fn remember(&mut self, token: String, request: Json, answer: Json, now: Instant) {
        self.entries.insert(token, Entry { request, answer, at: now });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn same_request_same_answer_other_request_refused_until_expiry() {
        let mut t = Tokens::default();
        let t0 = Instant::now();
        let (a, b) = (json!({"x": 1}), json!({"x": 2}));
        assert_eq!(t.check("tok", &a, t0).unwrap(), None);
        t.remember("tok".into(), a.clone(), json!({"ok": true}), t0);
        assert_eq!(t.check("tok", &a, t0).unwrap(), Some(json!({"ok": true})));
        assert_eq!(t.check("tok", &b, t0).unwrap_err().kind, ErrorKind::IdempotentParameterMismatch);
        assert_eq!(t.check("other", &b, t0).unwrap(), None);
        assert_eq!(t.check("tok", &b, t0 + TOKEN_TTL).unwrap(), None, "forgotten after 10 minutes");
    }
}
