//! PutRecords in CBOR 1.1, as the AWS SDK for Java speaks to Kinesis by default.
//!
//! In CBOR a record's data travels as its bytes; in JSON as base64, a third more to write, to
//! hash for the signature, to send and for the server to decode. The Rust SDK speaks only JSON
//! to Kinesis, so the producer writes the CBOR body itself ([`crate::body`]) and turns the CBOR
//! answer into the JSON the SDK's parser reads ([`CborAnswers`]): the SDK still signs, sends,
//! times out and reports errors as for any call.
//!
//! An endpoint that does not speak CBOR (moto, say) answers a CBOR call with an error in some
//! other encoding: the producer then speaks JSON to it from that call on ([`Wire`]), and the
//! refused call is tried again. `AWS_CBOR_DISABLE` in the environment (the Java SDK's switch) or
//! `cbor_enabled(false)` keeps it to JSON from the start.

use aws_sdk_kinesis::config::interceptors::BeforeDeserializationInterceptorContextMut;
use aws_sdk_kinesis::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_kinesis::error::BoxError;
use aws_smithy_types::body::SdkBody;
use bytes::Bytes;
use http_body::{Body, Frame};
use riffle_proto::Protocol;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, ready};

/// Which encoding the producer's PutRecords calls use, shared by all of them.
#[derive(Debug)]
pub(crate) struct Wire {
    cbor: AtomicBool,
}

impl Wire {
    pub fn new(cbor: bool) -> Arc<Self> {
        Arc::new(Self { cbor: AtomicBool::new(cbor) })
    }

    /// Whether calls go in CBOR.
    pub fn cbor(&self) -> bool {
        self.cbor.load(Ordering::Relaxed)
    }

    /// The endpoint refused a CBOR call (see [`refuses_cbor`]): JSON from now on.
    fn speak_json(&self, status: u16) {
        if self.cbor.swap(false, Ordering::Relaxed) {
            tracing::warn!(status, "the endpoint does not answer CBOR; PutRecords goes in JSON from now on");
        }
    }
}

/// Turns a CBOR answer into JSON for the SDK, and notices an endpoint that does not speak
/// CBOR. One per call sent in CBOR; its clone tells the sender whether this call was refused.
#[derive(Debug, Clone)]
pub(crate) struct CborAnswers {
    wire: Arc<Wire>,
    refused: Arc<AtomicBool>,
}

impl CborAnswers {
    pub fn new(wire: Arc<Wire>) -> Self {
        Self { wire, refused: Arc::default() }
    }

    /// Whether this call was answered as an endpoint answers an encoding it does not speak.
    pub fn refused(&self) -> bool {
        self.refused.load(Ordering::Relaxed)
    }
}

/// Whether an answer to a CBOR call says the endpoint does not speak CBOR: an error not in
/// CBOR (a CBOR endpoint answers its errors in CBOR) of the kinds a JSON-only endpoint gives
/// a body it cannot parse (moto: 500; others 400, 404, 415, ...). Not a refusal: a success in
/// JSON (read as JSON), nor the errors a proxy or balancer in front of a CBOR endpoint gives
/// whatever the body (403, 408, 413, 429, 502–504), which would turn CBOR off for good over
/// a passing fault. Wrongly taken for one, an error costs only speed: JSON works everywhere.
fn refuses_cbor(status: u16, content_type: Option<Protocol>) -> bool {
    content_type != Some(Protocol::Cbor) && matches!(status, 400 | 404 | 405 | 406 | 415 | 422 | 500 | 501)
}

impl Intercept for CborAnswers {
    fn name(&self) -> &'static str {
        "riffle-producer CBOR answers"
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let response = context.response_mut();
        let content_type = response.headers().get("content-type").and_then(Protocol::from_content_type);
        let status = response.status().as_u16();
        if content_type == Some(Protocol::Cbor) {
            let body = response.take_body();
            *response.body_mut() = SdkBody::from_body_1_x(AsJson { cbor: body, read: Vec::new(), done: false });
        } else if refuses_cbor(status, content_type) {
            self.refused.store(true, Ordering::Relaxed);
            self.wire.speak_json(status);
        }
        Ok(())
    }
}

/// A CBOR body read to its end and given out as one frame of JSON.
struct AsJson {
    cbor: SdkBody,
    read: Vec<u8>,
    done: bool,
}

impl Body for AsJson {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        while !this.done {
            match ready!(Pin::new(&mut this.cbor).poll_frame(cx)) {
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        this.read.extend_from_slice(&data);
                    }
                }
                Some(Err(e)) => return Poll::Ready(Some(Err(e))),
                None => {
                    this.done = true;
                    return Poll::Ready(Some(Ok(Frame::data(to_json(&this.read)))));
                }
            }
        }
        Poll::Ready(None)
    }

    fn is_end_stream(&self) -> bool {
        self.done
    }
}

/// The JSON that says what `cbor` says, or the bytes unchanged when they are not CBOR (the
/// SDK then reports an unreadable answer, which is retried). PutRecords' answers and Kinesis
/// errors hold only maps, arrays, text, integers and booleans; bytes would become base64 and
/// tags their content, as JSON 1.1 would have them.
fn to_json(cbor: &[u8]) -> Bytes {
    match ciborium::from_reader::<ciborium::Value, _>(cbor) {
        Ok(value) => Bytes::from(serde_json::to_vec(&json(value)).unwrap_or_default()),
        Err(_) => Bytes::copy_from_slice(cbor),
    }
}

