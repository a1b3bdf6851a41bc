//! `riffle bench producer`, both ways scripts/bench-producer.sh runs it: what it reports is what
//! reached the stream.

use super::{ok_json, server};
use riffle_proto::agg::deaggregate;

#[test]
fn the_producer_bench_and_the_sdk_put_loop_report_what_reached_the_stream() {
    let (server, _dir) = server(&[]);
    let url = server.endpoint();
    let bench = |extra: &[&str]| {
        let mut args = vec!["bench", "producer", "--endpoint", &url, "--stream", "b", "--shards", "2", "--json"];
        args.extend_from_slice(extra);
        ok_json(&args)
    };

    let producer = bench(&["--records", "300"]);
    assert_eq!((producer["written"].as_u64(), producer["failed"].as_u64()), (Some(300), Some(0)), "{producer}");
    let aggregates = producer["kinesis_records"].as_u64().unwrap();
    assert!((1..300).contains(&aggregates), "300 records in fewer Kinesis records: {producer}");
    let sdk = bench(&["--sdk-put-loop", "--records", "20"]);
    assert_eq!((sdk["written"].as_u64(), sdk["kinesis_records"].as_u64()), (Some(20), Some(20)), "{sdk}");

    let rt = tokio::runtime::Runtime::new().unwrap();
    let shards = rt.block_on(async {
        let client = riffle_testkit::kinesis_client(&url).await;
        riffle_testkit::read_stream(&client, "b").await
    });
    let records: Vec<_> = shards.into_iter().flat_map(|(_, r)| r).collect();
    assert_eq!(records.len() as u64, aggregates + 20, "one Kinesis record per aggregate and per single put");
    let user_records: usize =
        records.iter().map(|r| deaggregate(r.data().as_ref()).map_or(1, |inner| inner.len())).sum();
    assert_eq!(user_records, 320);
}
