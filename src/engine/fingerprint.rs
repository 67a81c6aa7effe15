//! A failure's identity, free of noise: the same failure in two runs has the same
//! fingerprint, so it is healed once and its recurrences are counted. It is written into the
//! tracking issue's marker (see `heal::marker`), so it is stable across versions.

use std::hash::Hasher;

use fnv::FnvHasher;

use crate::analysis::{LogAnalysis, baseline};

/// The fingerprint of a workflow's failed jobs, each `(job name, analysis)`.
pub fn fingerprint_of<'a>(
    workflow_path: &str,
    jobs: impl IntoIterator<Item = (&'a str, &'a LogAnalysis)>,
) -> String {
    let mut parts = vec![workflow_path.to_string()];
    for (job_name, analysis) in jobs {
        // Matrix jobs differ only in their parameters: `test (3.11)` and `test (3.12)` fail alike.
        let name = job_name.split(" (").next().unwrap_or(job_name);
        parts.push(name.to_string());
        match &analysis.primary {
            Some(m) => {
                parts.push(m.pattern.clone());
                if let Some(s) = &m.subject {
                    let mut normalised = String::new();
                    baseline::normalize(s, |c| normalised.push(c));
                    parts.push(normalised);
                }
            }
            None => {
                if let Some(anchor) = analysis.excerpt.iter().find(|l| l.anchor) {
                    let mut normalised = String::new();
                    baseline::normalize(&strip_paths(&anchor.text), |c| normalised.push(c));
                    parts.push(normalised);
                }
            }
        }
    }
    let joined = parts.join("\u{1f}").to_lowercase();
    // FNV-1a: the fingerprint is written into tracking issues, so it must never change
    // between versions (std's hasher may).
    let mut h = FnvHasher::default();
    h.write(joined.as_bytes());
    format!("{:016x}", h.finish())
}

/// Temporary paths (`/tmp/...`, `/home/runner/work/...`) differ between runs: keep the file name.
fn strip_paths(text: &str) -> String {
    text.split_whitespace()
        .map(|w| {
            if w.starts_with('/') || w.contains(":\\") {
                w.rsplit(['/', '\\']).next().unwrap_or(w)
            } else {
                w
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fingerprint_of_a_workflow_is_its_hash_as_written_in_issues() {
        // Issues opened by earlier versions carry these: a change of hash would heal their
        // failures again.
        assert_eq!(fingerprint_of("", []), "cbf29ce484222325");
        assert_eq!(
            fingerprint_of(".github/workflows/CI.yml", []),
            "a8f3817ec78236ac"
        );
    }

    #[test]
    fn paths_are_reduced_to_file_names() {
        assert_eq!(
            strip_paths("error in /tmp/pytest-of-runner/pytest-3/test_x.py line"),
            "error in test_x.py line"
        );
    }
}
