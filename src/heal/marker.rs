//! The hidden marker that lets autoheal find its own work again on GitHub.
//!
//! A tracking issue's body starts with `<!-- autoheal:run=ID workflow=... branch=...
//! fingerprint=... -->`; the Copilot comment and "failed again" comments carry their own.
//! GitHub is the source of truth: the console and the headless workflow both read these, so
//! they never heal the same failure twice.

use crate::analysis::baseline;
use crate::triage::RunAnalysis;

/// What a tracking issue's marker records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueMarker {
    pub run_id: u64,
    pub workflow: String,
    pub branch: String,
    pub fingerprint: String,
}

impl IssueMarker {
    pub fn render(&self) -> String {
        format!(
            "<!-- autoheal:run={} workflow={} branch={} fingerprint={} -->",
            self.run_id,
            encode(&self.workflow),
            encode(&self.branch),
            self.fingerprint
        )
    }

    /// Finds the marker in an issue body.
    pub fn parse(body: &str) -> Option<IssueMarker> {
        let start = body.find("<!-- autoheal:run=")?;
        let rest = &body[start + "<!-- autoheal:".len()..];
        let inner = &rest[..rest.find("-->")?];
        let mut marker = IssueMarker {
            run_id: 0,
            workflow: String::new(),
            branch: String::new(),
            fingerprint: String::new(),
        };
        for pair in inner.split_whitespace() {
            let Some((key, value)) = pair.split_once('=') else {
                continue;
            };
            match key {
                "run" => marker.run_id = value.parse().ok()?,
                "workflow" => marker.workflow = decode(value),
                "branch" => marker.branch = decode(value),
                "fingerprint" => marker.fingerprint = value.to_string(),
                _ => {}
            }
        }
        (marker.run_id != 0).then_some(marker)
    }
}

/// The marker on the Copilot comment of a run's tracking issue.
pub fn copilot_comment_marker(run_id: u64) -> String {
    format!("<!-- autoheal:copilot run={run_id} -->")
}

/// The marker on a "failed again" comment.
pub fn failed_again_marker(run_id: u64) -> String {
    format!("<!-- autoheal:again run={run_id} -->")
}

/// Spaces and `-->` cannot appear inside the marker: percent-encode what could break it.
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(h) = value.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(h, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A failure's identity, free of noise: the workflow, the failed jobs, and what was matched
/// (pattern and capture) — or, with no match, the normalised first anchor line. Never run ids,
/// shas, timestamps, temporary paths, durations or line numbers.
pub fn fingerprint(run: &RunAnalysis) -> String {
    fingerprint_of(
        &run.failed.run.path,
        run.jobs.iter().map(|j| (j.job.name.as_str(), &j.analysis)),
    )
}

/// The fingerprint of a workflow's failed jobs, each `(job name, analysis)`.
pub fn fingerprint_of<'a>(
    workflow_path: &str,
    jobs: impl IntoIterator<Item = (&'a str, &'a crate::analysis::LogAnalysis)>,
) -> String {
    let mut parts = vec![workflow_path.to_string()];
    for (job_name, analysis) in jobs {
        // Matrix jobs differ only in their parameters: `test (3.11)` and `test (3.12)` fail alike.
        let name = job_name.split(" (").next().unwrap_or(job_name);
        parts.push(name.to_string());
        match &analysis.primary {
            Some(m) => {
                parts.push(m.pattern.clone());
                if let Some(s) = &m.subject {
                    let mut normalised = String::new();
                    baseline::normalize(s, |c| normalised.push(c));
                    parts.push(normalised);
                }
            }
            None => {
                if let Some(anchor) = analysis.excerpt.iter().find(|l| l.anchor) {
                    let mut normalised = String::new();
                    baseline::normalize(&strip_paths(&anchor.text), |c| normalised.push(c));
                    parts.push(normalised);
                }
            }
        }
    }
    let joined = parts.join("\u{1f}").to_lowercase();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in joined.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Temporary paths (`/tmp/...`, `/home/runner/work/...`) differ between runs: keep the file name.
fn strip_paths(text: &str) -> String {
    text.split_whitespace()
        .map(|w| {
            if w.starts_with('/') || w.contains(":\\") {
                w.rsplit(['/', '\\']).next().unwrap_or(w)
            } else {
                w
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_round_trip_through_an_issue_body() {
        let m = IssueMarker {
            run_id: 123456,
            workflow: "Release nightly --> x".into(),
            branch: "feature/a b".into(),
            fingerprint: "00ff".into(),
        };
        let body = format!("{}\n## CI failed\n", m.render());
        assert!(!m.render()[4..m.render().len() - 3].contains("-->"));
        assert_eq!(IssueMarker::parse(&body), Some(m));
        assert_eq!(IssueMarker::parse("no marker"), None);
        assert_eq!(IssueMarker::parse("<!-- autoheal:run=x -->"), None);
    }

    #[test]
    fn paths_are_reduced_to_file_names() {
        assert_eq!(
            strip_paths("error in /tmp/pytest-of-runner/pytest-3/test_x.py line"),
            "error in test_x.py line"
        );
    }
}
