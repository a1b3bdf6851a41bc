//! Requests signed by AWS's own signer (`aws-sigv4`, what the Rust SDK signs with) verify, in the
//! header and the presigned form, with and without session tokens, and stop verifying when
//! anything signed changes.

use crate::{Req, at, expect_err, keys};
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign};
use aws_sigv4::sign::v4;
use riffle_auth::{KeyStore, Rules};
use std::time::{Duration, SystemTime};

pub const AKID: &str = "AKIDRIFFLE";
pub const SECRET: &str = "riffle/secret+key";
pub const BODY: &[u8] = br#"{"StreamName":"s","Limit":10}"#;
/// 2024-03-01T12:00:00Z.
pub const NOW: u64 = 1_709_294_400;

/// What to sign and how.
#[derive(Clone)]
pub struct Signing {
    pub uri: &'static str,
    pub body: Vec<u8>,
    pub region: &'static str,
    pub service: &'static str,
    pub time: SystemTime,
    pub akid: &'static str,
    pub secret: &'static str,
    pub token: Option<&'static str>,
    pub presign: bool,
    pub unsigned_payload: bool,
}

impl Default for Signing {
    fn default() -> Self {
        Signing {
            uri: "https://kinesis.us-east-1.amazonaws.com/",
            body: BODY.to_vec(),
            region: "us-east-1",
            service: "kinesis",
            time: at(NOW),
            akid: AKID,
            secret: SECRET,
            token: None,
            presign: false,
            unsigned_payload: false,
        }
    }
}

/// A Kinesis-shaped POST signed by the official signer, as the server would receive it.
pub fn signed(s: Signing) -> Req {
    let mut request = http::Request::builder()
        .method("POST")
        .uri(s.uri)
        .header("host", http::Uri::from_static(s.uri).authority().unwrap().as_str())
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", "Kinesis_20131202.ListStreams")
        .header("user-agent", "riffle-test")
        .body(s.body.clone())
        .unwrap();
    let identity = Credentials::new(s.akid, s.secret, s.token.map(str::to_string), None, "test").into();
    let mut settings = SigningSettings::default();
    if s.presign {
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(Duration::from_secs(900));
    }
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(s.region)
        .name(s.service)
        .time(s.time)
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let headers: Vec<(&str, &str)> = request.headers().iter().map(|(n, v)| (n.as_str(), v.to_str().unwrap())).collect();
    let body = if s.unsigned_payload { SignableBody::UnsignedPayload } else { SignableBody::Bytes(&s.body) };
    let signable = SignableRequest::new("POST", s.uri, headers.into_iter(), body).unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    instructions.apply_to_request_http1x(&mut request);
    Req {
        method: request.method().to_string(),
        path: request.uri().path().to_string(),
        query: request.uri().query().unwrap_or_default().to_string(),
        headers: request.headers().iter().map(|(n, v)| (n.to_string(), v.as_bytes().to_vec())).collect(),
        body: request.into_body(),
    }
}

pub fn store() -> KeyStore {
    keys(&[&format!("{AKID}:{SECRET}"), "ASIATEMP:tempsecret:the-session-token"])
}

pub fn kinesis() -> Rules<'static> {
    Rules::kinesis(Some("us-east-1"))
}

#[test]
fn header_form_verifies() {
    let id = signed(Signing::default()).verify(&store(), &kinesis(), at(NOW)).unwrap();
    assert_eq!(
        (id.access_key_id.as_str(), id.region.as_str(), id.service.as_str(), id.presigned),
        (AKID, "us-east-1", "kinesis", false)
    );
}

#[test]
fn presigned_form_verifies() {
    for unsigned_payload in [false, true] {
        let req = signed(Signing { presign: true, unsigned_payload, ..Signing::default() });
        assert!(req.header("authorization").is_none() && req.query.contains("X-Amz-Signature="));
        let id = req.verify(&store(), &kinesis(), at(NOW)).unwrap();
        assert!(id.presigned);
    }
}

#[test]
fn awkward_paths_and_queries_verify() {
    for uri in [
        "https://kinesis.us-east-1.amazonaws.com/a%20b/%2Fc/./d/../e?z=1&a=%2F&a=2&k",
        "https://kinesis.us-east-1.amazonaws.com//double//slashes/",
        "https://kinesis.us-east-1.amazonaws.com/%E1%88%B4?%E1%88%B4=%7E~",
    ] {
        for presign in [false, true] {
            let req = signed(Signing { uri, presign, ..Signing::default() });
            req.verify(&store(), &kinesis(), at(NOW)).unwrap_or_else(|e| panic!("{uri} presign={presign}: {e}"));
        }
    }
}

#[test]
fn session_tokens_verify_in_both_forms() {
    for presign in [false, true] {
        let temp = Signing {
            akid: "ASIATEMP",
            secret: "tempsecret",
            token: Some("the-session-token"),
            presign,
            ..Signing::default()
        };
        let id = signed(temp).verify(&store(), &kinesis(), at(NOW)).unwrap();
        assert_eq!(id.access_key_id, "ASIATEMP");
    }
}

#[test]
fn clock_skew_within_the_window_verifies() {
    for offset in [-300i64, -1, 1, 300] {
        let time = at(NOW.saturating_add_signed(offset));
        signed(Signing { time, ..Signing::default() }).verify(&store(), &kinesis(), at(NOW)).unwrap();
    }
}

#[test]
fn dynamodb_and_several_services() {
    let req = signed(Signing { service: "dynamodb", ..Signing::default() });
    req.verify(&store(), &Rules::dynamodb(Some("us-east-1")), at(NOW)).unwrap();
    let both = Rules { services: &["kinesis", "dynamodb"], ..kinesis() };
    assert_eq!(req.verify(&store(), &both, at(NOW)).unwrap().service, "dynamodb");
    let msg = expect_err(req.verify(&store(), &kinesis(), at(NOW)), "InvalidSignatureException");
    assert_eq!(msg, "Credential should be scoped to correct service: 'kinesis'. ");
}

#[test]
fn any_region_when_unconstrained() {
    let req = signed(Signing { region: "eu-west-3", ..Signing::default() });
    assert_eq!(req.verify(&store(), &Rules::kinesis(None), at(NOW)).unwrap().region, "eu-west-3");
}
