//! Server-side encryption of records at rest (what StartStreamEncryption turns on).
//!
//! There is no KMS here: the KeyId a client names is recorded and reported, and records are
//! sealed with AES-256-GCM under a key derived from one server-held master key (`sse.key` in
//! the data directory, created on first use like `token.key`). The log never knows: it stores
//! whatever bytes it is given, and this module decides what those bytes are.
//!
//! An encrypted record is stored as
//!
//! ```text
//! partition key : [0xFF]                                   (the marker)
//! data          : version u8 (= 1) | nonce (12) | ciphertext | tag (16)
//! plaintext     : pk_len u16 (LE) | partition key | data
//! ```
//!
//! A real partition key is UTF-8 text and so never starts with 0xFF: a reader tells an
//! encrypted record from a plain one by its stored key alone, whatever the stream's setting is
//! now, and records written before encryption existed read as they always did. The partition
//! key is sealed too, since it is user data. The key is derived per stream instance
//! (HMAC-SHA256 of the master key and the stream uid), and the shard is bound in as associated
//! data, so a sealed record cannot be replayed into another stream or shard.

use aes_gcm::aead::AeadInOut;
use aes_gcm::{Aes256Gcm, KeyInit, Nonce, Tag};
use bytes::Bytes;
use hmac::{Hmac, Mac};
use riffle_types::ShardKey;
use sha2::Sha256;
use std::fs;
use std::io::Write;
use std::path::Path;

/// The stored partition key of every encrypted record.
pub const MARKER: u8 = 0xFF;
/// The envelope version written today (the first byte of the stored data).
const VERSION: u8 = 1;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const HEADER_LEN: usize = 1 + NONCE_LEN;

/// The server-held master key.
#[derive(Clone)]
pub struct SseKey([u8; 32]);

impl std::fmt::Debug for SseKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SseKey(..)")
    }
}

/// Why a stored record could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum SseError {
    #[error("encrypted record envelope version {0} is not known to this build")]
    Version(u8),
    #[error("encrypted record is truncated")]
    Truncated,
    #[error("encrypted record failed authentication (wrong key or corrupted data)")]
    Auth,
}

impl SseKey {
    pub fn random() -> Self {
        Self(rand::random())
    }

    /// Loads the key from `dir/sse.key`, creating it on first use (temp file, fsync, rename).
    pub fn load_or_create(dir: &Path) -> std::io::Result<Self> {
        let path = dir.join("sse.key");
        match fs::read(&path) {
            Ok(b) => b
                .try_into()
                .map(Self)
                .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "sse.key is not 32 bytes")),
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

    /// The cipher of one stream instance.
    pub fn for_stream(&self, stream_uid: u32) -> StreamCipher {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("any key length");
        mac.update(b"riffle-sse-v1");
        mac.update(&stream_uid.to_be_bytes());
        let derived: [u8; 32] = mac.finalize().into_bytes().into();
        StreamCipher(Aes256Gcm::new(&derived.into()))
    }
}

/// Seals and opens the records of one stream.
pub struct StreamCipher(Aes256Gcm);

fn aad(shard: ShardKey) -> [u8; 9] {
    let mut a = [0u8; 9];
    a[0] = VERSION;
    a[1..5].copy_from_slice(&shard.stream_uid().to_be_bytes());
    a[5..].copy_from_slice(&shard.shard().to_be_bytes());
    a
}

/// Whether a stored record is an encrypted envelope.
pub fn is_sealed(stored_pk: &[u8]) -> bool {
    stored_pk.first() == Some(&MARKER)
}

impl StreamCipher {
    /// Seals a record for `shard`: returns the stored partition key and data.
    pub fn seal(&self, shard: ShardKey, pk: &[u8], data: &[u8]) -> (Bytes, Bytes) {
        let pk_len = u16::try_from(pk.len()).expect("partition keys are at most 256 characters");
        let mut buf = Vec::with_capacity(HEADER_LEN + 2 + pk.len() + data.len() + TAG_LEN);
        let nonce: [u8; NONCE_LEN] = rand::random();
        buf.push(VERSION);
        buf.extend_from_slice(&nonce);
        buf.extend_from_slice(&pk_len.to_le_bytes());
        buf.extend_from_slice(pk);
        buf.extend_from_slice(data);
        let tag = self
            .0
            .encrypt_inout_detached(&Nonce::from(nonce), &aad(shard), (&mut buf[HEADER_LEN..]).into())
            .expect("records are far below the AES-GCM message limit");
        buf.extend_from_slice(&tag);
        (Bytes::from_static(&[MARKER]), Bytes::from(buf))
    }

