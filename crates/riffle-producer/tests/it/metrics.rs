//! The KPL's metrics reach a Prometheus exporter through the `metrics` facade.

use crate::common::*;
use metrics_exporter_prometheus::PrometheusBuilder;

#[tokio::test]
async fn kpl_metrics_export_to_prometheus() {
    // The only test that installs a recorder: producers built earlier by other tests keep the
    // no-op recorder, which is fine, since this one checks only its own stream's series.
    let handle = PrometheusBuilder::new().install_recorder().expect("recorder installs");
    let server = flaky_server(0.2).await;
    stream(&server, "metered", 2).await;
    // Unaggregated, so 300 Kinesis records each face the 20% fault rate and some error is
    // certain; a few aggregates could all pass, and ErrorsByCode would have no series.
    let p = producer(&server, quick().aggregation_enabled(false)).await;
    outcomes(put_many(&p, "metered", 300, "some data").await).await;
    p.shutdown().await;
    let text = handle.render();
    let series = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name) && l.contains("StreamName=\"metered\""))
            .unwrap_or_else(|| panic!("no {name} series for the stream in:\n{text}"))
            .to_string()
    };
    assert!(series("UserRecordsReceived{").ends_with(" 300"), "{}", series("UserRecordsReceived{"));
    assert!(series("UserRecordsPut{").ends_with(" 300"));
    assert!(series("UserRecordsPending{").ends_with(" 0"));
    for name in
        ["KinesisRecordsPut{", "BufferingTime", "RetriesPerRecord", "RequestTime", "AllErrors{", "ErrorsByCode{"]
    {
        series(name);
    }
}
