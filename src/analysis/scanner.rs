//! The streaming pass over a log: finds the lines worth a look, fast, in bounded memory.
//!
//! Like ripgrep, it does not visit every line in its own loop. The [`LineFilter`] searches the
//! raw bytes of a large buffer for the literals the catalog's patterns, the evidence shapes
//! and the runner's markers require; the lines in between are only counted (memchr). Each
//! line the filter hits is then cleaned and checked precisely. The buffer is refilled in chunks,
//! keeping a few lines of the previous chunk for context, so memory does not grow with the
//! log; a line longer than [`MAX_LINE`] is cut.

use std::io::Read;

use chrono::{DateTime, Utc};

use super::baseline::Baseline;
use super::catalog::{Catalog, PatternMatch};
use super::evidence;
use super::line::{self, LogFormat, Marker};
use super::line_filter::LineFilter;
use super::region::{self, SectionStart, Terminal};
use super::sanitize;

/// Bytes read per refill.
const CHUNK: usize = 4 << 20;
/// Longest line examined; the rest of a longer line is skipped (and counted as one line).
pub const MAX_LINE: usize = 64 * 1024;
/// Lines of the previous chunk kept for context.
const CARRY_LINES: usize = 16;
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

    /// Scans a log from a reader, in chunks.
    pub fn scan(&self, mut reader: impl Read) -> std::io::Result<ScanResult> {
        let mut state = State::default();
        let mut buf: Vec<u8> = Vec::with_capacity(CHUNK + MAX_LINE);
        // Bytes before `done` have been examined; `line_no` is the number of the line there.
        let mut done = 0usize;
        let mut line_no = 1usize;
        let mut eof = false;
        let mut skipping = false;
        let mut first = true;
        // Bytes before `clean_to` have had their colour codes taken out.
        let mut clean_to = 0usize;
        while !eof {
            let start_len = buf.len();
            buf.resize(start_len + CHUNK, 0);
            let n = read_full(&mut reader, &mut buf[start_len..])?;
            buf.truncate(start_len + n);
            state.bytes += n as u64;
            eof = n == 0;
            if !first && !eof {
                // A second chunk: the log is large enough to pay for the fastest automata.
                self.filter.expect_large();
                self.catalog.pattern_set().expect_large();
                evidence::pattern_set().expect_large();
            }
            if skipping {
                // Inside an over-long line: drop bytes up to its end.
                match find_break(&buf[done..]) {
                    Some(p) => {
                        buf.drain(done..done + p);
                        skipping = false;
                    }
                    None => {
                        buf.truncate(done);
                        clean_to = clean_to.min(done);
                        continue;
                    }
                }
                clean_to = clean_to.min(done);
            }
            let from = clean_to.min(buf.len());
            clean_to = strip_csi(&mut buf, from);
            if first {
                state.format = line::detect_format(&buf[..buf.len().min(64 * 1024)]);
                first = false;
            }
            let end = if eof {
                buf.len()
            } else {
                // Leave the last few complete lines (and any partial one) for the next
                // round, so every examined line has its after-context in the buffer.
                let mut e = last_line_start(&buf, buf.len());
                for _ in 0..self.after.max(evidence::MAX_AFTER) {
                    if e <= done {
                        break;
                    }
                    e = last_line_start(&buf, e - 1);
                }
                e.max(done)
            };
            if end == done && !eof && buf.len() - done > MAX_LINE * 16 {
                // One line longer than we will ever look at: examine its head, skip the rest.
                let cut = done + MAX_LINE;
                self.examine(&buf[..cut], done, cut, line_no, &mut state, true);
                state.long_lines_cut += 1;
                line_no += 1;
                buf.truncate(done);
                clean_to = clean_to.min(done);
                skipping = true;
                continue;
            }
            line_no = self.examine(&buf, done, end, line_no, &mut state, eof);
            done = end;
            if eof {
                state.tail = tail_lines(&buf, state.format, line_no.saturating_sub(1));
            }
            if !eof {
                // Keep some lines before `done` as context for the next round.
                let mut keep = done;
                for _ in 0..CARRY_LINES {
                    if keep == 0 {
                        break;
                    }
                    keep = last_line_start(&buf, keep - 1);
                }
                buf.drain(..keep);
                done -= keep;
                clean_to = clean_to.saturating_sub(keep);
            }
        }
        state.total_lines = line_no.saturating_sub(1);
        Ok(state.finish())
    }

    /// Examines the lines starting in `buf[from..to]`; returns the number of the line at `to`.
    fn examine(
        &self,
        buf: &[u8],
        from: usize,
        to: usize,
        mut line_no: usize,
        state: &mut State,
        eof: bool,
    ) -> usize {
        let mut pos = from;
        while pos < to {
            let Some(hit) = self.filter.find(&buf[..to], pos, state.format) else {
                line_no += count_lines(&buf[pos..to], eof && to == buf.len());
                return line_no;
            };
            // The line of the hit (which may be on the line break ending it).
            let start = line_start_before(buf, hit.max(pos), pos);
            line_no += count_lines(&buf[pos..start], false);
            let end = find_break(&buf[start..]).map_or(buf.len(), |p| start + p);
            self.consider(buf, start, end.min(start + MAX_LINE), line_no, state);
            let next = next_line_start(buf, end);
            line_no += 1;
            if next >= to {
                // The line ran past `to` (only possible at the end of the data).
                return line_no;
            }
            pos = next;
        }
        line_no
    }

    /// Looks at one line the filter hit.
    fn consider(&self, buf: &[u8], start: usize, end: usize, line_no: usize, state: &mut State) {
        let raw = &buf[start..end];
        let prefixed = line::split_prefix(raw, state.format);
        // The filter takes every coloured line (escape codes may split a keyword): look
        // again at its visible text, and drop it when nothing there is worth a look.
        if memchr::memchr(0x1b, prefixed.body).is_some() {
            let dull = if strip_sgr(prefixed.body, &mut state.scratch) {
                !self.filter.is_match(&state.scratch)
            } else {
                !self
                    .filter
                    .is_match(sanitize::clean(prefixed.body).as_bytes())
            };
            if dull {
                return;
            }
        }
        let clean = sanitize::clean(prefixed.body);
        let (marker, text) = line::marker(&clean);

        let timestamp = prefixed.timestamp.and_then(parse_time);
        let step = self.step_of(&prefixed, timestamp, marker, text, state);
        if state.terminals.is_empty()
            && let Some(section) = region::section_start(marker, text, line_no)
        {
            state.section = Some(section);
        }
        let terminal = region::terminal(marker, text, line_no);
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

        self.filter.candidates(text, &mut state.candidates_of_line);
        let found = self.catalog.match_line_among(
            text,
            &state.candidates_of_line.patterns,
            &mut state.matched,
        );
        let shape = evidence::of_among(text, &state.candidates_of_line.shapes, &mut state.matched);
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
        let new_vs_baseline = self.baseline.map(|b| !b.contains(text));
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
        let continuation = evidence::is_continuation(text);
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
            text: text.to_string(),
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
    fn step_of(
        &self,
        prefixed: &line::Prefixed<'_>,
        timestamp: Option<DateTime<Utc>>,
        marker: Marker,
        text: &str,
        state: &mut State,
    ) -> Option<String> {
        if let Some(step) = prefixed.step {
            return Some(sanitize::clean(step).into_owned());
        }
        if marker == Marker::Group && text.starts_with("Run ") {
            state.current_group = Some(text.trim().to_string());
        } else if text.starts_with("Post job cleanup.") {
            state.current_group = Some("Post job cleanup".into());
        } else if text.starts_with("Cleaning up orphan processes") {
            state.current_group = Some("Complete job".into());
        }
        if let Some(t) = timestamp
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

/// Takes the CSI sequences (`ESC [ parameters final`: colours, cursor moves, line erases) out
/// of `buf[from..]`, in place, and returns where an unfinished one at the end begins (or the
/// end). With them gone, a word that colour codes split (`ER\x1b[0mROR`) is whole again for
/// the literal search, and a coloured line is looked at only when it holds a literal. No line
/// break is ever inside one, so lines and their numbers stay as they were; and a line's clean
/// text (`sanitize::clean`) never had them. Other escapes stay (the filter looks at every
/// line that holds one).
fn strip_csi(buf: &mut Vec<u8>, from: usize) -> usize {
    let len = buf.len();
    let (mut read, mut write) = (from, from);
    let mut unfinished = len;
    while let Some(at) = memchr::memchr(0x1b, &buf[read..len]).map(|p| read + p) {
        if at + 1 >= len {
            unfinished = at;
            break;
        }
        let mut end = at + 2;
        if buf[at + 1] == b'[' {
            while end < len && (0x20..0x40).contains(&buf[end]) {
                end += 1;
            }
            if end >= len {
                unfinished = at;
                break;
            }
        }
        if buf[at + 1] != b'[' || !(0x40..0x7f).contains(&buf[end]) {
            // Not a CSI sequence: keep the escape byte, go on after it.
            buf.copy_within(read..at + 1, write);
            write += at + 1 - read;
            read = at + 1;
            continue;
        }
        // A lone `\r` then the sequence then `\n` are two line breaks; without the sequence
        // they would be one (`\r\n`). Such a sequence stays (and waits for the byte after it
        // when that has not been read yet).
        let before = if at > read {
            Some(buf[at - 1])
        } else if write > 0 {
            Some(buf[write - 1])
        } else {
            None
        };
        if before == Some(b'\r') {
            match buf.get(end + 1) {
                None => {
                    unfinished = at;
                    break;
                }
                Some(b'\n') => {
                    buf.copy_within(read..end + 1, write);
                    write += end + 1 - read;
                    read = end + 1;
                    continue;
                }
                Some(_) => {}
            }
        }
        buf.copy_within(read..at, write);
        write += at - read;
        read = end + 1;
    }
    buf.copy_within(read..len, write);
    let kept = write + (len - read);
    buf.truncate(kept);
    kept - (len - unfinished.max(read))
}

/// A printable-ASCII line whose only escapes are CSI sequences (colours, mostly), without
/// them, into `out`: then exactly what `sanitize::clean` gives, without its cost. `false`
/// (and `out` unusable) for any other line, which needs the full cleaning.
fn strip_sgr(raw: &[u8], out: &mut Vec<u8>) -> bool {
    out.clear();
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if b == 0x1b {
            if raw.get(i + 1) != Some(&b'[') {
                return false;
            }
            let mut j = i + 2;
            while j < raw.len() && (0x20..0x40).contains(&raw[j]) {
                j += 1;
            }
            if j < raw.len() && (0x40..0x7f).contains(&raw[j]) {
                j += 1;
            }
            i = j;
        } else if (0x20..0x7f).contains(&b) {
            out.push(b);
            i += 1;
        } else {
            return false;
        }
    }
    true
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

fn parse_time(stamp: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(stamp)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[derive(Default)]
struct State {
    /// Reused for a coloured line's visible text.
    scratch: Vec<u8>,
    /// Reused for the patterns and shapes a line's literals point at, and those that match.
    candidates_of_line: super::line_filter::Candidates,
    matched: Vec<u32>,
    format: LogFormat,
    bytes: u64,
    total_lines: usize,
    candidates: Vec<Candidate>,
    /// The last [`MAX_MATCHES`] matches (a queue: the oldest leaves as a new one comes).
    matches: std::collections::VecDeque<LineMatch>,
    matches_total: usize,
    current_group: Option<String>,
    /// Inside the `##[group]Run ...` block where the runner echoes a step's script.
    in_step_header: bool,
    last_error_step: Option<String>,
    long_lines_cut: usize,
    terminals: Vec<Terminal>,
    section: Option<SectionStart>,
    tail: Vec<ContextLine>,
}

impl State {
    fn push(&mut self, c: Candidate) {
        self.candidates.push(c);
        if self.candidates.len() >= MAX_CANDIDATES * 2 {
            // Keep the best half; ties keep the later lines (failures surface late).
            self.candidates.sort_by(|a, b| {
                b.provisional
                    .total_cmp(&a.provisional)
                    .then(b.line.cmp(&a.line))
            });
            self.candidates.truncate(MAX_CANDIDATES);
            self.candidates.sort_by_key(|c| c.line);
        }
    }

    fn finish(self) -> ScanResult {
        ScanResult {
            format: self.format,
            total_lines: self.total_lines,
            bytes: self.bytes,
            candidates: self.candidates,
            matches: self.matches.into(),
            matches_total: self.matches_total,
            last_error_step: self.last_error_step,
            long_lines_cut: self.long_lines_cut,
            terminals: self.terminals,
            section: self.section,
            tail: self.tail,
        }
    }
}

// ---- line geometry: a line ends at \n, \r\n or a lone \r ---------------------------------

/// Offset of the first line break in `s` (the `\r` of a `\r\n`).
fn find_break(s: &[u8]) -> Option<usize> {
    memchr::memchr2(b'\n', b'\r', s)
}

/// Where the line after the break at `end` starts.
fn next_line_start(buf: &[u8], end: usize) -> usize {
    match buf.get(end) {
        Some(b'\r') if buf.get(end + 1) == Some(&b'\n') => end + 2,
        Some(b'\r' | b'\n') => end + 1,
        _ => end,
    }
}

/// Start of the line containing offset `at` (not before `floor`).
fn line_start_before(buf: &[u8], at: usize, floor: usize) -> usize {
    match memchr::memrchr2(b'\n', b'\r', &buf[floor..at]) {
        Some(p) => floor + p + 1,
        None => floor,
    }
}

/// Start of the line that contains offset `at` (a break belongs to the line it ends).
fn last_line_start(buf: &[u8], at: usize) -> usize {
    let at = at.min(buf.len());
    // The `\n` of a `\r\n` belongs to the same line as its `\r`.
    let limit = if at > 0 && at < buf.len() && buf[at] == b'\n' && buf[at - 1] == b'\r' {
        at - 1
    } else {
        at
    };
    memchr::memrchr2(b'\n', b'\r', &buf[..limit]).map_or(0, |q| q + 1)
}

/// End of the line's content (before its break) for a line starting at `start` and whose
/// successor starts at `next`.
fn line_content_end(buf: &[u8], start: usize, next: usize) -> usize {
    find_break(&buf[start..next]).map_or(next, |p| start + p)
}

/// Number of line breaks in `s` (`\r\n` counts once); plus one for a final unterminated
/// line when `final_part`.
fn count_lines(s: &[u8], final_part: bool) -> usize {
    let mut n = 0;
    let mut iter = memchr::memchr2_iter(b'\n', b'\r', s).peekable();
    while let Some(p) = iter.next() {
        if s[p] == b'\r' && s.get(p + 1) == Some(&b'\n') {
            iter.next();
        }
        n += 1;
    }
    if final_part && !s.is_empty() && !matches!(s[s.len() - 1], b'\n' | b'\r') {
        n += 1;
    }
    n
}

/// Reads until `buf` is full or the reader is exhausted.
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// The lines of an in-memory log, split the same way the scanner counts them.
pub fn split_lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut pos = 0;
    std::iter::from_fn(move || {
        if pos >= bytes.len() {
            return None;
        }
        let start = pos;
        let end = find_break(&bytes[start..]).map_or(bytes.len(), |p| start + p);
        pos = next_line_start(bytes, end);
        if pos == end {
            pos = bytes.len();
        }
        Some(&bytes[start..end])
    })
}

/// A log as a person reads it, a string a line: the format's prefixes (timestamps, or the
/// job and step columns of `gh run view --log`) taken off and every line cleaned, for the
/// console's full-log view.
pub fn readable_lines(bytes: &[u8]) -> Vec<String> {
    let format = super::line::detect_format(&bytes[..bytes.len().min(64 * 1024)]);
    split_lines(bytes)
        .map(|l| super::sanitize::clean(super::line::split_prefix(l, format).body).into_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_codes_leave_the_buffer_and_lines_stay_where_they_were() {
        let mut buf = b"a\x1b[1mER\x1b[0mROR\r\nb\x1b]0;t\x07c\n\x1b[".to_vec();
        let resume = strip_csi(&mut buf, 0);
        assert_eq!(buf, b"aERROR\r\nb\x1b]0;t\x07c\n\x1b[");
        // The unfinished sequence at the end waits for the rest of it.
        assert_eq!(resume, buf.len() - 2);
        buf.extend_from_slice(b"31mx\x1b[0m\n");
        let resume = strip_csi(&mut buf, resume);
        assert_eq!(buf, b"aERROR\r\nb\x1b]0;t\x07c\nx\n");
        assert_eq!(resume, buf.len());
        // A malformed sequence keeps its bytes; a line break is never swallowed.
        let mut odd = b"x\x1b[12\ny".to_vec();
        strip_csi(&mut odd, 0);
        assert_eq!(odd, b"x\x1b[12\ny");
        // `\r`, a sequence, `\n` are two line breaks, and stay two.
        let mut progress = b"50%\r\x1b[0K\x1b[1m\ndone\r\x1b[2K".to_vec();
        let resume = strip_csi(&mut progress, 0);
        assert_eq!(progress, b"50%\r\x1b[1m\ndone\r\x1b[2K");
        assert_eq!(
            resume,
            progress.len() - 4,
            "the last waits for the byte after it"
        );
        assert_eq!(
            count_lines(&progress, true),
            count_lines(b"50%\r\x1b[0K\x1b[1m\ndone\r\x1b[2K", true)
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
            assert!(strip_sgr(raw, &mut out), "{raw:?}");
            assert_eq!(out, sanitize::clean(raw).as_bytes(), "{raw:?}");
        }
        for raw in [
            &b"\x1b]0;title\x07 error"[..],
            b"tab\there",
            "\x1b[32m━━━\x1b[0m".as_bytes(),
            b"\xc2\x9b31mc1 csi",
            b"bell\x07",
        ] {
            assert!(!strip_sgr(raw, &mut out), "{raw:?}");
        }
    }

    #[test]
    fn lines_split_on_lf_crlf_and_lone_cr() {
        let lines: Vec<&[u8]> = split_lines(b"a\nb\r\nc\rd").collect();
        assert_eq!(lines, vec![&b"a"[..], b"b", b"c", b"d"]);
        assert_eq!(count_lines(b"a\nb\r\nc\rd", true), 4);
        assert_eq!(count_lines(b"a\nb\n", true), 2);
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

    #[test]
    fn line_starts_are_found_backwards() {
        let buf = b"one\r\ntwo\nthree";
        assert_eq!(last_line_start(buf, buf.len()), 9);
        assert_eq!(last_line_start(buf, 8), 5);
        assert_eq!(last_line_start(buf, 4), 0);
        assert_eq!(last_line_start(buf, 3), 0);
    }
}