    /// Opens a sealed record of `shard`: returns the partition key and data it was given.
    pub fn open(&self, shard: ShardKey, stored: &[u8]) -> Result<(Bytes, Bytes), SseError> {
        match stored.first() {
            Some(&VERSION) => {}
            Some(&v) => return Err(SseError::Version(v)),
            None => return Err(SseError::Truncated),
        }
        if stored.len() < HEADER_LEN + 2 + TAG_LEN {
            return Err(SseError::Truncated);
        }
        let nonce: [u8; NONCE_LEN] = stored[1..HEADER_LEN].try_into().expect("length checked");
        let (body, tag) = stored[HEADER_LEN..].split_at(stored.len() - HEADER_LEN - TAG_LEN);
        let tag: Tag = Tag::try_from(tag).map_err(|_| SseError::Truncated)?;
        let mut plain = body.to_vec();
        self.0
            .decrypt_inout_detached(&Nonce::from(nonce), &aad(shard), (&mut plain[..]).into(), &tag)
            .map_err(|_| SseError::Auth)?;
        let pk_len = usize::from(u16::from_le_bytes([plain[0], plain[1]]));
        if plain.len() < 2 + pk_len {
            return Err(SseError::Truncated);
        }
        let plain = Bytes::from(plain);
        Ok((plain.slice(2..2 + pk_len), plain.slice(2 + pk_len..)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_and_open_round_trip() {
        let key = SseKey::random();
        let c = key.for_stream(7);
        let shard = ShardKey::new(7, 2);
        for data in [&b""[..], b"hello", &[0u8; 5000]] {
            let (spk, sdata) = c.seal(shard, b"pk-\xc3\xa9", data);
            assert!(is_sealed(&spk));
            assert!(!sdata.windows(5).any(|w| w == b"hello"), "data is not stored in the clear");
            let (pk, back) = c.open(shard, &sdata).unwrap();
            assert_eq!(&pk[..], b"pk-\xc3\xa9");
            assert_eq!(&back[..], data);
        }
    }

    #[test]
    fn refuses_tampering_other_shards_other_streams_and_keys() {
        let key = SseKey::random();
        let shard = ShardKey::new(1, 0);
        let (_, sealed) = key.for_stream(1).seal(shard, b"k", b"secret");
        for i in 0..sealed.len() {
            let mut bad = sealed.to_vec();
            bad[i] ^= 1;
            assert!(key.for_stream(1).open(shard, &bad).is_err(), "flip at {i} opened");
        }
        assert!(key.for_stream(1).open(ShardKey::new(1, 1), &sealed).is_err());
        assert!(key.for_stream(2).open(ShardKey::new(2, 0), &sealed).is_err());
        assert!(SseKey::random().for_stream(1).open(shard, &sealed).is_err());
        assert!(matches!(key.for_stream(1).open(shard, &sealed[..10]), Err(SseError::Truncated)));
        let mut future = sealed.to_vec();
        future[0] = 9;
        assert!(matches!(key.for_stream(1).open(shard, &future), Err(SseError::Version(9))));
    }

    #[test]
    fn key_survives_reload() {
        let dir = tempfile::tempdir().unwrap();
        let a = SseKey::load_or_create(dir.path()).unwrap();
        let b = SseKey::load_or_create(dir.path()).unwrap();
        assert_eq!(a.0, b.0);
    }

    #[test]
    fn text_keys_are_never_taken_for_the_marker() {
        assert!(!is_sealed("ÿ".as_bytes()), "U+00FF encodes as C3 BF");
        assert!(!is_sealed(b"k"));
    }
}
