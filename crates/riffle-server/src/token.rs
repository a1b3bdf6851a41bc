//! Opaque, authenticated tokens: shard iterators and pagination tokens.
//!
//! A token is a small binary payload followed by a truncated HMAC-SHA256 under a server key,
//! base64url-encoded. Clients cannot forge one or edit it to read another stream or shard: any
//! change breaks the MAC. The key is kept in the data directory so tokens outlive a restart.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::fs;
use std::io::Write;
use std::path::Path;

const MAC_LEN: usize = 16;
const ITERATOR_KIND: u8 = 1;
const PAGE_KIND: u8 = 2;

/// Signs and verifies tokens.
#[derive(Clone)]
pub struct TokenKey([u8; 32]);

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey(..)")
    }
}

/// What a shard iterator points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IteratorState {
    pub stream_uid: u32,
    pub shard: u32,
    /// The next counter to read.
    pub counter: u64,
    pub issued_ms: i64,
}

impl TokenKey {
    pub fn random() -> Self {
        Self(rand::random())
    }

    /// Loads the key from `dir/token.key`, creating it on first use.
    pub fn load_or_create(dir: &Path) -> std::io::Result<Self> {
        let path = dir.join("token.key");
        match fs::read(&path) {
            Ok(b) if b.len() == 32 => Ok(Self(b.try_into().expect("length checked"))),
            Ok(_) => Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "token.key is not 32 bytes")),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::random();
                let tmp = path.with_extension("tmp");
                let mut f = fs::File::create(&tmp)?;
                f.write_all(&key.0)?;
                f.sync_all()?;
                fs::rename(&tmp, &path)?;
                fs::File::open(dir)?.sync_all()?;
                Ok(key)
            }
            Err(e) => Err(e),
        }
    }

    fn seal(&self, kind: u8, payload: &[u8]) -> String {
        let mut buf = Vec::with_capacity(1 + payload.len() + MAC_LEN);
        buf.push(kind);
        buf.extend_from_slice(payload);
        let tag = self.mac(&buf);
        buf.extend_from_slice(&tag[..MAC_LEN]);
        URL_SAFE_NO_PAD.encode(buf)
    }

    fn open(&self, kind: u8, token: &str) -> Option<Vec<u8>> {
        let buf = URL_SAFE_NO_PAD.decode(token).ok()?;
        if buf.len() < 1 + MAC_LEN || buf[0] != kind {
            return None;
        }
        let (body, tag) = buf.split_at(buf.len() - MAC_LEN);
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("any key length");
        mac.update(body);
        mac.verify_truncated_left(tag).ok()?;
        Some(body[1..].to_vec())
    }

    fn mac(&self, data: &[u8]) -> [u8; 32] {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("any key length");
        mac.update(data);
        mac.finalize().into_bytes().into()
    }

    pub fn iterator(&self, st: IteratorState) -> String {
        let mut p = Vec::with_capacity(24);
        p.extend_from_slice(&st.stream_uid.to_be_bytes());
        p.extend_from_slice(&st.shard.to_be_bytes());
        p.extend_from_slice(&st.counter.to_be_bytes());
        p.extend_from_slice(&st.issued_ms.to_be_bytes());
        self.seal(ITERATOR_KIND, &p)
    }

    pub fn open_iterator(&self, token: &str) -> Option<IteratorState> {
        let p = self.open(ITERATOR_KIND, token)?;
        if p.len() != 24 {
            return None;
        }
        Some(IteratorState {
            stream_uid: u32::from_be_bytes(p[0..4].try_into().ok()?),
            shard: u32::from_be_bytes(p[4..8].try_into().ok()?),
            counter: u64::from_be_bytes(p[8..16].try_into().ok()?),
            issued_ms: i64::from_be_bytes(p[16..24].try_into().ok()?),
        })
    }

    /// A pagination token carrying `(issued_ms, cursor)`; the cursor is opaque to this module.
    pub fn page(&self, issued_ms: i64, cursor: &str) -> String {
        let mut p = issued_ms.to_be_bytes().to_vec();
        p.extend_from_slice(cursor.as_bytes());
        self.seal(PAGE_KIND, &p)
    }

    pub fn open_page(&self, token: &str) -> Option<(i64, String)> {
        let p = self.open(PAGE_KIND, token)?;
        if p.len() < 8 {
            return None;
        }
        let issued = i64::from_be_bytes(p[..8].try_into().ok()?);
        Some((issued, String::from_utf8(p[8..].to_vec()).ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iterators_round_trip_and_resist_tampering() {
        let k = TokenKey::random();
        let st = IteratorState { stream_uid: 7, shard: 3, counter: 99, issued_ms: 1234 };
        let t = k.iterator(st);
        assert!(t.len() <= 512);
        assert_eq!(k.open_iterator(&t), Some(st));
        // Flip each character in turn: none of the edits may open.
        for i in 0..t.len() {
            let mut b = t.clone().into_bytes();
            b[i] = if b[i] == b'A' { b'B' } else { b'A' };
            let edited = String::from_utf8(b).unwrap();
            if edited != t {
                assert_eq!(k.open_iterator(&edited), None, "edit at {i} opened");
            }
        }
        assert_eq!(TokenKey::random().open_iterator(&t), None);
        assert_eq!(k.open_page(&t), None, "an iterator is not a page token");
    }

    #[test]
    fn page_tokens_round_trip() {
        let k = TokenKey::random();
        let t = k.page(5, "stream-a|shardId-000000000001");
        assert_eq!(k.open_page(&t), Some((5, "stream-a|shardId-000000000001".to_string())));
    }
}
