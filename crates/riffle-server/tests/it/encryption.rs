//! StartStreamEncryption / StopStreamEncryption, and records encrypted at rest.

use crate::{code_and_message, setup, wait_active};
use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{EncryptionType, PutRecordsRequestEntry, ShardIteratorType, StreamStatus};
use riffle_testkit::create_active_stream;
use std::path::Path;

const KEY: &str = "arn:aws:kms:us-east-1:000000000000:key/12345678-1234-1234-1234-123456789012";

/// Whether any file under `dir` contains `needle`.
fn on_disk(dir: &Path, needle: &[u8]) -> bool {
    std::fs::read_dir(dir).unwrap().flatten().any(|e| {
        let p = e.path();
        if p.is_dir() {
            on_disk(&p, needle)
        } else {
            std::fs::read(&p).unwrap().windows(needle.len()).any(|w| w == needle)
        }
    })
}

async fn read_all(client: &Client, stream: &str, shard: &str) -> Vec<aws_sdk_kinesis::types::Record> {
    let it = client
        .get_shard_iterator()
        .stream_name(stream)
        .shard_id(shard)
        .shard_iterator_type(ShardIteratorType::TrimHorizon)
        .send()
        .await
        .unwrap();
    let out = client.get_records().shard_iterator(it.shard_iterator().unwrap()).send().await.unwrap();
    out.records().to_vec()
}

#[tokio::test]
async fn encryption_goes_updating_then_active_and_is_described() {
    let (_server, client) = setup().await;
    create_active_stream(&client, "enc", 1).await;
    let d = client.describe_stream().stream_name("enc").send().await.unwrap();
    let d = d.stream_description().unwrap();
    assert_eq!(d.encryption_type(), Some(&EncryptionType::None));
    assert_eq!(d.key_id(), None);

    client
        .start_stream_encryption()
        .stream_name("enc")
        .encryption_type(EncryptionType::Kms)
        .key_id(KEY)
        .send()
        .await
        .unwrap();
    let s = client.describe_stream_summary().stream_name("enc").send().await.unwrap();
    let s = s.stream_description_summary().unwrap();
    assert_eq!(s.stream_status(), &StreamStatus::Updating);
    assert_eq!(s.encryption_type(), Some(&EncryptionType::Kms));
    assert_eq!(s.key_id(), Some(KEY));
    wait_active(&client, "enc").await;
    let d = client.describe_stream().stream_name("enc").send().await.unwrap();
    assert_eq!(d.stream_description().unwrap().key_id(), Some(KEY));

    // Busy streams refuse another change, as AWS does.
    let arn = "arn:aws:kinesis:us-east-1:000000000000:stream/enc";
    client
        .stop_stream_encryption()
        .stream_arn(arn)
        .encryption_type(EncryptionType::Kms)
        .key_id(KEY)
        .send()
        .await
        .unwrap();
    let err = client
        .start_stream_encryption()
        .stream_name("enc")
        .encryption_type(EncryptionType::Kms)
        .key_id("alias/aws/kinesis")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code_and_message(&err),
        (
            "ResourceInUseException".into(),
            "Stream enc under account 000000000000 not ACTIVE, instead in state UPDATING".into()
        )
    );
    wait_active(&client, "enc").await;
    let s = client.describe_stream_summary().stream_name("enc").send().await.unwrap();
    assert_eq!(s.stream_description_summary().unwrap().encryption_type(), Some(&EncryptionType::None));
    assert_eq!(s.stream_description_summary().unwrap().key_id(), None);
}

#[tokio::test]
async fn encryption_errors() {
    let (_server, client) = setup().await;
    let start = |name: &str, ty: EncryptionType, key: &str| {
        client.start_stream_encryption().stream_name(name).encryption_type(ty).key_id(key).send()
    };
    let err = start("nope", EncryptionType::Kms, KEY).await.unwrap_err();
    assert_eq!(
        code_and_message(&err),
        ("ResourceNotFoundException".into(), "Stream nope under account 000000000000 not found.".into())
    );
    create_active_stream(&client, "e", 1).await;
    let err = start("e", EncryptionType::None, KEY).await.unwrap_err();
    assert_eq!(
        code_and_message(&err),
        ("InvalidArgumentException".into(), "KMS is the only valid EncryptionType for this request".into())
    );
    let err = start("e", EncryptionType::Kms, "not-a-key").await.unwrap_err();
    assert_eq!(
        code_and_message(&err),
        ("InvalidArgumentException".into(), "Received KeyId is not a properly formatted Alias or GUID".into())
    );
    let err = start("e", EncryptionType::Kms, "arn:aws:kms:us-east-1:000000000000:key/nope").await.unwrap_err();
    assert_eq!(code_and_message(&err).1, "Received KeyId ARN is not a properly formatted ARN");
    let err = start("e", EncryptionType::from("AES"), KEY).await.unwrap_err();
    assert_eq!(
        code_and_message(&err),
        (
            "ValidationException".into(),
            "1 validation error detected: Value 'AES' at 'encryptionType' failed to satisfy constraint: Member must \
             satisfy enum value set: [NONE, KMS]"
                .into()
        )
    );
    let err = client.stop_stream_encryption().stream_name("e").encryption_type(EncryptionType::Kms).send().await;
    assert_eq!(
        code_and_message(&err.unwrap_err()).1,
        "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null"
    );
}

