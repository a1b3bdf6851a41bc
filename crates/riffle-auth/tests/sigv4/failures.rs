//! Every way a request fails, with the exact `__type` and message AWS answers.

use crate::sdk::{AKID, NOW, Signing, kinesis, signed, store};
use crate::{Req, at, expect_err};
use riffle_auth::Rules;

const MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your \
                        AWS Secret Access Key and signing method. Consult the service documentation for details.";

/// An unsigned Kinesis request, with whatever extra headers and query.
fn bare(query: &str, headers: &[(&str, &str)]) -> Req {
    let mut r = Req {
        method: "POST".into(),
        path: "/".into(),
        query: query.into(),
        headers: vec![("host".into(), b"localhost:4567".to_vec())],
        body: b"{}".to_vec(),
    };
    for (n, v) in headers {
        r.headers.push((n.to_string(), v.as_bytes().to_vec()));
    }
    r
}

fn check(req: &Req) -> Result<riffle_auth::Identity, riffle_auth::AuthError> {
    req.verify(&store(), &kinesis(), at(NOW))
}

// ---- MissingAuthenticationToken ------------------------------------------------------------

#[test]
fn nothing_at_all() {
    let msg = expect_err(check(&bare("", &[])), "MissingAuthenticationTokenException");
    assert_eq!(msg, "Missing Authentication Token");
    // An empty header is no header; query parameters without X-Amz-Algorithm are no query form.
    let empty =
        bare("X-Amz-Credential=a&X-Amz-Signature=b&X-Amz-SignedHeaders=c&X-Amz-Date=d", &[("authorization", "")]);
    expect_err(check(&empty), "MissingAuthenticationTokenException");
}

// ---- IncompleteSignature ---------------------------------------------------------------------

#[test]
fn header_without_any_part() {
    let msg = expect_err(check(&bare("", &[("authorization", "X")])), "IncompleteSignatureException");
    assert_eq!(
        msg,
        "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. \
         Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either \
         a 'X-Amz-Date' or a 'Date' header. Authorization=X"
    );
}

#[test]
fn header_missing_one_part() {
    for header in
        ["AWS4- Signature=b Credential=a", "AWS4- Signature=b,Credential=a", "AWS4- Signature=b, Credential=a"]
    {
        let msg =
            expect_err(check(&bare("", &[("authorization", header), ("date", "a")])), "IncompleteSignatureException");
        assert_eq!(msg, format!("Authorization header requires 'SignedHeaders' parameter. Authorization={header}"));
    }
}

#[test]
fn header_part_without_equal_sign() {
    let header = "AWS4-HMAC-SHA256 Signature=b,    Credential,    SignedHeaders";
    let msg = expect_err(check(&bare("", &[("authorization", header)])), "IncompleteSignatureException");
    assert_eq!(
        msg,
        "'Credential' not a valid key=value pair (missing equal-sign) in Authorization header: \
         'AWS4-HMAC-SHA256 Signature=b,    Credential,    SignedHeaders'."
    );
}

#[test]
fn query_without_its_parts() {
    let msg = expect_err(check(&bare("X-Amz-Algorithm", &[])), "IncompleteSignatureException");
    assert_eq!(
        msg,
        "AWS query-string parameters must include 'X-Amz-Algorithm'. AWS query-string parameters must include \
         'X-Amz-Credential'. AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters \
         must include 'X-Amz-SignedHeaders'. AWS query-string parameters must include 'X-Amz-Date'. Re-examine the \
         query-string parameters."
    );
    let msg = expect_err(
        check(&bare("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a&X-Amz-SignedHeaders=host", &[])),
        "IncompleteSignatureException",
    );
    assert_eq!(
        msg,
        "AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters must include \
         'X-Amz-Date'. Re-examine the query-string parameters."
    );
}

#[test]
fn malformed_date() {
    let mut req = signed(Signing::default());
    req.set_header("X-Amz-Date", "201");
    let msg = expect_err(check(&req), "IncompleteSignatureException");
    assert_eq!(msg, "Date must be in ISO-8601 'basic format'. Got '201'. See http://en.wikipedia.org/wiki/ISO_8601");
    let mut req = signed(Signing { presign: true, ..Signing::default() });
    req.query = req.query.replace("X-Amz-Date=2024", "X-Amz-Date=1999-");
    let msg = expect_err(check(&req), "IncompleteSignatureException");
    assert!(msg.starts_with("Date must be in ISO-8601 'basic format'. Got '1999-0301T120000Z'."), "{msg}");
}

