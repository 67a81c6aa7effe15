//! The failure excerpt: the few lines that explain a failure, chosen by evidence.
//!
//! Where the job failed comes first: the failure region (the failed command's output, up to
//! the CI's word that it failed) holds the cause, so evidence there counts fully and evidence
//! elsewhere (setup, install output, later steps) counts little. Within that, anchors are the
//! lines with the strongest evidence (failure shapes, `##[error]` lines, catalog matches on
//! failing lines), the later ones preferred (the block just before the failure marker
//! explains it), and lines new compared with the last passing log weigh more. Each anchor
//! brings context before and after; overlapping windows merge; repeated lines collapse; the
//! total is kept near [`ExcerptOptions::target_lines`] and never above `max_lines`. A failed
//! log always gets an excerpt: with no evidence at all, the end of the failure region.

use std::collections::BTreeMap;

use serde::Serialize;

use super::region::Region;
use super::scanner::{Candidate, ContextLine};

#[derive(Debug, Clone, PartialEq)]
pub struct ExcerptOptions {
    /// Lines of context before an anchor.
    pub before: usize,
    /// Lines of context after an anchor.
    pub after: usize,
    /// Most lines in an excerpt.
    pub max_lines: usize,
    /// Anchors are added while the excerpt is shorter than this.
    pub target_lines: usize,
    /// Longer lines are cut (with an ellipsis).
    pub max_line_chars: usize,
    /// An anchor weaker than this fraction of the strongest one is left out.
    pub relative_threshold: f32,
}

impl Default for ExcerptOptions {
    fn default() -> Self {
        ExcerptOptions {
            before: 10,
            after: 3,
            max_lines: 60,
            target_lines: 41,
            max_line_chars: 400,
            relative_threshold: 0.3,
        }
    }
}

/// One line of an excerpt, with its line number in the log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExcerptLine {
    pub line: usize,
    pub text: String,
    /// The line stands for this many identical consecutive lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeated: Option<usize>,
    /// The line is an anchor (evidence), not context.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub anchor: bool,
}

/// Where the failure is, as far as the log and the jobs API say.
#[derive(Debug, Clone, Copy)]
pub struct Focus<'a> {
    /// The failed step, from the jobs API or the last `##[error]` line.
    pub failed_step: Option<&'a str>,
    pub region: &'a Region,
    pub total_lines: usize,
    /// The block of failing lines that explains the failure (see [`failure_block`]).
    pub block: Option<(usize, usize)>,
}

/// Failing lines closer together than this belong to one block.
const BLOCK_GAP: usize = 30;
/// Evidence at least this strong makes a failing line (not a mere mention of "error").
const STRONG: f32 = 2.5;

/// The block of failing lines that explains the failure. Where a test runner gives an account
/// of its failures (`=== FAILURES ===`, `--- FAIL:`, `1) Failure:`), the block starts at the
/// first one and runs on through the strong evidence chained to it by gaps under
/// [`BLOCK_GAP`]. Otherwise it is found walking back from the failure line: the last strong
/// evidence in the region and every strong line chained to it (a compiler's errors). Either
/// way the block's first lines are the first failure, which the rest often only follows from.
pub fn failure_block(candidates: &[Candidate], region: &Region) -> Option<(usize, usize)> {
    let strong: Vec<usize> = candidates
        .iter()
        .filter(|c| {
            // The runner's own error annotations (`##[error]…`) count as strong; a line that
            // also appeared when the job passed does not.
            let strong = c.evidence >= STRONG || c.marker == super::line::Marker::Error;
            region.contains(c.line)
                && strong
                && !c.terminal
                && !c.continuation
                && c.new_vs_baseline != Some(false)
        })
        .map(|c| c.line)
        .collect();
    if let Some(first) = candidates
        .iter()
        .find(|c| c.report && region.contains(c.line) && c.new_vs_baseline != Some(false))
        .map(|c| c.line)
    {
        let mut last = first;
        for &line in strong.iter().filter(|l| **l > first) {
            if line - last > BLOCK_GAP {
                break;
            }
            last = line;
        }
        return Some((first, last));
    }
    let last = *strong.last()?;
    let mut first = last;
    for &line in strong.iter().rev().skip(1) {
        if first - line > BLOCK_GAP {
            break;
        }
        first = line;
    }
    Some((first, last))
}

