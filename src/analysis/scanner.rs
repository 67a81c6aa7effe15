//! The streaming pass over a log: finds the lines worth a look, fast, in bounded memory.
//!
//! [`super::chunks`] reads the log in chunks and finds, in each, the few lines the filter
//! hits; [`super::line_facts`] classifies each of those precisely (cleaned, matched against the
//! catalog and the evidence shapes), and this file places it in its step and keeps the best as
//! candidates for the excerpt.

use std::io::Read;
use std::sync::mpsc;

use chrono::{DateTime, Utc};

use super::baseline::Baseline;
use super::catalog::{Catalog, PatternMatch};
use super::chunks::{Batch, Batches, MAX_LINE, Totals};
use super::evidence;
use super::line::{self, LogFormat, Marker};
use super::line_breaks::{
    find_break, last_line_start, line_content_end, next_line_start, split_lines,
};
use super::line_facts::{Classifier, LineFacts};
use super::line_filter::LineFilter;
use super::region::{SectionStart, Terminal};
use crate::text::sanitize;

/// Candidate lines kept (the best, by provisional score); plenty for any excerpt.
const MAX_CANDIDATES: usize = 4_000;
/// Pattern matches listed in a report (the last ones); the rest are only counted.
const MAX_MATCHES: usize = 500;
/// Terminal lines kept (the first ones: the first says where the job failed).
const MAX_TERMINALS: usize = 16;
/// Lines at the end of the log kept, so that a log with no evidence still explains itself.
pub const TAIL_LINES: usize = 30;
/// Lines of context kept before a terminal line: the end of the failed command's output.
const TERMINAL_BEFORE: usize = 30;

/// A step of the job, as the jobs API describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct StepSpan {
    pub name: String,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub failed: bool,
}

/// A line of context, cleaned.
#[derive(Debug, Clone, PartialEq)]
pub struct ContextLine {
    pub line: usize,
    pub text: String,
}

/// A line that may explain the failure.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub line: usize,
    pub text: String,
    pub marker: Marker,
    pub evidence: f32,
    /// The kind of failure the line's shape shows, when it shows one.
    pub shape_category: Option<&'static str>,
    /// The CI says here that a command failed.
    pub terminal: bool,
    /// A test runner's account of a failure starts here.
    pub report: bool,
    /// Lines after it that its shape says belong to it.
    pub span_after: usize,
    pub pattern: Option<PatternMatch>,
    pub step: Option<String>,
    /// `Some(true)` when the line is absent from the baseline (new in the failing log).
    pub new_vs_baseline: Option<bool>,
    pub continuation: bool,
    pub before: Vec<ContextLine>,
    pub after: Vec<ContextLine>,
    /// Score before step information is applied.
    pub provisional: f32,
}

/// A catalog pattern found on a line.
#[derive(Debug, Clone, PartialEq)]
pub struct LineMatch {
    pub line: usize,
    pub step: Option<String>,
    pub found: PatternMatch,
}

/// What one pass over a log found.
#[derive(Debug, Clone)]
pub struct ScanResult {
    pub format: LogFormat,
    pub total_lines: usize,
    pub bytes: u64,
    pub candidates: Vec<Candidate>,
    pub matches: Vec<LineMatch>,
    pub matches_total: usize,
    /// The step of the last `##[error]` line (where the failure surfaced).
    pub last_error_step: Option<String>,
    pub long_lines_cut: usize,
    /// Where the CI said a command failed (the first few), in line order.
    pub terminals: Vec<Terminal>,
    /// Where the CI started the last command before the first terminal line.
    pub section: Option<SectionStart>,
    /// The last lines of the log, cleaned.
    pub tail: Vec<ContextLine>,
}

/// Everything a scan needs besides the bytes.
pub struct Scanner<'a> {
    catalog: &'a Catalog,
    filter: &'a LineFilter,
    baseline: Option<&'a Baseline>,
    steps: &'a [StepSpan],
    before: usize,
    after: usize,
}

impl<'a> Scanner<'a> {
    pub fn new(
        catalog: &'a Catalog,
        filter: &'a LineFilter,
        baseline: Option<&'a Baseline>,
        steps: &'a [StepSpan],
        before: usize,
        after: usize,
    ) -> Self {
        Scanner {
            catalog,
            filter,
            baseline,
            steps,
            before,
            after,
        }
    }

