//! The SigV4 check, one step at a time, in the order AWS reports problems: presence, parts, date
//! format, clock skew, `host` signed, algorithm, credential shape, credential scope, access key,
//! signature, session token. (Order as recorded against DynamoDB by dynalite's `index.js`; the
//! presence checks as recorded against Kinesis by kinesalite's `index.js`.)

use crate::canonical::{self, Param};
use crate::error::{self, AuthError};
use crate::keys::{AccessKey, KeyStore};
use crate::time;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The only algorithm SigV4 defines for HMAC signatures.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
const TERMINATOR: &str = "aws4_request";
const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// A request as it arrived.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    /// `POST`, `GET`, ...
    pub method: &'a str,
    /// The path as received, still percent-encoded.
    pub path: &'a str,
    /// The raw query string without the `?`; empty if there is none.
    pub query: &'a str,
    /// Every header in arrival order, repeated ones repeated. Must include `host` (over
    /// HTTP/2, the `:authority`).
    pub headers: &'a [(&'a str, &'a [u8])],
    pub body: &'a [u8],
}

/// What a request must be signed for.
#[derive(Debug, Clone, Copy)]
pub struct Rules<'a> {
    /// Service names accepted in the credential scope. The first is the one error messages name.
    pub services: &'a [&'a str],
    /// The region the credential scope must name; `None` accepts any.
    pub region: Option<&'a str>,
    /// How far the request's date may be from now, either way.
    pub max_skew: Duration,
}

impl<'a> Rules<'a> {
    /// Kinesis refuses requests more than 5 minutes off: its answers read "(… - 5 min.)"
    /// (remind101/logspout-kinesis#21, awslabs/amazon-kinesis-producer#222,
    /// aws/aws-sdk-go#2194, s12v/awsbeats#48).
    pub const KINESIS_SKEW: Duration = Duration::from_secs(5 * 60);
    /// DynamoDB allows 15 minutes: "(… - 15 min.)" (dynalite `index.js`, aws/aws-sdk-js#254).
    pub const DYNAMODB_SKEW: Duration = Duration::from_secs(15 * 60);

    /// Requests signed for `kinesis`.
    pub fn kinesis(region: Option<&'a str>) -> Self {
        Rules { services: &["kinesis"], region, max_skew: Self::KINESIS_SKEW }
    }

    /// Requests signed for `dynamodb` (the lease table the KCL keeps).
    pub fn dynamodb(region: Option<&'a str>) -> Self {
        Rules { services: &["dynamodb"], region, max_skew: Self::DYNAMODB_SKEW }
    }
}

/// Who signed a request that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub access_key_id: String,
    pub region: String,
    pub service: String,
    /// The signature came in the query string (a presigned URL), not the `Authorization` header.
    pub presigned: bool,
}

/// Verifies a request's SigV4 signature against `keys` at time `now`.
pub fn verify(
    req: &SignedRequest<'_>,
    keys: &KeyStore,
    rules: &Rules<'_>,
    now: SystemTime,
) -> Result<Identity, AuthError> {
    let params = canonical::parse_query(req.query);
    let authorization = header(req, "authorization").filter(|v| !v.is_empty());
    let presigned = params.iter().any(|p| p.name == b"X-Amz-Algorithm");
    let claim = match (authorization, presigned) {
        (Some(_), true) => return Err(AuthError::InvalidSignature(error::FOUND_BOTH.into())),
        (None, false) => return Err(AuthError::MissingAuthenticationToken),
        (Some(a), false) => Claim::from_header(req, &String::from_utf8_lossy(a))?,
        (None, true) => Claim::from_query(&params)?,
    };

    let date = claim.timestamp()?;
    check_skew(date, now, rules.max_skew)?;
    // Over HTTP/2 the JavaScript SDK v3 signs `:authority` in place of `host`; AWS accepts it.
    if !claim.signed_headers.split(';').any(|h| h.eq_ignore_ascii_case("host") || h == ":authority") {
        return Err(AuthError::InvalidSignature(error::HOST_NOT_SIGNED.into()));
    }
    if claim.algorithm != ALGORITHM {
        return Err(AuthError::IncompleteSignature(format!(
            "Unsupported AWS 'algorithm': '{}' (only {ALGORITHM} for now). ",
            claim.algorithm
        )));
    }
    let scope = Scope::parse(&claim.credential)?;
    scope.check(rules, date)?;
    let key = keys.get(scope.key_id).ok_or_else(|| AuthError::UnrecognizedClient(error::UNKNOWN_KEY.into()))?;

    let provided = decode_hex(&claim.signature);
    let signing_key = signing_mac(key, &scope);
    let verified = provided.is_some_and(|sig| {
        payload_hashes(req, &claim).iter().any(|payload| {
            let mut mac = signing_key.clone();
            mac.update(string_to_sign(req, &claim, &params, &scope, date, payload).as_bytes());
            mac.verify_slice(&sig).is_ok()
        })
    });
    if !verified {
        return Err(AuthError::InvalidSignature(error::SIGNATURE_MISMATCH.into()));
    }

    let token =
        if presigned { query_value(&params, "X-Amz-Security-Token") } else { header(req, "x-amz-security-token") };
    check_session_token(key, token)?;
    Ok(Identity {
        access_key_id: key.access_key_id.clone(),
        region: scope.region.to_string(),
        service: scope.service.to_string(),
        presigned,
    })
}

