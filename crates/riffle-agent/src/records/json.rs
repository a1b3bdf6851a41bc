//! JSON text as the Java agent's Jackson `ObjectMapper` writes it, so records are byte-identical:
//! fields in the given order, control characters escaped with upper-case hex (`\u001F`, where
//! serde_json writes `\u001f`), `/` and non-ASCII left alone; PRETTYPRINT is Jackson's
//! `DefaultPrettyPrinter` (`"key" : value`, two-space indent, arrays on one line as `[ a, b ]`,
//! empty containers as `{ }` and `[ ]`).

use serde_json::Value;

use crate::config::JsonFormat;

/// A value in one of the converters' top-level objects.
pub(super) enum Field<'a> {
    /// A string, or `null` (a missing or `-` log field).
    Text(Option<&'a str>),
    /// Any JSON value (ADDMETADATA's `metadata`).
    Value(&'a Value),
}

/// One object, keys in the given order, followed by the `\n` every JSON converter appends.
pub(super) fn object_line(fields: &[(&str, Field<'_>)], format: JsonFormat) -> Vec<u8> {
    let mut w = Writer { out: String::new(), pretty: format == JsonFormat::Prettyprint };
    w.object(fields.iter().map(|(k, v)| (*k, v)), 0, |w, v, level| match v {
        Field::Text(Some(s)) => w.string(s),
        Field::Text(None) => w.out.push_str("null"),
        Field::Value(v) => w.value(v, level),
    });
    w.out.push('\n');
    w.out.into_bytes()
}

struct Writer {
    out: String,
    pretty: bool,
}

impl Writer {
    fn object<'v, V: 'v>(
        &mut self,
        entries: impl ExactSizeIterator<Item = (&'v str, &'v V)>,
        level: usize,
        mut write: impl FnMut(&mut Self, &'v V, usize),
    ) {
        if entries.len() == 0 {
            self.out.push_str(if self.pretty { "{ }" } else { "{}" });
            return;
        }
        self.out.push('{');
        for (i, (key, value)) in entries.enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            self.newline(level + 1);
            self.string(key);
            self.out.push_str(if self.pretty { " : " } else { ":" });
            write(self, value, level + 1);
        }
        self.newline(level);
        self.out.push('}');
    }

    fn value(&mut self, value: &Value, level: usize) {
        match value {
            Value::Null => self.out.push_str("null"),
            Value::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => self.out.push_str(&n.to_string()),
            Value::String(s) => self.string(s),
            Value::Array(items) if items.is_empty() => self.out.push_str(if self.pretty { "[ ]" } else { "[]" }),
            Value::Array(items) => {
                self.out.push_str(if self.pretty { "[ " } else { "[" });
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.out.push_str(if self.pretty { ", " } else { "," });
                    }
                    self.value(item, level);
                }
                self.out.push_str(if self.pretty { " ]" } else { "]" });
            }
            Value::Object(map) => {
                self.object(map.iter().map(|(k, v)| (k.as_str(), v)), level, |w, v, l| w.value(v, l));
            }
        }
    }

    fn newline(&mut self, level: usize) {
        if self.pretty {
            self.out.push('\n');
            self.out.extend(std::iter::repeat_n("  ", level));
        }
    }

    fn string(&mut self, s: &str) {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        self.out.push('"');
        for c in s.chars() {
            match c {
                '"' => self.out.push_str("\\\""),
                '\\' => self.out.push_str("\\\\"),
                '\n' => self.out.push_str("\\n"),
                '\r' => self.out.push_str("\\r"),
                '\t' => self.out.push_str("\\t"),
                '\u{8}' => self.out.push_str("\\b"),
                '\u{c}' => self.out.push_str("\\f"),
                c if u32::from(c) < 0x20 => {
                    let b = u32::from(c) as usize;
                    self.out.push_str("\\u00");
                    self.out.push(char::from(HEX[b >> 4]));
                    self.out.push(char::from(HEX[b & 0xF]));
                }
                c => self.out.push(c),
            }
        }
        self.out.push('"');
    }
}

/// `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'` in UTC, ADDMETADATA's `ts`.
pub(super) fn utc_millis_timestamp(time: std::time::SystemTime) -> String {
    let millis = match time.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => i128::try_from(d.as_millis()).unwrap_or(i128::MAX),
        Err(e) => -i128::try_from(e.duration().as_millis()).unwrap_or(i128::MAX),
    };
    let (days, ms_of_day) = (millis.div_euclid(86_400_000), millis.rem_euclid(86_400_000));
    let (y, m, d) = riffle_types::civil_from_days(i64::try_from(days).unwrap_or(0));
    let (h, min, s, ms) = (ms_of_day / 3_600_000, ms_of_day / 60_000 % 60, ms_of_day / 1000 % 60, ms_of_day % 1000);
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}.{ms:03}Z")
}