    /// Scans a log from a reader, in chunks. A log of more than one chunk is read and
    /// filtered on a second thread while this one looks at the lines of the chunk before.
    pub fn scan(&self, reader: impl Read + Send) -> std::io::Result<ScanResult> {
        let mut state = State::default();
        let mut batches = Batches::new(reader, self.filter, self.after);
        let Some(first) = batches.next_batch()? else {
            return Ok(state.finish(batches.totals()));
        };
        if first.last_line.is_some() {
            // One chunk is the whole log (most logs): no thread is worth starting.
            self.look_at(&first, &mut state);
            return Ok(state.finish(batches.totals()));
        }
        let (to_scanner, from_reader) = mpsc::sync_channel::<Batch>(0);
        let (to_reader, returned) = mpsc::channel::<Vec<u8>>();
        batches.recycle_from(returned);
        let totals = std::thread::scope(|scope| {
            let reader = std::thread::Builder::new()
                .name("autoheal-read".into())
                .spawn_scoped(scope, move || -> std::io::Result<Totals> {
                    while let Some(batch) = batches.next_batch()? {
                        if to_scanner.send(batch).is_err() {
                            break;
                        }
                    }
                    Ok(batches.totals())
                })?;
            self.look_at(&first, &mut state);
            let _ = to_reader.send(first.buf);
            for batch in from_reader {
                if batch.large {
                    // The log is large enough to pay for the pattern sets that match every
                    // pattern at once. They are built here, not on the reading thread (which
                    // goes on to the next chunk meanwhile), and in this thread's memory, where
                    // what building them leaves free is soon used again.
                    self.catalog.pattern_set().expect_large();
                    evidence::pattern_set().expect_large();
                }
                self.look_at(&batch, &mut state);
                // The reader may be gone already (the log ended): the buffer is just freed.
                let _ = to_reader.send(batch.buf);
            }
            reader
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })?;
        Ok(state.finish(totals))
    }

    /// Looks at each line the filter hit in a batch: classified, then taken in order.
    fn look_at(&self, batch: &Batch, state: &mut State) {
        state.format = batch.format;
        let buf = &batch.buf[..batch.visible];
        let classifier = Classifier {
            catalog: self.catalog,
            filter: self.filter,
            baseline: self.baseline,
            timed_steps: !self.steps.is_empty(),
        };
        let mut scratch = std::mem::take(&mut state.scratch);
        for hit in &batch.hits {
            if let Some(facts) = classifier.classify(buf, batch.format, hit, &mut scratch) {
                self.take(buf, facts, state);
            }
        }
        state.scratch = scratch;
        if let Some(last) = batch.last_line {
            state.tail = tail_lines(buf, batch.format, last);
        }
    }

