//! UpdateStreamMode, UpdateStreamWarmThroughput and UpdateMaxRecordSize: changes to a stream's
//! capacity settings. Each applies at once and takes the stream through UPDATING to ACTIVE, as
//! AWS does; records can be read and written meanwhile.

use super::account::commitment_in_force;
use super::validate_stream_ref;
use crate::catalog::{Stream, StreamMode, StreamStatus, WarmThroughput};
use crate::state::{App, now_ms};
use riffle_proto::shapes::{StreamRef, WarmThroughputOut};
use riffle_proto::shapes_more::{
    UpdateMaxRecordSizeInput, UpdateStreamModeInput, UpdateStreamWarmThroughputInput, UpdateStreamWarmThroughputOutput,
};
use riffle_proto::{ApiError, Violations};
use std::sync::Arc;

/// On-demand streams an account may have (DescribeLimits reports the same number).
const ON_DEMAND_STREAM_LIMIT: usize = 50;
/// The largest warm throughput of one stream (10 GiB/s), per the API reference.
const MAX_WARM_MIBPS: i64 = 10_240;

/// WarmThroughput as DescribeStreamSummary reports it: only for on-demand streams that have
/// one. While the change is in progress the stream handles the previous value.
pub(crate) fn warm_throughput_out(s: &Stream) -> Option<WarmThroughputOut> {
    let w = s.warm_throughput.filter(|_| s.mode == StreamMode::OnDemand)?;
    let current = if s.status == StreamStatus::Updating { w.previous_mibps } else { w.target_mibps };
    Some(WarmThroughputOut { target_mi_bps: w.target_mibps, current_mi_bps: current })
}

/// What the stream handles once settled: its warm throughput, or 0 when it has none.
fn settled_mibps(s: &Stream) -> u32 {
    s.warm_throughput.map_or(0, |w| w.target_mibps)
}

fn no_commitment(app: &App) -> ApiError {
    ApiError::invalid_argument(format!(
        "Warm throughput requires the MinimumThroughputBillingCommitment of account {} to be ENABLED. \
         Use UpdateAccountSettings to enable it.",
        app.account()
    ))
}

fn check_warm_limit(mibps: i64) -> Result<u32, ApiError> {
    if mibps > MAX_WARM_MIBPS {
        return Err(ApiError::limit_exceeded(format!(
            "Requested warm throughput of {mibps} MiBps exceeds the maximum of {MAX_WARM_MIBPS} MiBps for a stream."
        )));
    }
    Ok(u32::try_from(mibps).expect("validated non-negative and bounded"))
}

pub async fn update_mode(app: &Arc<App>, input: UpdateStreamModeInput) -> Result<(), ApiError> {
    let mut v = Violations::new();
    v.required(&input.stream_mode_details, "streamModeDetails");
    if let Some(m) = &input.stream_mode_details {
        v.required(&m.stream_mode, "streamModeDetails.streamMode");
        v.one_of(m.stream_mode.as_deref(), "streamModeDetails.streamMode", &["PROVISIONED", "ON_DEMAND"]);
    }
    v.range(input.warm_throughput_mi_bps, "warmThroughputMiBps", Some(0), None);
    v.required(&input.stream_arn, "streamARN");
    validate_stream_ref(&mut v, input.stream());
    v.finish()?;
    let target = match input.stream_mode_details.as_ref().and_then(|m| m.stream_mode.as_deref()) {
        Some("ON_DEMAND") => StreamMode::OnDemand,
        _ => StreamMode::Provisioned,
    };
    let warm = match (input.warm_throughput_mi_bps, target) {
        (Some(_), StreamMode::Provisioned) => {
            return Err(ApiError::invalid_argument(
                "WarmThroughputMiBps can only be specified when the stream mode is updated to ON_DEMAND.",
            ));
        }
        (Some(w), StreamMode::OnDemand) => Some(check_warm_limit(w)?),
        (None, _) => None,
    };
    let name = app.resolve_name(input.stream())?;
    {
        let mut cat = app.catalog.write();
        let committed = commitment_in_force(cat.account.commitment, now_ms());
        let on_demand = cat.streams.values().filter(|s| s.mode == StreamMode::OnDemand).count();
        let s = cat.streams.get_mut(&name).ok_or_else(|| app.not_found(&name))?;
        app.require_active(s)?;
        if target == StreamMode::OnDemand && s.mode != StreamMode::OnDemand && on_demand >= ON_DEMAND_STREAM_LIMIT {
            return Err(ApiError::limit_exceeded(format!(
                "This request would exceed the limit of {ON_DEMAND_STREAM_LIMIT} on-demand streams for the \
                 account {} in {}.",
                app.account(),
                app.config.region
            )));
        }
        if warm.is_some() && !committed {
            return Err(no_commitment(app));
        }
        let previous = settled_mibps(s);
        s.warm_throughput = match (target, warm) {
            (StreamMode::Provisioned, _) => None,
            (StreamMode::OnDemand, Some(w)) => Some(WarmThroughput { target_mibps: w, previous_mibps: previous }),
            (StreamMode::OnDemand, None) => s.warm_throughput,
        };
        s.mode = target;
        s.status = StreamStatus::Updating;
    }
    app.persist()?;
    super::lifecycle::active_after_update(app, name);
    Ok(())
}

