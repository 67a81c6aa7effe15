//! Which of the commits since the last green run the failure points at, and in what order.
//!
//! A commit is suspect when it touched a file the excerpt names, or the failing workflow's
//! own file. Ranked: a file named on a failing line first, then the workflow file, then a
//! file named elsewhere in the excerpt; among equals, the commit touching more named files,
//! then the newer one (the last change is the likelier break).

use serde::Serialize;

use super::named_files::{NamedFile, same_file};

/// A commit between the last green run and the failed one, with the files it touched.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangedCommit {
    pub sha: String,
    pub title: String,
    pub author: Option<String>,
    pub files: Vec<String>,
}

/// A suspect commit, with why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suspect {
    pub sha: String,
    pub title: String,
    pub author: Option<String>,
    /// The files it touched that the failure points at (the named ones, or the workflow).
    pub files: Vec<String>,
    /// Why it is suspect, in words: "changed `src/cart.py`, named at line 206 of the log".
    pub reason: String,
}

/// How strongly a commit is suspected; higher first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Strength {
    NamedElsewhere,
    Workflow,
    NamedOnFailingLine,
}

/// The suspects among `commits` (oldest first, as GitHub lists them), ranked.
pub fn rank(commits: &[ChangedCommit], named: &[NamedFile], workflow_path: &str) -> Vec<Suspect> {
    let mut ranked: Vec<(Strength, usize, usize, Suspect)> = Vec::new();
    for (age, commit) in commits.iter().enumerate() {
        let hits: Vec<(&String, &NamedFile)> = commit
            .files
            .iter()
            .filter_map(|f| named.iter().find(|n| same_file(&n.path, f)).map(|n| (f, n)))
            .collect();
        let workflow = !workflow_path.is_empty() && commit.files.iter().any(|f| f == workflow_path);
        let best = hits
            .iter()
            .min_by_key(|(_, n)| (!n.on_failing_line, n.line))
            .copied();
        let strength = match best {
            Some((_, n)) if n.on_failing_line => Strength::NamedOnFailingLine,
            _ if workflow => Strength::Workflow,
            Some(_) => Strength::NamedElsewhere,
            None => continue,
        };
        let mut files: Vec<String> = hits.iter().map(|(f, _)| (*f).clone()).collect();
        if workflow {
            files.push(workflow_path.to_string());
        }
        let reason = match (strength, best) {
            (Strength::Workflow, _) | (_, None) => {
                format!("changed the workflow file `{workflow_path}`")
            }
            (_, Some((file, n))) => {
                let more = hits.len() - 1;
                let also = match more {
                    0 => String::new(),
                    1 => " and 1 more file the log names".to_string(),
                    n => format!(" and {n} more files the log names"),
                };
                format!(
                    "changed `{file}`, named at line {} of the log{also}",
                    n.line
                )
            }
        };
        ranked.push((
            strength,
            hits.len(),
            age,
            Suspect {
                sha: commit.sha.clone(),
                title: commit.title.clone(),
                author: commit.author.clone(),
                files,
                reason,
            },
        ));
    }
    ranked.sort_by_key(|r| std::cmp::Reverse((r.0, r.1, r.2)));
    ranked.into_iter().map(|(_, _, _, s)| s).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(sha: &str, files: &[&str]) -> ChangedCommit {
        ChangedCommit {
            sha: sha.into(),
            title: format!("commit {sha}"),
            author: Some("lena".into()),
            files: files.iter().map(|f| f.to_string()).collect(),
        }
    }

    fn named(path: &str, line: usize, failing: bool) -> NamedFile {
        NamedFile {
            path: path.into(),
            line,
            on_failing_line: failing,
        }
    }

    #[test]
    fn the_commit_that_changed_the_file_in_the_error_comes_first() {
        let commits = [
            commit("a1", &["README.md"]),
            commit("b2", &["crates/core/src/pricing/discount.rs", "Cargo.toml"]),
            commit("c3", &["docs/x.md"]),
        ];
        let named = [named("crates/core/src/pricing/discount.rs", 206, true)];
        let suspects = rank(&commits, &named, ".github/workflows/ci.yml");
        assert_eq!(suspects.len(), 1);
        assert_eq!(suspects[0].sha, "b2");
        assert_eq!(suspects[0].files, ["crates/core/src/pricing/discount.rs"]);
        assert_eq!(
            suspects[0].reason,
            "changed `crates/core/src/pricing/discount.rs`, named at line 206 of the log"
        );
    }

    #[test]
    fn failing_lines_outrank_the_workflow_file_which_outranks_context() {
        let commits = [
            commit("old", &["src/a.rs"]),
            commit("wf", &[".github/workflows/ci.yml"]),
            commit("ctx", &["src/b.rs"]),
        ];
        let named = [named("src/a.rs", 50, true), named("src/b.rs", 40, false)];
        let order: Vec<String> = rank(&commits, &named, ".github/workflows/ci.yml")
            .into_iter()
            .map(|s| s.sha)
            .collect();
        assert_eq!(order, ["old", "wf", "ctx"]);
    }

    #[test]
    fn among_equals_more_named_files_then_the_newer_commit() {
        let commits = [
            commit("older", &["src/a.rs"]),
            commit("both", &["src/a.rs", "src/b.rs"]),
            commit("newer", &["src/a.rs"]),
        ];
        let named = [named("src/a.rs", 9, true), named("src/b.rs", 10, true)];
        let suspects = rank(&commits, &named, "");
        let order: Vec<&str> = suspects.iter().map(|s| s.sha.as_str()).collect();
        assert_eq!(order, ["both", "newer", "older"]);
        assert!(
            suspects[0]
                .reason
                .ends_with("and 1 more file the log names")
        );
    }

    #[test]
    fn nothing_named_and_no_workflow_change_means_no_suspect() {
        let commits = [commit("a", &["README.md"])];
        assert!(
            rank(
                &commits,
                &[named("src/x.rs", 3, true)],
                ".github/workflows/ci.yml"
            )
            .is_empty()
        );
    }
}
