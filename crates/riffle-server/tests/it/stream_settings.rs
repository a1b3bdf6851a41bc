//! Enhanced monitoring, stream mode, warm throughput, max record size and account settings —
//! and that all of them (with encryption and policies) survive a restart.

use crate::{code_and_message, setup, wait_active};
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{
    EncryptionType, MetricsName, MinimumThroughputBillingCommitmentInput,
    MinimumThroughputBillingCommitmentInputStatus as In, MinimumThroughputBillingCommitmentOutputStatus as Out,
    StreamMode, StreamModeDetails, StreamStatus,
};
use riffle_testkit::{TestServer, create_active_stream};

fn arn(name: &str) -> String {
    format!("arn:aws:kinesis:us-east-1:000000000000:stream/{name}")
}

fn mode(m: StreamMode) -> StreamModeDetails {
    StreamModeDetails::builder().stream_mode(m).build().unwrap()
}

fn commitment(status: In) -> MinimumThroughputBillingCommitmentInput {
    MinimumThroughputBillingCommitmentInput::builder().status(status).build().unwrap()
}

#[tokio::test]
async fn enhanced_monitoring_expands_all_and_reports_current_and_desired() {
    let (_server, client) = setup().await;
    create_active_stream(&client, "mon", 1).await;
    let out = client
        .enable_enhanced_monitoring()
        .stream_name("mon")
        .shard_level_metrics(MetricsName::OutgoingBytes)
        .shard_level_metrics(MetricsName::IncomingBytes)
        .send()
        .await
        .unwrap();
    assert_eq!(out.stream_name(), Some("mon"));
    assert_eq!(out.stream_arn(), Some(arn("mon").as_str()));
    assert!(out.current_shard_level_metrics().is_empty());
    assert_eq!(out.desired_shard_level_metrics(), [MetricsName::IncomingBytes, MetricsName::OutgoingBytes]);

    let out = client
        .enable_enhanced_monitoring()
        .stream_arn(arn("mon"))
        .shard_level_metrics(MetricsName::All)
        .send()
        .await
        .unwrap();
    assert_eq!(out.current_shard_level_metrics().len(), 2);
    assert_eq!(out.desired_shard_level_metrics().len(), 7, "ALL expands to every metric");
    assert!(!out.desired_shard_level_metrics().contains(&MetricsName::All));

    let out = client
        .disable_enhanced_monitoring()
        .stream_name("mon")
        .shard_level_metrics(MetricsName::IteratorAgeMilliseconds)
        .send()
        .await
        .unwrap();
    assert_eq!(out.desired_shard_level_metrics().len(), 6);
    let d = client.describe_stream().stream_name("mon").send().await.unwrap();
    let shown = d.stream_description().unwrap().enhanced_monitoring()[0].shard_level_metrics().to_vec();
    assert_eq!(shown, out.desired_shard_level_metrics());

    let out = client
        .disable_enhanced_monitoring()
        .stream_name("mon")
        .shard_level_metrics(MetricsName::All)
        .send()
        .await
        .unwrap();
    assert!(out.desired_shard_level_metrics().is_empty());
    let s = client.describe_stream_summary().stream_name("mon").send().await.unwrap();
    assert!(s.stream_description_summary().unwrap().enhanced_monitoring()[0].shard_level_metrics().is_empty());
}

#[tokio::test]
async fn enhanced_monitoring_errors() {
    let (_server, client) = setup().await;
    let err =
        client.enable_enhanced_monitoring().stream_name("nope").shard_level_metrics(MetricsName::All).send().await;
    assert_eq!(code_and_message(&err.unwrap_err()).0, "ResourceNotFoundException");
    create_active_stream(&client, "m", 1).await;
    let err = client
        .enable_enhanced_monitoring()
        .stream_name("m")
        .shard_level_metrics(MetricsName::from("Bogus"))
        .send()
        .await;
    assert_eq!(
        code_and_message(&err.unwrap_err()),
        (
            "ValidationException".into(),
            "1 validation error detected: Value '[Bogus]' at 'shardLevelMetrics' failed to satisfy constraint: \
             Member must satisfy constraint: [Member must satisfy enum value set: [IncomingBytes, IncomingRecords, \
             OutgoingBytes, OutgoingRecords, WriteProvisionedThroughputExceeded, ReadProvisionedThroughputExceeded, \
             IteratorAgeMilliseconds, ALL]]"
                .into()
        )
    );
    let err = client.disable_enhanced_monitoring().stream_name("m").send().await.unwrap_err();
    assert_eq!(
        code_and_message(&err).1,
        "1 validation error detected: Value null at 'shardLevelMetrics' failed to satisfy constraint: Member must not be null"
    );
}

