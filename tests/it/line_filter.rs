//! The scan's coarse filter never hides a line the precise checks would take: over real logs,
//! every line whose clean text a catalog pattern or an evidence shape matches (checked with a
//! plain `RegexSet` of them all, the way the analysis matched lines before the literal
//! filter) passes the filter, and the literal-driven matching finds exactly what that
//! `RegexSet` finds.
//!
//! And the scan numbers lines as the labels do.
//!
//! Reads `../shared/data/` (the real logs of the quality test); without it, says so and passes.

use std::path::{Path, PathBuf};

use autoheal::analysis::line::{self, LogFormat};
use autoheal::analysis::line_breaks::split_lines;
use autoheal::analysis::line_filter::{Candidates, LineFilter};
use autoheal::analysis::{Catalog, evidence};
use autoheal::text::sanitize;
use regex::{RegexSet, RegexSetBuilder};

fn logs() -> Option<Vec<PathBuf>> {
    sample(5)
}

/// The CiDiff failed logs, and every `every`-th Travis log.
fn sample(every: usize) -> Option<Vec<PathBuf>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    if !root.is_dir() {
        return None;
    }
    let mut logs = Vec::new();
    for set in ["cidiff-breakages", "cidiff-terraform"] {
        for entry in std::fs::read_dir(root.join(set)).ok()?.flatten() {
            let log = entry.path().join("fail.log");
            if log.is_file() {
                logs.push(log);
            }
        }
    }
    // Every `every`-th Travis log: 29 languages' tools, in a time a debug build can afford.
    let mut travis: Vec<PathBuf> = std::fs::read_dir(root.join("logchunks/logs"))
        .ok()?
        .flatten()
        .map(|e| e.path())
        .collect();
    travis.sort();
    logs.extend(travis.into_iter().step_by(every));
    logs.sort();
    Some(logs)
}

fn reference(sources: impl Iterator<Item = String>, case_insensitive: bool) -> RegexSet {
    RegexSetBuilder::new(sources)
        .case_insensitive(case_insensitive)
        .size_limit(64 << 20)
        .dfa_size_limit(64 << 20)
        .build()
        .expect("the patterns compile")
}

#[test]
fn no_line_a_pattern_or_shape_matches_is_filtered_out() {
    let Some(logs) = logs() else {
        eprintln!("skipped: ../shared/data is absent");
        return;
    };
    let catalog = Catalog::builtin().expect("the built-in catalog loads");
    let filter = LineFilter::new(&catalog).expect("the filter builds");
    let patterns = catalog.pattern_set();
    let shapes = evidence::pattern_set();
    let catalog_set = reference((0..patterns.len()).map(|i| patterns.source(i).into()), true);
    let shape_set = reference((0..shapes.len()).map(|i| shapes.source(i).into()), false);
    let (mut lines, mut taken, mut checked) = (0usize, 0usize, 0usize);
    let mut found = Vec::new();
    let mut candidates = Candidates::default();
    for log in &logs {
        let bytes = std::fs::read(log).expect("read the log");
        let format: LogFormat = line::detect_format(&bytes[..bytes.len().min(64 * 1024)]);
        for raw in split_lines(&bytes) {
            lines += 1;
            let clean = sanitize::clean(line::split_prefix(raw, format).body);
            let (_, text) = line::marker(&clean);
            let by_catalog: Vec<u32> = catalog_set.matches(text).iter().map(|i| i as u32).collect();
            let by_shape: Vec<u32> = shape_set.matches(text).iter().map(|i| i as u32).collect();
            patterns.matches(text, &mut found);
            assert_eq!(
                found,
                by_catalog,
                "catalog on {text:?} in {}",
                log.display()
            );
            shapes.matches(text, &mut found);
            assert_eq!(found, by_shape, "shapes on {text:?} in {}", log.display());
            // As the scan matches: the filter's own automaton names the candidates.
            filter.candidates(text, &mut candidates);
            patterns.matches_among(text, &candidates.patterns, &mut found);
            assert_eq!(found, by_catalog, "catalog (scan) on {text:?}");
            shapes.matches_among(text, &candidates.shapes, &mut found);
            assert_eq!(found, by_shape, "shapes (scan) on {text:?}");
            if by_catalog.is_empty() && by_shape.is_empty() {
                continue;
            }
            checked += 1;
            assert!(
                filter.is_match(raw),
                "the filter hides {:?} ({}), which {} match",
                String::from_utf8_lossy(raw),
                log.display(),
                if by_catalog.is_empty() {
                    "shapes"
                } else {
                    "catalog patterns"
                }
            );
            taken += 1;
        }
    }
    eprintln!(
        "{} logs, {lines} lines: {checked} matched by a pattern or shape, all {taken} passed the filter",
        logs.len()
    );
}

/// Taking colour codes out of the scan's buffer never changes a line's number: over the same
/// real logs, the scan counts the lines the data's convention counts (`\r\n`, `\n` and a
/// lone `\r` each end one), including a `\r`, a colour code, then a `\n`.
#[test]
fn the_scan_numbers_lines_as_the_labels_do() {
    let Some(logs) = sample(1) else {
        eprintln!("skipped: ../shared/data is absent");
        return;
    };
    let analyzer = autoheal::analysis::Analyzer::new(&[]).expect("the analyzer builds");
    for log in &logs {
        let bytes = std::fs::read(log).expect("read the log");
        let analysis = analyzer.analyze_bytes(&bytes, &Default::default());
        let lines = split_lines(&bytes).count();
        assert_eq!(analysis.total_lines, lines, "{}", log.display());
    }
}
