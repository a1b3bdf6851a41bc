//! EnableEnhancedMonitoring and DisableEnhancedMonitoring.
//!
//! Riffle publishes no CloudWatch metrics; it records which shard-level metrics are on and
//! reports them as AWS does: `ALL` expands to every metric, the answer lists the metrics before
//! (Current) and after (Desired) the call, and DescribeStream shows the result.

use super::validate_stream_ref;
use crate::catalog::Stream;
use crate::state::App;
use riffle_proto::shapes::EnhancedMetricsOut;
use riffle_proto::shapes_more::{EnhancedMonitoringInput, EnhancedMonitoringOutput};
use riffle_proto::{ApiError, Violations};
use std::sync::Arc;

/// Every shard-level metric, in the model's order.
pub const METRICS: [&str; 7] = [
    "IncomingBytes",
    "IncomingRecords",
    "OutgoingBytes",
    "OutgoingRecords",
    "WriteProvisionedThroughputExceeded",
    "ReadProvisionedThroughputExceeded",
    "IteratorAgeMilliseconds",
];
const ALL: &str = "ALL";

/// The EnhancedMonitoring member of DescribeStream and DescribeStreamSummary.
pub(crate) fn described(s: &Stream) -> Vec<EnhancedMetricsOut> {
    vec![EnhancedMetricsOut { shard_level_metrics: s.shard_level_metrics.clone() }]
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Change {
    Enable,
    Disable,
}

pub async fn enable(app: &Arc<App>, input: EnhancedMonitoringInput) -> Result<EnhancedMonitoringOutput, ApiError> {
    change(app, input, Change::Enable)
}

pub async fn disable(app: &Arc<App>, input: EnhancedMonitoringInput) -> Result<EnhancedMonitoringOutput, ApiError> {
    change(app, input, Change::Disable)
}

/// ShardLevelMetrics: 1–7 members of the metric enum (or ALL). AWS reports a bad member on the
/// list as a whole, in its nested-constraint form.
fn validate_metrics(v: &mut Violations, metrics: &Option<Vec<String>>) {
    v.required(metrics, "shardLevelMetrics");
    let Some(list) = metrics else { return };
    let shown = format!("[{}]", list.join(", "));
    if list.is_empty() {
        v.push(Some(&shown), "shardLevelMetrics", "have length greater than or equal to 1");
    } else if list.len() > METRICS.len() {
        v.push(Some(&shown), "shardLevelMetrics", format!("have length less than or equal to {}", METRICS.len()));
    }
    if list.iter().any(|m| m != ALL && !METRICS.contains(&m.as_str())) {
        let allowed = METRICS.iter().chain([&ALL]).copied().collect::<Vec<_>>().join(", ");
        v.push(
            Some(&shown),
            "shardLevelMetrics",
            format!("satisfy constraint: [Member must satisfy enum value set: [{allowed}]]"),
        );
    }
}

fn change(app: &Arc<App>, input: EnhancedMonitoringInput, how: Change) -> Result<EnhancedMonitoringOutput, ApiError> {
    let mut v = Violations::new();
    validate_metrics(&mut v, &input.shard_level_metrics);
    validate_stream_ref(&mut v, input.stream());
    v.finish()?;
    let name = app.resolve_name(input.stream())?;
    let asked = input.shard_level_metrics.as_deref().expect("validated");
    let all = asked.iter().any(|m| m == ALL);
    app.update_stream(&name, |s| {
        app.require_active(s)?;
        let current = s.shard_level_metrics.clone();
        let named = |m: &&str| all || asked.iter().any(|a| a == m);
        let on = |m: &&str| current.iter().any(|c| c == m);
        // Kept in the model's order whatever order the request used.
        let desired: Vec<String> = METRICS
            .iter()
            .filter(|m| match how {
                Change::Enable => on(m) || named(m),
                Change::Disable => on(m) && !named(m),
            })
            .map(|m| (*m).to_string())
            .collect();
        s.shard_level_metrics = desired.clone();
        Ok(EnhancedMonitoringOutput {
            stream_name: s.name.clone(),
            stream_arn: app.stream_arn(&s.name),
            current_shard_level_metrics: current,
            desired_shard_level_metrics: desired,
        })
    })
}
