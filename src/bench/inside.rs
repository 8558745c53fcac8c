//! What a measured `netrun -o json` child reports from inside: sessions ok and failed, the OS
//! tasks it created, and each host's timeline (for the plot). Read from the child's stdout with
//! the report's own JSON types (`report::JsonRun`), so the reader cannot drift from the writer.

use serde::Serialize;

use crate::report::{JsonHost, JsonRun};
use crate::strategy::ChildUsage;

/// One run as netrun saw it from inside.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Inside {
    /// The worker count netrun used (the request capped at the number of hosts).
    pub workers: usize,
    /// netrun's own wall time, start of the run to the last outcome.
    pub wall_ms: f64,
    pub ok: usize,
    pub failed: usize,
    pub threads_spawned: u64,
    pub processes_forked: u64,
    pub tasks_spawned: u64,
    pub peak_in_flight: u64,
    /// Fork strategy: the workers' max RSS added up, and the largest (KiB).
    pub workers_rss_sum_kib: u64,
    pub workers_rss_max_kib: u64,
    /// Fork strategy: the workers' CPU (user + sys) added up, and the largest (ms).
    pub workers_cpu_sum_ms: f64,
    pub workers_cpu_max_ms: f64,
    /// netrun's own peak RSS as it reported it (VmHWM, KiB): the child alone, never the
    /// descendants wait4 folds into its max RSS; fork workers are in `workers_rss_*`.
    pub peak_rss_kib: Option<u64>,
    /// Per host, for the timeline; not part of the bench's JSON (the plot reads it).
    #[serde(skip)]
    pub timeline: Vec<HostBars>,
}

/// One host's session on the run's time axis, in ms from the run's start.
#[derive(Debug, Clone, PartialEq)]
pub struct HostBars {
    pub name: String,
    pub ok: bool,
    pub start_ms: f64,
    pub connect_ms: f64,
    pub auth_ms: f64,
    /// Each command's (start, duration), ms, on the run's time axis.
    pub commands: Vec<(f64, f64)>,
    /// The whole session, connect to disconnect (more than the phases above: it also holds
    /// set-up commands such as paging off, and closing the session).
    pub total_ms: f64,
    /// Who ran it: thread name, `pid-N` or `task-N`.
    pub worker: String,
}

impl Inside {
    /// Parse a `netrun -o json` document.
    pub fn parse(json: &[u8]) -> Result<Inside, serde_json::Error> {
        let doc = JsonRun::parse(json)?;
        let stats = doc.stats.into_owned();
        let cpu_ms = |u: &ChildUsage| (u.user_us + u.sys_us) as f64 / 1000.0;
        let children = &stats.workers;
        Ok(Inside {
            workers: doc.workers,
            wall_ms: doc.wall_ms,
            ok: doc.ok,
            failed: doc.failed,
            threads_spawned: stats.threads_spawned,
            processes_forked: stats.processes_forked,
            tasks_spawned: stats.tasks_spawned,
            peak_in_flight: stats.peak_in_flight,
            workers_rss_sum_kib: children.iter().map(|w| w.max_rss_kib).sum(),
            workers_rss_max_kib: children.iter().map(|w| w.max_rss_kib).max().unwrap_or(0),
            workers_cpu_sum_ms: children.iter().map(cpu_ms).sum(),
            workers_cpu_max_ms: children.iter().map(cpu_ms).fold(0.0, f64::max),
            peak_rss_kib: doc.peak_rss_kib,
            timeline: doc.hosts.into_iter().map(HostBars::from).collect(),
        })
    }

    pub fn sessions(&self) -> usize {
        self.ok + self.failed
    }

    /// All the memory netrun itself held: its own peak plus, for fork, each worker's peak (an
    /// upper bound: pages a worker shares copy-on-write with the parent count in both).
    pub fn netrun_rss_kib(&self) -> Option<u64> {
        Some(self.peak_rss_kib? + self.workers_rss_sum_kib)
    }
}

impl From<JsonHost<'_>> for HostBars {
    fn from(h: JsonHost<'_>) -> HostBars {
        HostBars {
            name: h.name.into_owned(),
            ok: h.ok,
            start_ms: h.start_ms,
            connect_ms: h.connect_ms,
            auth_ms: h.auth_ms,
            commands: h
                .commands
                .iter()
                .map(|c| (c.start_ms, c.duration_ms))
                .collect(),
            total_ms: h.total_ms,
            worker: h.worker.label(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{
      "strategy": "fork", "workers": 2, "wall_ms": 12.5, "ok": 1, "failed": 1,
      "hosts": [
        {"name": "R1", "host": "127.0.0.1", "port": 1, "ok": true, "error": null, "prompt": "R1#",
         "commands": [{"command": "show clock", "ok": true, "start_ms": 2.5, "duration_ms": 1.5, "output": "x"}],
         "start_ms": 0.5, "connect_ms": 0.25, "auth_ms": 3.0, "total_ms": 5.0,
         "worker": {"thread": "main", "pid": 41, "task": null, "forked": true}},
        {"name": "R2", "host": "127.0.0.1", "port": 2, "ok": false,
         "error": {"kind": "auth", "message": "denied"}, "prompt": "",
         "commands": [], "start_ms": 0.6, "connect_ms": 0.2, "auth_ms": 1.0, "total_ms": 1.2,
         "worker": {"thread": "main", "pid": 42, "task": null, "forked": true}}
      ],
      "stats": {"threads_spawned": 0, "processes_forked": 2, "tasks_spawned": 0,
                "peak_in_flight": 2,
                "workers": [{"pid": 41, "user_us": 1000, "sys_us": 500, "max_rss_kib": 3000},
                            {"pid": 42, "user_us": 2000, "sys_us": 0, "max_rss_kib": 4000}]},
      "peak_rss_kib": 5000
    }"#;

    #[test]
    fn reads_sessions_tasks_and_fork_workers() {
        let inside = Inside::parse(DOC.as_bytes()).unwrap();
        assert_eq!((inside.ok, inside.failed, inside.sessions()), (1, 1, 2));
        assert_eq!(inside.processes_forked, 2);
        assert_eq!(inside.workers_rss_sum_kib, 7000);
        assert_eq!(inside.workers_rss_max_kib, 4000);
        assert_eq!(inside.workers_cpu_sum_ms, 3.5);
        assert_eq!(inside.workers_cpu_max_ms, 2.0);
        assert_eq!(inside.peak_rss_kib, Some(5000));
        assert_eq!(inside.netrun_rss_kib(), Some(12000));
    }

    #[test]
    fn a_report_without_its_own_peak_rss_still_reads() {
        let older = DOC.replace(",\n      \"peak_rss_kib\": 5000", "");
        assert!(!older.contains("peak_rss_kib"));
        let inside = Inside::parse(older.as_bytes()).unwrap();
        assert_eq!(inside.peak_rss_kib, None);
        assert_eq!(inside.netrun_rss_kib(), None);
    }

    #[test]
    fn keeps_each_hosts_bars_and_worker() {
        let inside = Inside::parse(DOC.as_bytes()).unwrap();
        assert_eq!(inside.timeline.len(), 2);
        assert_eq!(inside.timeline[0].commands, vec![(2.5, 1.5)]);
        assert_eq!(inside.timeline[0].worker, "pid-41");
        assert!(!inside.timeline[1].ok);
    }

    #[test]
    fn rejects_what_is_not_netrun_json() {
        assert!(Inside::parse(b"R1#show clock\n").is_err());
    }
}