    /// Takes one classified line into the scan: its step, and whether it is kept.
    fn take(&self, buf: &[u8], facts: LineFacts, state: &mut State) {
        let step = self.step_of(&facts, state);
        let LineFacts {
            line: line_no,
            start,
            end,
            text,
            marker,
            terminal,
            section,
            found,
            shape,
            continuation,
            new_vs_baseline,
            ..
        } = facts;
        if state.terminals.is_empty()
            && let Some(section) = section
        {
            state.section = Some(section);
        }
        let is_terminal = terminal.is_some();
        if let Some(t) = terminal
            && state.terminals.len() < MAX_TERMINALS
        {
            state.terminals.push(t);
        }
        match marker {
            Marker::Group => {
                state.in_step_header = text.starts_with("Run ");
                return;
            }
            Marker::EndGroup => {
                state.in_step_header = false;
                return;
            }
            _ => {}
        }
        if marker == Marker::Error {
            state.last_error_step = step.clone();
        }
        let ev = shape.weight;
        let error_marker = marker == Marker::Error;
        if found.is_none() && ev == 0.0 && !error_marker && !is_terminal {
            return;
        }
        if let Some(f) = &found {
            state.matches_total += 1;
            // Keep the last matches, not the first: in a log with hundreds of hits the real
            // failure is near the end.
            if state.matches.len() >= MAX_MATCHES {
                state.matches.pop_front();
            }
            state.matches.push_back(LineMatch {
                line: line_no,
                step: step.clone(),
                found: f.clone(),
            });
        }
        let mut score = ev;
        if error_marker {
            let generic = text.starts_with("Process completed with exit code");
            score = score.max(if generic { 2.0 } else { 4.0 });
        }
        if is_terminal {
            score = score.max(2.0);
        }
        if let Some(f) = &found {
            // A repository's pattern is often a plain word (`timeout`): it names a failure on
            // a line that fails, and says nothing on a line that does not (`pytest-timeout`).
            score += match f.source {
                super::catalog::PatternSource::Repository if ev > 0.0 || error_marker => 6.0,
                super::catalog::PatternSource::Repository => 0.0,
                super::catalog::PatternSource::Builtin => 5.0,
            };
        }
        match new_vs_baseline {
            Some(true) => score *= 1.5,
            Some(false) => score *= 0.25,
            None => {}
        }
        if continuation {
            score *= 0.5;
        }
        // Between `##[group]Run ...` and `##[endgroup]` the runner echoes the step's script
        // and inputs: words like "error" there are code, not output.
        if state.in_step_header && !error_marker {
            score *= 0.2;
        }
        // Context is only worth keeping for lines that can anchor an excerpt.
        let anchor = score >= 1.5;
        let (before, after) = if anchor {
            let before = if is_terminal {
                TERMINAL_BEFORE.max(self.before)
            } else {
                self.before
            };
            (
                self.context_before(buf, start, state.format, line_no, before),
                // A strong failure line may be followed by its details (a stack trace, a
                // diff, indented output): keep enough to find where they end.
                self.context_after(
                    buf,
                    end,
                    state.format,
                    line_no,
                    if score >= 2.5 {
                        evidence::MAX_AFTER
                    } else {
                        self.after.max(shape.after)
                    },
                ),
            )
        } else {
            (Vec::new(), Vec::new())
        };
        state.push(Candidate {
            line: line_no,
            text,
            marker,
            evidence: ev,
            shape_category: shape.category,
            terminal: is_terminal,
            report: shape.report,
            span_after: shape.after,
            pattern: found,
            step,
            new_vs_baseline,
            continuation,
            before,
            after,
            provisional: score,
        });
    }

    /// The step a line belongs to: from its prefix (`gh run view --log`), else from the jobs
    /// API's step times, else from the last `##[group]Run ...` header.
    fn step_of(&self, facts: &LineFacts, state: &mut State) -> Option<String> {
        if let Some(step) = &facts.prefix_step {
            return Some(step.clone());
        }
        let (marker, text) = (facts.marker, facts.text.as_str());
        if marker == Marker::Group && text.starts_with("Run ") {
            state.current_group = Some(text.trim().to_string());
        } else if text.starts_with("Post job cleanup.") {
            state.current_group = Some("Post job cleanup".into());
        } else if text.starts_with("Cleaning up orphan processes") {
            state.current_group = Some("Complete job".into());
        }
        if let Some(t) = facts.timestamp
            && !self.steps.is_empty()
        {
            // GitHub's step times are whole seconds, so several short steps can contain the
            // same instant. Among the steps running then, the failed one is the likely home
            // of a line that looks like a failure; else the latest to have started.
            let second = chrono::TimeDelta::seconds(1);
            let running = |s: &&StepSpan| {
                s.started_at.is_some_and(|st| st <= t)
                    && s.completed_at.is_none_or(|c| t < c + second)
            };
            let step = self
                .steps
                .iter()
                .filter(running)
                .find(|s| s.failed)
                .or_else(|| self.steps.iter().rfind(running))
                .or_else(|| {
                    self.steps
                        .iter()
                        .rfind(|s| s.started_at.is_some_and(|st| st <= t))
                });
            if let Some(s) = step {
                return Some(s.name.clone());
            }
        }
        state.current_group.clone()
    }

    fn context_before(
        &self,
        buf: &[u8],
        start: usize,
        format: LogFormat,
        line_no: usize,
        count: usize,
    ) -> Vec<ContextLine> {
        let mut lines = Vec::with_capacity(count);
        let mut s = start;
        for k in 1..=count {
            if s == 0 {
                break;
            }
            let prev = last_line_start(buf, s - 1);
            let end = line_content_end(buf, prev, s);
            lines.push(ContextLine {
                line: line_no - k,
                text: context_text(&buf[prev..end.min(prev + MAX_LINE)], format),
            });
            s = prev;
            if line_no - k == 1 {
                break;
            }
        }
        lines.reverse();
        lines
    }

