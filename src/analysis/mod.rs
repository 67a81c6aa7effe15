//! Failure analysis: a failed job's log in, what a person needs in five seconds out.
//!
//! Pure code, no I/O beyond the reader it is handed: bytes in, structs out. The pipeline is
//! `scanner` (one fast pass: candidate lines, pattern matches, steps) → `excerpt` (the lines
//! that explain the failure) → `verdict` (category, safety, policy, recommendation).
//! `redact` masks secrets in anything that leaves the machine; `sanitize` makes log text
//! harmless to a terminal. Nothing here may write to a terminal or the network.

pub mod baseline;
pub mod catalog;
pub mod evidence;
pub mod excerpt;
pub mod line;
pub mod redact;
pub mod sanitize;
pub mod scanner;
pub mod verdict;

use std::io::Read;

use regex::bytes::Regex as BytesRegex;
use serde::Serialize;

pub use baseline::Baseline;
pub use catalog::{Catalog, PatternMatch, Recommendation};
pub use excerpt::{ExcerptLine, ExcerptOptions};
pub use line::LogFormat;
pub use scanner::StepSpan;
pub use verdict::{RunFacts, Verdict};

use crate::config::FailurePattern;

/// A pattern match, as reports show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatchReport {
    pub pattern: String,
    pub category: String,
    pub suggestion: String,
    /// 1-based line number in the log.
    pub line: usize,
    pub subject: Option<String>,
    pub recommendation: Recommendation,
    pub source: catalog::PatternSource,
    pub step: Option<String>,
    /// The matched line's clean text.
    pub text: String,
    /// Byte range of the match within `text`.
    #[serde(skip)]
    pub span: (usize, usize),
    #[serde(skip)]
    pub priority: usize,
}

/// Everything learned from one job's log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogAnalysis {
    pub format: LogFormat,
    pub total_lines: usize,
    /// The step that failed (from the jobs API, or where the last `##[error]` was).
    pub failed_step: Option<String>,
    pub excerpt: Vec<ExcerptLine>,
    pub matches: Vec<MatchReport>,
    /// Matches found, including any beyond the listed ones.
    pub matches_total: usize,
    /// The primary match's category, or `unknown`.
    pub category: String,
    /// No match of an unsafe category (security, auth, credentials, ...) in the failed step.
    pub safe_to_heal: bool,
    /// The match that best explains the failure.
    pub primary: Option<MatchReport>,
    /// Lines longer than the scanner looks at, cut.
    pub long_lines_cut: usize,
}

/// What the analysis knows about the job besides its log.
#[derive(Debug, Clone, Default)]
pub struct JobContext<'a> {
    pub steps: &'a [StepSpan],
    pub baseline: Option<&'a Baseline>,
}

/// The catalog and filter, compiled once, reused for every log.
#[derive(Debug, Clone)]
pub struct Analyzer {
    catalog: Catalog,
    filter: BytesRegex,
    pub options: ExcerptOptions,
}