/// A candidate's final score, once the failed step and the failure region are known.
pub fn score(c: &Candidate, focus: &Focus<'_>) -> f32 {
    let mut s = c.provisional;
    if let (Some(failed), Some(step)) = (focus.failed_step, c.step.as_deref()) {
        if failed == step {
            s *= 1.5;
        } else {
            s *= 0.4;
        }
    }
    if let Some((first, last)) = focus.block
        && (first..=last).contains(&c.line)
    {
        // Inside the failing block, its beginning first.
        return s + 1.5 + 0.5 * (last - c.line) as f32 / (last - first + 1) as f32;
    }
    let region = focus.region;
    if region.terminal.is_some() || region.header.is_some() {
        if region.contains(c.line) {
            // The block just before the failure marker explains it: later lines weigh more.
            let span = (region.end - region.start + 1) as f32;
            s += 1.0 * (c.line - region.start) as f32 / span;
        } else if region
            .later
            .iter()
            .any(|(a, b)| (*a..=*b).contains(&c.line))
        {
            // Another command that failed later: shown when room is left.
            s *= 0.7;
        } else if c.line > region.end {
            // After the job failed: cleanup, caches, later commands.
            s *= 0.3;
        } else {
            // Before the failed command started: setup and install output.
            s *= 0.45;
        }
    } else if focus.total_lines > 0 {
        // Failures surface late: a slight preference for later lines breaks ties sensibly.
        s += 0.5 * c.line as f32 / focus.total_lines as f32;
    }
    s
}

/// Chooses the excerpt's lines from the scan's candidates. `header` is the failed command's
/// own line (`Run cargo test`, `$ make test`), shown first when there is room; `tail` is the
/// end of the log, the last resort of a log with no evidence in it.
pub fn select(
    candidates: &[Candidate],
    focus: &Focus<'_>,
    header: Option<(usize, &str)>,
    tail: &[ContextLine],
    opts: &ExcerptOptions,
) -> Vec<ExcerptLine> {
    let mut ranked: Vec<(f32, &Candidate)> = candidates
        .iter()
        .map(|c| (score(c, focus), c))
        .filter(|(s, _)| *s >= 1.5)
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.line.cmp(&a.1.line)));
    let mut chosen: BTreeMap<usize, (String, bool)> = BTreeMap::new();
    let mut blanks: std::collections::BTreeSet<usize> = std::collections::BTreeSet::new();
    let best = ranked.first().map_or(0.0, |r| r.0);
    let threshold = best * opts.relative_threshold;
    for (s, c) in ranked {
        if s < threshold || chosen.len() >= opts.target_lines.min(opts.max_lines) {
            break;
        }
        // The anchor first, then the lines after it, then the nearest lines before it.
        let mut window: Vec<(usize, &str, bool)> = vec![(c.line, c.text.as_str(), true)];
        window.extend(
            details(c, opts.after)
                .iter()
                .map(|l| (l.line, l.text.as_str(), false)),
        );
        window.extend(
            c.before
                .iter()
                .rev()
                .take(opts.before)
                .filter(|l| !super::evidence::is_success(&l.text))
                .map(|l| (l.line, l.text.as_str(), false)),
        );
        for (line, text, is_anchor) in window {
            // Blank context tells a reader nothing; it would only take room (unless it only
            // separates two lines shown, see below).
            if !is_anchor && text.trim().is_empty() {
                blanks.insert(line);
                continue;
            }
            if !is_anchor
                && chosen.len() >= opts.target_lines.min(opts.max_lines)
                && !chosen.contains_key(&line)
            {
                break;
            }
            if chosen.len() >= opts.max_lines && !chosen.contains_key(&line) {
                break;
            }
            let entry = chosen
                .entry(line)
                .or_insert_with(|| (text.to_string(), false));
            entry.1 |= is_anchor;
        }
    }
    // A blank line between two lines shown keeps the output's layout (double-spaced test
    // reports read as one block, not as scattered lines).
    for line in blanks {
        if chosen.len() < opts.max_lines
            && line > 0
            && chosen.contains_key(&(line - 1))
            && chosen.contains_key(&(line + 1))
        {
            chosen.insert(line, (String::new(), false));
        }
    }
    if chosen.is_empty() {
        fallback(candidates, focus.region, tail, opts, &mut chosen);
    }
    // What the CI says failed, and the command that did: one line each, worth their room.
    if let Some(t) = focus
        .region
        .terminal
        .and_then(|t| candidates.iter().find(|c| c.line == t))
        && chosen.len() < opts.max_lines
    {
        chosen
            .entry(t.line)
            .or_insert_with(|| (t.text.clone(), true));
    }
    if let Some((line, text)) = header
        && !chosen.is_empty()
        && chosen.len() < opts.max_lines
    {
        chosen
            .entry(line)
            .or_insert_with(|| (text.to_string(), false));
    }
    collapse(chosen, opts.max_line_chars)
}

