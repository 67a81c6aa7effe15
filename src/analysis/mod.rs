//! Failure analysis: a failed job's log in, what a person needs in five seconds out.
//!
//! Pure code, no I/O beyond the reader it is handed: bytes in, structs out. The pipeline is
//! `scanner` (one fast pass: candidate lines, pattern matches, steps, the CI's failure
//! markers) → `region` (where the job failed) → `excerpt` (the lines that explain the
//! failure) → `category` (what the failing lines show) → `verdict` (safety, policy,
//! recommendation).
//!
//! Evidence comes before patterns: the excerpt is chosen by where the job failed and by the
//! shape of the failing lines (`evidence`), in any tool's output. Catalog and repository
//! patterns annotate: a match on a line of the excerpt inside the failure region names the
//! failure (category, suggestion, recommendation); a match elsewhere (setup output, a test's
//! name, an echoed command) is listed but decides nothing.
//! `redact` masks secrets in anything that leaves the machine; `sanitize` makes log text
//! harmless to a terminal. Nothing here may write to a terminal or the network.

pub mod baseline;
pub mod builtin;
pub mod byte_patterns;
pub mod catalog;
pub mod category;
pub mod chunks;
pub mod evidence;
pub mod excerpt;
pub mod line;
pub mod line_breaks;
pub mod line_facts;
pub mod line_filter;
pub mod literals;
pub mod pattern_set;
pub mod region;
pub mod scanner;
pub mod shapes;
pub mod shared;
pub mod verdict;

use std::io::Read;

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
    /// The match is on a line of the excerpt inside the failure region: it names the failure.
    /// Elsewhere it is listed, but decides nothing.
    pub in_failure_region: bool,
    /// Byte range of the match within `text`.
    #[serde(skip)]
    pub span: (usize, usize),
    #[serde(skip)]
    pub priority: usize,
    /// See [`PatternMatch::category_named`].
    #[serde(skip)]
    pub category_named: bool,
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
    /// What kind of failure: the primary match's category, else what the failing lines'
    /// shapes show, else what the failed command is for, else `unknown`.
    pub category: String,
    /// No match of an unsafe category (security, auth, credentials, ...) in the failed step.
    pub safe_to_heal: bool,
    /// The match that best explains the failure.
    pub primary: Option<MatchReport>,
    /// Lines longer than the scanner looks at, cut.
    pub long_lines_cut: usize,
    /// Where the job failed.
    pub region: region::Region,
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
    filter: line_filter::LineFilter,
    pub options: ExcerptOptions,
}