    fn context_after(
        &self,
        buf: &[u8],
        end: usize,
        format: LogFormat,
        line_no: usize,
        count: usize,
    ) -> Vec<ContextLine> {
        let mut lines = Vec::with_capacity(count);
        let mut s = next_line_start(buf, end);
        for k in 1..=count {
            if s >= buf.len() {
                break;
            }
            let e = find_break(&buf[s..]).map_or(buf.len(), |p| s + p);
            lines.push(ContextLine {
                line: line_no + k,
                text: context_text(&buf[s..e.min(s + MAX_LINE)], format),
            });
            s = next_line_start(buf, e);
        }
        lines
    }
}

/// The last [`TAIL_LINES`] lines in `buf` (which ends the log), numbered back from `last`.
fn tail_lines(buf: &[u8], format: LogFormat, last: usize) -> Vec<ContextLine> {
    let mut lines = Vec::with_capacity(TAIL_LINES);
    // A final line break ends the last line; it does not start another.
    let mut end = buf.len();
    if end > 0 && buf[end - 1] == b'\n' {
        end -= 1;
    }
    if end > 0 && buf[end - 1] == b'\r' {
        end -= 1;
    }
    let mut number = last;
    while lines.len() < TAIL_LINES && number > 0 {
        let start = memchr::memrchr2(b'\n', b'\r', &buf[..end]).map_or(0, |p| p + 1);
        lines.push(ContextLine {
            line: number,
            text: context_text(&buf[start..end.min(start + MAX_LINE)], format),
        });
        number -= 1;
        if start == 0 {
            break;
        }
        end = start - 1;
        if end > 0 && buf[end] == b'\n' && buf[end - 1] == b'\r' {
            end -= 1;
        }
    }
    lines.reverse();
    lines
}

fn context_text(raw: &[u8], format: LogFormat) -> String {
    let body = line::split_prefix(raw, format).body;
    sanitize::clean(body).into_owned()
}

#[derive(Default)]
struct State {
    /// Reused from line to line by the classifier.
    scratch: super::line_facts::Scratch,
    format: LogFormat,
    candidates: Vec<Candidate>,
    /// The last [`MAX_MATCHES`] matches (a queue: the oldest leaves as a new one comes).
    matches: std::collections::VecDeque<LineMatch>,
    matches_total: usize,
    current_group: Option<String>,
    /// Inside the `##[group]Run ...` block where the runner echoes a step's script.
    in_step_header: bool,
    last_error_step: Option<String>,
    terminals: Vec<Terminal>,
    section: Option<SectionStart>,
    tail: Vec<ContextLine>,
}

impl State {
    fn push(&mut self, c: Candidate) {
        self.candidates.push(c);
        if self.candidates.len() >= MAX_CANDIDATES * 2 {
            // Keep the best half; ties keep the later lines (failures surface late). A
            // partition, not a sort: a log of near-misses comes here every few thousand lines.
            self.candidates
                .select_nth_unstable_by(MAX_CANDIDATES - 1, |a, b| {
                    b.provisional
                        .total_cmp(&a.provisional)
                        .then(b.line.cmp(&a.line))
                });
            self.candidates.truncate(MAX_CANDIDATES);
        }
    }

    fn finish(self, totals: Totals) -> ScanResult {
        ScanResult {
            format: self.format,
            total_lines: totals.lines,
            bytes: totals.bytes,
            candidates: {
                let mut candidates = self.candidates;
                candidates.sort_by_key(|c| c.line);
                candidates
            },
            matches: self.matches.into(),
            matches_total: self.matches_total,
            last_error_step: self.last_error_step,
            long_lines_cut: totals.long_lines_cut,
            terminals: self.terminals,
            section: self.section,
            tail: self.tail,
        }
    }
}