#[tokio::test]
async fn stream_mode_switches_both_ways_through_updating() {
    let (_server, client) = setup().await;
    create_active_stream(&client, "mode", 2).await;
    client
        .update_stream_mode()
        .stream_arn(arn("mode"))
        .stream_mode_details(mode(StreamMode::OnDemand))
        .send()
        .await
        .unwrap();
    let s = client.describe_stream_summary().stream_name("mode").send().await.unwrap();
    let s = s.stream_description_summary().unwrap();
    assert_eq!(s.stream_status(), &StreamStatus::Updating);
    assert_eq!(s.stream_mode_details().unwrap().stream_mode(), &StreamMode::OnDemand);
    wait_active(&client, "mode").await;
    let limits = client.describe_limits().send().await.unwrap();
    assert_eq!(limits.on_demand_stream_count(), 1);
    // Records still flow after a mode change.
    client.put_record().stream_name("mode").partition_key("k").data(Blob::new("x")).send().await.unwrap();
    client
        .update_stream_mode()
        .stream_arn(arn("mode"))
        .stream_mode_details(mode(StreamMode::Provisioned))
        .send()
        .await
        .unwrap();
    wait_active(&client, "mode").await;
    let d = client.describe_stream().stream_name("mode").send().await.unwrap();
    assert_eq!(d.stream_description().unwrap().stream_mode_details().unwrap().stream_mode(), &StreamMode::Provisioned);
}

#[tokio::test]
async fn stream_mode_errors() {
    let (_server, client) = setup().await;
    let err = client
        .update_stream_mode()
        .stream_arn(arn("nope"))
        .stream_mode_details(mode(StreamMode::OnDemand))
        .send()
        .await;
    assert_eq!(
        code_and_message(&err.unwrap_err()),
        ("ResourceNotFoundException".into(), "Stream nope under account 000000000000 not found.".into())
    );
    create_active_stream(&client, "m", 1).await;
    let err = client.update_stream_mode().stream_arn(arn("m")).send().await.unwrap_err();
    assert_eq!(
        code_and_message(&err).1,
        "1 validation error detected: Value null at 'streamModeDetails' failed to satisfy constraint: Member must not be null"
    );
    let err = client
        .update_stream_mode()
        .stream_arn(arn("m"))
        .stream_mode_details(mode(StreamMode::Provisioned))
        .warm_throughput_mibps(10)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_and_message(&err).0, "InvalidArgumentException");
    let err = client
        .update_stream_mode()
        .stream_arn(arn("m"))
        .stream_mode_details(mode(StreamMode::OnDemand))
        .warm_throughput_mibps(10)
        .send()
        .await
        .unwrap_err();
    assert!(code_and_message(&err).1.contains("MinimumThroughputBillingCommitment"), "{err:?}");
}

