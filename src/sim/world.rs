//! The simulator's state: what GitHub would know about the scenario's repositories, plus
//! everything written to it since it started. Reads render it as GitHub's JSON (`json.rs`);
//! writes change it, so they show in later reads.
//!
//! Time is the wall clock: the Copilot player (`copilot.rs`) and check runs derive their state
//! from how long ago something happened, so there is no background task to keep in step.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::scenario::{LoadedScenario, ScenarioRun};

/// Knobs of the simulated world (not faults: those are in `faults.rs`).
#[derive(Debug, Clone)]
pub struct WorldOptions {
    /// Delay between a Copilot request and its draft PR appearing.
    pub copilot_delay: Duration,
    /// How long a check run on the Copilot PR stays queued, then in progress.
    pub check_queued: Duration,
    pub check_running: Duration,
    /// Conclusion of the Copilot PR's checks: `success` or `failure`.
    pub copilot_checks_conclusion: String,
    /// Copilot PRs' workflow runs wait for a maintainer's approval.
    pub require_approval: bool,
    /// Files the Copilot PR changes.
    pub copilot_changed_files: u64,
}

impl Default for WorldOptions {
    fn default() -> Self {
        WorldOptions {
            copilot_delay: Duration::from_secs(4),
            check_queued: Duration::from_secs(3),
            check_running: Duration::from_secs(8),
            copilot_checks_conclusion: "success".into(),
            require_approval: false,
            copilot_changed_files: 2,
        }
    }
}

#[derive(Debug)]
pub struct World {
    pub started: DateTime<Utc>,
    pub options: WorldOptions,
    pub repos: Vec<RepoState>,
    next_id: u64,
}

#[derive(Debug, Clone)]
pub struct RepoState {
    pub id: u64,
    pub owner: String,
    pub name: String,
    pub default_branch: String,
    pub private: bool,
    pub description: Option<String>,
    pub created_at: DateTime<Utc>,
    pub files: BTreeMap<String, String>,
    pub workflows: Vec<WorkflowState>,
    pub runs: Vec<RunState>,
    pub issues: Vec<IssueState>,
    pub pulls: Vec<PullState>,
    /// Branch name → head sha.
    pub branches: BTreeMap<String, String>,
    /// Commit sha → commit date.
    pub commits: BTreeMap<String, CommitState>,
    pub labels: BTreeSet<String>,
    pub check_runs: Vec<CheckRunState>,
    pub copilot: Vec<CopilotRequest>,
    pub tasks: Vec<TaskState>,
    /// Issues and pull requests share one sequence of numbers.
    pub next_number: u64,
    /// PR workflow runs wait for approval in this repository.
    pub require_approval: bool,
    pub archived: bool,
}

impl RepoState {
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }
}

#[derive(Debug, Clone)]
pub struct WorkflowState {
    pub id: u64,
    pub name: String,
    pub path: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct RunState {
    pub id: u64,
    pub run_number: u64,
    pub workflow_id: u64,
    pub name: String,
    pub path: String,
    pub display_title: String,
    pub event: String,
    pub head_branch: String,
    pub head_sha: String,
    pub actor: String,
    pub status: String,
    pub conclusion: Option<String>,
    pub run_attempt: u32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub fork: bool,
    pub jobs: Vec<JobState>,
    /// A re-run or an approval in progress: when it started and how it will end.
    pub pending: Option<(DateTime<Utc>, String)>,
    /// How a re-run of this run ends (the scenario's `rerun_conclusion`).
    pub rerun_conclusion: String,
    /// The jobs of each attempt before `run_attempt`, oldest first; an attempt missing here
    /// is served as the latest one's jobs.
    pub previous_attempts: Vec<Vec<JobState>>,
    /// For a pull request's run from this repository: the base branch's head when it ran
    /// (GitHub names the pull request on the run; not for a fork's).
    pub pull_base: Option<String>,
}

impl RunState {
    /// The jobs of every attempt, the latest first.
    pub fn all_jobs(&self) -> impl Iterator<Item = &JobState> {
        self.jobs
            .iter()
            .chain(self.previous_attempts.iter().flatten())
    }

