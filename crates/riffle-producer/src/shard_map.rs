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
}

impl ShardMap {
    pub fn new(mut shards: Vec<ShardInfo>) -> Self {
        shards.sort_by_key(|s| s.range.start);
        Self { shards }
    }

    /// The shard owning `hash_key`; `None` only if the map has a gap (never for a consistent
    /// ListShards answer).
    pub fn lookup(&self, hash_key: u128) -> Option<&ShardInfo> {
        self.position(hash_key).map(|i| &self.shards[i])
    }

    /// [`ShardMap::lookup`]'s shard as its place in [`ShardMap::shards`].
    pub fn position(&self, hash_key: u128) -> Option<usize> {
        let i = self.shards.partition_point(|s| s.range.start <= hash_key).checked_sub(1)?;
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
}
