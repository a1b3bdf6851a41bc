//! The calls behind each `riffle stream` command, and the wait for ACTIVE after a change.

use super::Output;
use super::errors::{Target, explain};
use super::view::{self, Described, ShardView, StreamView};
use aws_sdk_kinesis::types::{ScalingType, StreamMode, StreamModeDetails, StreamStatus};
use serde::Serialize;
use std::time::{Duration, Instant};

/// Changes on AWS take seconds to minutes (a large UpdateShardCount longer); past this a wait
/// gives up and says so rather than hang a script forever.
const WAIT_LIMIT: Duration = Duration::from_secs(30 * 60);

pub struct Ctx {
    pub client: aws_sdk_kinesis::Client,
    pub endpoint: String,
    pub local: bool,
    pub output: Output,
}

impl Ctx {
    fn target<'a>(&'a self, stream: Option<&'a str>) -> Target<'a> {
        Target { endpoint: &self.endpoint, local: self.local, stream }
    }

    fn print<T: Serialize>(&self, value: &T, text: impl FnOnce() -> String) -> anyhow::Result<()> {
        match self.output {
            Output::Json => println!("{}", serde_json::to_string_pretty(value)?),
            Output::Table => println!("{}", text()),
        }
        Ok(())
    }

    async fn summary(&self, name: &str) -> anyhow::Result<StreamView> {
        let out = self
            .client
            .describe_stream_summary()
            .stream_name(name)
            .send()
            .await
            .map_err(|e| explain(e, &self.target(Some(name))))?;
        let summary = out.stream_description_summary().ok_or_else(|| anyhow::anyhow!("no summary in the answer"))?;
        Ok(StreamView::from(summary))
    }