impl Analyzer {
    /// The built-in catalog plus the repository's own patterns (which come first).
    pub fn new(repository_patterns: &[FailurePattern]) -> Result<Analyzer, String> {
        let catalog = Catalog::with_repository_patterns(repository_patterns)?;
        let filter = line_filter::LineFilter::new(&catalog)?;
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
    pub fn analyze(
        &self,
        log: impl Read + Send,
        ctx: &JobContext<'_>,
    ) -> std::io::Result<LogAnalysis> {
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
        let region = region::locate(&scan.terminals, scan.section.as_slice(), scan.total_lines);
        let focus = excerpt::Focus {
            failed_step: failed_step.as_deref(),
            region: &region,
            total_lines: scan.total_lines,
            block: excerpt::failure_block(&scan.candidates, &region),
        };
        let header = scan
            .section
            .as_ref()
            .filter(|s| region.header == Some(s.line))
            .map(|s| (s.line, s.text.as_str()));
        let excerpt = excerpt::select(&scan.candidates, &focus, header, &scan.tail, &self.options);
        // The lines that fail (not their context): a pattern there names the failure.
        let anchors: std::collections::HashSet<usize> = excerpt
            .iter()
            .filter(|l| l.anchor)
            .flat_map(|l| l.line..l.line + l.repeated.unwrap_or(1))
            .collect();
        // Candidates are in line order (the scan keeps them so): find a line by bisection.
        let text_of = |line: usize| {
            scan.candidates
                .binary_search_by_key(&line, |c| c.line)
                .map(|i| scan.candidates[i].text.clone())
                .unwrap_or_default()
        };
        let in_failed_step =
            |step: &Option<String>| failed_step.is_none() || step.is_none() || *step == failed_step;
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
                in_failure_region: anchors.contains(&m.line)
                    && (region.contains(m.line) || region.terminal.is_none())
                    && in_failed_step(&m.step),
                span: m.found.span,
                priority: m.found.priority,
                category_named: m.found.category_named,
            })
            .collect();
        let is_unsafe = |m: &MatchReport| {
            m.recommendation == Recommendation::ManualReview
                || self
                    .catalog
                    .category(&m.category)
                    .is_some_and(|c| !c.safe_to_heal && m.recommendation != Recommendation::Rerun)
        };
        // Only a match on a failing line names the failure. What decides safety comes first,
        // then a match in the failing block, then the repository's own patterns, then the
        // catalog's order (root causes before what they break), then the latest line.
        let in_block = |line: usize| focus.block.is_some_and(|(a, b)| (a..=b).contains(&line));
        let primary = matches
            .iter()
            .filter(|m| m.in_failure_region)
            .min_by_key(|m| {
                (
                    !is_unsafe(m),
                    !in_block(m.line),
                    m.source != catalog::PatternSource::Repository,
                    m.priority,
                    std::cmp::Reverse(m.line),
                )
            })
            .cloned();
        let named = primary.as_ref().filter(|m| m.category_named);
        // A match decides first when it is in the failing block or decides safety.
        let named = named.map(|m| category::Named {
            category: &m.category,
            first: in_block(m.line) || is_unsafe(m),
        });
        let category = category::decide(&scan.candidates, &excerpt, &focus, named);
        let safe_to_heal = matches.iter().filter(|m| m.in_failure_region).all(|m| {
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
            region,
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

    /// A Travis log whose command `command` printed `output` and failed.
    fn travis(command: &str, output: &str) -> String {
        format!(
            "$ git clone --depth=50 https://github.com/shop/cart.git\nCloning into 'cart'...\n\n$ {command}\n{output}\nThe command \"{command}\" exited with 1.\n\nDone. Your build exited with 1.\n"
        )
    }

    fn category_of(log: &str) -> String {
        analyzer()
            .analyze_bytes(log.as_bytes(), &JobContext::default())
            .category
    }

    #[test]
    fn a_host_out_of_reach_explains_the_failed_tests_and_the_tests_own_server_does_not() {
        let summary = "# Looks like your test exited with 11 before it could output anything.\n\
            t/api.t ........ Dubious, test returned 11 (wstat 2816, 0xb00)\n\
            Failed 1/1 subtests\n\
            Test Summary Report\n-------------------\n\
            t/api.t      (Wstat: 2816 Tests: 0 Failed: 0)\n\
            Result: FAIL\nFailed 1/2 test programs. 0/1 subtests failed.\n\
            make: *** [test_dynamic] Error 255";
        let remote = format!(
            "t/api.t ........ Connection error: Connect timeout at t/api.t line 17.\n{summary}"
        );
        assert_eq!(category_of(&travis("make test", &remote)), "network");
        let own = format!(
            "t/api.t ........ Connection error: Connect timeout to 127.0.0.1:3000 at t/api.t line 17.\n{summary}"
        );
        assert_eq!(category_of(&travis("make test", &own)), "test");
    }

    #[test]
    fn a_missing_module_among_the_failed_tests_is_the_cause() {
        let output = "======================================================================\n\
            ERROR: test_align (tests.test_face.FaceTest)\n\
            ----------------------------------------------------------------------\n\
            Traceback (most recent call last):\n  File \"tests/test_face.py\", line 3, in <module>\n\
            \x20   import cv2\nImportError: No module named 'cv2'\n\
            ----------------------------------------------------------------------\n\
            Ran 4 tests in 0.2s\n\nFAILED (errors=1)";
        assert_eq!(category_of(&travis("nosetests -v", output)), "dependency");
    }

    #[test]
    fn the_innermost_failed_script_names_the_failure_over_the_command_that_ran_it() {
        let output = "> cart@1.0.0 test /home/travis/build/shop/cart\n> npm run lint && mocha\n\n\
            > cart@1.0.0 lint /home/travis/build/shop/cart\n> standard lib/*.js\n\n\
            standard: Use JavaScript Standard Style (https://standardjs.com)\n\
            \x20 /home/travis/build/shop/cart/lib/cart.js:178:40: A space is required after ','.\n\n\
            npm ERR! cart@1.0.0 lint: `standard lib/*.js`\nnpm ERR! Exit status 1\n\
            npm ERR! Failed at the cart@1.0.0 lint script.\n\
            npm ERR! cart@1.0.0 test: `npm run lint && mocha`\nnpm ERR! Exit status 1";
        assert_eq!(category_of(&travis("npm test", output)), "lint");
        // A test script spelled with an underscore is still a test script.
        let output = "Running tests\nR CMD check found problems\nError: 1 check failed";
        assert_eq!(
            category_of(&travis("./ci-tool.sh run_tests", output)),
            "test"
        );
    }

    fn design_default() -> Analyzer {
        Analyzer::new(&crate::config::Policy::default().failure_patterns).unwrap()
    }

    #[test]
    fn the_design_timeout_pattern_fires_on_a_real_timeout_only() {
        let noise = "\
2025-11-20T10:00:01.0000000Z ##[group]Run pip install pytest-timeout && pytest
2025-11-20T10:00:01.1000000Z ##[endgroup]
2025-11-20T10:00:02.0000000Z Collecting pytest-timeout
2025-11-20T10:00:02.5000000Z timeout: 300.0s
2025-11-20T10:00:03.0000000Z tests/test_cart.py::test_total FAILED
2025-11-20T10:00:03.1000000Z =========================== short test summary info ============================
2025-11-20T10:00:03.2000000Z FAILED tests/test_cart.py::test_total - assert 3 == 4
2025-11-20T10:00:04.0000000Z ##[error]Process completed with exit code 1.
";
        let a = design_default().analyze_bytes(noise.as_bytes(), &JobContext::default());
        assert_eq!(a.category, "test");
        assert!(
            a.matches
                .iter()
                .all(|m| !m.in_failure_region || m.pattern != "repo-2")
        );
        assert!(a.excerpt.iter().any(|l| l.line == 7), "{:?}", a.excerpt);

        let slow = "\
2025-11-20T10:00:01.0000000Z ##[group]Run cargo test
2025-11-20T10:00:01.1000000Z ##[endgroup]
2025-11-20T10:00:02.0000000Z test cart::totals ... ok
2025-11-20T16:00:02.0000000Z ##[error]The job running on runner GitHub Actions 3 has exceeded the maximum execution time of 360 minutes.
2025-11-20T16:00:03.0000000Z ##[error]The operation was canceled.
";
        let a = design_default().analyze_bytes(slow.as_bytes(), &JobContext::default());
        assert_eq!(a.category, "timeout");
        assert_eq!(a.region.terminal, Some(4));
        // The runner's words hold no "timeout": the catalog's time-limit pattern names it.
        let fired = a.matches.iter().find(|m| m.line == 4).unwrap();
        assert!(fired.in_failure_region);
        assert_eq!(fired.category, "timeout");
    }

    #[test]
    fn the_excerpt_is_the_failed_command_not_the_setup_before_it() {
        // Travis: warnings and errors while installing, then the test command fails.
        let mut log = String::from("$ npm install\n");
        for i in 0..30 {
            log.push_str(&format!(
                "npm WARN deprecated pkg{i}: this error-prone package is old\n"
            ));
        }
        log.push_str("ERROR: something went wrong during install, retrying\n");
        log.push_str("The command \"npm install\" exited with 0.\n$ npm test\n");
        for i in 0..20 {
            log.push_str(&format!("  ✓ case {i}\n"));
        }
        log.push_str("  1 failing\n\n  1) Cart\n       adds totals:\n     AssertionError: expected 3 to equal 4\n      at Context.<anonymous> (test/cart.js:9:12)\n\nnpm ERR! Test failed.\n");
        log.push_str(
            "The command \"npm test\" exited with 1.\n\nDone. Your build exited with 1.\n",
        );
        let a = design_default().analyze_bytes(log.as_bytes(), &JobContext::default());
        assert_eq!(a.region.command.as_deref(), Some("npm test"));
        assert_eq!(a.category, "test");
        let lines: Vec<&str> = a.excerpt.iter().map(|l| l.text.as_str()).collect();
        assert!(
            lines.contains(&"     AssertionError: expected 3 to equal 4"),
            "{lines:?}"
        );
        assert!(
            lines.contains(&"The command \"npm test\" exited with 1."),
            "{lines:?}"
        );
        assert!(a.excerpt.iter().all(|l| l.line > 33), "{lines:?}");
    }

    #[test]
    fn a_failed_log_without_evidence_still_shows_its_end() {
        let mut log = String::new();
        for i in 1..=100 {
            log.push_str(&format!("compiling module {i}\n"));
        }
        log.push_str(
            "The command \"./build.sh\" exited with 3.\n\nDone. Your build exited with 1.\n",
        );
        let a = design_default().analyze_bytes(log.as_bytes(), &JobContext::default());
        assert!(!a.excerpt.is_empty());
        assert!(a.excerpt.iter().any(|l| l.text == "compiling module 100"));
        assert!(a.excerpt.iter().any(|l| l.line == 101));
        assert_eq!(a.category, "compile");

        let quiet = "step one\nstep two\nsomething odd happened\n";
        let b = design_default().analyze_bytes(quiet.as_bytes(), &JobContext::default());
        let lines: Vec<usize> = b.excerpt.iter().map(|l| l.line).collect();
        assert_eq!(lines, vec![1, 2, 3]);
        assert_eq!(b.category, "unknown");
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
