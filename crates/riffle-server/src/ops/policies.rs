//! PutResourcePolicy, GetResourcePolicy and DeleteResourcePolicy.
//!
//! A policy is kept verbatim with its stream and reported back; Riffle does not evaluate IAM
//! policies. Behaviour and messages as moto's Kinesis backend and tests record AWS's: a stream
//! without a policy answers `{"Policy": "{}"}`, deleting a policy that is not there is
//! ResourceNotFound, and unknown streams are named by their ARN. Consumer ARNs are not found
//! until enhanced fan-out is served.

use super::arns::{self, Resource};
use crate::catalog::Stream;
use crate::state::App;
use riffle_proto::shapes_more::{GetResourcePolicyOutput, PutResourcePolicyInput, ResourceInput};
use riffle_proto::{ApiError, Violations};
use std::sync::Arc;

/// The largest policy document accepted (IAM's resource-policy ceiling).
const MAX_POLICY_BYTES: usize = 20_480;

/// Runs `f` on the stream a resource ARN names, answering AWS's not-found errors.
fn on_stream<T>(
    app: &App,
    arn: &str,
    write: bool,
    f: impl FnOnce(&mut Stream) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let missing = || ApiError::not_found(format!("Stream {arn} under account {} not found.", app.account()));
    let name = match arns::resolve(app, arn) {
        Some(Resource::Stream { name }) => name,
        Some(Resource::Consumer { consumer }) => return Err(arns::consumer_not_found(app, &consumer)),
        None => return Err(missing()),
    };
    let out = {
        let mut cat = app.catalog.write();
        let s = cat.streams.get_mut(&name).ok_or_else(missing)?;
        f(s)?
    };
    if write {
        app.persist()?;
    }
    Ok(out)
}

pub async fn put(app: &Arc<App>, input: PutResourcePolicyInput) -> Result<(), ApiError> {
    let mut v = Violations::new();
    arns::validate_resource_arn(&mut v, &input.resource_arn);
    v.required(&input.policy, "policy");
    v.finish()?;
    let policy = input.policy.expect("validated");
    if policy.len() > MAX_POLICY_BYTES {
        return Err(ApiError::invalid_argument(format!(
            "Policy document exceeds the maximum size of {MAX_POLICY_BYTES} bytes."
        )));
    }
    if !serde_json::from_str::<serde_json::Value>(&policy).is_ok_and(|p| p.is_object()) {
        return Err(ApiError::invalid_argument("Policy is not a valid JSON policy document."));
    }
    on_stream(app, input.resource_arn.as_deref().expect("validated"), true, |s| {
        super::tags::require_settled(app, s)?;
        s.policy = Some(policy);
        Ok(())
    })
}

pub async fn get(app: &Arc<App>, input: ResourceInput) -> Result<GetResourcePolicyOutput, ApiError> {
    let mut v = Violations::new();
    arns::validate_resource_arn(&mut v, &input.resource_arn);
    v.finish()?;
    on_stream(app, input.resource_arn.as_deref().expect("validated"), false, |s| {
        Ok(GetResourcePolicyOutput { policy: s.policy.clone().unwrap_or_else(|| "{}".to_string()) })
    })
}

pub async fn delete(app: &Arc<App>, input: ResourceInput) -> Result<(), ApiError> {
    let mut v = Violations::new();
    arns::validate_resource_arn(&mut v, &input.resource_arn);
    v.finish()?;
    let arn = input.resource_arn.as_deref().expect("validated");
    on_stream(app, arn, true, |s| {
        s.policy
            .take()
            .map(drop)
            .ok_or_else(|| ApiError::not_found(format!("No resource policy found for resource ARN {arn}.")))
    })
}
