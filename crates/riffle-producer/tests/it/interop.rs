//! Aggregates made by `aws-kinesis-agg` (the PyPI and npm packages), committed as fixtures by
//! the Python and JavaScript suites, decode exactly with Riffle's decoder, and Riffle's encoder
//! makes the very same bytes from the same records.

use base64::Engine;
use riffle_proto::agg;
use std::path::Path;

fn check_fixture(name: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let fixture: serde_json::Value = serde_json::from_str(&text).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD;
    let cases = fixture["aggregates"].as_array().unwrap();
    assert!(!cases.is_empty());
    for case in cases {
        let bytes = b64.decode(case["data"].as_str().unwrap()).unwrap();
        let users = agg::deaggregate(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected = case["records"].as_array().unwrap();
        assert_eq!(users.len(), expected.len());
        for (i, (got, want)) in users.iter().zip(expected).enumerate() {
            assert_eq!(got.partition_key, want["partition_key"].as_str().unwrap());
            assert_eq!(got.explicit_hash_key.as_deref(), want["explicit_hash_key"].as_str());
            assert_eq!(got.data, b64.decode(want["data"].as_str().unwrap()).unwrap());
            assert_eq!(got.sub_sequence_number, i as u64);
        }
        // Our encoder writes the same bytes for the same records: same table order, same
        // field order, required fields written.
        let ours = agg::aggregate(
            users.iter().map(|u| (u.partition_key.as_str(), u.explicit_hash_key.as_deref(), &u.data[..])),
        );
        assert_eq!(ours, bytes, "{name}: byte-identical aggregate");
    }
}

#[test]
fn python_aws_kinesis_agg_aggregates_decode() {
    check_fixture("python-aws-kinesis-agg.json");
}

#[test]
fn npm_aws_kinesis_agg_aggregates_decode() {
    check_fixture("js-aws-kinesis-agg.json");
}