    /// Every shard, open and closed, through ListShards' pages.
    async fn shards(&self, name: &str) -> anyhow::Result<Vec<ShardView>> {
        let mut shards = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let request = match &token {
                Some(t) => self.client.list_shards().next_token(t),
                None => self.client.list_shards().stream_name(name),
            };
            let out = request.send().await.map_err(|e| explain(e, &self.target(Some(name))))?;
            shards.extend(out.shards().iter().map(ShardView::from));
            match out.next_token() {
                Some(t) => token = Some(t.to_string()),
                None => return Ok(shards),
            }
        }
    }

    async fn described(&self, name: &str) -> anyhow::Result<Described> {
        let stream = self.summary(name).await?;
        // A CREATING stream has no shards to list yet.
        let shards = if stream.status == "CREATING" { Vec::new() } else { self.shards(name).await? };
        Ok(Described { stream, shards })
    }

    /// Polls until the stream is ACTIVE (or, with `gone`, no longer exists), backing off from
    /// 50 ms to 1 s so a local server answers at once and AWS's call limits are respected.
    async fn wait(&self, name: &str, gone: bool) -> anyhow::Result<()> {
        let started = Instant::now();
        let mut pause = Duration::from_millis(50);
        loop {
            let out = self.client.describe_stream_summary().stream_name(name).send().await;
            match out {
                Err(e) if gone && e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => {
                    return Ok(());
                }
                Err(e) => return Err(explain(e, &self.target(Some(name)))),
                Ok(o)
                    if !gone
                        && o.stream_description_summary().map(|s| s.stream_status()) == Some(&StreamStatus::Active) =>
                {
                    return Ok(());
                }
                Ok(_) => {}
            }
            anyhow::ensure!(
                started.elapsed() < WAIT_LIMIT,
                "stream '{name}' is still not {} after {} minutes — check it with `riffle stream describe {name}`",
                if gone { "deleted" } else { "ACTIVE" },
                WAIT_LIMIT.as_secs() / 60
            );
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(1));
        }
    }

    pub async fn create(&self, name: &str, shards: Option<i32>, wait: bool) -> anyhow::Result<()> {
        let mut request = self.client.create_stream().stream_name(name);
        request = match shards {
            Some(n) => request.shard_count(n),
            None => {
                request.stream_mode_details(StreamModeDetails::builder().stream_mode(StreamMode::OnDemand).build()?)
            }
        };
        request.send().await.map_err(|e| explain(e, &self.target(Some(name))))?;
        if wait {
            self.wait(name, false).await?;
        }
        let stream = self.summary(name).await?;
        self.print(&stream, || {
            format!("created stream '{name}' ({})\n\n{}", stream.status, view::summary_table(&stream))
        })
    }

    pub async fn list(&self) -> anyhow::Result<()> {
        let mut names = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut request = self.client.list_streams();
            if let Some(t) = &token {
                request = request.next_token(t);
            }
            let out = request.send().await.map_err(|e| explain(e, &self.target(None)))?;
            names.extend(out.stream_names().iter().cloned());
            match out.next_token() {
                Some(t) if out.has_more_streams() => token = Some(t.to_string()),
                _ => break,
            }
        }
        let mut streams = Vec::with_capacity(names.len());
        for name in &names {
            match self.client.describe_stream_summary().stream_name(name).send().await {
                Ok(out) => streams.extend(out.stream_description_summary().map(StreamView::from)),
                // Deleted between the two calls: it is no longer in the list.
                Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => {}
                Err(e) => return Err(explain(e, &self.target(Some(name)))),
            }
        }
        #[derive(Serialize)]
        struct Listed<'a> {
            streams: &'a [StreamView],
        }
        self.print(&Listed { streams: &streams }, || {
            if streams.is_empty() {
                format!("no streams at {} — create one with `riffle stream create NAME`", self.endpoint)
            } else {
                view::list_table(&streams)
            }
        })
    }

    pub async fn describe(&self, name: &str) -> anyhow::Result<()> {
        let d = self.described(name).await?;
        self.print(&d, || view::described_text(&d))
    }

    pub async fn delete(&self, name: &str, enforce_consumer_deletion: bool, wait: bool) -> anyhow::Result<()> {
        self.client
            .delete_stream()
            .stream_name(name)
            .enforce_consumer_deletion(enforce_consumer_deletion)
            .send()
            .await
            .map_err(|e| explain(e, &self.target(Some(name))))?;
        if wait {
            self.wait(name, true).await?;
        }
        let status = if wait { "DELETED" } else { "DELETING" };
        self.print(&serde_json::json!({ "name": name, "status": status }), || {
            format!("stream '{name}' {}", status.to_lowercase())
        })
    }

    pub async fn split(&self, name: &str, shard: &str, at: Option<u128>, wait: bool) -> anyhow::Result<()> {
        let at = match at {
            Some(key) => key,
            None => self.midpoint(name, shard).await?,
        };
        self.client
            .split_shard()
            .stream_name(name)
            .shard_to_split(shard)
            .new_starting_hash_key(at.to_string())
            .send()
            .await
            .map_err(|e| explain(e, &self.target(Some(name))))?;
        self.changed(name, wait, format!("split {shard} at hash key {at}")).await
    }

    /// The first key of the upper half of `shard`'s range.
    async fn midpoint(&self, name: &str, shard: &str) -> anyhow::Result<u128> {
        let shards = self.shards(name).await?;
        let Some(s) = shards.iter().find(|s| s.shard_id == shard) else {
            anyhow::bail!("stream '{name}' has no shard {shard} — see its shards with `riffle stream describe {name}`");
        };
        let (start, end): (u128, u128) = (s.starting_hash_key.parse()?, s.ending_hash_key.parse()?);
        anyhow::ensure!(start < end, "shard {shard} covers a single hash key and cannot be split");
        Ok(start + (end - start) / 2 + 1)
    }

    pub async fn merge(&self, name: &str, shard: &str, adjacent: &str, wait: bool) -> anyhow::Result<()> {
        self.client
            .merge_shards()
            .stream_name(name)
            .shard_to_merge(shard)
            .adjacent_shard_to_merge(adjacent)
            .send()
            .await
            .map_err(|e| explain(e, &self.target(Some(name))))?;
        self.changed(name, wait, format!("merged {shard} and {adjacent}")).await
    }

    pub async fn scale(&self, name: &str, shards: i32, wait: bool) -> anyhow::Result<()> {
        self.client
            .update_shard_count()
            .stream_name(name)
            .target_shard_count(shards)
            .scaling_type(ScalingType::UniformScaling)
            .send()
            .await
            .map_err(|e| explain(e, &self.target(Some(name))))?;
        self.changed(name, wait, format!("scaled to {shards} open shards")).await
    }

    /// After a reshard: the stream as it now is, headed by what was done.
    async fn changed(&self, name: &str, wait: bool, what: String) -> anyhow::Result<()> {
        if wait {
            self.wait(name, false).await?;
        }
        let d = self.described(name).await?;
        self.print(&d, || format!("stream '{name}': {what}\n\n{}", view::described_text(&d)))
    }
}
