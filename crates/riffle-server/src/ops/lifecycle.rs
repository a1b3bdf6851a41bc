//! Status transitions that happen after a delay, and retention enforcement.
//!
//! AWS moves a stream through CREATING, UPDATING and DELETING asynchronously; clients poll
//! (waiters) until it settles. We reproduce that with short, configurable delays so clients'
//! waiting code is exercised, not skipped.

use crate::state::{App, now_ms};
use std::sync::Arc;
use std::time::Duration;

/// After `delay`, applies `f` to the stream named `name` — if it is still the same stream
/// instance (a deleted and recreated name is left alone).
pub fn after(
    app: &Arc<App>,
    delay: Duration,
    name: String,
    f: impl FnOnce(&mut crate::catalog::Stream) + Send + 'static,
) {
    let uid = app.catalog.read().streams.get(&name).map(|s| s.uid);
    let app = Arc::clone(app);
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        let changed = {
            let mut cat = app.catalog.write();
            match cat.streams.get_mut(&name) {
                Some(s) if Some(s.uid) == uid => {
                    f(s);
                    true
                }
                _ => false,
            }
        };
        if changed && let Err(e) = app.persist() {
            tracing::error!(stream = %name, error = %e, "could not persist a status change");
        }
    });
}

/// After `delay`, removes the stream and lets the log reclaim its data.
pub fn remove_after(app: &Arc<App>, delay: Duration, name: String) {
    let uid = app.catalog.read().streams.get(&name).map(|s| s.uid);
    let app = Arc::clone(app);
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        let removed = {
            let mut cat = app.catalog.write();
            match cat.streams.get(&name) {
                Some(s) if Some(s.uid) == uid => cat.remove(&name),
                _ => None,
            }
        };
        if let Some(s) = removed {
            // Persist first: if we crash after, the log's shards are dropped again at start.
            if let Err(e) = app.persist() {
                tracing::error!(stream = %name, error = %e, "could not persist a deletion");
            }
            for sh in &s.shards {
                app.log.drop_shard(s.shard_key(sh.index));
            }
        }
    });
}

/// Hides records older than each stream's retention and deletes log segments nobody needs.
pub async fn enforce_retention(app: &Arc<App>) {
    let now = now_ms() + app.config.retention_clock_offset_ms;
    let cutoffs: Vec<_> = {
        let cat = app.catalog.read();
        cat.streams
            .values()
            .flat_map(|s| s.shards.iter().map(move |sh| (s.shard_key(sh.index), now - s.retention_ms())))
            .collect()
    };
    // Advancing a trim horizon may read the log to find the first retained record: off the
    // async workers, and without holding the catalog lock.
    let log = app.log.clone();
    let reclaimed = tokio::task::spawn_blocking(move || {
        for (key, cutoff) in cutoffs {
            log.set_retention_cutoff(key, cutoff);
        }
        log.reclaim()
    })
    .await;
    match reclaimed {
        Ok(Ok(0)) => {}
        Ok(Ok(n)) => tracing::info!(segments = n, "reclaimed expired log segments"),
        Ok(Err(e)) => tracing::warn!(error = %e, "reclaiming log segments failed"),
        Err(e) => tracing::warn!(error = %e, "retention task failed"),
    }
}

/// After the configured update delay, returns an UPDATING stream to ACTIVE. The caller sets
/// UPDATING and applies its change at once, in the same catalog update, so a restart (which
/// settles every stream to ACTIVE) never loses a change.
pub fn active_after_update(app: &Arc<App>, name: String) {
    after(app, app.config.update_delay, name, |s| {
        if s.status == crate::catalog::StreamStatus::Updating {
            s.status = crate::catalog::StreamStatus::Active;
        }
    });
}
