//! Decodes arbitrary bytes as event stream messages: any input must give messages or an error,
//! never a panic; whatever decodes with only string headers must encode back to the same bytes.

#![no_main]

use libfuzzer_sys::fuzz_target;
use riffle_proto::eventstream::{self, HeaderValue};

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    while let Ok((msg, n)) = eventstream::decode(rest) {
        let strings: Option<Vec<(&str, &str)>> = msg
            .headers
            .iter()
            .map(|(name, v)| match v {
                HeaderValue::String(s) => Some((name.as_str(), s.as_str())),
                _ => None,
            })
            .collect();
        if let Some(h) = strings {
            assert_eq!(&eventstream::encode(&h, &msg.payload)[..], &rest[..n]);
        }
        rest = &rest[n..];
    }
});
