//! Which open shard owns which hash keys, from ListShards, so user records can be aggregated
//! per shard. The map is reloaded when a record lands on a shard it did not predict (the stream
//! was resharded).

use crate::sender::{RequestError, classify};
use riffle_types::HashKeyRange;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub(crate) struct ShardInfo {
    pub id: Arc<str>,
    pub range: HashKeyRange,
}

/// Open shards sorted by starting hash key; they tile the key space.
#[derive(Debug, Clone, Default)]
pub(crate) struct ShardMap {
    shards: Vec<ShardInfo>,
    /// For each of 2^[`BUCKET_BITS`] equal slices of the key space, how many shards start at
    /// or before the slice's first key: where a lookup's search can start. Every user record
    /// is looked up, and a binary search over hundreds of shards is a string of branches no
    /// predictor can learn (the keys are hashes); from here a lookup is a step or two.
    first: Vec<u32>,
}

/// 4,096 slices (16 KiB): more than a stream's usual shard count, so a slice rarely holds
/// more than one shard's start.
const BUCKET_BITS: u32 = 12;

impl ShardMap {
    pub fn new(mut shards: Vec<ShardInfo>) -> Self {
        shards.sort_by_key(|s| s.range.start);
        let first = (0..1u128 << BUCKET_BITS)
            .map(|b| shards.partition_point(|s| s.range.start <= b << (128 - BUCKET_BITS)) as u32)
            .collect();
        Self { shards, first }
    }

    /// The shard owning `hash_key`; `None` only if the map has a gap (never for a consistent
    /// ListShards answer).
    pub fn lookup(&self, hash_key: u128) -> Option<&ShardInfo> {
        self.position(hash_key).map(|i| &self.shards[i])
    }

    /// [`ShardMap::lookup`]'s shard as its place in [`ShardMap::shards`].
    pub fn position(&self, hash_key: u128) -> Option<usize> {
        // The shards starting at or before the key: those of the slice's start, then any
        // starting inside the slice, up to the key.
        let mut after = self.first.get((hash_key >> (128 - BUCKET_BITS)) as usize).map_or(0, |&n| n as usize);
        while self.shards.get(after).is_some_and(|s| s.range.start <= hash_key) {
            after += 1;
        }
        let i = after.checked_sub(1)?;
        (self.shards[i].range.end >= hash_key).then_some(i)
    }

    pub fn get(&self, id: &str) -> Option<&ShardInfo> {
        self.shards.iter().find(|s| &*s.id == id)
    }

    pub fn shards(&self) -> &[ShardInfo] {
        &self.shards
    }
}

/// Lists the stream's open shards (ShardFilter AT_LATEST), page by page.
pub(crate) async fn load(client: &aws_sdk_kinesis::Client, stream: &str) -> Result<ShardMap, RequestError> {
    use aws_sdk_kinesis::types::{ShardFilter, ShardFilterType};
    let mut shards = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let req = match token.take() {
            // A paged call names the token alone, as the API requires.
            Some(t) => client.list_shards().next_token(t),
            None => client
                .list_shards()
                .stream_name(stream)
                .shard_filter(ShardFilter::builder().r#type(ShardFilterType::AtLatest).build().expect("type is set")),
        };
        let out = req.max_results(1000).send().await.map_err(classify)?;
        for s in out.shards() {
            let r = s.hash_key_range();
            let (Ok(start), Ok(end)) =
                (r.map_or("", |r| r.starting_hash_key()).parse(), r.map_or("", |r| r.ending_hash_key()).parse())
            else {
                return Err(RequestError::non_retryable(
                    "InvalidShardMap",
                    format!("shard {} has no valid hash key range", s.shard_id()),
                ));
            };
            shards.push(ShardInfo { id: Arc::from(s.shard_id()), range: HashKeyRange { start, end } });
        }
        match out.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    if shards.is_empty() {
        return Err(RequestError::retryable("NoOpenShards", format!("stream {stream} has no open shards yet")));
    }
    Ok(ShardMap::new(shards))
}

#[cfg(test)]
mod tests {
    use super::*;
    use riffle_types::uniform_ranges;

    #[test]
    fn lookup_finds_the_owner_at_every_boundary() {
        let map = ShardMap::new(
            uniform_ranges(3)
                .into_iter()
                .enumerate()
                .rev()
                .map(|(i, range)| ShardInfo { id: Arc::from(format!("s{i}")), range })
                .collect(),
        );
        for (i, s) in map.shards().iter().enumerate() {
            assert_eq!(&*map.lookup(s.range.start).unwrap().id, format!("s{i}"));
            assert_eq!(&*map.lookup(s.range.end).unwrap().id, format!("s{i}"));
        }
        assert_eq!(&*map.lookup(u128::MAX).unwrap().id, "s2");
        let gap = ShardMap::new(vec![ShardInfo { id: Arc::from("x"), range: HashKeyRange { start: 10, end: 20 } }]);
        assert!(gap.lookup(5).is_none());
        assert!(gap.lookup(21).is_none());
    }

    proptest::proptest! {
        /// The sliced lookup finds what a binary search over the shards finds, for maps of
        /// any shape (many shards in one slice, gaps) and any key.
        #[test]
        fn lookup_agrees_with_a_binary_search(
            mut cuts in proptest::collection::vec(proptest::num::u128::ANY, 0..300),
            narrow in proptest::collection::vec(0u128..1 << 20, 0..50),
            gaps in proptest::collection::vec(proptest::bool::weighted(0.1), 350),
            keys in proptest::collection::vec(proptest::num::u128::ANY, 200),
        ) {
            // Narrow cuts crowd many shard starts into the first slice.
            cuts.extend(narrow);
            cuts.sort_unstable();
            cuts.dedup();
            let mut shards = Vec::new();
            let mut start = 0u128;
            for (i, &cut) in cuts.iter().chain([&u128::MAX]).enumerate() {
                if cut < start {
                    continue;
                }
                if !gaps[i % gaps.len()] {
                    shards.push(ShardInfo { id: Arc::from(format!("s{i}")), range: HashKeyRange { start, end: cut } });
                }
                match cut.checked_add(1) {
                    Some(next) => start = next,
                    None => break,
                }
            }
            let map = ShardMap::new(shards.clone());
            let probes = keys.iter().copied().chain(shards.iter().flat_map(|s| [s.range.start, s.range.end]));
            for key in probes {
                let i = map.shards.partition_point(|s| s.range.start <= key).checked_sub(1);
                let expected = i.filter(|&i| map.shards[i].range.end >= key);
                proptest::prop_assert_eq!(map.position(key), expected, "key {}", key);
            }
        }
    }
}
