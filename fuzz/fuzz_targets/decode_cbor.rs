#![no_main]
mod common;
libfuzzer_sys::fuzz_target!(|data: &[u8]| common::decode_all(riffle_proto::Protocol::Cbor, data));