/// The signature's parts, from the `Authorization` header or the query string.
struct Claim {
    algorithm: String,
    credential: String,
    signed_headers: String,
    signature: String,
    date: String,
    /// The date came from a `Date` header, which may use the HTTP date form.
    date_is_http_header: bool,
    presigned: bool,
}

impl Claim {
    fn from_header(req: &SignedRequest<'_>, authorization: &str) -> Result<Claim, AuthError> {
        let mut tokens = authorization.split(|c: char| c == ',' || c.is_whitespace()).filter(|t| !t.is_empty());
        let algorithm = tokens.next().unwrap_or_default().to_string();
        let (mut credential, mut signed_headers, mut signature) = (String::new(), String::new(), String::new());
        for token in tokens {
            let Some((name, value)) = token.split_once('=') else {
                return Err(AuthError::IncompleteSignature(format!(
                    "'{token}' not a valid key=value pair (missing equal-sign) in Authorization header: \
                     '{authorization}'."
                )));
            };
            match name {
                "Credential" => credential = value.to_string(),
                "SignedHeaders" => signed_headers = value.to_string(),
                "Signature" => signature = value.to_string(),
                _ => {}
            }
        }
        let (date, date_is_http_header) = match header(req, "x-amz-date") {
            Some(d) => (Some(d), false),
            None => (header(req, "date"), true),
        };
        // kinesalite `test/connection.js`: every missing part named, then the header quoted.
        let mut msg = String::new();
        for (name, value) in
            [("Credential", &credential), ("Signature", &signature), ("SignedHeaders", &signed_headers)]
        {
            if value.is_empty() {
                msg.push_str(&format!("Authorization header requires '{name}' parameter. "));
            }
        }
        if date.is_none() {
            msg.push_str("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ");
        }
        if !msg.is_empty() {
            msg.push_str("Authorization=");
            msg.push_str(authorization);
            return Err(AuthError::IncompleteSignature(msg));
        }
        Ok(Claim {
            algorithm,
            credential,
            signed_headers,
            signature,
            date: String::from_utf8_lossy(date.unwrap_or_default()).into_owned(),
            date_is_http_header,
            presigned: false,
        })
    }

    fn from_query(params: &[Param]) -> Result<Claim, AuthError> {
        let get =
            |name: &str| query_value(params, name).map(|v| String::from_utf8_lossy(v).into_owned()).unwrap_or_default();
        let [algorithm, credential, signature, signed_headers, date] =
            ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date"];
        let claim = Claim {
            algorithm: get(algorithm),
            credential: get(credential),
            signed_headers: get(signed_headers),
            signature: get(signature),
            date: get(date),
            date_is_http_header: false,
            presigned: true,
        };
        // kinesalite `test/connection.js`, in this order.
        let mut msg = String::new();
        for (name, value) in [
            (algorithm, &claim.algorithm),
            (credential, &claim.credential),
            (signature, &claim.signature),
            (signed_headers, &claim.signed_headers),
            (date, &claim.date),
        ] {
            if value.is_empty() {
                msg.push_str(&format!("AWS query-string parameters must include '{name}'. "));
            }
        }
        if !msg.is_empty() {
            msg.push_str("Re-examine the query-string parameters.");
            return Err(AuthError::IncompleteSignature(msg));
        }
        Ok(claim)
    }

