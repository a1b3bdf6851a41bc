//! Record building: assembly, truncation, and every converter against the Java agent's own
//! expected outputs (awslabs/amazon-kinesis-agent, `tst/com/amazon/kinesis/streaming/agent/
//! processing/processors/DataConverterTest.java`, cited per test as "Java DataConverterTest").

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use proptest::prelude::*;

use super::*;
use crate::config::AgentConfig;

/// A builder for one flow whose extra keys are `flow_keys` (JSON members, may be empty).
fn builder(flow_keys: &str) -> RecordBuilder {
    try_builder(flow_keys).unwrap()
}

fn try_builder(flow_keys: &str) -> Result<RecordBuilder, RecordError> {
    let sep = if flow_keys.is_empty() { "" } else { "," };
    let text = format!(r#"{{"flows":[{{"filePattern":"/var/log/a.log","kinesisStream":"s"{sep}{flow_keys}}}]}}"#);
    let config = AgentConfig::from_json_str(&text).unwrap();
    RecordBuilder::new(&config.flows[0])
}

fn converter(option: &str) -> RecordBuilder {
    builder(&format!(r#""dataProcessingOptions":[{option}]"#))
}

/// Splits `text` into the tailer's lines (complete lines only), offsets counted from `base`.
fn lines_at(base: u64, text: &str) -> Vec<Line> {
    let mut offset = base;
    text.split_inclusive('\n')
        .filter(|l| l.ends_with('\n'))
        .map(|l| {
            offset += l.len() as u64;
            Line { data: l.trim_end_matches('\n').as_bytes().to_vec(), end_offset: offset, cut: false }
        })
        .collect()
}

fn feed(b: &mut RecordBuilder, lines: &[Line]) -> Vec<BuiltRecord> {
    lines.iter().flat_map(|l| b.push_line(l)).collect()
}

fn texts(records: &[BuiltRecord]) -> Vec<String> {
    records.iter().map(|r| String::from_utf8_lossy(&r.data).into_owned()).collect()
}

/// The output of one record through a converter chain.
fn convert(b: &mut RecordBuilder, record: &str) -> Option<String> {
    let mut out = feed(b, &lines_at(0, &format!("{record}\n")));
    out.extend(b.flush());
    assert!(out.len() <= 1);
    out.pop().map(|r| String::from_utf8(r.data).unwrap())
}

#[test]
fn one_line_per_record_with_its_newline_and_end_offset() {
    let mut b = builder("");
    let out = feed(&mut b, &lines_at(0, "a\nbb\n\n"));
    assert_eq!(texts(&out), ["a\n", "bb\n", "\n"]);
    assert_eq!(out.iter().map(|r| r.end_offset).collect::<Vec<_>>(), [2, 5, 6]);
    assert_eq!((b.pending_start(), b.consumed_offset(), b.flush()), (None, Some(6), None));
    assert_eq!(b.stats().records_built, 3);
}

#[test]
fn header_lines_are_skipped_per_file_and_again_after_a_reset() {
    let mut b = builder(r#""skipHeaderLines":2"#);
    let out = feed(&mut b, &lines_at(0, "h1\nh2\nrow1\nrow2\n"));
    assert_eq!(texts(&out), ["row1\n", "row2\n"]);
    b.reset_for_new_file();
    let out = feed(&mut b, &lines_at(0, "h1\nh2\nrow3\n"));
    assert_eq!(texts(&out), ["row3\n"]);
    assert_eq!(b.stats().header_lines_skipped, 4);
}

#[test]
fn no_header_skipping_when_resuming_inside_a_file() {
    let mut b = builder(r#""skipHeaderLines":1"#);
    let out = feed(&mut b, &lines_at(100, "row\n"));
    assert_eq!(texts(&out), ["row\n"]);
}

#[test]
fn a_file_of_headers_only_moves_the_consumed_offset() {
    let mut b = builder(r#""skipHeaderLines":5"#);
    assert!(feed(&mut b, &lines_at(0, "h1\nh2\n")).is_empty());
    assert_eq!((b.consumed_offset(), b.pending_start()), (Some(6), None));
}

#[test]
fn multi_line_records_run_to_the_next_start_line() {
    let mut b = builder(r#""multiLineStartPattern":"\\d{4}-""#);
    let text = "2024-01-01 boom\n  at a\n  at b\n2024-01-02 ok\n";
    let out = feed(&mut b, &lines_at(0, text));
    assert_eq!(texts(&out), ["2024-01-01 boom\n  at a\n  at b\n"]);
    assert_eq!(out[0].end_offset, 30);
    assert_eq!(b.pending_start(), Some(30));
    let last = b.flush().unwrap();
    assert_eq!((last.data, last.end_offset), (b"2024-01-02 ok\n".to_vec(), text.len() as u64));
    assert_eq!((b.pending_start(), b.consumed_offset()), (None, Some(text.len() as u64)));
}

#[test]
fn multi_line_start_must_match_at_the_beginning_of_the_line() {
    let mut b = builder(r#""multiLineStartPattern":"START""#);
    let out = feed(&mut b, &lines_at(0, "START 1\nnot START\nSTART 2\n"));
    assert_eq!(texts(&out), ["START 1\nnot START\n"]);
}

#[test]
fn lines_before_the_first_start_line_form_a_record_of_their_own() {
    let mut b = builder(r#""multiLineStartPattern":"\\[""#);
    let out = feed(&mut b, &lines_at(0, "orphan 1\norphan 2\n[first\n"));
    assert_eq!(texts(&out), ["orphan 1\norphan 2\n"]);
    // After a flush the next line opens a record whether it matches or not (Java's splitter
    // never ends a record before its first line).
    assert_eq!(b.flush().unwrap().data, b"[first\n");
    let out = feed(&mut b, &lines_at(21, "tail\n[next\n"));
    assert_eq!(texts(&out), ["tail\n"]);
}

#[test]
fn pieces_of_a_cut_line_join_into_one_record() {
    let mut b = builder(r#""multiLineStartPattern":"x""#);
    let pieces = [
        Line { data: b"xaaa".to_vec(), end_offset: 4, cut: true },
        // A continuation is never taken for a start line, even when it matches.
        Line { data: b"xbb".to_vec(), end_offset: 8, cut: false },
        Line { data: b"xc".to_vec(), end_offset: 11, cut: false },
    ];
    assert!(b.push_line(&pieces[0]).is_empty());
    assert_eq!(b.pending_start(), Some(0));
    assert!(b.push_line(&pieces[1]).is_empty());
    assert_eq!(texts(&b.push_line(&pieces[2])), ["xaaaxbb\n"]);

    let mut single = builder("");
    assert!(single.push_line(&pieces[0]).is_empty());
    assert_eq!(texts(&single.push_line(&pieces[1])), ["xaaaxbb\n"]);
}

#[test]
fn oversize_records_are_cut_and_terminated() {
    let mut b = builder("").with_max_record_bytes(8);
    let out = feed(&mut b, &lines_at(0, "0123456789\n0123456\n"));
    assert_eq!(texts(&out), ["0123456\n", "0123456\n"]);
    assert_eq!(b.stats().records_truncated, 1);

    let mut b = builder(r#""truncatedRecordTerminator":"...\n""#).with_max_record_bytes(8);
    assert_eq!(texts(&feed(&mut b, &lines_at(0, "0123456789\n"))), ["0123...\n"]);
}

#[test]
fn the_default_limit_is_one_mib_less_the_partition_key_reserve() {
    let mut b = builder("");
    let line = Line { data: vec![b'a'; KINESIS_MAX_RECORD_BYTES], end_offset: 1 << 20, cut: false };
    let out = b.push_line(&line);
    assert_eq!(out[0].data.len(), KINESIS_MAX_RECORD_BYTES - PARTITION_KEY_RESERVE);
    assert_eq!(out[0].data.last(), Some(&b'\n'));
}

#[test]
fn reset_discards_and_counts_what_the_caller_did_not_flush() {
    let mut b = builder(r#""multiLineStartPattern":"x""#);
    feed(&mut b, &lines_at(0, "x1\n"));
    b.reset_for_new_file();
    assert_eq!((b.pending_start(), b.stats().bytes_discarded), (None, 3));
}

#[test]
fn singleline_java_example() {
    // Java DataConverterTest.testSingleLineDataConverter, fed as one multi-line record.
    let mut b = builder(r#""multiLineStartPattern":"\\{","dataProcessingOptions":[{"optionName":"SINGLELINE"}]"#);
    let input = "{\n   \"a\": {\n           \"b\": 1,\n           \"c\": null,\n           \"d\": true\n    },\n   \"e\": \"f\",\n   \"g\": 2\n     }\n";
    assert!(feed(&mut b, &lines_at(0, input)).is_empty());
    let out = b.flush().unwrap();
    assert_eq!(
        String::from_utf8(out.data).unwrap(),
        "{\"a\": {\"b\": 1,\"c\": null,\"d\": true},\"e\": \"f\",\"g\": 2}\n"
    );
}

#[test]
fn singleline_parse_options() {
    let opts = |o: &str| {
        builder(&format!(
            r#""multiLineStartPattern":"[^ ]","dataProcessingOptions":[{{"optionName":"SINGLELINE","parseOptions":[{o}]}}]"#
        ))
    };
    for (o, expected) in [("", "ab c\n"), (r#""NO_TRIM""#, "a  b c \n"), (r#""ESCAPE_NEW_LINE""#, "a\\nb c\n")] {
        let mut b = opts(o);
        feed(&mut b, &lines_at(0, "a\n  b c \n"));
        assert_eq!(b.flush().unwrap().data, expected.as_bytes(), "parseOptions [{o}]");
    }
}

#[test]
fn csvtojson_java_examples() {
    // Java DataConverterTest.testCSVToJSONDataConverter: values keep their spaces, an embedded
    // newline is escaped, missing columns are null, extra columns are dropped.
    let mut b = builder(
        r#""multiLineStartPattern":"value1","dataProcessingOptions":[{"optionName":"CSVTOJSON","customFieldNames":["column1","column2","column3","column4"]}]"#,
    );
    feed(&mut b, &lines_at(0, "value1, value2,valu\ne3,    value4\n"));
    assert_eq!(
        b.flush().unwrap().data,
        br#"{"column1":"value1","column2":" value2","column3":"valu\ne3","column4":"    value4"}
"#
    );
    let mut b = converter(r#"{"optionName":"CSVTOJSON","customFieldNames":["column1","column2","column3","column4"]}"#);
    assert_eq!(
        convert(&mut b, "value1, value2,value3").unwrap(),
        "{\"column1\":\"value1\",\"column2\":\" value2\",\"column3\":\"value3\",\"column4\":null}\n"
    );
    assert_eq!(
        convert(&mut b, "value1,value2,value3,value4,value5").unwrap(),
        "{\"column1\":\"value1\",\"column2\":\"value2\",\"column3\":\"value3\",\"column4\":\"value4\"}\n"
    );
    // Java's String.split drops trailing empty columns: they become null, not "".
    assert_eq!(
        convert(&mut b, "a,,,").unwrap(),
        "{\"column1\":\"a\",\"column2\":null,\"column3\":null,\"column4\":null}\n"
    );
}

#[test]
fn csvtojson_tsv_java_example() {
    // Java DataConverterTest.testCSVToJSONDataConverterConvertingTSV (delimiter "\\t").
    let mut b = converter(
        r#"{"optionName":"CSVTOJSON","customFieldNames":["column1","column2","column3","column4"],"delimiter":"\\t"}"#,
    );
    assert_eq!(
        convert(&mut b, "value1\t value2\tvalue3\t    value4").unwrap(),
        "{\"column1\":\"value1\",\"column2\":\" value2\",\"column3\":\"value3\",\"column4\":\"    value4\"}\n"
    );
}

#[test]
fn csvtojson_docs_example() {
    // https://docs.aws.amazon.com/firehose/latest/dev/pre-processing.html: ["f1","f2"] turns
    // "v1, v2" into {"f1":"v1","f2":"v2"} in the prose; the agent's code keeps the space after
    // the comma (" v2"), as its own test above shows, and so does Riffle.
    let mut b = converter(r#"{"optionName":"CSVTOJSON","customFieldNames":["f1","f2"]}"#);
    assert_eq!(convert(&mut b, "v1,v2").unwrap(), "{\"f1\":\"v1\",\"f2\":\"v2\"}\n");
    assert_eq!(convert(&mut b, "v1, v2").unwrap(), "{\"f1\":\"v1\",\"f2\":\" v2\"}\n");
}

const COMMON_EXPECTED: &str = r#"{"host":"123.45.67.89","ident":null,"authuser":null,"datetime":"27/Oct/2000:09:27:09 -0400","request":"GET /java/javaResources.html HTTP/1.0","response":"200","bytes":"10450"}
"#;

#[test]
fn logtojson_common_apache_log_java_examples() {
    // Java DataConverterTest.testApacheLogDataConverterCommonApacheLog.
    let mut b = converter(r#"{"optionName":"LOGTOJSON","logFormat":"COMMONAPACHELOG"}"#);
    let with_extra = r#"123.45.67.89 - - [27/Oct/2000:09:27:09 -0400] "GET /java/javaResources.html HTTP/1.0" 200 10450 "-" "Mozilla/4.6 [en] (X11; U; OpenBSD 2.8 i386; Nav)""#;
    assert_eq!(convert(&mut b, with_extra).unwrap(), COMMON_EXPECTED);
    let plain = r#"123.45.67.89 - - [27/Oct/2000:09:27:09 -0400] "GET /java/javaResources.html HTTP/1.0" 200 10450"#;
    assert_eq!(convert(&mut b, plain).unwrap(), COMMON_EXPECTED);
    let host = plain.replace("123.45.67.89", "lj1036.inktomisearch.com");
    assert_eq!(convert(&mut b, &host).unwrap(), COMMON_EXPECTED.replace("123.45.67.89", "lj1036.inktomisearch.com"));
}

#[test]
fn logtojson_combined_apache_log_java_example() {
    // Java DataConverterTest.testApacheLogDataConverterCombinedApacheLog.
    let mut b = converter(r#"{"optionName":"LOGTOJSON","logFormat":"COMBINEDAPACHELOG"}"#);
    let line = r#"123.45.67.89 - - [27/Oct/2000:09:27:09 -0400] "GET /java/javaResources.html HTTP/1.0" 200 10450 "-" "Mozilla/4.6 [en] (X11; U; OpenBSD 2.8 i386; Nav)" "ANY_RANDOM_DATA""#;
    assert_eq!(
        convert(&mut b, line).unwrap(),
        r#"{"host":"123.45.67.89","ident":null,"authuser":null,"datetime":"27/Oct/2000:09:27:09 -0400","request":"GET /java/javaResources.html HTTP/1.0","response":"200","bytes":"10450","referer":null,"agent":"Mozilla/4.6 [en] (X11; U; OpenBSD 2.8 i386; Nav)"}
"#
    );
}

#[test]
fn logtojson_apache_error_log_java_examples() {
    // Java DataConverterTest.testApacheLogDataConverterApacheErrorLog.
    let mut b = converter(r#"{"optionName":"LOGTOJSON","logFormat":"APACHEERRORLOG"}"#);
    let msg = "File does not exist: /usr/local/apache2/htdocs/favicon.ico";
    let cases = [
        (
            "[Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187]",
            r#"{"timestamp":"Fri Sep 09 10:42:29.902022 2011","module":"core","severity":"error","processid":"35708","threadid":"4328636416","client":"72.15.99.187","message":"#,
        ),
        (
            "[Fri Sep 09 10:42:29 2011] [core:error] [pid 35708] [client 72.15.99.187]",
            r#"{"timestamp":"Fri Sep 09 10:42:29 2011","module":"core","severity":"error","processid":"35708","threadid":null,"client":"72.15.99.187","message":"#,
        ),
        (
            "[Fri Sep 09 10:42:29.902022 2011] [error] [pid 35708:tid 4328636416] [client 72.15.99.187:12345]",
            r#"{"timestamp":"Fri Sep 09 10:42:29.902022 2011","module":null,"severity":"error","processid":"35708","threadid":"4328636416","client":"72.15.99.187:12345","message":"#,
        ),
    ];
    for (prefix, expected) in cases {
        assert_eq!(convert(&mut b, &format!("{prefix} {msg}")).unwrap(), format!("{expected}\"{msg}\"}}\n"));
    }
}

#[test]
fn logtojson_unparsable_records_are_skipped_and_counted() {
    // Java DataConverterTest.testApacheLogDataConverterInvalidLog: the record is filtered out.
    let mut b = converter(r#"{"optionName":"LOGTOJSON","logFormat":"COMMONAPACHELOG"}"#);
    let invalid = r#"123.45.67.89 - - [27/Oct/2000:09:27:09 -0400] "GET /java/javaResources.html HTTP/1.0" 200"#;
    assert_eq!(convert(&mut b, invalid), None);
    // Java's `.` stops at `\r`, so a CRLF line does not match a built-in format either.
    let crlf = r#"123.45.67.89 - - [27/Oct/2000:09:27:09 -0400] "GET / HTTP/1.0" 200 1"#.to_owned() + "\r";
    assert_eq!(convert(&mut b, &crlf), None);
    let stats = b.stats();
    assert_eq!((stats.records_skipped, stats.records_built, b.consumed_offset()), (2, 0, Some(crlf.len() as u64 + 1)));
}

#[test]
fn logtojson_custom_field_names_java_example() {
    // Java DataConverterTest.testApacheLogDataConverterCustomCommonApacheLog.
    let mut b = converter(
        r#"{"optionName":"LOGTOJSON","logFormat":"COMMONAPACHELOG","customFieldNames":["column1","column2","column3","column4","column5","column6","column7"]}"#,
    );
    let line = r#"123.45.67.89 - - [27/Oct/2000:09:27:09 -0400] "GET /java/javaResources.html HTTP/1.0" 200 10450"#;
    assert_eq!(
        convert(&mut b, line).unwrap(),
        r#"{"column1":"123.45.67.89","column2":null,"column3":null,"column4":"27/Oct/2000:09:27:09 -0400","column5":"GET /java/javaResources.html HTTP/1.0","column6":"200","column7":"10450"}
"#
    );
}

#[test]
fn logtojson_match_pattern_java_example() {
    // Java DataConverterTest.testApacheLogDataConverterCustomPattern.
    let mut b = converter(
        r#"{"optionName":"LOGTOJSON","logFormat":"COMMONAPACHELOG","matchPattern":"^([\\d.]+) (\\S+) (\\S+) \\[([\\w:/]+\\s[+\\-]\\d{4})\\] \"(.+?)\" (\\d{3})","customFieldNames":["column1","column2","column3","column4","column5","column6"]}"#,
    );
    let line = r#"123.45.67.89 - - [27/Oct/2000:09:27:09 -0400] "GET /java/javaResources.html HTTP/1.0" 200"#;
    assert_eq!(
        convert(&mut b, line).unwrap(),
        r#"{"column1":"123.45.67.89","column2":null,"column3":null,"column4":"27/Oct/2000:09:27:09 -0400","column5":"GET /java/javaResources.html HTTP/1.0","column6":"200"}
"#
    );
    // matchPattern must match the whole record (Java's Matcher.matches).
    assert_eq!(convert(&mut b, &format!("{line} trailing")), None);
}

#[test]
fn logtojson_syslog_java_examples() {
    // Java DataConverterTest.testSysLogDataConverter.
    let mut b = converter(r#"{"optionName":"LOGTOJSON","logFormat":"SYSLOG"}"#);
    assert_eq!(
        convert(
            &mut b,
            "Mar 12 12:00:08 server2 rcd[308]: Loaded 12 packages in 'ximian-red-carpet|351' (0.01878 seconds) "
        )
        .unwrap(),
        r#"{"timestamp":"Mar 12 12:00:08","hostname":"server2","program":"rcd","processid":"308","message":"Loaded 12 packages in 'ximian-red-carpet|351' (0.01878 seconds) "}
"#
    );
    assert_eq!(
        convert(&mut b, "Mar 12 12:01:02 server4 snort: Ports to decode telnet on: 21 23 25 119").unwrap(),
        r#"{"timestamp":"Mar 12 12:01:02","hostname":"server4","program":"snort","processid":null,"message":"Ports to decode telnet on: 21 23 25 119"}
"#
    );
    // Syslog keeps "-" (only the Apache parser turns it into null).
    assert_eq!(
        convert(&mut b, "Mar 12 12:01:02 server4 snort: -").unwrap(),
        r#"{"timestamp":"Mar 12 12:01:02","hostname":"server4","program":"snort","processid":null,"message":"-"}
"#
    );
}

#[test]
fn logtojson_rfc3339_syslog_and_pretty_print() {
    let mut b = converter(r#"{"optionName":"LOGTOJSON","logFormat":"RFC3339SYSLOG","jsonFormat":"PRETTYPRINT"}"#);
    assert_eq!(
        convert(&mut b, "2024-05-06T07:08:09.123+02:00 web1 nginx[42]: started").unwrap(),
        "{\n  \"timestamp\" : \"2024-05-06T07:08:09.123+02:00\",\n  \"hostname\" : \"web1\",\n  \"program\" : \"nginx\",\n  \"processid\" : \"42\",\n  \"message\" : \"started\"\n}\n"
    );
}

#[test]
fn addmetadata_wraps_the_record_with_a_utc_timestamp() {
    let at = UNIX_EPOCH + Duration::from_millis(1_709_876_543_210);
    let mut b = converter(r#"{"optionName":"ADDMETADATA","timestamp":"true","metadata":{"env":"prod","n":[1,2]}}"#)
        .with_clock(Arc::new(move || at));
    assert_eq!(
        convert(&mut b, "hello \"x\"\u{1f}").unwrap(),
        "{\"ts\":\"2024-03-08T05:42:23.210Z\",\"metadata\":{\"env\":\"prod\",\"n\":[1,2]},\"data\":\"hello \\\"x\\\"\\u001F\"}\n"
    );
    let mut b = converter(r#"{"optionName":"ADDMETADATA","metadata":{"a":{},"b":[]},"jsonFormat":"PRETTYPRINT"}"#);
    assert_eq!(
        convert(&mut b, "x").unwrap(),
        "{\n  \"metadata\" : {\n    \"a\" : { },\n    \"b\" : [ ]\n  },\n  \"data\" : \"x\"\n}\n"
    );
}

#[test]
fn addbrackets_java_example_and_chain_order() {
    // Java DataConverterTest.testBracketsDataConverter; the record's own newline stays inside.
    let mut b = converter(r#"{"optionName":"ADDBRACKETS"}"#);
    assert_eq!(convert(&mut b, "hello there!! :)").unwrap(), "{hello there!! :)\n}");
    // Converters run in configured order: SINGLELINE first makes a multi-line record parsable.
    let mut b = builder(
        r#""multiLineStartPattern":"[A-Z]","dataProcessingOptions":[{"optionName":"SINGLELINE"},{"optionName":"LOGTOJSON","logFormat":"SYSLOG"}]"#,
    );
    feed(&mut b, &lines_at(0, "Mar 12 12:01:02 host prog: part one\n   and two\n"));
    assert_eq!(
        b.flush().unwrap().data,
        br#"{"timestamp":"Mar 12 12:01:02","hostname":"host","program":"prog","processid":null,"message":"part oneand two"}
"#
    );
}

#[test]
fn addec2metadata_is_refused_at_construction() {
    let err = try_builder(r#""dataProcessingOptions":[{"optionName":"ADDEC2METADATA"}]"#).unwrap_err();
    assert!(err.to_string().contains("ADDEC2METADATA"), "{err}");
}

#[test]
fn utc_timestamps_across_eras() {
    use super::json::utc_millis_timestamp as ts;
    assert_eq!(ts(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
    assert_eq!(ts(UNIX_EPOCH + Duration::from_millis(951_782_400_999)), "2000-02-29T00:00:00.999Z");
    assert_eq!(ts(UNIX_EPOCH - Duration::from_millis(1)), "1969-12-31T23:59:59.999Z");
}

/// Lines of a file as (bytes, cut) pieces: any bytes but `\n`, some cut in two.
fn arb_lines() -> impl Strategy<Value = Vec<(Vec<u8>, bool)>> {
    let byte = prop_oneof![
        Just(b'x'),
        Just(b' '),
        Just(b'S'),
        Just(0xFF),
        any::<u8>().prop_filter("no newline", |b| *b != b'\n')
    ];
    // The tailer cuts only at a full read buffer, so a cut piece is never empty.
    let piece = (prop::collection::vec(byte, 0..12), any::<bool>()).prop_map(|(d, cut)| {
        let cut = cut && !d.is_empty();
        (d, cut)
    });
    prop::collection::vec(piece, 0..40)
}

fn to_lines(pieces: &[(Vec<u8>, bool)]) -> Vec<Line> {
    let mut offset = 0u64;
    pieces
        .iter()
        .map(|(data, cut)| {
            offset += data.len() as u64 + u64::from(!cut);
            Line { data: data.clone(), end_offset: offset, cut: *cut }
        })
        .collect()
}

proptest! {
    /// With no converter and room enough, every byte of every non-header line (and its `\n`)
    /// lands in exactly one record, in order, and end offsets never go back.
    #[test]
    fn no_loss_no_duplication(pieces in arb_lines(), headers in 0u64..4, multi in any::<bool>()) {
        let keys = format!(r#""skipHeaderLines":{headers}{}"#, if multi { r#","multiLineStartPattern":"S""# } else { "" });
        let mut b = builder(&keys);
        let lines = to_lines(&pieces);
        let mut records = feed(&mut b, &lines);
        records.extend(b.flush());
        let mut expected = Vec::new();
        let mut headers_left = headers;
        for (data, cut) in &pieces {
            if headers_left > 0 {
                headers_left -= u64::from(!cut);
                continue;
            }
            expected.extend_from_slice(data);
            if !cut {
                expected.push(b'\n');
            }
        }
        let got: Vec<u8> = records.iter().flat_map(|r| r.data.iter().copied()).collect();
        prop_assert_eq!(got, expected);
        prop_assert!(records.windows(2).all(|w| w[0].end_offset < w[1].end_offset));
        prop_assert_eq!(b.stats().records_built, records.len() as u64);
    }

    /// Whatever the input and limit, no record is larger than the limit.
    #[test]
    fn records_never_exceed_the_limit(pieces in arb_lines(), max in 1usize..16, multi in any::<bool>()) {
        let keys = if multi { r#""multiLineStartPattern":"S""# } else { "" };
        let mut b = builder(keys).with_max_record_bytes(max);
        let mut records = feed(&mut b, &to_lines(&pieces));
        records.extend(b.flush());
        prop_assert!(records.iter().all(|r| r.data.len() <= max));
    }
}
