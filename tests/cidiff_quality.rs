//! Measured quality of the failure excerpt on real CI logs written by others.
//!
//! `../shared/data/cidiff-breakages/` (from the CiDiff project) holds 27 failing build logs,
//! each with the lines a person marked as the failure's cause. For each, the analysis runs on
//! `fail.log` with `pass.log` as the baseline and is scored as the data's README says:
//! hit (the excerpt holds a labelled line), capped recall (labelled lines in the excerpt ÷
//! min(labelled, 40)) and size (excerpt lines). The figures are printed and must not regress.

use std::path::{Path, PathBuf};

use autoheal::analysis::{Analyzer, Baseline, JobContext};

fn data_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/cidiff-breakages");
    dir.is_dir().then_some(dir)
}

/// The `E` lines of a groundtruth file (its `C` lines when it has no `E`).
fn labelled(groundtruth: &str) -> Vec<usize> {
    let parse = |kind: char| -> Vec<usize> {
        groundtruth
            .lines()
            .skip(1)
            .filter_map(|l| {
                l.strip_prefix(kind)?.trim().split_once('-').map_or_else(
                    || l[1..].trim().parse::<usize>().ok().map(|n| (n, n)),
                    |(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)),
                )
            })
            .flat_map(|(a, b)| a..=b)
            .collect()
    };
    let mut lines = parse('E');
    if lines.is_empty() {
        lines = parse('C');
    }
    // Ranges may overlap: each line counts once.
    lines.sort_unstable();
    lines.dedup();
    lines
}

struct Score {
    name: String,
    hit: bool,
    recall: f64,
    size: usize,
}

fn score_all(analyzer: &Analyzer, use_baseline: bool) -> Vec<Score> {
    let dir = data_dir().expect("checked by the caller");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().join("fail.log").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let case = dir.join(&name);
            let fail = std::fs::read(case.join("fail.log")).unwrap();
            let pass = std::fs::read(case.join("pass.log")).unwrap_or_default();
            let truth = labelled(&std::fs::read_to_string(case.join("groundtruth")).unwrap());
            let baseline = Baseline::from_log(&pass);
            let ctx = JobContext {
                steps: &[],
                baseline: (use_baseline && !pass.is_empty()).then_some(&baseline),
            };
            let analysis = analyzer.analyze_bytes(&fail, &ctx);
            // A collapsed line stands for the identical lines after it.
            let shown: std::collections::HashSet<usize> = analysis
                .excerpt
                .iter()
                .flat_map(|l| l.line..l.line + l.repeated.unwrap_or(1))
                .collect();
            let inside = truth.iter().filter(|l| shown.contains(l)).count();
            Score {
                name,
                hit: inside > 0,
                recall: (inside as f64 / truth.len().clamp(1, 40) as f64).min(1.0),
                size: analysis.excerpt.len(),
            }
        })
        .collect()
}

fn summary(scores: &[Score]) -> (f64, f64, f64) {
    let n = scores.len() as f64;
    (
        scores.iter().filter(|s| s.hit).count() as f64 / n,
        scores.iter().map(|s| s.recall).sum::<f64>() / n,
        scores.iter().map(|s| s.size as f64).sum::<f64>() / n,
    )
}

#[test]
fn excerpts_explain_real_failures() {
    let Some(_) = data_dir() else {
        println!("skipped: ../shared/data/cidiff-breakages is not here");
        return;
    };
    let analyzer = Analyzer::new(&[]).unwrap();
    let with = score_all(&analyzer, true);
    let without = score_all(&analyzer, false);
    println!(
        "{:<28} {:>4} {:>7} {:>5}",
        "breakage", "hit", "recall", "size"
    );
    for s in &with {
        println!(
            "{:<28} {:>4} {:>7.2} {:>5}",
            s.name,
            if s.hit { "yes" } else { "NO" },
            s.recall,
            s.size
        );
    }
    let (hit, recall, size) = summary(&with);
    let (hit0, recall0, size0) = summary(&without);
    println!(
        "with the passing log as baseline: hit rate {hit:.3}, capped recall {recall:.3}, mean size {size:.1} lines ({} breakages)",
        with.len()
    );
    println!(
        "without a baseline:               hit rate {hit0:.3}, capped recall {recall0:.3}, mean size {size0:.1} lines"
    );
    // The figures reached; they may only get better (goal: hit ≥ 0.9, recall ≥ 0.8, ≤ 40).
    assert!(hit >= 0.99, "hit rate {hit:.2}");
    assert!(recall >= 0.91, "capped recall {recall:.3}");
    assert!(size <= 40.0, "mean size {size:.1}");
    assert!(hit0 >= 0.99, "hit rate without baseline {hit0:.3}");
    assert!(
        recall0 >= 0.92,
        "capped recall without baseline {recall0:.3}"
    );
    assert!(size0 <= 43.0, "mean size without baseline {size0:.1}");
}
