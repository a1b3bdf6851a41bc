//! SigV4 verification against the official test suite, against signatures made by AWS's own
//! signer (the `aws-sigv4` crate the Rust SDK uses), and for every way a request can fail.

mod failures;
mod sdk;
mod suite;
mod suite_data;

use riffle_auth::{AuthError, Identity, KeyStore, Rules, SignedRequest};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A request held by value, convertible to the borrowed form the verifier takes.
#[derive(Debug, Clone)]
pub struct Req {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
}

impl Req {
    /// Parses a raw HTTP/1.1 request as the suite writes them (continuation lines fold into the
    /// previous header).
    pub fn parse(raw: &str) -> Req {
        let (head, body) = raw.split_once("\n\n").expect("blank line after the head");
        let mut lines = head.lines();
        let (method, rest) = lines.next().unwrap().split_once(' ').unwrap();
        let target = rest.strip_suffix(" HTTP/1.1").unwrap();
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let mut headers: Vec<(String, Vec<u8>)> = Vec::new();
        for line in lines {
            if line.starts_with([' ', '\t']) {
                let last = headers.last_mut().unwrap();
                last.1.push(b'\n');
                last.1.extend_from_slice(line.as_bytes());
            } else {
                let (n, v) = line.split_once(':').unwrap();
                headers.push((n.to_string(), v.as_bytes().to_vec()));
            }
        }
        Req {
            method: method.into(),
            path: path.into(),
            query: query.into(),
            headers,
            body: body.trim_end_matches('\n').as_bytes().to_vec(),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| std::str::from_utf8(v).unwrap())
    }

    pub fn set_header(&mut self, name: &str, value: &str) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_string(), value.as_bytes().to_vec()));
    }

    pub fn remove_header(&mut self, name: &str) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }

    /// Edits the `Authorization` header text.
    pub fn edit_authorization(&mut self, f: impl FnOnce(&str) -> String) {
        let new = f(self.header("authorization").expect("signed in the header"));
        self.set_header("Authorization", &new);
    }

    pub fn verify(&self, keys: &KeyStore, rules: &Rules<'_>, now: SystemTime) -> Result<Identity, AuthError> {
        let headers: Vec<(&str, &[u8])> = self.headers.iter().map(|(n, v)| (n.as_str(), v.as_slice())).collect();
        let req = SignedRequest {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &headers,
            body: &self.body,
        };
        riffle_auth::verify(&req, keys, rules, now)
    }
}

pub fn at(unix_secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(unix_secs)
}

pub fn keys(entries: &[&str]) -> KeyStore {
    entries.iter().map(|e| e.parse().unwrap()).collect()
}

/// The message of an error, asserting its type.
#[track_caller]
pub fn expect_err(result: Result<Identity, AuthError>, type_name: &str) -> String {
    match result {
        Ok(id) => panic!("expected {type_name}, verified as {id:?}"),
        Err(e) => {
            assert_eq!(e.type_name(), type_name, "{e}");
            e.message().to_string()
        }
    }
}