#[test]
fn unsupported_algorithm() {
    let mut req = signed(Signing::default());
    req.edit_authorization(|a| a.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA25"));
    let msg = expect_err(check(&req), "IncompleteSignatureException");
    assert_eq!(msg, "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA25' (only AWS4-HMAC-SHA256 for now). ");
}

#[test]
fn credential_not_five_parts() {
    let mut req = signed(Signing::default());
    req.edit_authorization(|a| a.replace("/aws4_request", ""));
    let msg = expect_err(check(&req), "IncompleteSignatureException");
    assert_eq!(
        msg,
        format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, \
             got '{AKID}/20240301/us-east-1/kinesis'"
        )
    );
    // Trailing slashes do not count (and the key id is not signed, so this still verifies).
    let mut req = signed(Signing::default());
    req.edit_authorization(|a| a.replace("/aws4_request", "/aws4_request//"));
    check(&req).unwrap();
}

// ---- InvalidSignature --------------------------------------------------------------------------

#[test]
fn both_header_and_query() {
    let msg = expect_err(check(&bare("X-Amz-Algorithm", &[("authorization", "X")])), "InvalidSignatureException");
    assert_eq!(msg, "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.");
}

#[test]
fn wrong_secret() {
    for presign in [false, true] {
        let req = signed(Signing { secret: "not-the-secret", presign, ..Signing::default() });
        assert_eq!(expect_err(check(&req), "InvalidSignatureException"), MISMATCH);
    }
}

#[test]
fn tampered_body_and_headers() {
    let mut req = signed(Signing::default());
    req.body = br#"{"StreamName":"t","Limit":10}"#.to_vec();
    assert_eq!(expect_err(check(&req), "InvalidSignatureException"), MISMATCH);
    let mut req = signed(Signing::default());
    req.set_header("x-amz-target", "Kinesis_20131202.DeleteStream");
    assert_eq!(expect_err(check(&req), "InvalidSignatureException"), MISMATCH);
    // A claimed payload hash cannot vouch for a different body.
    let mut req = signed(Signing::default());
    req.body = b"{}".to_vec();
    req.set_header("x-amz-content-sha256", "UNSIGNED-PAYLOAD");
    assert_eq!(expect_err(check(&req), "InvalidSignatureException"), MISMATCH);
    // A signature that is not hex at all.
    let mut req = signed(Signing::default());
    req.edit_authorization(|a| format!("{}zz", &a[..a.len() - 2]));
    assert_eq!(expect_err(check(&req), "InvalidSignatureException"), MISMATCH);
}

#[test]
fn host_not_signed() {
    let mut req = signed(Signing::default());
    req.edit_authorization(|a| a.replace("SignedHeaders=content-type;host;", "SignedHeaders=content-type;"));
    let msg = expect_err(check(&req), "InvalidSignatureException");
    assert_eq!(msg, "'Host' must be a 'SignedHeader' in the AWS Authorization.");
}

#[test]
fn signature_expired() {
    // Signed 6 minutes ago: AWS Kinesis allows 5.
    let req = signed(Signing { time: at(NOW - 360), ..Signing::default() });
    let msg = expect_err(check(&req), "InvalidSignatureException");
    assert_eq!(
        msg,
        "Signature expired: 20240301T115400Z is now earlier than 20240301T115500Z (20240301T120000Z - 5 min.)"
    );
    // Presigned URLs get the same window whatever X-Amz-Expires says (900 here).
    let req = signed(Signing { time: at(NOW - 301), presign: true, ..Signing::default() });
    let msg = expect_err(check(&req), "InvalidSignatureException");
    assert_eq!(
        msg,
        "Signature expired: 20240301T115459Z is now earlier than 20240301T115500Z (20240301T120000Z - 5 min.)"
    );
}

#[test]
fn signature_not_yet_current() {
    let req = signed(Signing { time: at(NOW + 301), ..Signing::default() });
    let msg = expect_err(check(&req), "InvalidSignatureException");
    assert_eq!(
        msg,
        "Signature not yet current: 20240301T120501Z is still later than 20240301T120500Z (20240301T120000Z + 5 min.)"
    );
}

