//! The fuzz targets' checks (`tests/fuzz/checks.rs`) in the normal test run: on seeds (the
//! demo's and the fixtures' logs, the policy files we ship, the hostile log) and on every
//! input a fuzzer ever found interesting enough to keep (`tests/fuzz/regressions/TARGET/`).
//! So a bug a fuzzer found stays fixed, and the checks themselves keep compiling.

use crate::common;

#[path = "../fuzz/checks.rs"]
mod checks;

use std::path::Path;

fn files_in(dir: &Path) -> Vec<Vec<u8>> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    paths.sort();
    paths
        .into_iter()
        .filter(|p| p.is_file())
        .map(|p| std::fs::read(&p).unwrap())
        .collect()
}

/// Logs of every kind we have, plus what a fuzzer kept for `target`.
fn inputs(target: &str) -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut all = files_in(&root.join("tests/fuzz/regressions").join(target));
    match target {
        "policy" => {
            all.extend(files_in(&root.join("assets/init")));
            all.push(b"enabled: [1\n".to_vec());
        }
        _ => {
            all.extend(files_in(&root.join("assets/demo/logs")));
            all.extend(files_in(&root.join("tests/fixtures/scenario/logs")));
            all.push(common::hostile::log());
        }
    }
    all.push(Vec::new());
    all
}

fn check(target: &str, f: fn(&[u8])) {
    let inputs = inputs(target);
    assert!(inputs.len() > 2, "{target}: seeds found");
    for input in &inputs {
        f(input);
        // Each input cut short and cut open too: that is where parsers break.
        f(&input[..input.len() / 2]);
        f(&input[input.len() / 3..]);
    }
}

#[test]
fn analyze_log() {
    check("analyze_log", checks::analyze_log);
}

#[test]
fn sanitize() {
    check("sanitize", checks::sanitize);
}

#[test]
fn policy() {
    check("policy", checks::policy);
}

#[test]
fn redact() {
    check("redact", checks::redact);
}

#[test]
fn fence() {
    check("fence", checks::fence);
}