pub async fn update_warm_throughput(
    app: &Arc<App>,
    input: UpdateStreamWarmThroughputInput,
) -> Result<UpdateStreamWarmThroughputOutput, ApiError> {
    let mut v = Violations::new();
    v.required(&input.warm_throughput_mi_bps, "warmThroughputMiBps");
    v.range(input.warm_throughput_mi_bps, "warmThroughputMiBps", Some(0), None);
    validate_stream_ref(&mut v, input.stream());
    v.finish()?;
    let name = app.resolve_name(input.stream())?;
    let mibps = input.warm_throughput_mi_bps.expect("validated");
    let out = {
        let mut cat = app.catalog.write();
        let committed = commitment_in_force(cat.account.commitment, now_ms());
        let s = cat.streams.get_mut(&name).ok_or_else(|| app.not_found(&name))?;
        if s.mode != StreamMode::OnDemand {
            return Err(ApiError::invalid_argument(format!(
                "Warm throughput is only supported for streams in ON_DEMAND mode. Stream {name} under account {} \
                 is in PROVISIONED mode.",
                app.account()
            )));
        }
        if !committed {
            return Err(no_commitment(app));
        }
        app.require_active(s)?;
        let target = check_warm_limit(mibps)?;
        let previous = settled_mibps(s);
        s.warm_throughput = Some(WarmThroughput { target_mibps: target, previous_mibps: previous });
        s.status = StreamStatus::Updating;
        UpdateStreamWarmThroughputOutput {
            stream_arn: app.stream_arn(&name),
            stream_name: name.clone(),
            warm_throughput: WarmThroughputOut { target_mi_bps: target, current_mi_bps: previous },
        }
    };
    app.persist()?;
    super::lifecycle::active_after_update(app, name);
    Ok(out)
}

pub async fn update_max_record_size(app: &Arc<App>, input: UpdateMaxRecordSizeInput) -> Result<(), ApiError> {
    let mut v = Violations::new();
    v.required(&input.max_record_size_in_kib, "maxRecordSizeInKiB");
    v.range(input.max_record_size_in_kib, "maxRecordSizeInKiB", Some(1024), Some(10240));
    validate_stream_ref(&mut v, StreamRef { stream_name: None, stream_arn: input.stream_arn.as_deref() });
    v.finish()?;
    let name = app.resolve_name(input.stream())?;
    let kib = u32::try_from(input.max_record_size_in_kib.expect("validated")).expect("validated range");
    app.update_stream(&name, |s| {
        app.require_active(s)?;
        s.max_record_kib = kib;
        s.status = StreamStatus::Updating;
        Ok(())
    })?;
    super::lifecycle::active_after_update(app, name);
    Ok(())
}