#[tokio::test]
async fn records_are_sealed_at_rest_while_encryption_is_on() {
    let (server, client) = setup().await;
    create_active_stream(&client, "sealed", 1).await;
    let plain = client
        .put_record()
        .stream_name("sealed")
        .partition_key("pk-plain")
        .data(Blob::new("PLAINTEXT-BEFORE-0001"))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.encryption_type(), Some(&EncryptionType::None));
    client
        .start_stream_encryption()
        .stream_name("sealed")
        .encryption_type(EncryptionType::Kms)
        .key_id("alias/aws/kinesis")
        .send()
        .await
        .unwrap();
    wait_active(&client, "sealed").await;

    let secret = b"TOP-SECRET-PAYLOAD-7f3a9c";
    let one = client
        .put_record()
        .stream_name("sealed")
        .partition_key("pk-secret-1")
        .data(Blob::new(&secret[..]))
        .send()
        .await
        .unwrap();
    assert_eq!(one.encryption_type(), Some(&EncryptionType::Kms));
    let many = client
        .put_records()
        .stream_name("sealed")
        .records(
            PutRecordsRequestEntry::builder()
                .partition_key("pk-secret-2")
                .data(Blob::new(&secret[..]))
                .build()
                .unwrap(),
        )
        .records(PutRecordsRequestEntry::builder().partition_key("k").data(Blob::new(vec![0u8; 0])).build().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(many.encryption_type(), Some(&EncryptionType::Kms));
    assert_eq!(many.failed_record_count(), Some(0));

    // On disk: the plaintext record is there, the sealed ones are not (neither data nor key).
    let log = server.data_dir();
    assert!(on_disk(log, b"PLAINTEXT-BEFORE-0001"), "the control record is stored as given");
    assert!(!on_disk(log, secret), "sealed data is not on disk in the clear");
    assert!(!on_disk(log, b"pk-secret-1"), "sealed partition keys are not on disk in the clear");

    // Reads return what was written, marked as encrypted record by record.
    let recs = read_all(&client, "sealed", one.shard_id()).await;
    assert_eq!(recs.len(), 4);
    assert_eq!(recs[0].data().as_ref(), b"PLAINTEXT-BEFORE-0001");
    assert_eq!(recs[0].encryption_type(), None);
    assert_eq!(recs[1].data().as_ref(), secret);
    assert_eq!(recs[1].partition_key(), Some("pk-secret-1"));
    assert_eq!(recs[1].encryption_type(), Some(&EncryptionType::Kms));
    assert_eq!(recs[1].sequence_number(), one.sequence_number());
    assert_eq!(recs[2].partition_key(), Some("pk-secret-2"));
    assert_eq!(recs[3].data().as_ref(), b"");
    assert_eq!(recs[3].encryption_type(), Some(&EncryptionType::Kms));

    // After StopStreamEncryption new records are plain; old ones still read back.
    client
        .stop_stream_encryption()
        .stream_name("sealed")
        .encryption_type(EncryptionType::Kms)
        .key_id("alias/aws/kinesis")
        .send()
        .await
        .unwrap();
    wait_active(&client, "sealed").await;
    let after = client
        .put_record()
        .stream_name("sealed")
        .partition_key("p")
        .data(Blob::new("PLAINTEXT-AFTER-0002"))
        .send()
        .await
        .unwrap();
    assert_eq!(after.encryption_type(), Some(&EncryptionType::None));
    let recs = read_all(&client, "sealed", one.shard_id()).await;
    assert_eq!(recs.len(), 5);
    assert_eq!(recs[1].data().as_ref(), secret);
    assert_eq!(recs[4].encryption_type(), None);
    assert!(on_disk(log, b"PLAINTEXT-AFTER-0002"));
}