/// A log as a person reads it, a string a line: the format's prefixes (timestamps, or the
/// job and step columns of `gh run view --log`) taken off and every line cleaned, for the
/// console's full-log view.
pub fn readable_lines(bytes: &[u8]) -> Vec<String> {
    let format = super::line::detect_format(&bytes[..bytes.len().min(64 * 1024)]);
    split_lines(bytes)
        .map(|l| {
            crate::text::sanitize::clean(super::line::split_prefix(l, format).body).into_owned()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::region;

    /// Reads in odd-sized pieces, as a pipe does.
    struct Pieces<'a>(&'a [u8]);

    impl Read for Pieces<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.len().min(out.len()).min(65_537);
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn a_log_of_many_chunks_is_read_on_one_thread_and_looked_at_on_another_with_nothing_lost() {
        let analyzer = crate::analysis::Analyzer::new(&[]).unwrap();
        let filler =
            b"2025-11-20T10:00:00.0000000Z \x1b[32mPASSED\x1b[0m tests/test_cart.py::test_total\n";
        let failure = b"2025-11-20T10:00:01.0000000Z E       AssertionError: assert 2 == 3\n";
        // Four chunks and more; failures at a steady pace, thick around each chunk's end
        // (where a line is split between two reads and its context between two batches), and
        // all through the first megabyte: the lines of the first chunk are still looked at
        // when the reader, at the second, switches to the large log's automata.
        let mut log = Vec::new();
        let mut planted = Vec::new();
        let mut line = 1;
        while log.len() < 14 << 20 {
            let near_end = log.len() % super::super::chunks::CHUNK > (4 << 20) - 8_192;
            if near_end || line % 20_000 == 0 || log.len() < 1 << 20 {
                log.extend_from_slice(failure);
                planted.push(line);
            } else {
                log.extend_from_slice(filler);
            }
            line += 1;
        }
        let scan = |bytes: &[u8]| {
            let scanner = Scanner::new(&analyzer.catalog, &analyzer.filter, None, &[], 3, 3);
            scanner.scan(Pieces(bytes)).unwrap()
        };
        let first = scan(&log);
        assert_eq!(first.total_lines, line - 1);
        assert_eq!(first.bytes, log.len() as u64);
        // Every failure is counted; the candidates kept are the last (all score alike).
        assert_eq!(first.matches_total, planted.len());
        let found: Vec<usize> = first.candidates.iter().map(|c| c.line).collect();
        assert!(found.len() >= MAX_CANDIDATES && planted.ends_with(&found));
        let context = &first.candidates[first.candidates.len() / 2];
        assert!(
            context
                .before
                .iter()
                .chain(&context.after)
                .all(|l| !l.text.is_empty()),
            "context comes whole from either side of a chunk's end"
        );
        // The two threads race; the answer does not depend on who wins.
        for _ in 0..3 {
            let again = scan(&log);
            let lines: Vec<usize> = again.candidates.iter().map(|c| c.line).collect();
            assert_eq!(lines, found);
            assert_eq!(again.matches_total, first.matches_total);
            assert_eq!(again.tail, first.tail);
        }
    }

    #[test]
    fn a_large_log_judges_each_line_as_the_full_checks_would() {
        // Past its first chunk a large log's filter finds the lines that only a failure word
        // alone may describe apart from the rest, and judges them by that shape alone: the
        // verdict on every line must be what every pattern and shape together give.
        let analyzer = crate::analysis::Analyzer::new(&[]).unwrap();
        let lines: [&[u8]; 12] = [
            b"INFO  error budget remaining: 99.2% (0 failed requests)",
            b"    at process (node:internal/errors:478:14)",
            b"The command \"make test\" exited with 2.",
            b"W: Failed to fetch http://archive.ubuntu.com/ubuntu/dists/jammy/InRelease",
            b"DEBUG retry: attempt 1 of 3 after transient error, waiting 0.5s",
            b"ok 17 - error handler returns 500 for a failed upstream",
            b"[INFO] Tests run: 12, Failures: 0, Errors: 0, Skipped: 0",
            b"src/cart.c:3:1: warning: unused variable 'failed' [-Wunused]",
            b"  \xe2\x9c\x93 shows an error when the request fails (31 ms)",
            b"E       AssertionError: assert 2 == 3",
            b"npm ERR! code ELIFECYCLE",
            b"Compiling error-chain v0.12.4",
        ];
        // Sparse enough that every line worth keeping is kept (fewer than MAX_CANDIDATES).
        let mut log = Vec::new();
        let mut worth: Vec<(usize, &[u8])> = Vec::new();
        let mut line = 1;
        while log.len() < 10 << 20 {
            log.extend_from_slice(b"2025-11-20T10:00:00.0000000Z ");
            if line % 60 == 0 {
                let text = lines[(line / 60) % lines.len()];
                log.extend_from_slice(text);
                worth.push((line, text));
            } else {
                log.extend_from_slice(b"Downloading serde v1.0.215 (crates.io index)");
            }
            log.push(b'\n');
            line += 1;
        }
        assert!(worth.len() < MAX_CANDIDATES);
        let scanner = Scanner::new(&analyzer.catalog, &analyzer.filter, None, &[], 3, 3);
        let scan = scanner.scan(Pieces(&log)).unwrap();
        let kept: std::collections::HashMap<usize, &Candidate> =
            scan.candidates.iter().map(|c| (c.line, c)).collect();
        for (line, raw) in worth {
            let text = sanitize::clean(raw);
            let full = evidence::of(&text);
            let pattern = analyzer.catalog.match_line(&text);
            match kept.get(&line) {
                Some(c) => {
                    assert_eq!(c.evidence, full.weight, "{text}");
                    assert_eq!(c.continuation, evidence::is_continuation(&text), "{text}");
                    let terminal = region::terminal(Marker::None, &text, line);
                    assert_eq!(c.terminal, terminal.is_some(), "{text}");
                    assert_eq!(c.shape_category, full.category, "{text}");
                    assert_eq!(
                        c.pattern.as_ref().map(|p| &p.pattern),
                        pattern.as_ref().map(|p| &p.pattern),
                        "{text}"
                    );
                }
                None => assert!(
                    full.weight == 0.0
                        && pattern.is_none()
                        && region::terminal(Marker::None, &text, line).is_none(),
                    "line {line} was worth keeping: {text}"
                ),
            }
        }
        assert!(
            scan.candidates
                .iter()
                .all(|c| c.evidence > 0.0 || c.pattern.is_some() || c.terminal)
        );
    }

    #[test]
    fn stripping_colours_gives_what_cleaning_gives() {
        let mut out = Vec::new();
        for raw in [
            &b"\x1b[1m\x1b[92m   Compiling\x1b[0m serde v1.0.215"[..],
            b"\x1b[1mER\x1b[0mROR: split",
            b"plain",
            b"text\x1b[",
            b"\x1b[38;5;12m--> \x1b[0msrc/cart.rs:41:9\x1b[0m",
        ] {
            assert!(
                super::super::line_facts::strip_sgr(raw, &mut out),
                "{raw:?}"
            );
            assert_eq!(out, sanitize::clean(raw).as_bytes(), "{raw:?}");
        }
        for raw in [
            &b"\x1b]0;title\x07 error"[..],
            b"tab\there",
            "\x1b[32m━━━\x1b[0m".as_bytes(),
            b"\xc2\x9b31mc1 csi",
            b"bell\x07",
        ] {
            assert!(
                !super::super::line_facts::strip_sgr(raw, &mut out),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn readable_lines_lose_their_prefixes_and_escapes_in_every_format() {
        let raw =
            b"2025-11-20T10:00:00.0000000Z \x1b]0;t\x07one\n2025-11-20T10:00:01.0000000Z two\r\n";
        assert_eq!(readable_lines(raw), vec!["one", "two"]);
        let gh = b"test\tRun pytest\t2025-11-20T10:00:00.0000000Z one\ntest\tRun pytest\t2025-11-20T10:00:01.0000000Z two\n";
        assert_eq!(readable_lines(gh), vec!["one", "two"]);
        assert_eq!(readable_lines(b"plain\x1b[2J one\n"), vec!["plain one"]);
    }

    #[test]
    fn the_tail_is_numbered_like_every_other_line() {
        for (log, last) in [
            (&b"one\r\ntwo\rthree\nfour\r\n"[..], 4),
            (b"one\ntwo\nthree\nfour", 4),
            (b"one\rtwo\rthree\rfour\r", 4),
        ] {
            let tail = tail_lines(log, LogFormat::Plain, last);
            let got: Vec<(usize, &str)> = tail.iter().map(|l| (l.line, l.text.as_str())).collect();
            assert_eq!(
                got,
                vec![(1, "one"), (2, "two"), (3, "three"), (4, "four")],
                "{log:?}"
            );
        }
    }
}
