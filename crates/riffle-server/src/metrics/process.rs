//! The process metrics every Prometheus client library exports (`process_cpu_seconds_total`,
//! `process_resident_memory_bytes`, ...), read from `/proc/self` at scrape time. Linux only:
//! elsewhere the section is simply empty. Read by hand rather than through a crate: a few
//! small files, and no dependency to keep in step.

use super::text::{Family, Kind};
use std::fs;

/// Linux's `USER_HZ`, the unit of `/proc`'s CPU times: 100 on every architecture Linux runs
/// user space on (the kernel converts from its internal HZ).
const USER_HZ: f64 = 100.0;

/// Appends the process metrics to `out`, skipping any `/proc` does not answer.
pub fn render_process_metrics(out: &mut String) {
    let stat = fs::read_to_string("/proc/self/stat").ok();
    // Fields after the command name, which is parenthesized and may hold spaces: the first is
    // field 3 (`state`) of proc(5).
    let fields: Vec<&str> = stat
        .as_deref()
        .and_then(|s| s.rsplit_once(')'))
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let field = |n: usize| fields.get(n - 3).and_then(|v| v.parse::<f64>().ok());
    let mut gauge = |name, help, value: Option<f64>, kind| {
        if let Some(v) = value {
            Family::new(out, name, kind, help).sample(&[], v);
        }
    };
    let cpu = field(14).zip(field(15)).map(|(u, s)| (u + s) / USER_HZ);
    gauge("process_cpu_seconds_total", "User and system CPU time spent, in seconds", cpu, Kind::Counter);
    gauge("process_resident_memory_bytes", "Resident memory size in bytes", resident_bytes(), Kind::Gauge);
    gauge("process_virtual_memory_bytes", "Virtual memory size in bytes", field(23), Kind::Gauge);
    gauge("process_threads", "Threads in the process", field(20), Kind::Gauge);
    let open = fs::read_dir("/proc/self/fd").ok().map(|d| d.count() as f64);
    gauge("process_open_fds", "Open file descriptors", open, Kind::Gauge);
    gauge("process_max_fds", "Limit on open file descriptors", max_fds(), Kind::Gauge);
    let start = field(22).zip(boot_time()).map(|(ticks, boot)| boot + ticks / USER_HZ);
    gauge(
        "process_start_time_seconds",
        "Start time of the process since the Unix epoch, in seconds",
        start,
        Kind::Gauge,
    );
}

/// `VmRSS` of `/proc/self/status`, which is in KiB (no page size to look up).
fn resident_bytes() -> Option<f64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024.0)
}

/// The soft limit of `Max open files`.
fn max_fds() -> Option<f64> {
    let limits = fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..].split_whitespace().next()?.parse().ok()
}

/// `btime` of `/proc/stat`: when the system booted, in seconds since the epoch.
fn boot_time() -> Option<f64> {
    let stat = fs::read_to_string("/proc/stat").ok()?;
    stat.lines().find_map(|l| l.strip_prefix("btime "))?.trim().parse().ok()
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[test]
    fn reads_this_process() {
        let mut out = String::new();
        super::render_process_metrics(&mut out);
        let value = |name: &str| -> f64 {
            let line = out.lines().find(|l| l.starts_with(&format!("{name} "))).unwrap_or_else(|| panic!("{out}"));
            line.rsplit(' ').next().unwrap().parse().unwrap()
        };
        assert!(value("process_resident_memory_bytes") > 1e6);
        assert!(value("process_threads") >= 1.0);
        assert!(value("process_open_fds") >= 3.0);
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64();
        let start = value("process_start_time_seconds");
        assert!(start <= now + 1.0 && start > now - 86_400.0 * 365.0, "{start}");
        value("process_cpu_seconds_total");
        value("process_max_fds");
    }
}