    /// The request time, in Unix seconds.
    fn timestamp(&self) -> Result<i64, AuthError> {
        time::parse_iso_basic(&self.date)
            .or_else(|| if self.date_is_http_header { time::parse_http_date(&self.date) } else { None })
            .ok_or_else(|| {
                // dynalite `index.js` (recorded DynamoDB answer).
                AuthError::IncompleteSignature(format!(
                    "Date must be in ISO-8601 'basic format'. Got '{}'. See http://en.wikipedia.org/wiki/ISO_8601",
                    self.date
                ))
            })
    }
}

/// AWS's wording, e.g. "Signature expired: 20151120T200815Z is now earlier than 20151120T201846Z
/// (20151120T202346Z - 5 min.)" (remind101/logspout-kinesis#21) and "Signature not yet current:
/// 20181017T093750Z is still later than 20181017T093639Z (20181017T093139Z + 5 min.)"
/// (s12v/awsbeats#48). Presigned URLs get the same window: AWS's JSON services ignore
/// `X-Amz-Expires` (a presigned API Gateway URL answers exactly this after 5 minutes whatever
/// it says; STS likewise, aws/aws-sdk-go#2167).
fn check_skew(date: i64, now: SystemTime, max_skew: Duration) -> Result<(), AuthError> {
    let now = now.duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
    let skew = max_skew.as_secs() as i64;
    let window = if skew % 60 == 0 { format!("{} min.", skew / 60) } else { format!("{skew} sec.") };
    let iso = time::format_iso_basic;
    if date < now - skew {
        return Err(AuthError::InvalidSignature(format!(
            "Signature expired: {} is now earlier than {} ({} - {window})",
            iso(date),
            iso(now - skew),
            iso(now)
        )));
    }
    if date > now + skew {
        return Err(AuthError::InvalidSignature(format!(
            "Signature not yet current: {} is still later than {} ({} + {window})",
            iso(date),
            iso(now + skew),
            iso(now)
        )));
    }
    Ok(())
}

/// `keyid/date/region/service/terminator`.
struct Scope<'c> {
    key_id: &'c str,
    date: &'c str,
    region: &'c str,
    service: &'c str,
    terminator: &'c str,
}

impl<'c> Scope<'c> {
    fn parse(credential: &'c str) -> Result<Scope<'c>, AuthError> {
        // Trailing slashes do not count (dynalite `index.js`).
        let parts: Vec<&str> = credential.trim_end_matches('/').split('/').collect();
        match parts[..] {
            [key_id, date, region, service, terminator] => Ok(Scope { key_id, date, region, service, terminator }),
            _ => Err(AuthError::IncompleteSignature(format!(
                "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, \
                 got '{credential}'"
            ))),
        }
    }

    /// Every mismatch in one message, as AWS joins them (dynalite `index.js`).
    fn check(&self, rules: &Rules<'_>, date: i64) -> Result<(), AuthError> {
        let mut msg = String::new();
        if rules.region.is_some_and(|r| r != self.region) {
            msg.push_str(&format!("Credential should be scoped to a valid region, not '{}'. ", self.region));
        }
        if !rules.services.contains(&self.service) {
            let expected = rules.services.first().copied().unwrap_or_default();
            msg.push_str(&format!("Credential should be scoped to correct service: '{expected}'. "));
        }
        if self.terminator != TERMINATOR {
            msg.push_str(&format!(
                "Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{}'. ",
                self.terminator
            ));
        }
        let iso = time::format_iso_basic(date);
        if self.date != &iso[..8] {
            msg.push_str(&format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: \
                 '{}' != '{}', from '{iso}'.",
                self.date,
                &iso[..8]
            ));
        }
        if msg.is_empty() { Ok(()) } else { Err(AuthError::InvalidSignature(msg)) }
    }
}

