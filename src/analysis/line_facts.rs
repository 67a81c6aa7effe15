//! What one line the filter hit is, found from the line alone: its clean text, its marker,
//! the patterns and shapes it matches, whether the CI says a command failed there.
//!
//! This is the costly half of looking at a line (two pattern sets, a cleaning), and it needs
//! nothing the scan learnt before the line; what depends on the lines before (the step, the
//! candidates kept) is decided in order, in [`super::scanner`]. A line the filter found only
//! by a failure word alone is matched against that word's shape, not the two sets.

use chrono::{DateTime, Utc};

use super::baseline::Baseline;
use super::catalog::{Catalog, PatternMatch};
use super::chunks::Hit;
use super::evidence::{self, Evidence};
use super::line::{self, LogFormat, Marker};
use super::line_filter::{Candidates, LineFilter};
use super::region::{self, SectionStart, Terminal};
use crate::text::sanitize;

/// A line's facts, from the line alone.
#[derive(Debug, Clone)]
pub struct LineFacts {
    pub line: usize,
    /// Where the raw line is in its chunk.
    pub start: usize,
    pub end: usize,
    /// The clean text after the runner's marker.
    pub text: String,
    pub marker: Marker,
    /// The step named by the line's prefix (`gh run view --log`).
    pub prefix_step: Option<String>,
    /// The line's time, when the job's step times are known to place it by.
    pub timestamp: Option<DateTime<Utc>>,
    pub terminal: Option<Terminal>,
    pub section: Option<SectionStart>,
    pub found: Option<PatternMatch>,
    pub shape: Evidence,
    pub continuation: bool,
    /// `Some(true)` when the line is absent from the baseline.
    pub new_vs_baseline: Option<bool>,
}

/// Everything classifying needs besides the line.
#[derive(Clone, Copy)]
pub struct Classifier<'a> {
    pub catalog: &'a Catalog,
    pub filter: &'a LineFilter,
    pub baseline: Option<&'a Baseline>,
    /// The job's step times are known: a line's timestamp is worth parsing.
    pub timed_steps: bool,
}

/// Buffers reused from line to line.
#[derive(Debug, Default)]
pub struct Scratch {
    visible: Vec<u8>,
    candidates: Candidates,
    matched: Vec<u32>,
}

impl Classifier<'_> {
    /// The facts of one line the filter hit; `None` for a coloured line with nothing worth
    /// a look once its colours are gone.
    pub fn classify(
        &self,
        buf: &[u8],
        format: LogFormat,
        hit: &Hit,
        scratch: &mut Scratch,
    ) -> Option<LineFacts> {
        let raw = &buf[hit.start..hit.end];
        let prefixed = line::split_prefix(raw, format);
        // The filter takes every coloured line (escape codes may split a keyword): look
        // again at its visible text, and drop it when nothing there is worth a look.
        if memchr::memchr(0x1b, prefixed.body).is_some() {
            let dull = if strip_sgr(prefixed.body, &mut scratch.visible) {
                !self.filter.is_match(&scratch.visible)
            } else {
                !self
                    .filter
                    .is_match(sanitize::clean(prefixed.body).as_bytes())
            };
            if dull {
                return None;
            }
        }
        let clean = sanitize::clean(prefixed.body);
        let (marker, text) = line::marker(&clean);
        let mut facts = LineFacts {
            line: hit.line,
            start: hit.start,
            end: hit.end,
            text: text.to_string(),
            marker,
            prefix_step: prefixed.step.map(|s| sanitize::clean(s).into_owned()),
            timestamp: prefixed
                .timestamp
                .filter(|_| self.timed_steps)
                .and_then(parse_time),
            terminal: None,
            section: None,
            found: None,
            shape: Evidence::NONE,
            continuation: false,
            new_vs_baseline: None,
        };
        if !hit.strong {
            // The filter says no pattern, no other shape and no line where the CI starts or
            // ends a command can be here.
            let word = evidence::of_word_alone(text, &mut scratch.matched);
            facts.shape = word.evidence;
            if facts.shape.weight > 0.0 {
                facts.continuation = word.continuation;
                facts.new_vs_baseline = self.baseline.map(|b| !b.contains(text));
            }
            return Some(facts);
        }
        facts.terminal = region::terminal(marker, text, hit.line);
        facts.section = region::section_start(marker, text, hit.line);
        if matches!(marker, Marker::Group | Marker::EndGroup) {
            // A step's boundary: where it is, not what it says, is what counts.
            return Some(facts);
        }
        // A large log's pattern sets match every pattern at once; until both are built (on
        // the reading thread, while this one goes on), each needs the line's candidates.
        if self.catalog.pattern_set().is_large() && evidence::pattern_set().is_large() {
            scratch.candidates.patterns.clear();
            scratch.candidates.shapes.clear();
        } else {
            self.filter.candidates(text, &mut scratch.candidates);
        }
        facts.found =
            self.catalog
                .match_line_among(text, &scratch.candidates.patterns, &mut scratch.matched);
        facts.shape = evidence::of_among(text, &scratch.candidates.shapes, &mut scratch.matched);
        let worth_keeping = facts.found.is_some()
            || facts.shape.weight > 0.0
            || marker == Marker::Error
            || facts.terminal.is_some();
        if worth_keeping {
            facts.continuation = evidence::is_continuation(text);
            facts.new_vs_baseline = self.baseline.map(|b| !b.contains(text));
        }
        Some(facts)
    }
}

/// A printable-ASCII line whose only escapes are CSI sequences (colours, mostly), without
/// them, into `out`: then exactly what `sanitize::clean` gives, without its cost. `false`
/// (and `out` unusable) for any other line, which needs the full cleaning.
pub(super) fn strip_sgr(raw: &[u8], out: &mut Vec<u8>) -> bool {
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

fn parse_time(stamp: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(stamp)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}
