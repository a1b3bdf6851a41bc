//! The access keys a server accepts: id, secret, and the session token a temporary key needs.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

/// One access key, written `AKID:SECRET` or `AKID:SECRET:SESSION_TOKEN`.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessKey {
    pub access_key_id: String,
    pub secret_access_key: String,
    /// If set, requests signed with this key must carry it as `X-Amz-Security-Token`.
    pub session_token: Option<String>,
}

impl fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessKey")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("session_token", &self.session_token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessKeyError {
    #[error("expected AKID:SECRET or AKID:SECRET:SESSION_TOKEN")]
    Shape,
    #[error("the access key id, the secret and the session token must not be empty")]
    Empty,
    #[error("the access key id must not contain '/' or whitespace")]
    BadId,
}

impl FromStr for AccessKey {
    type Err = AccessKeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.trim().split(':').collect();
        let (id, secret, token) = match parts[..] {
            [id, secret] => (id, secret, None),
            [id, secret, token] => (id, secret, Some(token)),
            _ => return Err(AccessKeyError::Shape),
        };
        if id.is_empty() || secret.is_empty() || token.is_some_and(str::is_empty) {
            return Err(AccessKeyError::Empty);
        }
        // The id is the first element of a `/`-separated credential scope.
        if id.contains('/') || id.contains(char::is_whitespace) {
            return Err(AccessKeyError::BadId);
        }
        Ok(AccessKey {
            access_key_id: id.to_string(),
            secret_access_key: secret.to_string(),
            session_token: token.map(str::to_string),
        })
    }
}

/// A bad line in a key file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct KeyFileError {
    pub line: usize,
    pub problem: AccessKeyError,
}

/// Reads a key file: one `AKID:SECRET[:SESSION_TOKEN]` per line; blank lines and lines starting
/// with `#` are skipped.
pub fn parse_key_file(text: &str) -> Result<Vec<AccessKey>, KeyFileError> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|(i, l)| l.parse().map_err(|problem| KeyFileError { line: i + 1, problem }))
        .collect()
}

/// The keys a server accepts, by access key id. A later key with the same id replaces an
/// earlier one. `Debug` shows the ids only.
#[derive(Clone, Default)]
pub struct KeyStore {
    keys: HashMap<String, AccessKey>,
}

impl KeyStore {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn insert(&mut self, key: AccessKey) {
        self.keys.insert(key.access_key_id.clone(), key);
    }

    pub fn get(&self, access_key_id: &str) -> Option<&AccessKey> {
        self.keys.get(access_key_id)
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

impl FromIterator<AccessKey> for KeyStore {
    fn from_iter<I: IntoIterator<Item = AccessKey>>(iter: I) -> Self {
        let mut store = KeyStore::new();
        iter.into_iter().for_each(|k| store.insert(k));
        store
    }
}

impl fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ids: Vec<&String> = self.keys.keys().collect();
        ids.sort();
        f.debug_struct("KeyStore").field("access_key_ids", &ids).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_keys() {
        let k: AccessKey = "AKID:se/cr+et".parse().unwrap();
        assert_eq!(
            (k.access_key_id.as_str(), k.secret_access_key.as_str(), k.session_token),
            ("AKID", "se/cr+et", None)
        );
        let k: AccessKey = " ASIA:s:tok== ".parse().unwrap();
        assert_eq!(k.session_token.as_deref(), Some("tok=="));
        assert_eq!("AKID".parse::<AccessKey>(), Err(AccessKeyError::Shape));
        assert_eq!("a:b:c:d".parse::<AccessKey>(), Err(AccessKeyError::Shape));
        assert_eq!(":b".parse::<AccessKey>(), Err(AccessKeyError::Empty));
        assert_eq!("a:b:".parse::<AccessKey>(), Err(AccessKeyError::Empty));
        assert_eq!("a/b:c".parse::<AccessKey>(), Err(AccessKeyError::BadId));
    }

    #[test]
    fn parses_key_files() {
        let keys = parse_key_file("# keys\n\nAKID1:s1\n  AKID2:s2:t2\n").unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[1].session_token.as_deref(), Some("t2"));
        assert_eq!(parse_key_file("A:b\nbroken\n"), Err(KeyFileError { line: 2, problem: AccessKeyError::Shape }));
    }

    #[test]
    fn debug_never_shows_secrets() {
        let store: KeyStore = ["AKID:topsecret:tokensecret".parse().unwrap()].into_iter().collect();
        let shown = format!("{store:?} {:?}", store.get("AKID").unwrap());
        assert!(shown.contains("AKID") && !shown.contains("topsecret") && !shown.contains("tokensecret"), "{shown}");
    }
}
