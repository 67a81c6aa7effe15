//! The hidden marker that lets autoheal find its own work again on GitHub.
//!
//! A tracking issue's body starts with `<!-- autoheal:run=ID workflow=... branch=...
//! fingerprint=... -->`; the Copilot comment and "failed again" comments carry their own.
//! GitHub is the source of truth: the console and the headless workflow both read these, so
//! they never heal the same failure twice.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

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

/// What a marker value keeps as it is; spaces and `-->` could break the marker.
const MARKER_SAFE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'/');

fn encode(value: &str) -> String {
    utf8_percent_encode(value, MARKER_SAFE).to_string()
}

fn decode(value: &str) -> String {
    percent_decode_str(value).decode_utf8_lossy().into_owned()
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
}