#[test]
fn dynamodb_allows_fifteen_minutes() {
    let req = signed(Signing { service: "dynamodb", time: at(NOW - 16 * 60), ..Signing::default() });
    let msg =
        expect_err(req.verify(&store(), &Rules::dynamodb(Some("us-east-1")), at(NOW)), "InvalidSignatureException");
    assert_eq!(
        msg,
        "Signature expired: 20240301T114400Z is now earlier than 20240301T114500Z (20240301T120000Z - 15 min.)"
    );
    let req = signed(Signing { service: "dynamodb", time: at(NOW - 14 * 60), ..Signing::default() });
    req.verify(&store(), &Rules::dynamodb(Some("us-east-1")), at(NOW)).unwrap();
}

#[test]
fn date_header_instead_of_x_amz_date() {
    // A `Date` header in the HTTP form is read (here, to find it too old).
    let mut req = signed(Signing::default());
    req.remove_header("x-amz-date");
    req.set_header("Date", "Fri, 01 Mar 2024 11:00:00 GMT");
    let msg = expect_err(check(&req), "InvalidSignatureException");
    assert_eq!(
        msg,
        "Signature expired: 20240301T110000Z is now earlier than 20240301T115500Z (20240301T120000Z - 5 min.)"
    );
}

#[test]
fn wrong_region() {
    let req = signed(Signing { region: "us-west-2", ..Signing::default() });
    let msg = expect_err(check(&req), "InvalidSignatureException");
    assert_eq!(msg, "Credential should be scoped to a valid region, not 'us-west-2'. ");
}

#[test]
fn wrong_service() {
    let req = signed(Signing { service: "s3", ..Signing::default() });
    let msg = expect_err(check(&req), "InvalidSignatureException");
    assert_eq!(msg, "Credential should be scoped to correct service: 'kinesis'. ");
}

#[test]
fn every_scope_mismatch_at_once() {
    let mut req = signed(Signing::default());
    req.edit_authorization(|a| a.replace("/20240301/us-east-1/kinesis/aws4_request", "/20240229/c/d/e"));
    let msg = expect_err(check(&req), "InvalidSignatureException");
    assert_eq!(
        msg,
        "Credential should be scoped to a valid region, not 'c'. Credential should be scoped to correct service: \
         'kinesis'. Credential should be scoped with a valid terminator: 'aws4_request', not 'e'. Date in Credential \
         scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20240229' != '20240301', from \
         '20240301T120000Z'."
    );
}

// ---- UnrecognizedClient ------------------------------------------------------------------------

#[test]
fn unknown_access_key() {
    for presign in [false, true] {
        let req = signed(Signing { akid: "AKIDNOBODY", presign, ..Signing::default() });
        let msg = expect_err(check(&req), "UnrecognizedClientException");
        assert_eq!(msg, "The security token included in the request is invalid.");
    }
}

#[test]
fn session_token_missing_wrong_or_unexpected() {
    let temp = Signing { akid: "ASIATEMP", secret: "tempsecret", ..Signing::default() };
    // A temporary key without its token.
    let msg = expect_err(check(&signed(temp.clone())), "UnrecognizedClientException");
    assert_eq!(msg, "The security token included in the request is invalid.");
    // With a token that is not its own, signed or not.
    for presign in [false, true] {
        let req = signed(Signing { token: Some("another-token"), presign, ..temp.clone() });
        let msg = expect_err(check(&req), "UnrecognizedClientException");
        assert_eq!(msg, "The security token included in the request is invalid");
    }
    // A long-term key with a token.
    let req = signed(Signing { token: Some("the-session-token"), ..Signing::default() });
    let msg = expect_err(check(&req), "UnrecognizedClientException");
    assert_eq!(msg, "The security token included in the request is invalid");
}

// ---- Order: the first failing check answers ---------------------------------------------------

#[test]
fn checks_run_in_aws_order() {
    // Expired and unknown key: the date is checked first.
    let req = signed(Signing { akid: "AKIDNOBODY", time: at(NOW - 3600), ..Signing::default() });
    assert!(expect_err(check(&req), "InvalidSignatureException").starts_with("Signature expired"));
    // Wrong scope and unknown key: the scope first.
    let req = signed(Signing { akid: "AKIDNOBODY", region: "eu-west-1", ..Signing::default() });
    assert!(expect_err(check(&req), "InvalidSignatureException").starts_with("Credential should be scoped"));
    // Unknown key and wrong secret: the key first.
    let req = signed(Signing { akid: "AKIDNOBODY", secret: "x", ..Signing::default() });
    expect_err(check(&req), "UnrecognizedClientException");
}
