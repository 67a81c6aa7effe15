//! Configuration: the repository's policy (`.github/auto-heal-config.yml`), where it comes
//! from, and the matchers it implies. Reading a file is here; fetching one from GitHub is
//! done by the caller through the forge, then handed to [`load::parse_policy`].

pub mod load;
pub mod matcher;
pub mod policy;
pub mod schema;
pub mod settings;

pub use load::{ConfigError, LoadedPolicy, PolicySource, load_file, parse_policy};
pub use matcher::NameMatcher;
pub use policy::{CopilotMode, FailurePattern, Policy};

/// Where a repository keeps its policy.
pub const POLICY_PATH: &str = ".github/auto-heal-config.yml";

/// The policy's lists, compiled once.
#[derive(Debug, Clone)]
pub struct WorkflowFilter {
    monitored: NameMatcher,
    excluded: NameMatcher,
}

impl WorkflowFilter {
    pub fn new(policy: &Policy) -> Result<Self, String> {
        Ok(WorkflowFilter {
            monitored: NameMatcher::new(&policy.monitored_workflows)?,
            excluded: NameMatcher::new(&policy.excluded_workflows)?,
        })
    }

    /// Is this workflow monitored and not excluded?
    pub fn accepts(&self, name: &str, path: &str) -> bool {
        self.monitored.matches_workflow(name, path) && !self.excluded.matches_workflow(name, path)
    }

    pub fn is_excluded(&self, name: &str, path: &str) -> bool {
        self.excluded.matches_workflow(name, path)
    }
}