#[tokio::test]
async fn account_settings_and_warm_throughput() {
    let (_server, client) = setup().await;
    let d = client.describe_account_settings().send().await.unwrap();
    assert_eq!(d.minimum_throughput_billing_commitment().unwrap().status(), &Out::Disabled);

    create_active_stream(&client, "warm", 1).await;
    client
        .update_stream_mode()
        .stream_arn(arn("warm"))
        .stream_mode_details(mode(StreamMode::OnDemand))
        .send()
        .await
        .unwrap();
    wait_active(&client, "warm").await;
    let err =
        client.update_stream_warm_throughput().stream_name("warm").warm_throughput_mibps(100).send().await.unwrap_err();
    assert_eq!(code_and_message(&err).0, "InvalidArgumentException");
    assert!(code_and_message(&err).1.contains("MinimumThroughputBillingCommitment"));

    let u = client
        .update_account_settings()
        .minimum_throughput_billing_commitment(commitment(In::Enabled))
        .send()
        .await
        .unwrap();
    let c = u.minimum_throughput_billing_commitment().unwrap();
    assert_eq!(c.status(), &Out::Enabled);
    let (started, earliest) = (c.started_at().unwrap().secs(), c.earliest_allowed_end_at().unwrap().secs());
    assert_eq!(earliest - started, 24 * 3600);

    let out =
        client.update_stream_warm_throughput().stream_arn(arn("warm")).warm_throughput_mibps(100).send().await.unwrap();
    assert_eq!(out.stream_name(), Some("warm"));
    let w = out.warm_throughput().unwrap();
    assert_eq!((w.target_mibps(), w.current_mibps()), (Some(100), Some(0)));
    wait_active(&client, "warm").await;
    let s = client.describe_stream_summary().stream_name("warm").send().await.unwrap();
    let w = s.stream_description_summary().unwrap().warm_throughput().unwrap();
    assert_eq!((w.target_mibps(), w.current_mibps()), (Some(100), Some(100)));
    let err = client.update_stream_warm_throughput().stream_name("warm").warm_throughput_mibps(20_000).send().await;
    assert_eq!(code_and_message(&err.unwrap_err()).0, "LimitExceededException");

    // Disabling within the first 24 hours only schedules the end.
    let u = client
        .update_account_settings()
        .minimum_throughput_billing_commitment(commitment(In::Disabled))
        .send()
        .await
        .unwrap();
    let c = u.minimum_throughput_billing_commitment().unwrap();
    assert_eq!(c.status(), &Out::EnabledUntilEarliestAllowedEnd);
    assert_eq!(c.started_at().unwrap().secs(), started);
    let u = client
        .update_account_settings()
        .minimum_throughput_billing_commitment(commitment(In::Enabled))
        .send()
        .await
        .unwrap();
    assert_eq!(u.minimum_throughput_billing_commitment().unwrap().status(), &Out::Enabled);

    // Provisioned streams take no warm throughput.
    create_active_stream(&client, "prov", 1).await;
    let err = client.update_stream_warm_throughput().stream_name("prov").warm_throughput_mibps(1).send().await;
    assert_eq!(code_and_message(&err.unwrap_err()).0, "InvalidArgumentException");
}

#[tokio::test]
async fn account_settings_errors() {
    let (_server, client) = setup().await;
    let err = client.update_account_settings().send().await.unwrap_err();
    assert_eq!(
        code_and_message(&err),
        (
            "ValidationException".into(),
            "1 validation error detected: Value null at 'minimumThroughputBillingCommitment' failed to satisfy \
             constraint: Member must not be null"
                .into()
        )
    );
    let err = client
        .update_account_settings()
        .minimum_throughput_billing_commitment(commitment(In::from("MAYBE")))
        .send()
        .await;
    assert_eq!(
        code_and_message(&err.unwrap_err()).1,
        "1 validation error detected: Value 'MAYBE' at 'minimumThroughputBillingCommitment.status' failed to satisfy \
         constraint: Member must satisfy enum value set: [ENABLED, DISABLED]"
    );
}

