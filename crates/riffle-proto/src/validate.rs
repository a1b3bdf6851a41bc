//! AWS-shaped constraint violations.
//!
//! AWS reports every failed model constraint of a request in one `ValidationException`:
//! `N validation errors detected: Value '<v>' at '<path>' failed to satisfy constraint: Member
//! must <rule>; ...` (at most 10 listed). Handlers feed each member through these checks in model
//! order and turn the result into one error.

use crate::error::{ApiError, ErrorCode};
use std::fmt::Display;

/// Collects violations for one request.
#[derive(Debug, Default)]
pub struct Violations {
    items: Vec<String>,
}

const NAME_PATTERN: &str = "[a-zA-Z0-9_.-]+";

impl Violations {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a violation for a value shown as `'<value>'` (or `null`).
    pub fn push(&mut self, value: Option<&dyn Display>, path: &str, rule: impl Display) {
        let shown = match value {
            Some(v) => format!("'{v}'"),
            None => "null".to_string(),
        };
        self.items.push(format!("Value {shown} at '{path}' failed to satisfy constraint: Member must {rule}"));
    }

    pub fn required<T>(&mut self, v: &Option<T>, path: &str) {
        if v.is_none() {
            self.push(None, path, "not be null");
        }
    }

    /// Length bounds on a string (in characters, as the model counts them).
    pub fn length(&mut self, v: Option<&str>, path: &str, min: usize, max: usize) {
        if let Some(s) = v {
            let n = s.chars().count();
            if n < min {
                self.push(Some(&s), path, format!("have length greater than or equal to {min}"));
            } else if n > max {
                self.push(Some(&s), path, format!("have length less than or equal to {max}"));
            }
        }
    }

    /// A stream, consumer or shard name: 1–128 of `[a-zA-Z0-9_.-]`.
    pub fn name(&mut self, v: Option<&str>, path: &str) {
        if let Some(s) = v {
            // An empty name fails both the pattern and the length; AWS reports the pattern first
            // (kinesalite's recordings of AWS).
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')) {
                self.pattern_failed(s, path, NAME_PATTERN);
            }
            self.length(Some(s), path, 1, 128);
        }
    }

    pub fn pattern_failed(&mut self, v: &str, path: &str, pattern: &str) {
        self.push(Some(&v), path, format!("satisfy regular expression pattern: {pattern}"));
    }

    pub fn range(&mut self, v: Option<i64>, path: &str, min: Option<i64>, max: Option<i64>) {
        let Some(n) = v else { return };
        if let Some(min) = min.filter(|&m| n < m) {
            self.push(Some(&n), path, format!("have value greater than or equal to {min}"));
        } else if let Some(max) = max.filter(|&m| n > m) {
            self.push(Some(&n), path, format!("have value less than or equal to {max}"));
        }
    }

    pub fn one_of(&mut self, v: Option<&str>, path: &str, allowed: &[&str]) {
        if let Some(s) = v.filter(|s| !allowed.contains(s)) {
            self.push(Some(&s), path, format!("satisfy enum value set: [{}]", allowed.join(", ")));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// `Ok(())` when nothing failed, else the one `ValidationException` AWS would send.
    pub fn finish(self) -> Result<(), ApiError> {
        let n = self.items.len();
        if n == 0 {
            return Ok(());
        }
        let head = if n == 1 {
            "1 validation error detected: ".to_string()
        } else {
            format!("{n} validation errors detected: ")
        };
        let body = self.items.into_iter().take(10).collect::<Vec<_>>().join("; ");
        Err(ApiError::new(ErrorCode::Validation, head + &body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_aws() {
        let mut v = Violations::new();
        v.name(Some("a b"), "streamName");
        let e = v.finish().unwrap_err();
        assert_eq!(
            e.message,
            "1 validation error detected: Value 'a b' at 'streamName' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
        );
        let mut v = Violations::new();
        v.required::<String>(&None, "streamName");
        v.range(Some(0), "shardCount", Some(1), None);
        let e = v.finish().unwrap_err();
        assert!(e.message.starts_with("2 validation errors detected: Value null at 'streamName'"));
        assert!(e.message.ends_with("Member must have value greater than or equal to 1"));
    }
}
