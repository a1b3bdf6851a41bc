//! Unpacks arbitrary bytes as a KPL aggregate: any input must give user records or an error,
//! never a panic; whatever unpacks must pack again into an aggregate that unpacks the same.

#![no_main]

use libfuzzer_sys::fuzz_target;
use riffle_proto::agg;

fuzz_target!(|data: &[u8]| {
    let _ = agg::is_aggregated(data);
    if let Ok(users) = agg::deaggregate(data) {
        let packed = agg::aggregate(
            users.iter().map(|u| (u.partition_key.as_str(), u.explicit_hash_key.as_deref(), &u.data[..])),
        );
        assert_eq!(agg::deaggregate(&packed).expect("our own aggregate unpacks"), users);
    }
});
