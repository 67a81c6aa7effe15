//! Where a job failed: the line where the CI says a command failed, and where that command
//! started. Every CI says both, each in its own words; the lines between them are the
//! failure region, and the cause of the failure is almost always inside it.
//!
//! - A **terminal** line is the CI's own word that a command failed and the job is over (or
//!   failing): GitHub's `##[error]Process completed with exit code 2.`, Travis's `The
//!   command "make test" exited with 2.`, Jenkins' `ERROR: script returned exit code 1`,
//!   GitLab's `ERROR: Job failed: exit code 1`, a job cancelled for its time limit.
//! - A **section start** is where the CI says it runs a command: GitHub's
//!   `##[group]Run cargo test`, the `$ make test` that Travis and GitLab echo.
//!
//! Pure functions over one line's clean text (prefix, runner marker and escapes removed).

use std::sync::LazyLock;

use regex::Regex;

use super::line::Marker;

/// A line on which the CI says a command failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terminal {
    /// 1-based line number.
    pub line: usize,
    /// The failed command, when the CI names it (Travis does).
    pub command: Option<String>,
    /// The job was stopped for its time limit or for silence, not by a failed command.
    pub timed_out: bool,
}

/// A line on which the CI says it starts a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionStart {
    pub line: usize,
    /// The command or step title, as the CI shows it.
    pub title: String,
    /// The line's text (`Run cargo test`, `$ make test`).
    pub text: String,
}

/// The failure region: from the start of the failed command to the CI's word that it failed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Region {
    /// First line of the region (the section start, or 1).
    pub start: usize,
    /// Last line of the region: the terminal line, or the last line of the log.
    pub end: usize,
    /// The terminal line, when the CI said where the job failed.
    pub terminal: Option<usize>,
    /// The section start's line, when there was one.
    pub header: Option<usize>,
    /// What ran: the section's title or the terminal's command.
    pub command: Option<String>,
    pub timed_out: bool,
    /// Commands that failed after the first (Travis runs every command of its script): each
    /// from the line after the previous failure to its own failure line.
    #[serde(skip)]
    pub later: Vec<(usize, usize)>,
}

impl Region {
    pub fn contains(&self, line: usize) -> bool {
        (self.start..=self.end).contains(&line)
    }
}

static TRAVIS_EXIT: LazyLock<Regex> = LazyLock::new(|| {
    // A command with a line break in it ends its quote on a line of its own: `" exited with 1.`
    Regex::new(r#"^(?:The command "(.*))?" (?:failed and )?exited with ([0-9]+)"#)
        .expect("a built-in shape is valid (tested)")
});

static SCRIPT_EXIT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:ERROR: script returned exit code [1-9]|ERROR: Job failed: (?:exit code [1-9]|execution took longer)|Finished: (?:FAILURE|ABORTED)|Exited with code (?:exit status )?[1-9]|🚨 Error: The command exited with status [1-9])",
    )
    .expect("a built-in shape is valid (tested)")
});

/// Azure Pipelines' task failure (`##[error]Bash exited with code '1'.`), only as a marker.
static TASK_EXIT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\S+ exited with code '?[1-9][0-9]*'?\.?$")
        .expect("a built-in shape is valid (tested)")
});

static TIME_LIMIT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:The job running on runner .* has exceeded the maximum execution time|The job has exceeded the maximum execution time|No output has been received in the last [0-9]+m|The job exceeded the maximum time limit for jobs)",
    )
    .expect("a built-in shape is valid (tested)")
});

/// Is this line the CI's word that a command failed?
pub fn terminal(marker: Marker, text: &str, line: usize) -> Option<Terminal> {
    let text = text.trim();
    let failed = |command: Option<String>, timed_out: bool| {
        Some(Terminal {
            line,
            command,
            timed_out,
        })
    };
    let timed_out = TIME_LIMIT.is_match(text);
    if marker == Marker::Error {
        // GitHub's and Azure's own lines are always marked as errors.
        if let Some(code) = text.strip_prefix("Process completed with exit code ") {
            return if code.trim_end_matches('.') == "0" {
                None
            } else {
                failed(None, false)
            };
        }
        if timed_out
            || text.starts_with("The operation was canceled")
            || SCRIPT_EXIT.is_match(text)
            || TASK_EXIT.is_match(text)
        {
            return failed(None, timed_out);
        }
        return None;
    }
    if let Some(c) = TRAVIS_EXIT.captures(text) {
        return if &c[2] == "0" {
            None
        } else {
            failed(c.get(1).map(|m| m.as_str().to_string()), false)
        };
    }
    if timed_out || SCRIPT_EXIT.is_match(text) {
        return failed(None, timed_out);
    }
    None
}