fn string_to_sign(
    req: &SignedRequest<'_>,
    claim: &Claim,
    params: &[Param],
    scope: &Scope<'_>,
    date: i64,
    payload: &str,
) -> String {
    let creq = canonical_request(req, claim, params, payload);
    format!(
        "{ALGORITHM}\n{}\n{}/{}/{}/{}\n{}",
        time::format_iso_basic(date),
        scope.date,
        scope.region,
        scope.service,
        scope.terminator,
        hex(&Sha256::digest(&creq))
    )
}

fn canonical_request(req: &SignedRequest<'_>, claim: &Claim, params: &[Param], payload: &str) -> Vec<u8> {
    let signed: Vec<String> = claim.signed_headers.split(';').map(str::to_ascii_lowercase).collect();
    let skip = claim.presigned.then_some(b"X-Amz-Signature".as_slice());
    let mut creq = Vec::with_capacity(512);
    creq.extend_from_slice(req.method.as_bytes());
    creq.push(b'\n');
    creq.extend_from_slice(canonical::canonical_uri(req.path).as_bytes());
    creq.push(b'\n');
    creq.extend_from_slice(canonical::canonical_query(params, skip).as_bytes());
    creq.push(b'\n');
    creq.extend_from_slice(&canonical::canonical_headers(req.headers, &signed));
    creq.push(b'\n');
    creq.extend_from_slice(signed.join(";").as_bytes());
    creq.push(b'\n');
    creq.extend_from_slice(payload.as_bytes());
    creq
}

/// The payload hashes a signature may have used: the SHA-256 of the body received (a client's
/// `x-amz-content-sha256` cannot vouch for a body it does not match), or, for a presigned
/// request, `UNSIGNED-PAYLOAD` as presigned URLs usually sign.
fn payload_hashes(req: &SignedRequest<'_>, claim: &Claim) -> Vec<String> {
    let body = hex(&Sha256::digest(req.body));
    if claim.presigned { vec![body, UNSIGNED_PAYLOAD.to_string()] } else { vec![body] }
}

/// The HMAC keyed with the derived signing key: `AWS4`+secret → date → region → service →
/// `aws4_request`.
fn signing_mac(key: &AccessKey, scope: &Scope<'_>) -> Hmac<Sha256> {
    let mut k = format!("AWS4{}", key.secret_access_key).into_bytes();
    for part in [scope.date, scope.region, scope.service, scope.terminator] {
        let mut mac = Hmac::<Sha256>::new_from_slice(&k).expect("HMAC takes any key length");
        mac.update(part.as_bytes());
        k = mac.finalize().into_bytes().to_vec();
    }
    Hmac::<Sha256>::new_from_slice(&k).expect("HMAC takes any key length")
}

fn check_session_token(key: &AccessKey, provided: Option<&[u8]>) -> Result<(), AuthError> {
    match (&key.session_token, provided) {
        (None, None) => Ok(()),
        (Some(want), Some(got)) if constant_time_eq(want.as_bytes(), got) => Ok(()),
        // A temporary key without its token is a key AWS does not know.
        (Some(_), None) => Err(AuthError::UnrecognizedClient(error::UNKNOWN_KEY.into())),
        (Some(_), Some(_)) | (None, Some(_)) => Err(AuthError::UnrecognizedClient(error::BAD_SESSION_TOKEN.into())),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The first value of a header, by case-insensitive name.
fn header<'r>(req: &SignedRequest<'r>, name: &str) -> Option<&'r [u8]> {
    req.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| *v)
}

fn query_value<'p>(params: &'p [Param], name: &str) -> Option<&'p [u8]> {
    params.iter().find(|p| p.name == name.as_bytes()).map(|p| p.value.as_slice())
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips() {
        assert_eq!(hex(&[0x00, 0xab, 0xff]), "00abff");
        assert_eq!(decode_hex("00abFF"), Some(vec![0x00, 0xab, 0xff]));
        assert_eq!(decode_hex("0"), None);
        assert_eq!(decode_hex("zz"), None);
        assert_eq!(decode_hex("+1"), None, "from_str_radix would take a sign");
    }
}
