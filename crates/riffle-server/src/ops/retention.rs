//! IncreaseStreamRetentionPeriod and DecreaseStreamRetentionPeriod.

use super::validate_stream_ref;
use crate::state::App;
use riffle_proto::shapes::RetentionInput;
use riffle_proto::{ApiError, Violations};
use riffle_types::limits::{MAX_RETENTION_HOURS, MIN_RETENTION_HOURS};
use std::sync::Arc;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Increase,
    Decrease,
}

pub async fn increase(app: &Arc<App>, input: RetentionInput) -> Result<(), ApiError> {
    change(app, input, Direction::Increase).await
}

pub async fn decrease(app: &Arc<App>, input: RetentionInput) -> Result<(), ApiError> {
    change(app, input, Direction::Decrease).await?;
    // Shorter retention takes effect at once, as on AWS.
    super::enforce_retention(app).await;
    Ok(())
}

async fn change(app: &Arc<App>, input: RetentionInput, dir: Direction) -> Result<(), ApiError> {
    let mut v = Violations::new();
    v.required(&input.retention_period_hours, "retentionPeriodHours");
    validate_stream_ref(&mut v, input.stream());
    v.finish()?;
    let hours = input.retention_period_hours.expect("validated");
    if hours < i64::from(MIN_RETENTION_HOURS) {
        return Err(ApiError::invalid_argument(format!(
            "Minimum allowed retention period is {MIN_RETENTION_HOURS} hours. Requested retention period \
             ({hours} hours) is too short."
        )));
    }
    if hours > i64::from(MAX_RETENTION_HOURS) {
        return Err(ApiError::invalid_argument(format!(
            "Maximum allowed retention period is {MAX_RETENTION_HOURS} hours. Requested retention period \
             ({hours} hours) is too long."
        )));
    }
    let hours = hours as u32;
    let name = app.resolve_name(input.stream())?;
    app.update_stream(&name, |s| {
        app.require_active(s)?;
        let current = s.retention_hours;
        match dir {
            Direction::Increase if hours < current => Err(ApiError::invalid_argument(format!(
                "Requested retention period ({hours} hours) for stream {name} can not be shorter than \
                 existing retention period ({current} hours). Use DecreaseRetentionPeriod API."
            ))),
            Direction::Decrease if hours > current => Err(ApiError::invalid_argument(format!(
                "Requested retention period ({hours} hours) for stream {name} can not be longer than \
                 existing retention period ({current} hours). Use IncreaseRetentionPeriod API."
            ))),
            _ => {
                s.retention_hours = hours;
                Ok(())
            }
        }
    })
}
