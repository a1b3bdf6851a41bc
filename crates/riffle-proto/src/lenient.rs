//! Members Kinesis reads more leniently than their JSON type says, as its Java deserializer
//! does: `Integer` members floor fractions and cap at 2^31-1; `Boolean` members take Jackson's
//! strings. Used through `#[serde(default, deserialize_with = ...)]` in the shapes.

use serde::de::{self, Deserializer, Visitor};
use std::fmt;

/// Reads an `Integer` member of the model as Kinesis does: a number with a fraction is floored
/// and a number past 2^31-1 is capped there, then validated like any other (kinesalite's
/// recordings of AWS; the service's `TruncatingBigNumber`). Anything but a number or null is
/// refused with the usual type error. Use with `#[serde(default, deserialize_with = ...)]`.
pub fn lenient_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    const CAP: i64 = i32::MAX as i64;
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<i64>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            // The words `aws_type_message` recognizes as an Integer member.
            f.write_str("i64")
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v.min(CAP)))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(i64::try_from(v).unwrap_or(CAP).min(CAP)))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            // `as` saturates (and maps NaN, which JSON cannot carry, to 0).
            Ok(Some((v.floor() as i64).min(CAP)))
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(V)
        }
    }
    d.deserialize_option(V)
}

/// Reads a `Boolean` member as Kinesis does: besides true and false, the strings `true`,
/// `false`, `yes`, `no`, `1` and `0` in any case (Jackson's coercion; kinesalite's recordings of
/// AWS). Any other string is refused in Jackson's words, upper-cased. Use with
/// `#[serde(default, deserialize_with = ...)]`.
pub fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<bool>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            // The words `aws_type_message` recognizes as a Boolean member.
            f.write_str("a boolean")
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            match v.to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" => Ok(Some(true)),
                "false" | "no" | "0" => Ok(Some(false)),
                _ => Err(E::invalid_type(de::Unexpected::Str(v), &self)),
            }
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(V)
        }
    }
    d.deserialize_option(V)
}

#[cfg(test)]
mod tests {
    use crate::Protocol;

    #[test]
    fn boolean_members_take_jacksons_strings() {
        let decode = |body: &str| {
            Protocol::Json
                .decode::<crate::shapes::DeleteStreamInput>(body.as_bytes())
                .map(|i| i.enforce_consumer_deletion)
        };
        for (text, want) in
            [("true", true), ("\"YES\"", true), ("\"1\"", true), ("\"False\"", false), ("\"no\"", false)]
        {
            assert_eq!(decode(&format!(r#"{{"EnforceConsumerDeletion":{text}}}"#)), Ok(Some(want)), "{text}");
        }
        assert_eq!(decode(r#"{"EnforceConsumerDeletion":null}"#), Ok(None));
        let err = decode(r#"{"EnforceConsumerDeletion":"maybe"}"#).unwrap_err();
        assert_eq!(err.message, "'MAYBE' can not be converted to an Boolean");
        let err = decode(r#"{"EnforceConsumerDeletion":1}"#).unwrap_err();
        assert_eq!(err.message, "class java.math.BigDecimal can not be converted to an Boolean");
    }
}