impl Analyzer {
    /// The built-in catalog plus the repository's own patterns (which come first).
    pub fn new(repository_patterns: &[FailurePattern]) -> Result<Analyzer, String> {
        let catalog = Catalog::with_repository_patterns(repository_patterns)?;
        let filter = scanner::build_filter(&catalog)?;
        Ok(Analyzer {
            catalog,
            filter,
            options: ExcerptOptions::default(),
        })
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Analyses an in-memory log.
    pub fn analyze_bytes(&self, log: &[u8], ctx: &JobContext<'_>) -> LogAnalysis {
        self.analyze(log, ctx)
            .unwrap_or_else(|_| unreachable!("reading from memory cannot fail"))
    }

    /// Analyses a log from a reader, streaming, in memory that does not grow with the log.
    pub fn analyze(&self, log: impl Read, ctx: &JobContext<'_>) -> std::io::Result<LogAnalysis> {
        let scanner = scanner::Scanner::new(
            &self.catalog,
            &self.filter,
            ctx.baseline,
            ctx.steps,
            self.options.before,
            self.options.after,
        );
        let scan = scanner.scan(log)?;
        let failed_step = ctx
            .steps
            .iter()
            .find(|s| s.failed)
            .map(|s| s.name.clone())
            .or_else(|| scan.last_error_step.clone());
        let excerpt = excerpt::select(
            &scan.candidates,
            failed_step.as_deref(),
            scan.total_lines,
            &self.options,
        );
        let text_of = |line: usize| {
            scan.candidates
                .iter()
                .find(|c| c.line == line)
                .map(|c| c.text.clone())
                .unwrap_or_default()
        };
        let matches: Vec<MatchReport> = scan
            .matches
            .iter()
            .map(|m| MatchReport {
                pattern: m.found.pattern.clone(),
                category: m.found.category.clone(),
                suggestion: m.found.suggestion.clone(),
                line: m.line,
                subject: m.found.subject.clone(),
                recommendation: m.found.recommendation,
                source: m.found.source,
                step: m.step.clone(),
                text: text_of(m.line),
                span: m.found.span,
                priority: m.found.priority,
            })
            .collect();
        let relevant =
            |m: &&MatchReport| failed_step.is_none() || m.step.is_none() || m.step == failed_step;
        let is_unsafe = |m: &MatchReport| {
            m.recommendation == Recommendation::ManualReview
                || self
                    .catalog
                    .category(&m.category)
                    .is_some_and(|c| !c.safe_to_heal && m.recommendation != Recommendation::Rerun)
        };
        // What decides safety comes first, then the repository's own patterns, then the
        // catalog's order, then the latest line.
        let primary = matches
            .iter()
            .filter(relevant)
            .min_by_key(|m| {
                (
                    !is_unsafe(m),
                    m.source != catalog::PatternSource::Repository,
                    m.priority,
                    std::cmp::Reverse(m.line),
                )
            })
            .or_else(|| {
                matches
                    .iter()
                    .min_by_key(|m| (m.priority, std::cmp::Reverse(m.line)))
            })
            .cloned();
        let category = primary
            .as_ref()
            .map_or_else(|| "unknown".to_string(), |m| m.category.clone());
        let safe_to_heal = matches.iter().filter(relevant).all(|m| {
            self.catalog
                .category(&m.category)
                .is_none_or(|c| c.safe_to_heal)
                || m.recommendation == Recommendation::Rerun
        }) && self
            .catalog
            .category(&category)
            .is_none_or(|c| c.safe_to_heal);
        Ok(LogAnalysis {
            format: scan.format,
            total_lines: scan.total_lines,
            failed_step,
            excerpt,
            matches,
            matches_total: scan.matches_total,
            category,
            safe_to_heal,
            primary,
            long_lines_cut: scan.long_lines_cut,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analyzer() -> Analyzer {
        Analyzer::new(&[]).unwrap()
    }

    const MISSING_MODULE: &str = "\
2025-11-20T10:00:00.0000000Z Current runner version: '2.321.0'
2025-11-20T10:00:01.0000000Z ##[group]Run pip install -r requirements.txt
2025-11-20T10:00:02.0000000Z Successfully installed pytest-8.3.3
2025-11-20T10:00:03.0000000Z ##[endgroup]
2025-11-20T10:00:04.0000000Z ##[group]Run pytest
2025-11-20T10:00:04.1000000Z ##[endgroup]
2025-11-20T10:00:05.0000000Z ImportError while importing test module '/home/runner/work/shop/tests/test_fetch.py'.
2025-11-20T10:00:05.1000000Z E   ModuleNotFoundError: No module named 'requests'
2025-11-20T10:00:05.2000000Z =========================== short test summary info ============================
2025-11-20T10:00:05.3000000Z ERROR tests/test_fetch.py
2025-11-20T10:00:05.4000000Z ##[error]Process completed with exit code 2.
2025-11-20T10:00:06.0000000Z Post job cleanup.
2025-11-20T10:00:07.0000000Z Cleaning up orphan processes
";

    #[test]
    fn a_missing_module_is_found_explained_and_excerpted() {
        let a = analyzer().analyze_bytes(MISSING_MODULE.as_bytes(), &JobContext::default());
        assert_eq!(a.format, LogFormat::RawGithub);
        assert_eq!(a.total_lines, 13);
        assert_eq!(a.category, "dependency");
        assert!(a.safe_to_heal);
        let primary = a.primary.unwrap();
        assert_eq!(primary.line, 8);
        assert_eq!(primary.subject.as_deref(), Some("requests"));
        assert_eq!(a.failed_step.as_deref(), Some("Run pytest"));
        let lines: Vec<usize> = a.excerpt.iter().map(|l| l.line).collect();
        assert!(lines.contains(&8), "{lines:?}");
        let line8 = a.excerpt.iter().find(|l| l.line == 8).unwrap();
        assert_eq!(
            line8.text,
            "E   ModuleNotFoundError: No module named 'requests'"
        );
    }

    #[test]
    fn step_times_attribute_lines_to_steps() {
        let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc();
        let steps = vec![
            StepSpan {
                name: "Install".into(),
                started_at: Some(at("2025-11-20T10:00:01Z")),
                completed_at: Some(at("2025-11-20T10:00:04Z")),
                failed: false,
            },
            StepSpan {
                name: "Test".into(),
                started_at: Some(at("2025-11-20T10:00:04Z")),
                completed_at: Some(at("2025-11-20T10:00:06Z")),
                failed: true,
            },
        ];
        let a = analyzer().analyze_bytes(
            MISSING_MODULE.as_bytes(),
            &JobContext {
                steps: &steps,
                baseline: None,
            },
        );
        assert_eq!(a.failed_step.as_deref(), Some("Test"));
        assert_eq!(a.primary.unwrap().step.as_deref(), Some("Test"));
    }

    #[test]
    fn crlf_and_plain_logs_are_read() {
        let plain = MISSING_MODULE
            .lines()
            .map(|l| &l[29..])
            .collect::<Vec<_>>()
            .join("\r\n");
        let a = analyzer().analyze_bytes(plain.as_bytes(), &JobContext::default());
        assert_eq!(a.format, LogFormat::Plain);
        assert_eq!(a.total_lines, 13);
        assert_eq!(a.primary.unwrap().line, 8);
    }

    #[test]
    fn empty_and_binary_logs_give_an_empty_result() {
        let a = analyzer().analyze_bytes(b"", &JobContext::default());
        assert_eq!(a.total_lines, 0);
        assert!(a.excerpt.is_empty());
        let binary: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
        let b = analyzer().analyze_bytes(&binary, &JobContext::default());
        assert!(b.total_lines > 0);
        for l in &b.excerpt {
            assert!(!l.text.chars().any(char::is_control));
        }
    }

    #[test]
    fn an_unsafe_finding_makes_the_run_unsafe() {
        let log = "Error: Credentials could not be loaded, please check your action inputs: Could not load credentials from any providers\n##[error]Process completed with exit code 1.\n";
        let a = analyzer().analyze_bytes(log.as_bytes(), &JobContext::default());
        assert_eq!(a.category, "credentials");
        assert!(!a.safe_to_heal);
    }

    #[test]
    fn the_baseline_demotes_lines_that_also_appear_when_passing() {
        let fail =
            "[ERROR] noise that always appears\nsome work\n[ERROR] the real failure: boom\ndone\n";
        let pass = "[ERROR] noise that always appears\nsome work\ndone\n";
        let baseline = Baseline::from_log(pass.as_bytes());
        let mut an = analyzer();
        an.options.before = 0;
        an.options.after = 0;
        let a = an.analyze_bytes(
            fail.as_bytes(),
            &JobContext {
                steps: &[],
                baseline: Some(&baseline),
            },
        );
        let lines: Vec<usize> = a.excerpt.iter().map(|l| l.line).collect();
        assert_eq!(lines, vec![3]);
    }

    #[test]
    fn a_huge_single_line_is_cut_not_loaded() {
        let mut log = b"before\n".to_vec();
        log.extend(std::iter::repeat_n(b'x', 20 << 20));
        log.extend(b" error: at the end of a long line\nFAILED: after\n");
        let a = analyzer().analyze_bytes(&log, &JobContext::default());
        assert_eq!(a.total_lines, 3);
        assert_eq!(a.long_lines_cut, 1);
        assert!(
            a.excerpt
                .iter()
                .any(|l| l.line == 3 && l.text == "FAILED: after")
        );
        assert!(a.excerpt.iter().all(|l| l.text.len() < 2000));
    }

    #[test]
    fn the_failure_at_the_end_survives_hundreds_of_earlier_matches() {
        let mut log = String::new();
        for i in 0..2_000 {
            log.push_str(&format!("npm error code ECONNRESET (attempt {i})\n"));
        }
        log.push_str("E   ModuleNotFoundError: No module named 'requests'\n");
        let a = analyzer().analyze_bytes(log.as_bytes(), &JobContext::default());
        assert_eq!(a.matches_total, 2_001);
        assert_eq!(a.matches.len(), 500);
        let last = a.matches.last().unwrap();
        assert_eq!((last.line, last.category.as_str()), (2_001, "dependency"));
        // A dependency failure is never re-run away.
        assert_ne!(a.category, "unknown");
    }

    #[test]
    fn line_numbers_are_right_across_chunk_boundaries() {
        let mut log = String::new();
        for i in 1..=300_000 {
            if i % 100_000 == 0 {
                log.push_str(&format!("FAILED: marker at {i}\n"));
            } else {
                log.push_str(&format!("ordinary line number {i}\n"));
            }
        }
        let mut an = analyzer();
        an.options.before = 1;
        an.options.after = 1;
        let a = an.analyze_bytes(log.as_bytes(), &JobContext::default());
        assert_eq!(a.total_lines, 300_000);
        for l in &a.excerpt {
            let expected = if l.line % 100_000 == 0 {
                format!("FAILED: marker at {}", l.line)
            } else {
                format!("ordinary line number {}", l.line)
            };
            assert_eq!(l.text, expected);
        }
        assert!(a.excerpt.iter().any(|l| l.line == 300_000));
    }
}
