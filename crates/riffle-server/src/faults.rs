//! Fault injection, on request (`--fail-rate OP=P,...`): retryable errors at a set rate, so
//! clients can test their resilience against failures that AWS produces only now and then.
//!
//! PutRecords faults are per record (partial failures, the case producers most often get
//! wrong): each record independently fails with probability P as
//! `ProvisionedThroughputExceededException` or `InternalFailure`. Every other operation fails
//! whole with probability P, with one of the retryable errors AWS uses for it.

use riffle_proto::{ApiError, ErrorCode, Operation};
use std::collections::HashMap;

/// Failure probabilities per operation; `*` sets the default.
#[derive(Debug, Clone, Default)]
pub struct FaultPlan {
    rates: HashMap<Operation, f64>,
    default: f64,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FaultPlanError {
    #[error("expected OP=PROBABILITY, got {0:?}")]
    Shape(String),
    #[error("unknown operation {0:?} (use a Kinesis operation name such as PutRecords, or *)")]
    Operation(String),
    #[error("probability {0:?} is not a number between 0 and 1")]
    Probability(String),
}

impl FaultPlan {
    /// Parses `PutRecords=0.1,GetRecords=0.05,*=0.01`.
    pub fn parse(spec: &str) -> Result<Self, FaultPlanError> {
        let mut plan = FaultPlan::default();
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (name, p) = item.split_once('=').ok_or_else(|| FaultPlanError::Shape(item.to_string()))?;
            let p: f64 = p
                .trim()
                .parse()
                .ok()
                .filter(|p: &f64| (0.0..=1.0).contains(p))
                .ok_or_else(|| FaultPlanError::Probability(p.to_string()))?;
            match name.trim() {
                "*" => plan.default = p,
                n => {
                    let op = Operation::ALL
                        .iter()
                        .copied()
                        .find(|o| o.name() == n)
                        .ok_or_else(|| FaultPlanError::Operation(n.to_string()))?;
                    plan.rates.insert(op, p);
                }
            }
        }
        Ok(plan)
    }

    pub fn is_empty(&self) -> bool {
        self.default == 0.0 && self.rates.values().all(|&p| p == 0.0)
    }

    fn rate(&self, op: Operation) -> f64 {
        self.rates.get(&op).copied().unwrap_or(self.default)
    }

    /// A whole-request fault for `op`, or none. PutRecords never fails whole here.
    pub fn request_fault(&self, op: Operation) -> Option<ApiError> {
        if op == Operation::PutRecords || !roll(self.rate(op)) {
            return None;
        }
        let data_plane = matches!(op, Operation::PutRecord | Operation::GetRecords | Operation::GetShardIterator);
        let injected = "(fault injected by riffle --fail-rate)";
        Some(match rand::random_range(0..3) {
            0 if data_plane => {
                ApiError::new(ErrorCode::ProvisionedThroughputExceeded, format!("Rate exceeded {injected}."))
            }
            0 => ApiError::limit_exceeded(format!("Rate exceeded {injected}.")),
            1 => ApiError::new(ErrorCode::InternalFailure, format!("Internal service failure {injected}.")),
            _ => ApiError::new(ErrorCode::ServiceUnavailable, format!("Service unavailable {injected}.")),
        })
    }

    /// Whether one PutRecords record fails, and how: `Some(true)` throttled, `Some(false)`
    /// internal failure.
    pub fn record_fault(&self) -> Option<bool> {
        roll(self.rate(Operation::PutRecords)).then(rand::random::<bool>)
    }
}

fn roll(p: f64) -> bool {
    p > 0.0 && rand::random::<f64>() < p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rates_and_rejects_nonsense() {
        let plan = FaultPlan::parse("PutRecords=0.5, *=0.01").unwrap();
        assert_eq!(plan.rate(Operation::PutRecords), 0.5);
        assert_eq!(plan.rate(Operation::ListShards), 0.01);
        assert_eq!(FaultPlan::parse("Nope=0.1").unwrap_err(), FaultPlanError::Operation("Nope".into()));
        assert_eq!(FaultPlan::parse("PutRecords=2").unwrap_err(), FaultPlanError::Probability("2".into()));
        assert_eq!(FaultPlan::parse("PutRecords").unwrap_err(), FaultPlanError::Shape("PutRecords".into()));
        assert!(FaultPlan::parse("").unwrap().is_empty());
    }

    #[test]
    fn faults_are_retryable_and_follow_the_rate() {
        let always = FaultPlan::parse("ListStreams=1,GetRecords=1").unwrap();
        for op in [Operation::ListStreams, Operation::GetRecords] {
            for _ in 0..50 {
                let e = always.request_fault(op).expect("rate 1 always fails");
                assert!(e.code.is_retryable(), "{e}");
            }
        }
        assert!(always.request_fault(Operation::DescribeStream).is_none(), "no default rate set");
        let half = FaultPlan::parse("PutRecords=0.5").unwrap();
        let failed = (0..10_000).filter(|_| half.record_fault().is_some()).count();
        assert!((4000..6000).contains(&failed), "{failed}");
    }
}
