//! The failure excerpt: the few lines that explain a failure, chosen by evidence.
//!
//! Anchors are the lines with the strongest evidence (catalog matches, `##[error]` lines,
//! failure shapes), weighed by where they are (the failed step counts more) and by whether
//! they are new compared with the last passing log. Each anchor brings context before and
//! after; overlapping windows merge; repeated lines collapse; the total is capped.

use std::collections::BTreeMap;

use serde::Serialize;

use super::scanner::Candidate;

#[derive(Debug, Clone, PartialEq)]
pub struct ExcerptOptions {
    /// Lines of context before an anchor.
    pub before: usize,
    /// Lines of context after an anchor.
    pub after: usize,
    /// Most lines in an excerpt.
    pub max_lines: usize,
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
            max_line_chars: 400,
            relative_threshold: 0.4,
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

/// A candidate's final score, once the failed step is known.
pub fn score(c: &Candidate, failed_step: Option<&str>, total_lines: usize) -> f32 {
    let mut s = c.provisional;
    if let (Some(failed), Some(step)) = (failed_step, c.step.as_deref()) {
        if failed == step {
            s *= 1.5;
        } else {
            s *= 0.4;
        }
    }
    // Failures surface late: a slight preference for later lines breaks ties sensibly.
    if total_lines > 0 {
        s += 0.5 * c.line as f32 / total_lines as f32;
    }
    s
}

/// Chooses the excerpt's lines from the scan's candidates.
pub fn select(
    candidates: &[Candidate],
    failed_step: Option<&str>,
    total_lines: usize,
    opts: &ExcerptOptions,
) -> Vec<ExcerptLine> {
    let mut ranked: Vec<(f32, &Candidate)> = candidates
        .iter()
        .map(|c| (score(c, failed_step, total_lines), c))
        .filter(|(s, _)| *s >= 1.5)
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.line.cmp(&a.1.line)));
    let Some(best) = ranked.first().map(|r| r.0) else {
        return Vec::new();
    };
    let threshold = best * opts.relative_threshold;

    let mut chosen: BTreeMap<usize, (String, bool)> = BTreeMap::new();
    for (s, c) in ranked {
        if s < threshold || chosen.len() >= opts.max_lines {
            break;
        }
        // The anchor first, then the lines after it, then the nearest lines before it.
        let mut window: Vec<(usize, &str, bool)> = vec![(c.line, c.text.as_str(), true)];
        window.extend(
            c.after
                .iter()
                .take(opts.after)
                .map(|l| (l.line, l.text.as_str(), false)),
        );
        window.extend(
            c.before
                .iter()
                .rev()
                .take(opts.before)
                .map(|l| (l.line, l.text.as_str(), false)),
        );
        for (line, text, is_anchor) in window {
            // Blank context tells a reader nothing; it would only take room.
            if !is_anchor && text.trim().is_empty() {
                continue;
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
    collapse(chosen, opts.max_line_chars)
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

    #[test]
    fn windows_merge_and_keep_line_numbers() {
        let cands = vec![cand(20, "error A", 3.0, 10), cand(25, "error B", 3.0, 10)];
        let lines = select(&cands, None, 100, &ExcerptOptions::default());
        let numbers: Vec<usize> = lines.iter().map(|l| l.line).collect();
        assert_eq!(numbers, (10..=28).collect::<Vec<_>>());
        assert!(lines.iter().find(|l| l.line == 20).unwrap().anchor);
    }

    #[test]
    fn the_total_is_capped() {
        let cands: Vec<Candidate> = (1..50).map(|i| cand(i * 20, "FAILED x", 3.0, 10)).collect();
        let opts = ExcerptOptions {
            max_lines: 30,
            ..ExcerptOptions::default()
        };
        assert!(select(&cands, None, 2000, &opts).len() <= 30);
    }

    #[test]
    fn weak_evidence_is_left_out_next_to_strong() {
        let cands = vec![
            cand(10, "warning: error word", 1.5, 2),
            cand(90, "[ERROR] boom", 8.0, 2),
        ];
        let lines = select(&cands, None, 100, &ExcerptOptions::default());
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
        let lines = select(&[c], None, 10, &ExcerptOptions::default());
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].repeated, Some(4));
    }

    #[test]
    fn long_lines_are_cut_on_a_character_boundary() {
        let long = "é".repeat(500);
        let lines = select(
            &[cand(1, &long, 3.0, 0)],
            None,
            1,
            &ExcerptOptions::default(),
        );
        assert_eq!(lines[0].text.chars().count(), 401);
        assert!(lines[0].text.ends_with('…'));
    }
}