#[tokio::test]
async fn max_record_size_changes_the_record_limit() {
    let (_server, client) = setup().await;
    create_active_stream(&client, "big", 1).await;
    let big = vec![7u8; 2 * 1024 * 1024];
    let err = client.put_record().stream_name("big").partition_key("k").data(Blob::new(big.clone())).send().await;
    assert_eq!(code_and_message(&err.unwrap_err()).0, "ValidationException");
    client.update_max_record_size().stream_arn(arn("big")).max_record_size_in_kib(4096).send().await.unwrap();
    let s = client.describe_stream_summary().stream_name("big").send().await.unwrap();
    assert_eq!(s.stream_description_summary().unwrap().max_record_size_in_kib(), Some(4096));
    wait_active(&client, "big").await;
    client.put_record().stream_name("big").partition_key("k").data(Blob::new(big)).send().await.unwrap();

    let err = client.update_max_record_size().stream_arn(arn("big")).max_record_size_in_kib(512).send().await;
    assert_eq!(
        code_and_message(&err.unwrap_err()).1,
        "1 validation error detected: Value '512' at 'maxRecordSizeInKiB' failed to satisfy constraint: Member must \
         have value greater than or equal to 1024"
    );
    let err = client.update_max_record_size().stream_arn(arn("nope")).max_record_size_in_kib(2048).send().await;
    assert_eq!(code_and_message(&err.unwrap_err()).0, "ResourceNotFoundException");
}

#[tokio::test]
async fn stream_settings_survive_a_restart() {
    let mut server = TestServer::start().await;
    let client = server.client().await;
    create_active_stream(&client, "keep", 1).await;
    client
        .update_account_settings()
        .minimum_throughput_billing_commitment(commitment(In::Enabled))
        .send()
        .await
        .unwrap();
    client
        .enable_enhanced_monitoring()
        .stream_name("keep")
        .shard_level_metrics(MetricsName::IncomingRecords)
        .send()
        .await
        .unwrap();
    client
        .start_stream_encryption()
        .stream_name("keep")
        .encryption_type(EncryptionType::Kms)
        .key_id("alias/k")
        .send()
        .await
        .unwrap();
    wait_active(&client, "keep").await;
    let sealed =
        client.put_record().stream_name("keep").partition_key("p").data(Blob::new("sealed")).send().await.unwrap();
    client
        .update_stream_mode()
        .stream_arn(arn("keep"))
        .stream_mode_details(mode(StreamMode::OnDemand))
        .warm_throughput_mibps(64)
        .send()
        .await
        .unwrap();
    wait_active(&client, "keep").await;
    client.update_max_record_size().stream_arn(arn("keep")).max_record_size_in_kib(2048).send().await.unwrap();
    let policy = r#"{"Version":"2012-10-17","Statement":[]}"#;
    client.put_resource_policy().resource_arn(arn("keep")).policy(policy).send().await.unwrap();

    server.restart().await;
    let client = server.client().await;
    let s = client.describe_stream_summary().stream_name("keep").send().await.unwrap();
    let s = s.stream_description_summary().unwrap();
    assert_eq!(s.stream_status(), &StreamStatus::Active);
    assert_eq!(s.encryption_type(), Some(&EncryptionType::Kms));
    assert_eq!(s.key_id(), Some("alias/k"));
    assert_eq!(s.enhanced_monitoring()[0].shard_level_metrics(), [MetricsName::IncomingRecords]);
    assert_eq!(s.stream_mode_details().unwrap().stream_mode(), &StreamMode::OnDemand);
    assert_eq!(s.warm_throughput().unwrap().target_mibps(), Some(64));
    assert_eq!(s.max_record_size_in_kib(), Some(2048));
    let p = client.get_resource_policy().resource_arn(arn("keep")).send().await.unwrap();
    assert_eq!(p.policy(), policy);
    let a = client.describe_account_settings().send().await.unwrap();
    assert_eq!(a.minimum_throughput_billing_commitment().unwrap().status(), &Out::Enabled);
    // The server-held key outlives the restart: sealed records still read.
    let it = client
        .get_shard_iterator()
        .stream_name("keep")
        .shard_id(sealed.shard_id())
        .shard_iterator_type(aws_sdk_kinesis::types::ShardIteratorType::TrimHorizon)
        .send()
        .await
        .unwrap();
    let r = client.get_records().shard_iterator(it.shard_iterator().unwrap()).send().await.unwrap();
    assert_eq!(r.records()[0].data().as_ref(), b"sealed");
    assert_eq!(r.records()[0].encryption_type(), Some(&EncryptionType::Kms));
}