/// The lines after an anchor that belong to it: as many as its shape says (at least `after`),
/// then on while they read as its details (indented lines, stack frames, a diff), up to a
/// blank line or a line that starts something new. Lines that report success (a passing
/// subtest, a test runner's progress) tell nothing about the failure and are left out.
fn details(c: &Candidate, after: usize) -> Vec<&ContextLine> {
    let base = after.max(c.span_after);
    let attached = |l: &ContextLine| {
        let t = l.text.as_str();
        !t.trim().is_empty()
            && (t.starts_with([' ', '\t', '+', '-', '|', '>', '@'])
                || super::evidence::is_continuation(t))
    };
    let mut lines = Vec::with_capacity(base);
    // Blank lines come along but do not count: double-spaced output has as much to say.
    let mut counted = 0;
    for l in &c.after {
        if super::evidence::is_success(&l.text) {
            continue;
        }
        let blank = l.text.trim().is_empty();
        if counted >= base && !blank && !attached(l) {
            break;
        }
        counted += usize::from(!blank);
        lines.push(l);
    }
    lines
}

/// With no evidence anywhere: the end of the failure region (the lines before the CI's word
/// that the command failed), else the end of the log. Never nothing, for a log with lines.
fn fallback(
    candidates: &[Candidate],
    region: &Region,
    tail: &[ContextLine],
    opts: &ExcerptOptions,
    chosen: &mut BTreeMap<usize, (String, bool)>,
) {
    const LINES: usize = 20;
    let terminal = region
        .terminal
        .and_then(|t| candidates.iter().find(|c| c.line == t));
    let (lines, anchor): (Vec<&ContextLine>, Option<&Candidate>) = match terminal {
        Some(t) => (t.before.iter().collect(), Some(t)),
        None => (tail.iter().collect(), None),
    };
    let limit = LINES.min(opts.max_lines);
    for l in lines.iter().rev().filter(|l| !l.text.trim().is_empty()) {
        if chosen.len() + usize::from(anchor.is_some()) >= limit {
            break;
        }
        chosen.insert(l.line, (l.text.clone(), false));
    }
    if let Some(t) = anchor {
        chosen.insert(t.line, (t.text.clone(), true));
    }
}

/// Consecutive identical lines become one, with a count; long lines are cut.
fn collapse(chosen: BTreeMap<usize, (String, bool)>, max_chars: usize) -> Vec<ExcerptLine> {
    let mut out: Vec<ExcerptLine> = Vec::with_capacity(chosen.len());
    let mut last_line = 0usize;
    for (line, (text, anchor)) in chosen {
        if let Some(prev) = out.last_mut()
            && line == last_line + 1
            && prev.text == cut(&text, max_chars)
            && !text.trim().is_empty()
        {
            prev.repeated = Some(prev.repeated.unwrap_or(1) + 1);
            prev.anchor |= anchor;
            last_line = line;
            continue;
        }
        out.push(ExcerptLine {
            line,
            text: cut(&text, max_chars),
            repeated: None,
            anchor,
        });
        last_line = line;
    }
    out
}

