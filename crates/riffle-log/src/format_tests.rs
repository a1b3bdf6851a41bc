use super::*;
use proptest::prelude::*;

/// (arrival, partition key, data)
type Rec = (i64, Vec<u8>, Vec<u8>);

fn frame_of(inputs: &[BlockInput<'_>]) -> (EncodedFrame, FramePrefix, FrameHeader) {
    let frame = encode_data_frame(inputs);
    let prefix = parse_prefix(&frame.bytes).unwrap();
    let table = &frame.bytes[FRAME_PREFIX_LEN..frame.body_start as usize];
    let header = parse_header(&frame.bytes[..FRAME_PREFIX_LEN], &prefix, table).unwrap();
    (frame, prefix, header)
}

proptest! {
    #[test]
    fn data_frames_round_trip(
        shards in proptest::collection::btree_map(any::<u64>(), (1u64..1_000_000, 0i64..1_000_000_000, proptest::collection::vec((0i64..5_000, proptest::collection::vec(any::<u8>(), 0..40), proptest::collection::vec(any::<u8>(), 0..200)), 1..8)), 1..6)
    ) {
        let records: Vec<(u64, u64, Vec<Rec>)> = shards.into_iter().map(|(s, (first, base, recs))| {
            let mut arrival = base;
            (s, first, recs.into_iter().map(|(d, pk, data)| { arrival += d; (arrival, pk, data) }).collect())
        }).collect();
        let inputs: Vec<BlockInput<'_>> = records.iter().map(|(s, first, recs)| BlockInput {
            shard: ShardKey(*s),
            first_counter: *first,
            records: recs.iter().map(|(a, pk, d)| RecordRef { arrival: *a, partition_key: pk, data: d }).collect(),
        }).collect();
        let (frame, prefix, header) = frame_of(&inputs);
        prop_assert_eq!(prefix.kind, FrameKind::Data);
        prop_assert_eq!(prefix.frame_len(), frame.bytes.len() as u64);
        prop_assert_eq!(&header, &FrameHeader::Data(frame.blocks.clone()));
        let body = Bytes::copy_from_slice(&frame.bytes[frame.body_start as usize..]);
        for (h, (_, first, recs)) in frame.blocks.iter().zip(&records) {
            let block = body.slice(h.body_offset as usize..(h.body_offset + h.body_len) as usize);
            verify_block(&block, h.crc).unwrap();
            let info = BlockInfo { first_counter: h.first_counter, count: h.count, first_arrival: h.first_arrival, last_arrival: h.last_arrival };
            let decoded = decode_block(&block, &info).unwrap();
            prop_assert_eq!(decoded.len(), recs.len());
            for (i, (d, (a, pk, data))) in decoded.iter().zip(recs).enumerate() {
                prop_assert_eq!(d.counter, first + i as u64);
                prop_assert_eq!(d.arrival_ms, *a);
                prop_assert_eq!(&d.partition_key[..], &pk[..]);
                prop_assert_eq!(&d.data[..], &data[..]);
            }
        }
    }

    #[test]
    fn checkpoints_round_trip(entries in proptest::collection::vec((any::<u64>(), any::<u64>(), any::<i64>()), 0..20)) {
        let entries: Vec<CheckpointEntry> = entries.into_iter().map(|(s, n, a)| CheckpointEntry { shard: ShardKey(s), next_counter: n, last_arrival: a }).collect();
        let bytes = encode_checkpoint_frame(&entries);
        let prefix = parse_prefix(&bytes).unwrap();
        prop_assert_eq!(prefix.frame_len(), bytes.len() as u64);
        let header = parse_header(&bytes[..FRAME_PREFIX_LEN], &prefix, &bytes[FRAME_PREFIX_LEN..]).unwrap();
        prop_assert_eq!(header, FrameHeader::Checkpoint(entries));
    }

    /// Any single flipped bit in a frame's prefix or table is caught by the header CRC (or an
    /// earlier check), never decoded as something else.
    #[test]
    fn header_bit_flips_are_detected(bit in 0usize..(FRAME_PREFIX_LEN + 4 + 48) * 8) {
        let pk = b"key".to_vec();
        let data = b"value".to_vec();
        let inputs = [BlockInput { shard: ShardKey(7), first_counter: 3, records: vec![RecordRef { arrival: 10, partition_key: &pk, data: &data }] }];
        let mut bytes = encode_data_frame(&inputs).bytes;
        bytes[bit / 8] ^= 1 << (bit % 8);
        let parsed = parse_prefix(&bytes).and_then(|p| {
            let end = (FRAME_PREFIX_LEN + p.header_len as usize).min(bytes.len());
            parse_header(&bytes[..FRAME_PREFIX_LEN], &p, &bytes[FRAME_PREFIX_LEN..end])
        });
        prop_assert!(parsed.is_err());
    }
}

#[test]
fn body_corruption_fails_the_block_crc() {
    let (pk, data) = (b"k".to_vec(), b"some data".to_vec());
    let inputs = [BlockInput {
        shard: ShardKey(1),
        first_counter: 1,
        records: vec![RecordRef { arrival: 5, partition_key: &pk, data: &data }],
    }];
    let frame = encode_data_frame(&inputs);
    let mut body = frame.bytes[frame.body_start as usize..].to_vec();
    body[3] ^= 0x40;
    assert_eq!(verify_block(&body, frame.blocks[0].crc), Err(FormatError::BlockCrc));
}

#[test]
fn file_header_checks_magic_and_version() {
    let h = file_header();
    assert_eq!(&h, b"RFLG\x01\x00\x00\x00");
    check_file_header(&h).unwrap();
    let mut v2 = h;
    v2[4] = 2;
    assert_eq!(check_file_header(&v2), Err(FormatError::Version(2)));
    assert_eq!(check_file_header(b"NOPE\x01\x00\x00\x00"), Err(FormatError::FileMagic));
}

#[test]
fn truncated_block_bodies_are_malformed_not_panics() {
    let (pk, data) = (b"key".to_vec(), vec![9u8; 50]);
    let inputs = [BlockInput {
        shard: ShardKey(1),
        first_counter: 1,
        records: vec![RecordRef { arrival: 5, partition_key: &pk, data: &data }; 3],
    }];
    let frame = encode_data_frame(&inputs);
    let h = frame.blocks[0];
    let info =
        BlockInfo { first_counter: 1, count: h.count, first_arrival: h.first_arrival, last_arrival: h.last_arrival };
    let body = Bytes::copy_from_slice(&frame.bytes[frame.body_start as usize..]);
    for cut in 0..body.len() {
        assert!(decode_block(&body.slice(..cut), &info).is_err());
    }
}
