//! A hasher for keys that are hashes already.

/// Hash keys (already MD5 outputs, so uniformly spread): hashed by taking their low bits,
/// since SipHash over every user record of a call would be wasted work. The same hasher
/// passes through the foldhash outputs the aggregate encoder indexes its tables by.
pub(crate) type KeySet = std::collections::HashSet<u128, std::hash::BuildHasherDefault<KeyHasher>>;

#[derive(Debug, Default)]
pub(crate) struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u128(&mut self, n: u128) {
        self.0 ^= n as u64;
    }

    fn write_u64(&mut self, n: u64) {
        self.0 ^= n;
    }
}