fn cut(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::line::Marker;
    use crate::analysis::scanner::ContextLine;

    fn cand(line: usize, text: &str, score: f32, before: usize) -> Candidate {
        Candidate {
            line,
            text: text.into(),
            marker: Marker::None,
            evidence: score,
            shape_category: None,
            terminal: false,
            report: false,
            span_after: 0,
            pattern: None,
            step: None,
            new_vs_baseline: None,
            continuation: false,
            before: (line.saturating_sub(before)..line)
                .filter(|l| *l > 0)
                .map(|l| ContextLine {
                    line: l,
                    text: format!("ctx {l}"),
                })
                .collect(),
            after: (line + 1..line + 4)
                .map(|l| ContextLine {
                    line: l,
                    text: format!("ctx {l}"),
                })
                .collect(),
            provisional: score,
        }
    }

    fn focus(total_lines: usize) -> Focus<'static> {
        static WHOLE: std::sync::OnceLock<Region> = std::sync::OnceLock::new();
        Focus {
            failed_step: None,
            region: WHOLE.get_or_init(|| super::super::region::locate(&[], &[], 0)),
            total_lines,
            block: None,
        }
    }

    #[test]
    fn an_anchor_brings_its_stack_trace_and_stops_at_what_follows() {
        let mut c = cand(10, "java.lang.NullPointerException", 3.0, 0);
        let texts = [
            "\tat a.B.c(B.java:1)",
            "\tat a.B.d(B.java:2)",
            "\tat a.B.e(B.java:3)",
            "\tat a.B.f(B.java:4)",
            "",
            "Running the next test",
        ];
        c.after = texts
            .iter()
            .enumerate()
            .map(|(i, t)| ContextLine {
                line: 11 + i,
                text: t.to_string(),
            })
            .collect();
        let shown: Vec<usize> = details(&c, 3).iter().map(|l| l.line).collect();
        // A passing subtest between the lines of a failure is left out.
        let mut go = cand(1, "--- FAIL: TestAlpha (0.02s)", 3.5, 0);
        go.span_after = 2;
        go.after = [
            "    --- PASS: TestAlpha/a (0.00s)",
            "    --- FAIL: TestAlpha/b (0.00s)",
            "        alpha_test.go:9: not sorted",
        ]
        .iter()
        .enumerate()
        .map(|(i, t)| ContextLine {
            line: 2 + i,
            text: t.to_string(),
        })
        .collect();
        let go_lines: Vec<usize> = details(&go, 0).iter().map(|l| l.line).collect();
        assert_eq!(go_lines, vec![3, 4]);
        // The blank line comes along (the excerpt shows it only between shown lines).
        assert_eq!(shown, vec![11, 12, 13, 14, 15]);
        c.span_after = 6;
        assert_eq!(details(&c, 3).len(), 6);
    }

    #[test]
    fn the_failure_block_starts_at_the_first_failure() {
        let region = super::super::region::locate(&[], &[], 500);
        // Compiler errors chained back from the end; an old error far above stays out.
        let cands = vec![
            cand(10, "error: old", 3.0, 0),
            cand(400, "a.c:1:1: error: x", 3.5, 0),
            cand(420, "a.c:2:1: error: y", 3.5, 0),
            cand(440, "a.c:3:1: error: z", 3.5, 0),
        ];
        assert_eq!(failure_block(&cands, &region), Some((400, 440)));
        // A test runner's report: from its first account on, whatever follows later.
        let mut report = cand(100, "=== FAILURES ===", 3.0, 0);
        report.report = true;
        let cands = vec![
            report,
            cand(120, "E   assert 1 == 2", 2.5, 0),
            cand(480, "= 1 failed in 2.0s =", 3.0, 0),
        ];
        assert_eq!(failure_block(&cands, &region), Some((100, 120)));
    }

    #[test]
    fn windows_merge_and_keep_line_numbers() {
        let cands = vec![cand(20, "error A", 3.0, 10), cand(25, "error B", 3.0, 10)];
        let lines = select(&cands, &focus(100), None, &[], &ExcerptOptions::default());
        let numbers: Vec<usize> = lines.iter().map(|l| l.line).collect();
        assert_eq!(numbers, (10..=28).collect::<Vec<_>>());
        assert!(lines.iter().find(|l| l.line == 20).unwrap().anchor);
    }

    #[test]
    fn a_blank_line_between_shown_lines_keeps_the_layout() {
        let mut c = cand(10, "[-] adds totals -> Expected 3", 3.0, 0);
        c.after = ["", "Expected: 3", "", "Actual  : 4", "", ""]
            .iter()
            .enumerate()
            .map(|(i, t)| ContextLine {
                line: 11 + i,
                text: t.to_string(),
            })
            .collect();
        let lines: Vec<usize> = select(&[c], &focus(20), None, &[], &ExcerptOptions::default())
            .iter()
            .map(|l| l.line)
            .collect();
        // The blanks inside the block are shown; the ones after it are not.
        assert_eq!(lines, vec![10, 11, 12, 13, 14]);
    }

    #[test]
    fn the_total_is_capped() {
        let cands: Vec<Candidate> = (1..50).map(|i| cand(i * 20, "FAILED x", 3.0, 10)).collect();
        let opts = ExcerptOptions {
            max_lines: 30,
            ..ExcerptOptions::default()
        };
        assert!(select(&cands, &focus(2000), None, &[], &opts).len() <= 30);
    }

    #[test]
    fn weak_evidence_is_left_out_next_to_strong() {
        let cands = vec![
            cand(10, "warning: error word", 1.5, 2),
            cand(90, "[ERROR] boom", 8.0, 2),
        ];
        let lines = select(&cands, &focus(100), None, &[], &ExcerptOptions::default());
        assert!(lines.iter().all(|l| l.line >= 88));
    }

    #[test]
    fn repeated_lines_collapse() {
        let mut c = cand(5, "boom", 3.0, 0);
        c.after = (6..9)
            .map(|l| ContextLine {
                line: l,
                text: "boom".into(),
            })
            .collect();
        let lines = select(&[c], &focus(10), None, &[], &ExcerptOptions::default());
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].repeated, Some(4));
    }

    #[test]
    fn long_lines_are_cut_on_a_character_boundary() {
        let long = "é".repeat(500);
        let lines = select(
            &[cand(1, &long, 3.0, 0)],
            &focus(1),
            None,
            &[],
            &ExcerptOptions::default(),
        );
        assert_eq!(lines[0].text.chars().count(), 401);
        assert!(lines[0].text.ends_with('…'));
    }
}
