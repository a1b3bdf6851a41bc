//! Every suite vector verifies, in both forms, and stops verifying once anything signed changes.

use crate::suite_data::{SECRET, SIGNED_AT, VECTORS, Vector};
use crate::{Req, at, expect_err};
use riffle_auth::{AccessKey, KeyStore, Rules};
use std::time::Duration;

const RULES: Rules<'static> =
    Rules { services: &["service"], region: Some("us-east-1"), max_skew: Duration::from_secs(300) };

fn keys_for(v: &Vector) -> KeyStore {
    [AccessKey {
        access_key_id: "AKIDEXAMPLE".into(),
        secret_access_key: SECRET.into(),
        session_token: v.session_token.map(str::to_string),
    }]
    .into_iter()
    .collect()
}

#[test]
fn header_form_vectors_verify() {
    for v in VECTORS {
        let req = Req::parse(v.header_signed);
        let id = req.verify(&keys_for(v), &RULES, at(SIGNED_AT)).unwrap_or_else(|e| panic!("{}: {e}", v.name));
        assert_eq!((id.access_key_id.as_str(), id.service.as_str(), id.presigned), ("AKIDEXAMPLE", "service", false));
    }
}

#[test]
fn query_form_vectors_verify() {
    let mut checked = 0;
    for v in VECTORS {
        let Some(raw) = v.query_signed else { continue };
        if v.name == "post-sts-header-after" {
            // Its URL gets the token after signing (an IoT convention); every other service,
            // and every SDK presigning for Kinesis, signs `X-Amz-Security-Token` like any other
            // parameter.
            continue;
        }
        let req = Req::parse(raw);
        let id = req.verify(&keys_for(v), &RULES, at(SIGNED_AT)).unwrap_or_else(|e| panic!("{}: {e}", v.name));
        assert!(id.presigned, "{}", v.name);
        checked += 1;
    }
    assert!(checked >= 25, "only {checked} presigned vectors");
}

#[test]
fn vectors_fail_when_the_signature_changes() {
    for v in VECTORS {
        let mut req = Req::parse(v.header_signed);
        req.edit_authorization(|a| {
            let last = if a.ends_with('0') { '1' } else { '0' };
            format!("{}{last}", &a[..a.len() - 1])
        });
        let msg = expect_err(req.verify(&keys_for(v), &RULES, at(SIGNED_AT)), "InvalidSignatureException");
        assert!(msg.starts_with("The request signature we calculated"), "{}: {msg}", v.name);
    }
}

#[test]
fn vectors_fail_when_a_signed_part_changes() {
    for v in VECTORS {
        let base = Req::parse(v.header_signed);
        let keys = keys_for(v);
        let mut changed_path = base.clone();
        changed_path.path.push('x');
        let mut changed_query = base.clone();
        changed_query.query.push_str(if base.query.is_empty() { "a=b" } else { "&a=b" });
        let mut changed_host = base.clone();
        changed_host.set_header("Host", "example.amazonaws.com.evil");
        let mut changed_body = base.clone();
        changed_body.body.extend_from_slice(b" ");
        let mut changed_method = base.clone();
        changed_method.method = if base.method == "GET" { "POST".into() } else { "GET".into() };
        for (what, req) in [
            ("path", changed_path),
            ("query", changed_query),
            ("host", changed_host),
            ("body", changed_body),
            ("method", changed_method),
        ] {
            let r = req.verify(&keys, &RULES, at(SIGNED_AT));
            assert_eq!(r.map_err(|e| e.type_name()), Err("InvalidSignatureException"), "{}: changed {what}", v.name);
        }
    }
}
