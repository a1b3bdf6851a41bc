//! The operations of the Kinesis API, named as `X-Amz-Target` names them.

/// The target prefix of every Kinesis operation.
pub const TARGET_PREFIX: &str = "Kinesis_20131202.";

macro_rules! operations {
    ($($op:ident),* $(,)?) => {
        /// Every operation in the Kinesis API model (2013-12-02).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Operation { $($op),* }

        impl Operation {
            pub const ALL: &'static [Operation] = &[$(Operation::$op),*];

            pub fn name(self) -> &'static str {
                match self { $(Operation::$op => stringify!($op)),* }
            }

            /// Parses `Kinesis_20131202.<Name>`.
            pub fn from_target(target: &str) -> Option<Self> {
                let name = target.strip_prefix(TARGET_PREFIX)?;
                match name { $(stringify!($op) => Some(Operation::$op),)* _ => None }
            }
        }
    };
}

operations!(
    AddTagsToStream,
    CreateStream,
    DecreaseStreamRetentionPeriod,
    DeleteResourcePolicy,
    DeleteStream,
    DeregisterStreamConsumer,
    DescribeAccountSettings,
    DescribeLimits,
    DescribeStream,
    DescribeStreamConsumer,
    DescribeStreamSummary,
    DisableEnhancedMonitoring,
    EnableEnhancedMonitoring,
    GetRecords,
    GetResourcePolicy,
    GetShardIterator,
    IncreaseStreamRetentionPeriod,
    ListShards,
    ListStreamConsumers,
    ListStreams,
    ListTagsForResource,
    ListTagsForStream,
    MergeShards,
    PutRecord,
    PutRecords,
    PutResourcePolicy,
    RegisterStreamConsumer,
    RemoveTagsFromStream,
    SplitShard,
    StartStreamEncryption,
    StopStreamEncryption,
    SubscribeToShard,
    TagResource,
    UntagResource,
    UpdateAccountSettings,
    UpdateMaxRecordSize,
    UpdateShardCount,
    UpdateStreamMode,
    UpdateStreamWarmThroughput,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_39_operations_parse() {
        assert_eq!(Operation::ALL.len(), 39);
        for op in Operation::ALL {
            assert_eq!(Operation::from_target(&format!("{TARGET_PREFIX}{}", op.name())), Some(*op));
        }
        assert_eq!(Operation::from_target("Kinesis_20131202.Nope"), None);
        assert_eq!(Operation::from_target("PutRecord"), None);
    }
}
