//! The `dataProcessingOptions` chain (Java `AgentDataConverterChain` and the converters in
//! `processing/processors`). Each converter takes a record's bytes and returns new bytes, or
//! `None` to drop the record; once dropped, the rest of the chain does not run.

use regex_lite::Regex;
use serde_json::Value;

use super::json::{self, Field};
use super::logjson::LogParser;
use super::{Clock, RecordError};
use crate::config::{JsonFormat, ProcessingOption};

#[derive(Debug)]
enum Converter {
    SingleLine { trim: bool, escape_new_line: bool },
    CsvToJson { names: Vec<String>, delimiter: Regex, format: JsonFormat },
    LogToJson { parser: LogParser, format: JsonFormat },
    AddMetadata { metadata: Value, timestamp: bool, format: JsonFormat },
    AddBrackets,
}

#[derive(Debug)]
pub(super) struct Chain(Vec<Converter>);

impl Chain {
    pub fn new(options: &[ProcessingOption]) -> Result<Self, RecordError> {
        let converters = options
            .iter()
            .map(|option| {
                Ok(match option {
                    ProcessingOption::SingleLine { no_trim, escape_new_line } => {
                        Converter::SingleLine { trim: !no_trim, escape_new_line: *escape_new_line }
                    }
                    ProcessingOption::CsvToJson { field_names, delimiter, json_format } => Converter::CsvToJson {
                        names: field_names.clone(),
                        delimiter: delimiter.clone(),
                        format: *json_format,
                    },
                    ProcessingOption::LogToJson { log_format, match_pattern, field_names, json_format } => {
                        Converter::LogToJson {
                            parser: LogParser::new(*log_format, match_pattern.as_ref(), field_names)?,
                            format: *json_format,
                        }
                    }
                    ProcessingOption::AddMetadata { metadata, timestamp, json_format } => Converter::AddMetadata {
                        metadata: metadata.clone(),
                        timestamp: *timestamp,
                        format: *json_format,
                    },
                    ProcessingOption::AddEc2Metadata { .. } => {
                        return Err(RecordError::Unsupported {
                            option: "ADDEC2METADATA",
                            reason: "reading EC2 instance metadata is not implemented yet",
                        });
                    }
                    ProcessingOption::AddBrackets => Converter::AddBrackets,
                })
            })
            .collect::<Result<Vec<_>, RecordError>>()?;
        Ok(Self(converters))
    }

    /// Runs the chain; `None` when a converter dropped the record.
    pub fn apply(&self, data: Vec<u8>, clock: &Clock) -> Option<Vec<u8>> {
        self.0.iter().try_fold(data, |data, converter| converter.convert(data, clock))
    }
}

impl Converter {
    fn convert(&self, data: Vec<u8>, clock: &Clock) -> Option<Vec<u8>> {
        let text = String::from_utf8_lossy(&data);
        Some(match self {
            Self::SingleLine { trim, escape_new_line } => {
                let lines = java_split(&text, |s| s.match_indices('\n').map(|(i, m)| (i, i + m.len())));
                let lines = lines.into_iter().map(|l| if *trim { java_trim(l) } else { l });
                let mut out = lines.collect::<Vec<_>>().join(if *escape_new_line { "\\n" } else { "" });
                out.push('\n');
                out.into_bytes()
            }
            Self::CsvToJson { names, delimiter, format } => {
                let line = strip_newline(&text);
                let columns = java_split(line, |s| delimiter.find_iter(s).map(|m| (m.start(), m.end())));
                let fields: Vec<_> = names
                    .iter()
                    .enumerate()
                    .map(|(i, name)| (name.as_str(), Field::Text(columns.get(i).copied())))
                    .collect();
                json::object_line(&fields, *format)
            }
            Self::LogToJson { parser, format } => {
                let values = parser.parse(strip_newline(&text))?;
                let fields: Vec<_> =
                    parser.names().iter().zip(values).map(|(name, v)| (name.as_str(), Field::Text(v))).collect();
                json::object_line(&fields, *format)
            }
            Self::AddMetadata { metadata, timestamp, format } => {
                let ts = timestamp.then(|| json::utc_millis_timestamp(clock()));
                let mut fields = Vec::with_capacity(3);
                if let Some(ts) = &ts {
                    fields.push(("ts", Field::Text(Some(ts.as_str()))));
                }
                fields.push(("metadata", Field::Value(metadata)));
                fields.push(("data", Field::Text(Some(strip_newline(&text)))));
                json::object_line(&fields, *format)
            }
            Self::AddBrackets => format!("{{{text}}}").into_bytes(),
        })
    }
}

/// The JSON converters parse the record without its final `\n` (and append one to their output).
fn strip_newline(text: &str) -> &str {
    text.strip_suffix('\n').unwrap_or(text)
}

/// Java's `String.trim`: strips every char up to U+0020 (spaces and control characters).
fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

/// Java's `String.split(regex)` (limit 0) over the delimiter matches `find`s gives: no match
/// gives the whole string; a zero-width match at 0 gives no leading empty part; trailing empty
/// parts are removed (so `"a,b,,"` has two columns and `",,"` none).
fn java_split<'t, I>(s: &'t str, find: impl FnOnce(&'t str) -> I) -> Vec<&'t str>
where
    I: Iterator<Item = (usize, usize)>,
{
    let mut parts = Vec::new();
    let mut last = 0;
    let mut matched = false;
    for (start, end) in find(s) {
        matched = true;
        if end == 0 {
            continue;
        }
        parts.push(&s[last..start]);
        last = end;
    }
    if !matched {
        return vec![s];
    }
    parts.push(&s[last..]);
    while parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::java_split;

    fn split(s: &str) -> Vec<&str> {
        java_split(s, |s| s.match_indices(',').map(|(i, m)| (i, i + m.len())))
    }

    #[test]
    fn java_split_drops_trailing_empties_only() {
        assert_eq!(split("a,b,,"), ["a", "b"]);
        assert_eq!(split(",a"), ["", "a"]);
        assert_eq!(split(",,"), Vec::<&str>::new());
        assert_eq!(split(""), [""]);
        assert_eq!(split("a"), ["a"]);
        assert_eq!(split("a,,b"), ["a", "", "b"]);
    }
}
