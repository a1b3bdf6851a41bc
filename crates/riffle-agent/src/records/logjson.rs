//! LOGTOJSON's parsers (Java `ApacheLogParser`, `SysLogParser`, `PatternConstants`).
//!
//! A record must match its pattern as a whole (Java's `Matcher.matches`), so every pattern is
//! anchored at both ends here. Each capture group becomes one field, in order; a group that did
//! not take part is `null`. The Apache formats also turn a field that is exactly `-` into `null`;
//! the syslog formats do not (Java's `SysLogParser` keeps `-`). The built-in patterns end in
//! Java's `.*`, whose `.` stops at `\r`, `\n`, U+0085, U+2028 and U+2029, so a CRLF line does not
//! match a built-in format in Java and does not here either.

use regex_lite::Regex;

use super::RecordError;
use crate::config::LogFormat;

/// Java's `.` (no DOTALL): anything but a line terminator.
const ANY: &str = r"[^\n\r\x{85}\x{2028}\x{2029}]*";
const INT: &str = r"(?:[+-]?(?:[0-9]+))";
const POSINT: &str = r"(?:[1-9][0-9]*)";
const NONNEGINT: &str = r"(?:[0-9]+)";
const USER: &str = r"(?:[a-zA-Z0-9._-]+)";
const MONTHDAY: &str = r"(?:(?:0[1-9])|(?:[12][0-9])|(?:3[01])|[1-9])";
const DAY: &str = r"(?:Mon(?:day)?|Tue(?:sday)?|Wed(?:nesday)?|Thu(?:rsday)?|Fri(?:day)?|Sat(?:urday)?|Sun(?:day)?)";
const MONTH: &str = r"\b(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|Jun(?:e)?|Jul(?:y)?|Aug(?:ust)?|Sep(?:tember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\b";
const YEAR: &str = r"(?:[1-9]\d*)";

fn time() -> String {
    let (hour, minute, second) =
        (r"(?:2[0123]|[01]?[0-9])", r"(?:[0-5][0-9])", r"(?:(?:[0-5]?[0-9]|60)(?:[:.,][0-9]+)?)");
    format!("(?:{hour}:{minute}:{second})")
}

fn ip_or_host() -> String {
    let hostname = r"(?:[\w-]+)(?:\.(?:[\w-]+))*(?:\.?|\b)";
    format!(r"(?:{hostname}|(?:[\d.]+))")
}

/// `program[pid]: message` after the syslog timestamp and an optional `<facility.priority>`.
fn syslog_tail() -> String {
    format!(r" (?:<{NONNEGINT}.{NONNEGINT}> )?({USER}) ([\w._/%-]+)(?:\[({POSINT})\])?: ({ANY})")
}

/// The pattern behind a built-in `logFormat` (before anchoring).
fn builtin_pattern(format: LogFormat) -> String {
    let time = time();
    let common = format!(
        r#"({host}) ({USER}) ({USER}) \[({MONTHDAY}/{MONTH}/{YEAR}:{time}\s{INT})\] "([^"]+)" ({INT}|-) ({INT}|-)"#,
        host = ip_or_host(),
    );
    match format {
        LogFormat::CommonApacheLog => format!("{common}{ANY}"),
        LogFormat::CombinedApacheLog => format!(r#"{common} "([^"]+)" "([^"]+)"{ANY}"#),
        LogFormat::ApacheErrorLog => format!(
            r"\[({DAY}\s+{MONTH}\s+{MONTHDAY}\s+{time}\s+{YEAR})\] \[(?:(\w+):)?(\w+)\] \[pid ({NONNEGINT})(?::tid ({NONNEGINT}))?\] \[client ({host}(?::{POSINT})?)\] ({ANY})",
            host = ip_or_host(),
        ),
        LogFormat::Syslog => format!(r"({MONTH}\s+{MONTHDAY}\s+{time}){}", syslog_tail()),
        LogFormat::Rfc3339Syslog => {
            let rfc3339 = r"(?:\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?)(?:Z|(?:[-+]\d{2}:\d{2}))";
            format!(r"({rfc3339}){}", syslog_tail())
        }
    }
}

/// One configured LOGTOJSON parser.
#[derive(Debug)]
pub(super) struct LogParser {
    pattern: Regex,
    names: Vec<String>,
    dash_is_null: bool,
}

impl LogParser {
    pub fn new(format: LogFormat, match_pattern: Option<&Regex>, names: &[String]) -> Result<Self, RecordError> {
        let (what, source) = match match_pattern {
            Some(re) => ("LOGTOJSON matchPattern", re.as_str().to_owned()),
            None => ("LOGTOJSON logFormat", builtin_pattern(format)),
        };
        let pattern = Regex::new(&format!("^(?:{source})$")).map_err(|e| RecordError::Pattern {
            what,
            pattern: source.clone(),
            source: e,
        })?;
        let groups = pattern.captures_len() - 1;
        if groups != names.len() {
            return Err(RecordError::FieldCount { names: names.len(), groups });
        }
        let dash_is_null = !matches!(format, LogFormat::Syslog | LogFormat::Rfc3339Syslog);
        Ok(Self { pattern, names: names.to_vec(), dash_is_null })
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The field values in name order, or `None` when the record does not match (Java skips it).
    pub fn parse<'t>(&self, record: &'t str) -> Option<Vec<Option<&'t str>>> {
        let caps = self.pattern.captures(record)?;
        let values = (1..=self.names.len())
            .map(|i| caps.get(i).map(|m| m.as_str()).filter(|v| !(self.dash_is_null && *v == "-")))
            .collect();
        Some(values)
    }
}