    /// The jobs of attempt `n` (1-based), `None` past the latest.
    pub fn attempt_jobs(&self, n: u32) -> Option<&[JobState]> {
        if n == 0 || n > self.run_attempt {
            return None;
        }
        match self.previous_attempts.get(n as usize - 1) {
            Some(jobs) if n < self.run_attempt => Some(jobs),
            _ => Some(&self.jobs),
        }
    }
}

/// A commit: what `compare` and `commits/{ref}` answer.
#[derive(Debug, Clone)]
pub struct CommitState {
    pub date: DateTime<Utc>,
    pub message: String,
    pub author: String,
    pub parents: Vec<String>,
    pub files: Vec<FileChange>,
}

impl CommitState {
    /// A commit nothing else is known of.
    pub fn at(date: DateTime<Utc>) -> CommitState {
        CommitState {
            date,
            message: "Commit".into(),
            author: "octocat".into(),
            parents: Vec::new(),
            files: Vec::new(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct FileChange {
    pub filename: String,
    pub status: String,
    pub additions: u64,
    pub deletions: u64,
}

#[derive(Debug, Clone)]
pub struct JobState {
    pub id: u64,
    pub run_id: u64,
    pub run_attempt: u32,
    pub name: String,
    pub status: String,
    pub conclusion: Option<String>,
    pub started_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    pub steps: Vec<StepState>,
    pub log: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct StepState {
    pub name: String,
    pub number: u32,
    pub status: String,
    pub conclusion: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct IssueState {
    pub id: u64,
    pub number: u64,
    pub title: String,
    pub body: String,
    pub state: String,
    pub labels: Vec<String>,
    pub assignees: Vec<String>,
    pub user: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    /// Why it was closed (`completed`, `not_planned`, `duplicate`); `None` while open.
    pub state_reason: Option<String>,
    pub comments: Vec<CommentState>,
    pub timeline: Vec<TimelineState>,
}

#[derive(Debug, Clone)]
pub struct CommentState {
    pub id: u64,
    pub body: String,
    pub user: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub enum TimelineState {
    Labeled {
        id: u64,
        label: String,
        at: DateTime<Utc>,
    },
    Assigned {
        id: u64,
        login: String,
        at: DateTime<Utc>,
    },
    Commented {
        comment_id: u64,
    },
    CrossReferenced {
        pull_number: u64,
        at: DateTime<Utc>,
    },
    Closed {
        id: u64,
        at: DateTime<Utc>,
    },
}

#[derive(Debug, Clone)]
pub struct PullState {
    pub id: u64,
    pub number: u64,
    pub title: String,
    pub body: String,
    pub state: String,
    pub draft: bool,
    pub head_ref: String,
    pub head_sha: String,
    pub base_ref: String,
    pub user: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub merged_at: Option<DateTime<Utc>>,
    pub changed_files: u64,
    pub labels: Vec<String>,
    /// `(reviewer, state)`: `APPROVED`, `CHANGES_REQUESTED`, `COMMENTED`.
    pub reviews: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct CheckRunState {
    pub id: u64,
    pub name: String,
    pub head_sha: String,
    pub created_at: DateTime<Utc>,
    pub conclusion: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopilotVia {
    Comment,
    Assignment,
    Task,
}

#[derive(Debug, Clone)]
pub struct CopilotRequest {
    pub issue_number: Option<u64>,
    pub prompt: String,
    pub base_ref: String,
    pub at: DateTime<Utc>,
    pub via: CopilotVia,
    pub task_id: Option<String>,
    /// The PR, once it appeared.
    pub pull_number: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct TaskState {
    pub id: String,
    pub prompt: String,
    pub base_ref: String,
    pub model: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Seconds since the epoch, as an id seed that differs between runs of the simulator.
const ID_BASE: u64 = 1_000_000_000;

impl World {
    pub fn new(scenario: &LoadedScenario, options: WorldOptions) -> World {
        let started = Utc::now();
        let mut world = World {
            started,
            options,
            repos: Vec::new(),
            next_id: ID_BASE,
        };
        for (index, repo) in scenario.scenario.repositories.iter().enumerate() {
            let mut state = RepoState {
                id: 700_000_000 + index as u64 * 1_017,
                owner: repo.owner.clone(),
                name: repo.name.clone(),
                default_branch: repo.default_branch.clone(),
                private: repo.private,
                description: repo.description.clone(),
                created_at: started - TimeDelta::days(400 + index as i64 * 37),
                files: repo.files.clone(),
                workflows: repo
                    .workflows
                    .iter()
                    .map(|w| WorkflowState {
                        id: w.id,
                        name: w.name.clone(),
                        path: w.path.clone(),
                        created_at: started - TimeDelta::days(300),
                    })
                    .collect(),
                runs: Vec::new(),
                issues: Vec::new(),
                pulls: Vec::new(),
                branches: BTreeMap::new(),
                commits: BTreeMap::new(),
                labels: ["bug", "documentation", "enhancement"]
                    .into_iter()
                    .map(String::from)
                    .collect(),
                check_runs: Vec::new(),
                copilot: Vec::new(),
                tasks: Vec::new(),
                next_number: 1 + (index as u64 * 7 + 11) * 3,
                require_approval: repo.require_approval,
                archived: repo.archived,
            };
            let default_sha = fake_sha(&format!("{}/{}@default", repo.owner, repo.name));
            state
                .branches
                .insert(repo.default_branch.clone(), default_sha.clone());
            state.commits.insert(
                default_sha.clone(),
                CommitState::at(started - TimeDelta::hours(1)),
            );
            for commit in &repo.commits {
                let date = started - TimeDelta::seconds((commit.ago_minutes * 60.0) as i64);
                state.commits.insert(
                    commit.sha.clone(),
                    CommitState {
                        date,
                        message: commit.message.clone(),
                        author: commit.author.clone(),
                        parents: commit.parents.clone(),
                        files: commit
                            .files
                            .iter()
                            .map(|f| FileChange {
                                filename: f.filename.clone(),
                                status: f.status.clone(),
                                additions: f.additions,
                                deletions: f.deletions,
                            })
                            .collect(),
                    },
                );
            }
            for branch in &repo.branches {
                state
                    .branches
                    .insert(branch.name.clone(), branch.sha.clone());
                let committed = started - TimeDelta::seconds((branch.age_days * 86_400.0) as i64);
                state
                    .commits
                    .insert(branch.sha.clone(), CommitState::at(committed));
                if branch.open_pull {
                    let id = world.next_id();
                    let number = state.next_number;
                    state.next_number += 1;
                    state.pulls.push(PullState {
                        id,
                        number,
                        title: format!("Fix from {}", branch.name),
                        body: "Work in progress.".into(),
                        state: "open".into(),
                        draft: true,
                        head_ref: branch.name.clone(),
                        head_sha: branch.sha.clone(),
                        base_ref: repo.default_branch.clone(),
                        user: "Copilot".into(),
                        created_at: committed,
                        updated_at: committed,
                        merged_at: None,
                        changed_files: 1,
                        labels: Vec::new(),
                        reviews: Vec::new(),
                    });
                }
            }
            let mut runs: Vec<&ScenarioRun> = repo.runs.iter().collect();
            runs.sort_by(|a, b| b.ago_minutes.total_cmp(&a.ago_minutes));
            // Each branch's history: a run's head follows the head of the run before it on
            // the same branch (a new branch starts from the default branch's).
            let mut heads: BTreeMap<String, String> = BTreeMap::new();
            for (n, run) in runs.into_iter().enumerate() {
                let Some(workflow) = state.workflows.iter().find(|w| w.id == run.workflow_id)
                else {
                    continue;
                };
                let created_at = started - TimeDelta::seconds((run.ago_minutes * 60.0) as i64);
                let parent = heads
                    .get(&run.head_branch)
                    .or_else(|| heads.get(&repo.default_branch))
                    .filter(|p| **p != run.head_sha)
                    .cloned();
                let pull_base = (run.event == "pull_request" && !run.fork).then(|| {
                    heads
                        .get(&repo.default_branch)
                        .cloned()
                        .unwrap_or_else(|| default_sha.clone())
                });
                state
                    .commits
                    .entry(run.head_sha.clone())
                    .or_insert_with(|| CommitState {
                        date: created_at - TimeDelta::minutes(2),
                        message: run.display_title.clone(),
                        author: run.actor.clone(),
                        parents: parent.into_iter().collect(),
                        files: Vec::new(),
                    });
                heads.insert(run.head_branch.clone(), run.head_sha.clone());
                state
                    .branches
                    .entry(run.head_branch.clone())
                    .or_insert_with(|| run.head_sha.clone());
                let jobs: Vec<JobState> = run
                    .jobs
                    .iter()
                    .map(|job| build_job(job, run, run.run_attempt, created_at, scenario))
                    .collect();
                let previous_attempts = run
                    .previous_attempts
                    .iter()
                    .zip(1..)
                    .map(|(attempt, number)| {
                        attempt
                            .jobs
                            .iter()
                            .map(|job| build_job(job, run, number, created_at, scenario))
                            .collect()
                    })
                    .collect();
                let updated_at = jobs
                    .iter()
                    .filter_map(|j| j.completed_at)
                    .max()
                    .unwrap_or(created_at);
                state.runs.push(RunState {
                    id: run.id,
                    run_number: 100 + n as u64,
                    workflow_id: workflow.id,
                    name: workflow.name.clone(),
                    path: workflow.path.clone(),
                    display_title: run.display_title.clone(),
                    event: run.event.clone(),
                    head_branch: run.head_branch.clone(),
                    head_sha: run.head_sha.clone(),
                    actor: run.actor.clone(),
                    status: "completed".into(),
                    conclusion: Some(run.conclusion.clone()),
                    run_attempt: run.run_attempt,
                    created_at,
                    updated_at,
                    fork: run.fork,
                    jobs,
                    pending: None,
                    rerun_conclusion: run.rerun_conclusion.clone(),
                    previous_attempts,
                    pull_base,
                });
            }
            world.repos.push(state);
        }
        world
    }

    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    pub fn repo(&self, owner: &str, name: &str) -> Option<&RepoState> {
        self.repos
            .iter()
            .find(|r| r.owner.eq_ignore_ascii_case(owner) && r.name.eq_ignore_ascii_case(name))
    }

    pub fn repo_index(&self, owner: &str, name: &str) -> Option<usize> {
        self.repos
            .iter()
            .position(|r| r.owner.eq_ignore_ascii_case(owner) && r.name.eq_ignore_ascii_case(name))
    }

    pub fn find_job(&self, job_id: u64) -> Option<(&RepoState, &RunState, &JobState)> {
        self.repos.iter().find_map(|repo| {
            repo.runs.iter().find_map(|run| {
                run.all_jobs()
                    .find(|j| j.id == job_id)
                    .map(|job| (repo, run, job))
            })
        })
    }
}

/// How long a re-run (or an approved run) stays queued, then in progress.
const RUN_QUEUED: TimeDelta = TimeDelta::seconds(1);
const RUN_RUNNING: TimeDelta = TimeDelta::seconds(4);

/// Brings re-runs and approved runs up to `now`: queued → in progress → completed.
pub fn advance_runs(world: &mut World, now: DateTime<Utc>) {
    for repo in &mut world.repos {
        for run in &mut repo.runs {
            let Some((started, conclusion)) = run.pending.clone() else {
                continue;
            };
            if now < started + RUN_QUEUED {
                run.status = "queued".into();
                run.conclusion = None;
            } else if now < started + RUN_QUEUED + RUN_RUNNING {
                run.status = "in_progress".into();
                run.conclusion = None;
            } else {
                run.status = "completed".into();
                run.conclusion = Some(conclusion.clone());
                run.updated_at = started + RUN_QUEUED + RUN_RUNNING;
                for job in run
                    .jobs
                    .iter_mut()
                    .filter(|j| j.conclusion.as_deref() == Some("failure"))
                {
                    job.conclusion = Some(conclusion.clone());
                    job.run_attempt = run.run_attempt;
                    for step in &mut job.steps {
                        if step.conclusion.as_deref() == Some("failure") {
                            step.conclusion = Some(conclusion.clone());
                        }
                    }
                }
                run.pending = None;
            }
        }
    }
}

/// A deterministic, realistic-looking 40-hex sha for a name.
pub fn fake_sha(seed: &str) -> String {
    use std::hash::Hasher;
    let mut out = String::with_capacity(40);
    let mut h = fnv::FnvHasher::default();
    for round in 0u64..5 {
        h.write(seed.as_bytes());
        h.write(&round.to_le_bytes());
        out.push_str(&format!("{:08x}", h.finish() as u32));
    }
    out
}

fn build_job(
    job: &super::scenario::ScenarioJob,
    run: &ScenarioRun,
    attempt: u32,
    run_created: DateTime<Utc>,
    scenario: &LoadedScenario,
) -> JobState {
    let started_at = run_created + TimeDelta::seconds(4);
    let completed_at = started_at + TimeDelta::seconds(job.duration_seconds as i64);
    let raw = job
        .log
        .as_ref()
        .and_then(|name| scenario.logs.get(name))
        .cloned()
        .unwrap_or_else(|| generic_log(&job.name, &job.conclusion));
    let (log, line_times) = shift_log(&raw, started_at);

    let step_starts: Vec<Option<DateTime<Utc>>> = job
        .steps
        .iter()
        .map(|s| {
            s.first_line
                .and_then(|l| line_times.get(l.saturating_sub(1)).copied().flatten())
        })
        .collect();
    let steps = job
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let skipped = s.conclusion == "skipped";
            let started = if skipped {
                None
            } else {
                step_starts[i].or(Some(started_at))
            };
            let completed = if skipped {
                None
            } else {
                step_starts[i + 1..]
                    .iter()
                    .flatten()
                    .next()
                    .copied()
                    .or(Some(completed_at))
            };
            StepState {
                name: s.name.clone(),
                number: i as u32 + 1,
                status: "completed".into(),
                conclusion: Some(s.conclusion.clone()),
                started_at: started,
                completed_at: completed,
            }
        })
        .collect();
    JobState {
        id: job.id,
        run_id: run.id,
        run_attempt: attempt,
        name: job.name.clone(),
        status: "completed".into(),
        conclusion: Some(job.conclusion.clone()),
        started_at,
        completed_at: Some(completed_at),
        steps,
        log,
    }
}

/// Moves a log's timestamps so its first line falls at `start`; returns the new log and each
/// line's new time (`None` for lines without a timestamp).
fn shift_log(raw: &[u8], start: DateTime<Utc>) -> (Vec<u8>, Vec<Option<DateTime<Utc>>>) {
    let lines: Vec<&[u8]> = raw.split(|&b| b == b'\n').collect();
    let first = lines.iter().find_map(|l| parse_stamp(l));
    let delta = first.map(|f| start - f).unwrap_or_default();
    let mut out = Vec::with_capacity(raw.len());
    let mut times = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        match parse_stamp(line) {
            Some(t) => {
                let t = t + delta;
                out.extend_from_slice(log_stamp(t).as_bytes());
                out.extend_from_slice(&line[28..]);
                times.push(Some(t));
            }
            None => {
                out.extend_from_slice(line);
                times.push(None);
            }
        }
        if i + 1 < lines.len() {
            out.push(b'\n');
        }
    }
    (out, times)
}

/// A raw GitHub log line's timestamp: seven fractional digits (chrono has no `%.7f`).
pub fn log_stamp(t: DateTime<Utc>) -> String {
    format!(
        "{}.{:07}Z",
        t.format("%Y-%m-%dT%H:%M:%S"),
        t.timestamp_subsec_nanos() / 100
    )
}

/// The `2025-11-20T10:15:32.1234567Z` prefix of a raw GitHub log line.
fn parse_stamp(line: &[u8]) -> Option<DateTime<Utc>> {
    let line = line.strip_prefix(b"\xef\xbb\xbf").unwrap_or(line);
    let stamp = std::str::from_utf8(line.get(..28)?).ok()?;
    DateTime::parse_from_rfc3339(stamp)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn generic_log(job: &str, conclusion: &str) -> Vec<u8> {
    let lines = [
        "Current runner version: '2.321.0'".to_string(),
        "##[group]Operating System".into(),
        "Ubuntu".into(),
        "24.04.1".into(),
        "LTS".into(),
        "##[endgroup]".into(),
        format!("Complete job name: {job}"),
        "##[group]Run actions/checkout@v4".into(),
        "with:".into(),
        "##[endgroup]".into(),
        "Syncing repository".into(),
        "##[group]Run make check".into(),
        "make check".into(),
        "shell: /usr/bin/bash -e {0}".into(),
        "##[endgroup]".into(),
        if conclusion == "success" {
            "All checks passed.".into()
        } else {
            "##[error]Process completed with exit code 2.".into()
        },
        "Cleaning up orphan processes".into(),
    ];
    let mut t = DateTime::parse_from_rfc3339("2025-11-20T10:00:00Z")
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|_| Utc::now());
    let mut out = String::new();
    for line in lines {
        out.push_str(&log_stamp(t));
        out.push(' ');
        out.push_str(&line);
        out.push('\n');
        t += TimeDelta::milliseconds(700);
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_are_shifted_to_the_job_start() {
        let raw = b"2025-01-01T00:00:00.0000000Z one\n2025-01-01T00:00:05.5000000Z two\nno stamp";
        let start = DateTime::parse_from_rfc3339("2026-02-03T04:05:06Z")
            .unwrap()
            .with_timezone(&Utc);
        let (log, times) = shift_log(raw, start);
        let text = String::from_utf8(log).unwrap();
        assert_eq!(
            text,
            "2026-02-03T04:05:06.0000000Z one\n2026-02-03T04:05:11.5000000Z two\nno stamp"
        );
        assert_eq!(times[0], Some(start));
        assert_eq!(times[2], None);
    }

    #[test]
    fn fake_shas_look_real_and_are_stable() {
        let a = fake_sha("x");
        assert_eq!(a.len(), 40);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        // The demo's shas are in its snapshots and its users' notes: stable across versions.
        assert_eq!(a, "a675fde72f2f52ac738171fead5ee6d1b118ad0f");
        assert_ne!(a, fake_sha("y"));
    }
}
