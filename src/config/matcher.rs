//! Glob matching of workflow and branch names, as the policy's lists use it.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// A compiled list of globs (`"*"`, `"Release*"`, `"ci.yml"`), matched case-insensitively.
#[derive(Debug, Clone)]
pub struct NameMatcher {
    set: GlobSet,
}

impl NameMatcher {
    pub fn new<S: AsRef<str>>(globs: &[S]) -> Result<Self, String> {
        let mut builder = GlobSetBuilder::new();
        for glob in globs {
            let glob = glob.as_ref();
            let compiled = GlobBuilder::new(glob)
                .case_insensitive(true)
                .literal_separator(false)
                .build()
                .map_err(|e| format!("invalid glob {glob:?}: {}", e.kind()))?;
            builder.add(compiled);
        }
        let set = builder.build().map_err(|e| e.to_string())?;
        Ok(NameMatcher { set })
    }

    pub fn is_match(&self, name: &str) -> bool {
        self.set.is_match(name)
    }

    /// A workflow is named by its display name, its file path (`.github/workflows/ci.yml`)
    /// and its file name (`ci.yml`); a glob matching any of them matches the workflow.
    pub fn matches_workflow(&self, name: &str, path: &str) -> bool {
        let file_name = path.rsplit('/').next().unwrap_or(path);
        self.is_match(name)
            || (!path.is_empty() && (self.is_match(path) || self.is_match(file_name)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_matches_everything() {
        let m = NameMatcher::new(&["*"]).unwrap();
        assert!(m.matches_workflow("CI", ".github/workflows/ci.yml"));
        assert!(m.matches_workflow("Deploy / prod", ""));
    }

    #[test]
    fn globs_match_name_path_or_file_name() {
        let m = NameMatcher::new(&["Release*", "lint.yml"]).unwrap();
        assert!(m.matches_workflow("Release nightly", ".github/workflows/rel.yml"));
        assert!(m.matches_workflow("Lint", ".github/workflows/lint.yml"));
        assert!(!m.matches_workflow("CI", ".github/workflows/ci.yml"));
    }

    #[test]
    fn matching_ignores_case() {
        let m = NameMatcher::new(&["auto-heal workflow failures"]).unwrap();
        assert!(m.is_match("Auto-Heal Workflow Failures"));
    }

    #[test]
    fn an_empty_list_matches_nothing() {
        let m = NameMatcher::new::<&str>(&[]).unwrap();
        assert!(!m.is_match("main"));
    }

    #[test]
    fn a_bad_glob_is_an_error() {
        assert!(NameMatcher::new(&["[unclosed"]).is_err());
    }
}
