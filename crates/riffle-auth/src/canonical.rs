//! The canonical request of SigV4: URI, query string and headers in the one form both sides hash.
//!
//! Rules (AWS "Create a canonical request"; the aws-c-auth test suite):
//! - URI: the path as received, with `.`/`..` segments and empty segments removed, then every
//!   byte but the unreserved ones and `/` percent-encoded — so a `%` on the wire becomes `%25`.
//!   Every service but S3 signs the path encoded twice this way, and the SDKs do so by default.
//! - Query: each name and value percent-decoded, re-encoded (unreserved bytes kept), sorted by
//!   name then value; the presigned form leaves out `X-Amz-Signature`.
//! - Headers: the signed names, lowercased and sorted; each value trimmed with runs of
//!   whitespace collapsed to one space; repeated headers joined with `,` in arrival order.

/// `A-Z a-z 0-9 - _ . ~`: the bytes SigV4 never encodes.
fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

/// Appends `bytes` percent-encoded (uppercase hex), keeping unreserved bytes and, if asked, `/`.
pub(crate) fn uri_encode(bytes: &[u8], keep_slash: bool, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in bytes {
        if unreserved(b) || (keep_slash && b == b'/') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
}

/// Decodes `%XX` escapes; anything else (including a malformed `%`) stays as it is.
pub(crate) fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let (Some(h), Some(l)) = (b.get(i + 1).and_then(hex_val), b.get(i + 2).and_then(hex_val))
        {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

fn hex_val(c: &u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// The canonical URI of a path as received on the wire.
pub(crate) fn canonical_uri(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut normalized = String::with_capacity(path.len() + 1);
    normalized.push('/');
    normalized.push_str(&segments.join("/"));
    if path.ends_with('/') && !segments.is_empty() {
        normalized.push('/');
    }
    let mut out = String::with_capacity(normalized.len() + 8);
    uri_encode(normalized.as_bytes(), true, &mut out);
    out
}

/// One query parameter, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Param {
    pub name: Vec<u8>,
    pub value: Vec<u8>,
}

/// Splits a raw query string into decoded parameters, in order. `a` alone means `a=`.
pub(crate) fn parse_query(query: &str) -> Vec<Param> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (n, v) = p.split_once('=').unwrap_or((p, ""));
            Param { name: percent_decode(n), value: percent_decode(v) }
        })
        .collect()
}

/// The canonical query string; `skip` names a parameter to leave out (the presigned signature).
pub(crate) fn canonical_query(params: &[Param], skip: Option<&[u8]>) -> String {
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .filter(|p| Some(p.name.as_slice()) != skip)
        .map(|p| {
            let (mut n, mut v) = (String::new(), String::new());
            uri_encode(&p.name, false, &mut n);
            uri_encode(&p.value, false, &mut v);
            (n, v)
        })
        .collect();
    pairs.sort();
    let mut out = String::new();
    for (i, (n, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(n);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// The canonical header block (each line ending in `\n`) for `signed`, lowercase names in the
/// order given. A signed header the request lacks canonicalizes to an empty value.
pub(crate) fn canonical_headers(headers: &[(&str, &[u8])], signed: &[String]) -> Vec<u8> {
    let mut out = Vec::new();
    for name in signed {
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        let mut first = true;
        for (_, value) in headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)) {
            if !first {
                out.push(b',');
            }
            first = false;
            collapse_into(value, &mut out);
        }
        out.push(b'\n');
    }
    out
}

/// Trims a header value and collapses every run of whitespace inside it to one space.
fn collapse_into(value: &[u8], out: &mut Vec<u8>) {
    let mut pending_space = false;
    let mut started = false;
    for &b in value {
        if matches!(b, b' ' | b'\t' | b'\r' | b'\n') {
            pending_space = started;
        } else {
            if pending_space {
                out.push(b' ');
                pending_space = false;
            }
            out.push(b);
            started = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_normalizes_and_encodes_twice() {
        assert_eq!(canonical_uri("/"), "/");
        assert_eq!(canonical_uri(""), "/");
        assert_eq!(canonical_uri("//example//"), "/example/");
        assert_eq!(canonical_uri("/example/.."), "/");
        assert_eq!(canonical_uri("/example1/example2/../.."), "/");
        assert_eq!(canonical_uri("/./example"), "/example");
        assert_eq!(canonical_uri("/./"), "/");
        assert_eq!(canonical_uri("/\u{1234}"), "/%E1%88%B4");
        // aws-c-auth suite, `double-url-encode` (Lambda): `%3A` on the wire signs as `%253A`.
        assert_eq!(
            canonical_uri(
                "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-west-2%3A892717189312%3Afunction%3Amy-rusty-fun/invocations"
            ),
            "/2015-03-31/functions/arn%253Aaws%253Alambda%253Aus-west-2%253A892717189312%253Afunction%253Amy-rusty-fun/invocations"
        );
        // `double-encode-path`: `@` is encoded once, the escaped `=` twice.
        assert_eq!(canonical_uri("/test/@connections/JBDvjfGEIAMCERw%3D"), "/test/%40connections/JBDvjfGEIAMCERw%253D");
    }

    #[test]
    fn query_is_decoded_reencoded_and_sorted() {
        let q = parse_query("Param2=value2&Param1=value1&b=%7e+x&a&X-Amz-Signature=abc");
        assert_eq!(canonical_query(&q, Some(b"X-Amz-Signature")), "Param1=value1&Param2=value2&a=&b=~%2Bx");
        assert_eq!(canonical_query(&q, None), "Param1=value1&Param2=value2&X-Amz-Signature=abc&a=&b=~%2Bx");
        assert_eq!(canonical_query(&parse_query("\u{1234}=bar"), None), "%E1%88%B4=bar");
        assert_eq!(canonical_query(&parse_query("k=%zz"), None), "k=%25zz");
        assert_eq!(canonical_query(&parse_query(""), None), "");
    }

    #[test]
    fn headers_trim_collapse_and_join() {
        let h: Vec<(&str, &[u8])> = vec![
            ("host", b"example.amazonaws.com"),
            ("my-header1", b"  value2 "),
            ("My-Header1", b"value2"),
            ("my-header1", b"value1\n  value2\n     value3"),
            ("my-header2", b"\"a   b   c\""),
        ];
        let signed = ["host", "my-header1", "my-header2", "x-amz-date"].map(String::from);
        assert_eq!(
            String::from_utf8(canonical_headers(&h, &signed)).unwrap(),
            "host:example.amazonaws.com\nmy-header1:value2,value2,value1 value2 value3\nmy-header2:\"a b c\"\nx-amz-date:\n"
        );
    }
}