/// Is this line the CI starting a command?
pub fn section_start(marker: Marker, text: &str, line: usize) -> Option<SectionStart> {
    if marker == Marker::Group {
        return text.strip_prefix("Run ").map(|t| SectionStart {
            line,
            title: t.trim().to_string(),
            text: text.trim_end().to_string(),
        });
    }
    // Travis and GitLab echo each command of the script with a `$ ` in front.
    let command = text.strip_prefix("$ ")?.trim();
    (!command.is_empty()).then(|| SectionStart {
        line,
        title: command.to_string(),
        text: text.trim_end().to_string(),
    })
}

/// Shapes the fast line filter must let through so that these lines are seen.
pub const FILTER_SOURCES: &[&str] = &[
    r#"" (?:failed and )?exited with"#,
    r"script returned exit code|Job failed: |Finished: (?:FAILURE|ABORTED)|Exited with code|exited with (?:code|status)",
    r"exceeded the maximum (?:execution )?time|No output has been received in the last|maximum time limit for jobs",
    r"(?m)^(?:\x1b\[[0-9;]*[A-Za-z]|\r)*\$ ",
];

/// The failure region, from the terminal lines and section starts the scan saw (both in line
/// order). The first terminal line is where the job started failing; without one, the region
/// is the end of the log.
pub fn locate(terminals: &[Terminal], sections: &[SectionStart], total_lines: usize) -> Region {
    let first = terminals.first();
    let end = first.map_or(total_lines, |t| t.line);
    let header = sections.iter().rev().find(|s| s.line < end);
    Region {
        start: header.map_or(1, |h| h.line),
        end: end.max(1),
        terminal: first.map(|t| t.line),
        header: header.map(|h| h.line),
        command: first
            .and_then(|t| t.command.clone())
            .or_else(|| header.map(|h| h.title.clone())),
        timed_out: first.is_some_and(|t| t.timed_out),
        later: terminals
            .windows(2)
            .map(|pair| (pair[0].line + 1, pair[1].line))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_ci_says_where_a_command_failed() {
        let t = terminal(Marker::Error, "Process completed with exit code 2.", 9).unwrap();
        assert_eq!((t.line, t.timed_out), (9, false));
        assert!(terminal(Marker::Error, "Process completed with exit code 0.", 9).is_none());
        let travis = terminal(Marker::None, "The command \"make test\" exited with 2.", 5).unwrap();
        let split = terminal(Marker::None, "\" exited with 1.", 6).unwrap();
        assert_eq!((split.line, split.command), (6, None));
        assert_eq!(travis.command.as_deref(), Some("make test"));
        assert!(terminal(Marker::None, "The command \"make\" exited with 0.", 5).is_none());
        for text in [
            "ERROR: script returned exit code 1",
            "ERROR: Job failed: exit code 1",
            "Finished: FAILURE",
            "Exited with code exit status 2",
        ] {
            assert!(terminal(Marker::None, text, 1).is_some(), "{text}");
        }
        let slow = terminal(
            Marker::Error,
            "The job running on runner GitHub Actions 3 has exceeded the maximum execution time of 360 minutes.",
            4,
        )
        .unwrap();
        assert!(slow.timed_out);
        assert!(
            terminal(
                Marker::None,
                "No output has been received in the last 10m0s, this potentially indicates a stalled build",
                4
            )
            .unwrap()
            .timed_out
        );
        for text in [
            "Collecting pytest-timeout",
            "error: could not compile `shop`",
            "Finished: SUCCESS",
        ] {
            assert!(terminal(Marker::None, text, 1).is_none(), "{text}");
        }
    }

    #[test]
    fn commands_start_sections() {
        assert_eq!(
            section_start(Marker::Group, "Run cargo test --locked", 3)
                .unwrap()
                .title,
            "cargo test --locked"
        );
        assert!(section_start(Marker::Group, "Operating System", 3).is_none());
        assert_eq!(
            section_start(Marker::None, "$ bundle exec rspec", 3)
                .unwrap()
                .title,
            "bundle exec rspec"
        );
        assert!(section_start(Marker::None, "costs $ 5", 3).is_none());
    }

    #[test]
    fn the_region_runs_from_the_failed_command_to_its_end() {
        let sections = vec![
            SectionStart {
                line: 10,
                title: "npm ci".into(),
                text: String::new(),
            },
            SectionStart {
                line: 50,
                title: "npm test".into(),
                text: String::new(),
            },
            SectionStart {
                line: 120,
                title: "npm run lint".into(),
                text: String::new(),
            },
        ];
        let terminals = vec![
            Terminal {
                line: 100,
                command: Some("npm test".into()),
                timed_out: false,
            },
            Terminal {
                line: 150,
                command: Some("npm run lint".into()),
                timed_out: false,
            },
        ];
        let r = locate(&terminals, &sections, 200);
        assert_eq!((r.start, r.end, r.terminal), (50, 100, Some(100)));
        assert_eq!(r.later, vec![(101, 150)]);
        assert_eq!(r.command.as_deref(), Some("npm test"));
        let open = locate(&[], &sections, 200);
        assert_eq!((open.start, open.end, open.terminal), (120, 200, None));
        let bare = locate(&[], &[], 0);
        assert_eq!((bare.start, bare.end), (1, 1));
    }
}