fn json(value: ciborium::Value) -> serde_json::Value {
    use ciborium::Value as C;
    use serde_json::Value as J;
    match value {
        C::Integer(i) => {
            let i = i128::from(i);
            i64::try_from(i)
                .map(J::from)
                .or_else(|_| u64::try_from(i).map(J::from))
                .unwrap_or_else(|_| J::String(i.to_string()))
        }
        C::Bytes(b) => {
            use base64::Engine;
            J::String(base64::engine::general_purpose::STANDARD.encode(b))
        }
        C::Float(f) => serde_json::Number::from_f64(f).map_or(J::Null, J::Number),
        C::Text(s) => J::String(s),
        C::Bool(b) => J::Bool(b),
        C::Null => J::Null,
        C::Tag(_, inner) => json(*inner),
        C::Array(items) => J::Array(items.into_iter().map(json).collect()),
        C::Map(members) => J::Object(
            members
                .into_iter()
                .map(|(k, v)| {
                    let key = match k {
                        C::Text(s) => s,
                        other => json(other).to_string(),
                    };
                    (key, json(v))
                })
                .collect(),
        ),
        // Undefined and simple values have no JSON; none occurs in an answer.
        _ => J::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    fn cbor(v: &serde_json::Value) -> Vec<u8> {
        let mut out = Vec::new();
        ciborium::into_writer(v, &mut out).unwrap();
        out
    }

    #[test]
    fn an_answer_reads_as_the_json_kinesis_would_send() {
        let answer = serde_json::json!({
            "FailedRecordCount": 1,
            "Records": [
                {"SequenceNumber": "49590338271490256608559692538361571095921575989136588898", "ShardId": "shardId-000000000000"},
                {"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": "Rate exceeded for shard"},
            ],
            "EncryptionType": "NONE",
        });
        let json: serde_json::Value = serde_json::from_slice(&to_json(&cbor(&answer))).unwrap();
        assert_eq!(json, answer);
        let error = serde_json::json!({"__type": "ResourceNotFoundException", "message": "Stream s not found"});
        assert_eq!(serde_json::from_slice::<serde_json::Value>(&to_json(&cbor(&error))).unwrap(), error);
    }

    #[test]
    fn bytes_tags_and_big_numbers_have_a_json_form() {
        use ciborium::Value as C;
        let v = C::Map(vec![
            (C::Text("b".into()), C::Bytes(b"hi".to_vec())),
            (C::Text("t".into()), C::Tag(1, Box::new(C::Integer(7.into())))),
            (C::Text("u".into()), C::Integer(u64::MAX.into())),
            (C::Integer(3.into()), C::Float(1.5)),
        ]);
        let mut out = Vec::new();
        ciborium::into_writer(&v, &mut out).unwrap();
        let json: serde_json::Value = serde_json::from_slice(&to_json(&out)).unwrap();
        assert_eq!(json, serde_json::json!({"b": "aGk=", "t": 7, "u": u64::MAX, "3": 1.5}));
    }

    #[test]
    fn only_errors_a_json_endpoint_gives_count_as_refusals() {
        let json = Some(Protocol::Json);
        for status in [400, 404, 415, 500] {
            assert!(refuses_cbor(status, json), "{status}");
            assert!(refuses_cbor(status, None), "{status} without a content type");
            assert!(!refuses_cbor(status, Some(Protocol::Cbor)), "{status} in CBOR is the endpoint's own answer");
        }
        for status in [200, 403, 408, 413, 429, 502, 503, 504] {
            assert!(!refuses_cbor(status, json), "{status}");
        }
    }

    #[test]
    fn bytes_that_are_not_cbor_pass_unchanged() {
        assert_eq!(to_json(b"\xff not cbor"), Bytes::from_static(b"\xff not cbor"));
    }

    #[tokio::test]
    async fn a_body_in_pieces_becomes_one_json_frame() {
        let answer = serde_json::json!({"FailedRecordCount": 0, "Records": []});
        let bytes = cbor(&answer);
        let (a, b) = bytes.split_at(3);
        let chunks = futures_chunks(vec![Bytes::copy_from_slice(a), Bytes::copy_from_slice(b)]);
        let body = AsJson { cbor: chunks, read: Vec::new(), done: false };
        let got = body.collect().await.unwrap().to_bytes();
        assert_eq!(serde_json::from_slice::<serde_json::Value>(&got).unwrap(), answer);
    }

    /// A body that yields `chunks` one frame each, as a network read may.
    fn futures_chunks(chunks: Vec<Bytes>) -> SdkBody {
        struct Chunks(std::collections::VecDeque<Bytes>);
        impl Body for Chunks {
            type Data = Bytes;
            type Error = BoxError;
            fn poll_frame(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
                Poll::Ready(self.get_mut().0.pop_front().map(|c| Ok(Frame::data(c))))
            }
        }
        SdkBody::from_body_1_x(Chunks(chunks.into()))
    }
}
