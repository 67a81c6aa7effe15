//! The simulator's scenario: repositories, workflows, runs, jobs and their logs, as YAML.
//!
//! The built-in demo (`assets/demo/`) is embedded in the binary; `autoheal sim --scenario F`
//! loads another one from disk, its logs relative to the YAML file. Times are relative
//! (`ago_minutes`) so a demo always looks recent; see `assets/demo/README.md` for every key.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/demo_assets.rs"));
}

#[derive(Debug, Clone, Deserialize)]
pub struct Scenario {
    pub repositories: Vec<ScenarioRepo>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ScenarioRepo {
    pub owner: String,
    pub name: String,
    #[serde(default = "default_branch")]
    pub default_branch: String,
    #[serde(default)]
    pub private: bool,
    #[serde(default)]
    pub description: Option<String>,
    /// Files on the default branch, served by the contents API.
    #[serde(default)]
    pub files: BTreeMap<String, String>,
    #[serde(default)]
    pub workflows: Vec<ScenarioWorkflow>,
    #[serde(default)]
    pub runs: Vec<ScenarioRun>,
    /// Extra branches (e.g. old heal branches for `cleanup`).
    #[serde(default)]
    pub branches: Vec<ScenarioBranch>,
    /// Pull requests' workflow runs wait for a maintainer's approval (as for Copilot's PRs
    /// under the "require approval for all outside collaborators" setting).
    #[serde(default)]
    pub require_approval: bool,
    /// Archived: listed by its organisation, skipped by `--org`.
    #[serde(default)]
    pub archived: bool,
    /// Commits besides the runs' heads (each run's head is a commit of its own, whose parent
    /// is the head of the run before it on the same branch): what `compare` walks.
    #[serde(default)]
    pub commits: Vec<ScenarioCommit>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ScenarioCommit {
    pub sha: String,
    #[serde(default)]
    pub parents: Vec<String>,
    pub message: String,
    #[serde(default = "default_actor")]
    pub author: String,
    pub ago_minutes: f64,
    #[serde(default)]
    pub files: Vec<ScenarioFile>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ScenarioFile {
    pub filename: String,
    #[serde(default = "modified")]
    pub status: String,
    #[serde(default = "one_u64")]
    pub additions: u64,
    #[serde(default)]
    pub deletions: u64,
}

fn modified() -> String {
    "modified".into()
}

fn one_u64() -> u64 {
    1
}

fn default_branch() -> String {
    "main".into()
}

#[derive(Debug, Clone, Deserialize)]
pub struct ScenarioWorkflow {
    pub id: u64,
    pub name: String,
    pub path: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ScenarioRun {
    pub id: u64,
    pub workflow_id: u64,
    #[serde(default)]
    pub display_title: String,
    #[serde(default = "default_event")]
    pub event: String,
    pub head_branch: String,
    pub head_sha: String,
    #[serde(default = "default_actor")]
    pub actor: String,
    pub conclusion: String,
    #[serde(default = "one")]
    pub run_attempt: u32,
    pub ago_minutes: f64,
    #[serde(default)]
    pub fork: bool,
    #[serde(default)]
    pub jobs: Vec<ScenarioJob>,
    /// How a re-run of this run ends (`success` by default: most transient failures pass).
    #[serde(default = "success")]
    pub rerun_conclusion: String,
    /// The attempts before `run_attempt`, oldest first (a run that passed on a re-run).
    #[serde(default)]
    pub previous_attempts: Vec<ScenarioAttempt>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ScenarioAttempt {
    pub conclusion: String,
    #[serde(default)]
    pub jobs: Vec<ScenarioJob>,
}

impl ScenarioRun {
    /// Every job of every attempt.
    pub fn all_jobs(&self) -> impl Iterator<Item = &ScenarioJob> {
        self.previous_attempts
            .iter()
            .flat_map(|a| a.jobs.iter())
            .chain(self.jobs.iter())
    }
}

fn success() -> String {
    "success".into()
}

fn default_event() -> String {
    "push".into()
}

fn default_actor() -> String {
    "octocat".into()
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, Deserialize)]
pub struct ScenarioJob {
    pub id: u64,
    pub name: String,
    pub conclusion: String,
    #[serde(default = "default_duration")]
    pub duration_seconds: u64,
    #[serde(default)]
    pub log: Option<String>,
    #[serde(default)]
    pub steps: Vec<ScenarioStep>,
}

fn default_duration() -> u64 {
    60
}

#[derive(Debug, Clone, Deserialize)]
pub struct ScenarioStep {
    pub name: String,
    pub conclusion: String,
    /// 1-based line of the log where this step's output starts.
    #[serde(default)]
    pub first_line: Option<usize>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ScenarioBranch {
    pub name: String,
    pub sha: String,
    /// Age of the branch's head commit.
    pub age_days: f64,
    /// An open pull request has this branch as its head.
    #[serde(default)]
    pub open_pull: bool,
}

/// A scenario with its logs, ready to build a world from.
#[derive(Debug, Clone)]
pub struct LoadedScenario {
    pub scenario: Scenario,
    pub logs: BTreeMap<String, Vec<u8>>,
}

impl LoadedScenario {
    /// The demo shipped inside the binary.
    pub fn demo() -> Result<Self, String> {
        let scenario: Scenario = serde_yaml::from_str(embedded::SCENARIO)
            .map_err(|e| format!("built-in demo scenario: {e}"))?;
        let logs = embedded::LOGS
            .iter()
            .map(|(name, bytes)| (name.to_string(), bytes.to_vec()))
            .collect();
        let loaded = LoadedScenario { scenario, logs };
        loaded.check()?;
        Ok(loaded)
    }

    /// A scenario file on disk; its logs are read from `logs/` beside it.
    pub fn from_file(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let scenario: Scenario =
            serde_yaml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let dir = path.parent().unwrap_or(Path::new(".")).join("logs");
        let mut logs = BTreeMap::new();
        for repo in &scenario.repositories {
            for run in &repo.runs {
                for job in run.all_jobs() {
                    if let Some(name) = &job.log
                        && !logs.contains_key(name)
                    {
                        let file = dir.join(name);
                        let bytes = std::fs::read(&file)
                            .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
                        logs.insert(name.clone(), bytes);
                    }
                }
            }
        }
        let loaded = LoadedScenario { scenario, logs };
        loaded.check()?;
        Ok(loaded)
    }

    /// Ids unique, every referenced log and workflow present.
    pub(super) fn check(&self) -> Result<(), String> {
        let mut ids = std::collections::HashSet::new();
        for repo in &self.scenario.repositories {
            for run in &repo.runs {
                if !ids.insert(("run", run.id)) {
                    return Err(format!("run id {} appears twice", run.id));
                }
                if !repo.workflows.iter().any(|w| w.id == run.workflow_id) {
                    return Err(format!(
                        "run {} names workflow {} which {}/{} does not have",
                        run.id, run.workflow_id, repo.owner, repo.name
                    ));
                }
                if run.previous_attempts.len() >= run.run_attempt as usize {
                    return Err(format!(
                        "run {} has {} previous attempts but is attempt {}",
                        run.id,
                        run.previous_attempts.len(),
                        run.run_attempt
                    ));
                }
                for job in run.all_jobs() {
                    if !ids.insert(("job", job.id)) {
                        return Err(format!("job id {} appears twice", job.id));
                    }
                    if let Some(log) = &job.log
                        && !self.logs.contains_key(log)
                    {
                        return Err(format!("job {} names log {log} which is missing", job.id));
                    }
                }
            }
        }
        Ok(())
    }
}
