//! DescribeAccountSettings and UpdateAccountSettings: the account's
//! MinimumThroughputBillingCommitment, kept in the catalog.
//!
//! As documented for the API: a commitment lasts at least 24 hours; disabling it earlier
//! schedules the end for the earliest allowed time (status ENABLED_UNTIL_EARLIEST_ALLOWED_END),
//! and enabling it again before then cancels the scheduled end.

use crate::catalog::Commitment;
use crate::state::{App, now_ms};
use riffle_proto::shapes_more::{AccountSettingsOutput, CommitmentOut, UpdateAccountSettingsInput};
use riffle_proto::{ApiError, Timestamp, Violations};
use std::sync::Arc;

/// The shortest a commitment may last.
const MIN_COMMITMENT_MS: i64 = 24 * 3_600_000;

/// The commitment's status at `now`, as the API reports it.
pub(crate) fn commitment_out(c: Option<Commitment>, now: i64) -> CommitmentOut {
    let Some(c) = c else {
        return CommitmentOut { status: "DISABLED", started_at: None, ended_at: None, earliest_allowed_end_at: None };
    };
    let started_at = Some(Timestamp(c.started_ms));
    let earliest_allowed_end_at = Some(Timestamp(c.earliest_end_ms));
    match c.end_requested_ms.map(|r| r.max(c.earliest_end_ms)) {
        None => CommitmentOut { status: "ENABLED", started_at, ended_at: None, earliest_allowed_end_at },
        Some(end) if now >= end => {
            CommitmentOut { status: "DISABLED", started_at, ended_at: Some(Timestamp(end)), earliest_allowed_end_at }
        }
        Some(_) => CommitmentOut {
            status: "ENABLED_UNTIL_EARLIEST_ALLOWED_END",
            started_at,
            ended_at: None,
            earliest_allowed_end_at,
        },
    }
}

/// Whether the commitment is in force at `now` (warm throughput needs it).
pub(crate) fn commitment_in_force(c: Option<Commitment>, now: i64) -> bool {
    commitment_out(c, now).status != "DISABLED"
}

pub async fn describe(app: &Arc<App>) -> Result<AccountSettingsOutput, ApiError> {
    let c = app.catalog.read().account.commitment;
    Ok(AccountSettingsOutput { minimum_throughput_billing_commitment: commitment_out(c, now_ms()) })
}

pub async fn update(app: &Arc<App>, input: UpdateAccountSettingsInput) -> Result<AccountSettingsOutput, ApiError> {
    let mut v = Violations::new();
    let path = "minimumThroughputBillingCommitment";
    v.required(&input.minimum_throughput_billing_commitment, path);
    if let Some(c) = &input.minimum_throughput_billing_commitment {
        v.required(&c.status, &format!("{path}.status"));
        v.one_of(c.status.as_deref(), &format!("{path}.status"), &["ENABLED", "DISABLED"]);
    }
    v.finish()?;
    let enable = input.minimum_throughput_billing_commitment.and_then(|c| c.status).as_deref() == Some("ENABLED");
    let now = now_ms();
    let after = {
        let mut cat = app.catalog.write();
        let current = cat.account.commitment;
        let in_force = commitment_in_force(current, now);
        cat.account.commitment = match (enable, current) {
            // A new commitment, or a scheduled end cancelled.
            (true, Some(c)) if in_force => Some(Commitment { end_requested_ms: None, ..c }),
            (true, _) => {
                Some(Commitment { started_ms: now, earliest_end_ms: now + MIN_COMMITMENT_MS, end_requested_ms: None })
            }
            // Ends now, or at the earliest allowed end.
            (false, Some(c)) if in_force => {
                Some(Commitment { end_requested_ms: Some(c.end_requested_ms.unwrap_or(now)), ..c })
            }
            (false, c) => c,
        };
        cat.account.commitment
    };
    app.persist()?;
    Ok(AccountSettingsOutput { minimum_throughput_billing_commitment: commitment_out(after, now) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commitment_statuses() {
        assert_eq!(commitment_out(None, 0).status, "DISABLED");
        let c = Commitment { started_ms: 0, earliest_end_ms: 100, end_requested_ms: None };
        assert_eq!(commitment_out(Some(c), 50).status, "ENABLED");
        let ending = Commitment { end_requested_ms: Some(10), ..c };
        assert_eq!(commitment_out(Some(ending), 50).status, "ENABLED_UNTIL_EARLIEST_ALLOWED_END");
        let ended = commitment_out(Some(ending), 100);
        assert_eq!(ended.status, "DISABLED");
        assert_eq!(ended.ended_at, Some(Timestamp(100)));
        let late = Commitment { end_requested_ms: Some(150), ..c };
        assert_eq!(commitment_out(Some(late), 150).ended_at, Some(Timestamp(150)));
        assert!(!commitment_in_force(Some(late), 150));
        assert!(commitment_in_force(Some(ending), 99));
    }
}
