//! One log line: its prefix (timestamp, or job and step in `gh run view --log` output), its
//! GitHub marker (`##[error]`, `##[group]`, ...), and its text.
//!
//! Three formats are read: the raw job log GitHub serves (`2025-01-01T00:00:00.0000000Z text`),
//! the `gh run view --log` format (`job<TAB>step<TAB>timestamp text`), and plain logs from
//! other CI systems (no prefix at all).

/// How a log's lines are prefixed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// GitHub's raw job log: every line starts with an ISO timestamp.
    RawGithub,
    /// `gh run view --log`: `job<TAB>step<TAB>timestamp text`.
    GhRunView,
    /// Any other CI's log.
    #[default]
    Plain,
}

/// What GitHub's runner marks a line as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// `##[group]title`: a step's output starts with `##[group]Run ...`.
    Group,
    EndGroup,
    Error,
    Warning,
    Notice,
    Debug,
    /// `[command]/usr/bin/git ...`: a command the runner executed.
    Command,
    None,
}

/// A line split into its parts. Borrowed from the raw bytes; nothing is copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prefixed<'a> {
    pub timestamp: Option<&'a str>,
    /// Job and step names, in the `gh run view --log` format.
    pub job: Option<&'a [u8]>,
    pub step: Option<&'a [u8]>,
    /// The rest of the line, with its marker still in place.
    pub body: &'a [u8],
}

/// `YYYY-MM-DDTHH:MM:SS` then optional fraction, then `Z`, then one space.
fn timestamp_len(line: &[u8]) -> Option<usize> {
    let b = line;
    if b.len() < 21 {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if !(digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19))
    {
        return None;
    }
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    if b.get(i) != Some(&b'Z') {
        return None;
    }
    i += 1;
    match b.get(i) {
        Some(b' ') => Some(i + 1),
        None => Some(i),
        _ => None,
    }
}

/// Splits a line's prefix off, per format. A line that lacks the expected prefix (a wrapped
/// line, a progress update) is all body.
pub fn split_prefix(line: &[u8], format: LogFormat) -> Prefixed<'_> {
    let line = line.strip_prefix(b"\xef\xbb\xbf").unwrap_or(line);
    let plain = Prefixed {
        timestamp: None,
        job: None,
        step: None,
        body: line,
    };
    match format {
        LogFormat::Plain => plain,
        LogFormat::RawGithub => match timestamp_len(line) {
            Some(n) => Prefixed {
                timestamp: std::str::from_utf8(line[..n].trim_ascii_end()).ok(),
                body: &line[n..],
                ..plain
            },
            None => plain,
        },
        LogFormat::GhRunView => {
            let mut parts = line.splitn(3, |&b| b == b'\t');
            let (Some(job), Some(step), Some(rest)) = (parts.next(), parts.next(), parts.next())
            else {
                return plain;
            };
            let rest = rest.strip_prefix(b"\xef\xbb\xbf").unwrap_or(rest);
            let (timestamp, body) = match timestamp_len(rest) {
                Some(n) => (
                    std::str::from_utf8(rest[..n].trim_ascii_end()).ok(),
                    &rest[n..],
                ),
                None => (None, rest),
            };
            Prefixed {
                timestamp,
                job: Some(job),
                step: Some(step),
                body,
            }
        }
    }
}

/// Guesses the format from the first lines that say anything.
pub fn detect_format(head: &[u8]) -> LogFormat {
    let mut raw = 0;
    let mut gh = 0;
    let mut seen = 0;
    for line in head.split(|&b| b == b'\n').take(50) {
        let line = line.strip_prefix(b"\xef\xbb\xbf").unwrap_or(line);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        seen += 1;
        if timestamp_len(line).is_some() {
            raw += 1;
        } else {
            let mut parts = line.splitn(3, |&b| b == b'\t');
            if let (Some(_), Some(_), Some(rest)) = (parts.next(), parts.next(), parts.next()) {
                let rest = rest.strip_prefix(b"\xef\xbb\xbf").unwrap_or(rest);
                if timestamp_len(rest).is_some() {
                    gh += 1;
                }
            }
        }
    }
    if seen == 0 {
        LogFormat::Plain
    } else if gh * 2 >= seen {
        LogFormat::GhRunView
    } else if raw * 2 >= seen {
        LogFormat::RawGithub
    } else {
        LogFormat::Plain
    }
}

/// The runner's marker at the start of a (prefix-free) body, and the text after it.
pub fn marker(body: &str) -> (Marker, &str) {
    if let Some(rest) = body.strip_prefix("##[") {
        for (tag, m) in [
            ("group]", Marker::Group),
            ("endgroup]", Marker::EndGroup),
            ("error]", Marker::Error),
            ("warning]", Marker::Warning),
            ("notice]", Marker::Notice),
            ("debug]", Marker::Debug),
        ] {
            if let Some(text) = rest.strip_prefix(tag) {
                return (m, text);
            }
        }
    }
    if let Some(text) = body.strip_prefix("[command]") {
        return (Marker::Command, text);
    }
    (Marker::None, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_github_lines_split_at_the_timestamp() {
        let p = split_prefix(
            b"2025-11-20T10:15:32.1234567Z ##[error]boom",
            LogFormat::RawGithub,
        );
        assert_eq!(p.timestamp, Some("2025-11-20T10:15:32.1234567Z"));
        assert_eq!(p.body, b"##[error]boom");
        let bom = split_prefix(
            b"\xef\xbb\xbf2025-11-20T10:15:32.1234567Z x",
            LogFormat::RawGithub,
        );
        assert_eq!(bom.body, b"x");
    }

    #[test]
    fn lines_without_a_timestamp_are_all_body() {
        let p = split_prefix(b"  continuation", LogFormat::RawGithub);
        assert_eq!(p.timestamp, None);
        assert_eq!(p.body, b"  continuation");
    }

    #[test]
    fn gh_run_view_lines_carry_job_and_step() {
        let p = split_prefix(
            b"build\tRun tests\t2021-12-01T13:01:04.3807878Z FAILED",
            LogFormat::GhRunView,
        );
        assert_eq!(p.job, Some(&b"build"[..]));
        assert_eq!(p.step, Some(&b"Run tests"[..]));
        assert_eq!(p.body, b"FAILED");
    }

    #[test]
    fn formats_are_detected() {
        assert_eq!(
            detect_format(b"2025-11-20T10:15:32.1234567Z a\n2025-11-20T10:15:33.1234567Z b\n"),
            LogFormat::RawGithub
        );
        assert_eq!(
            detect_format(
                b"j\ts\t2025-11-20T10:15:32.1234567Z a\nj\ts\t2025-11-20T10:15:32.1Z b\n"
            ),
            LogFormat::GhRunView
        );
        assert_eq!(
            detect_format(b"Started by user\n[INFO] Building\n"),
            LogFormat::Plain
        );
        assert_eq!(detect_format(b""), LogFormat::Plain);
    }

    #[test]
    fn markers_are_recognised() {
        assert_eq!(marker("##[error]boom"), (Marker::Error, "boom"));
        assert_eq!(marker("##[group]Run pytest"), (Marker::Group, "Run pytest"));
        assert_eq!(
            marker("[command]/usr/bin/git"),
            (Marker::Command, "/usr/bin/git")
        );
        assert_eq!(marker("plain"), (Marker::None, "plain"));
    }
}
