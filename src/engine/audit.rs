//! The audit log: every write to GitHub, one JSON line each, appended in the data directory
//! (`audit.jsonl`). Targets are numbers, names and URLs; tokens never appear (and anything
//! that looks like one is masked all the same).

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::Utc;
use serde::Serialize;

use crate::text::redact;

#[derive(Debug, Clone)]
pub struct AuditLog {
    path: Option<PathBuf>,
}

#[derive(Serialize)]
struct Entry<'a> {
    time: String,
    repository: &'a str,
    action: &'a str,
    target: &'a str,
    result: &'a str,
}

impl AuditLog {
    /// The log in `dir` (created if needed).
    pub fn in_dir(dir: &Path) -> AuditLog {
        AuditLog {
            path: Some(dir.join("audit.jsonl")),
        }
    }

    /// A log that records nothing (dry runs).
    pub fn disabled() -> AuditLog {
        AuditLog { path: None }
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Appends one entry. A failure to write the audit log is reported, never fatal: the
    /// write to GitHub already happened.
    pub fn record(&self, repository: &str, action: &str, target: &str, result: &str) {
        let Some(path) = &self.path else { return };
        let target = redact::redact(target, &[]);
        let result = redact::redact(result, &[]);
        let entry = Entry {
            time: Utc::now().to_rfc3339(),
            repository,
            action,
            target: &target,
            result: &result,
        };
        let Ok(mut line) = serde_json::to_string(&entry) else {
            return;
        };
        line.push('\n');
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| {
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
            })
            .and_then(|mut f| f.write_all(line.as_bytes()));
        if let Err(e) = written {
            tracing::warn!(error = %e, path = %path.display(), "cannot write the audit log");
        }
    }
}
