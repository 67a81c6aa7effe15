//! Running effects: each is a tokio task whose result comes back to the loop as an
//! [`Action`]. The UI thread never waits on the network.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::Utc;
use tokio::sync::{Notify, mpsc};

use super::action::{Action, Effect, PrSnapshot, RunKey, Unanswered};
use super::explain_queue::{ExplainQueue, Tier};
use crate::config::LoadedPolicy;
use crate::engine::AuditLog;
use crate::forge::Status;
use crate::forge::{Forge, GitHub, RepoRef, WorkflowRun};
use crate::heal::{self, Executor, HealError};

/// What effects need: the client, the repositories, the policy override, the audit log.
#[derive(Clone)]
pub struct Runner {
    pub github: Arc<GitHub>,
    pub tx: mpsc::UnboundedSender<Action>,
    pub given_policy: Option<Arc<LoadedPolicy>>,
    pub limit: usize,
    pub cache: Option<std::path::PathBuf>,
    pub secrets: Arc<Vec<String>>,
    pub audit: Arc<AuditLog>,
    /// Wakes the pollers for an immediate refresh.
    pub refresh: Arc<Notify>,
    /// The runs waiting to be explained.
    pub explains: Arc<ExplainQueue>,
    /// The repositories watched from the start (an organisation's watch lists only the new).
    pub repos: Arc<Vec<RepoRef>>,
    /// Bumped when the user asks for a refresh: the pollers read the policy files again.
    pub policy_reloads: Arc<AtomicU64>,
    /// Each repository's policy, as its poller last read it (explaining a run reuses it).
    pub policies: Arc<std::sync::Mutex<std::collections::HashMap<RepoRef, Arc<LoadedPolicy>>>>,
    /// The runs explained urgently right now (the user selected them), each once.
    pub explaining_now: Arc<std::sync::Mutex<std::collections::HashSet<RunKey>>>,
    /// Prompt drafts, read and written on a thread of their own.
    pub drafts: Arc<super::draft_store::DraftStore>,
    /// What is known of each followed heal PR, so that a poll asks only what may have changed.
    pub pr_memory: Arc<std::sync::Mutex<std::collections::HashMap<RunKey, crate::watch::PrMemory>>>,
    /// Each listed run as its repository's last poll returned it: explaining it need not
    /// read it again.
    pub listed: Arc<std::sync::Mutex<std::collections::HashMap<RunKey, WorkflowRun>>>,
    /// Failed jobs of queued runs, read many runs a request for background explanations.
    pub read_ahead: Arc<super::read_ahead::ReadAhead>,
    /// What explanations found out about workflows and failures, shared by all of them.
    pub recall: Arc<crate::history::Recall>,
    /// Organisation repositories whose activity the first poll checks, and the days it
    /// looks back.
    pub unproven: Arc<std::sync::Mutex<std::collections::HashSet<RepoRef>>>,
    pub active_days: u32,
    /// Organisation repositories found without a workflow run lately: asked about again
    /// every [`ORG_RELIST`].
    pub dormant: Arc<std::sync::Mutex<std::collections::HashSet<RepoRef>>>,
    /// Repositories polled now: how far apart the polls go (see `cadence::refresh_interval`).
    pub watching: Arc<std::sync::atomic::AtomicUsize>,
}

impl Runner {
    /// A runner for `repos`, writing its audit log and drafts under `data_dir`; everything
    /// else starts empty (no policy given, no log cache, no secrets, 30 runs a repository).
    pub fn new(
        github: Arc<GitHub>,
        tx: mpsc::UnboundedSender<Action>,
        repos: Vec<RepoRef>,
        data_dir: &std::path::Path,
    ) -> Runner {
        Runner {
            github,
            given_policy: None,
            limit: 30,
            cache: None,
            secrets: Default::default(),
            audit: Arc::new(AuditLog::in_dir(data_dir)),
            refresh: Default::default(),
            explains: Default::default(),
            repos: Arc::new(repos),
            policy_reloads: Default::default(),
            pr_memory: Default::default(),
            policies: Default::default(),
            explaining_now: Default::default(),
            listed: Default::default(),
            read_ahead: Default::default(),
            recall: Default::default(),
            unproven: Default::default(),
            active_days: crate::config::settings::ORG_ACTIVE_DAYS,
            watching: Default::default(),
            dormant: Default::default(),
            drafts: Arc::new(super::draft_store::DraftStore::start(
                data_dir.to_path_buf(),
                tx.clone(),
            )),
            tx,
        }
    }
}

/// Whether the user is looking at the run being explained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Looked {
    At,
    Not,
}

/// Whether a poller goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Watch {
    Go,
    /// An organisation's repository without a workflow run lately: not watched.
    Stop,
}

/// How long a background explainer waits before looking at the budget again.
const BUDGET_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// How often an organisation's repositories are listed again, for new ones.
pub const ORG_RELIST: std::time::Duration = std::time::Duration::from_secs(600);

/// How long a poller trusts a repository's policy file before reading it again.
pub const POLICY_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(600);

/// Runs explained at once. Explaining is mostly waiting for GitHub (the run, its jobs, its
/// logs and the last green run's); the analysis itself runs on blocking threads, one a core.
pub const EXPLAINERS: usize = 6;

impl Runner {
    fn send(&self, action: Action) {
        // The loop is gone only when the console is quitting.
        let _ = self.tx.send(action);
    }

    /// Starts one poller per repository: poll, wait for the interval or a refresh, repeat.
    /// A poll is one conditional request (the run list); the repository's policy file is
    /// read again every [`POLICY_MAX_AGE`] and when the user asks for a refresh.
    /// The repositories' policy files are read first, all in a few requests (see
    /// `scan::resolve_policies`); a poller whose policy that left out reads its own.
    pub fn start_pollers(&self, repos: &[RepoRef], interval: std::time::Duration) {
        let me = self.clone();
        let repos = repos.to_vec();
        tokio::spawn(async move {
            let mut read = crate::engine::scan::resolve_policies(
                me.github.as_ref(),
                &repos,
                me.given_policy.as_deref(),
            )
            .await;
            for repo in repos {
                // An error (a policy file that does not parse, GitHub out of reach) is the
                // first poll's; the next reads the file again.
                let seed = read.remove(&repo).map(|r| r.map_err(|e| e.to_string()));
                me.start_poller(repo, seed, interval);
            }
        });
    }

    /// One repository's poller; `seed` is its policy (or why it could not be read) when
    /// already read.
    fn start_poller(
        &self,
        repo: RepoRef,
        seed: Option<Result<LoadedPolicy, String>>,
        interval: std::time::Duration,
    ) {
        let me = self.clone();
        self.watching.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(async move {
            let mut seed = seed;
            let mut policy: Option<(Arc<LoadedPolicy>, tokio::time::Instant)> = None;
            let mut reloads_seen = me.policy_reloads.load(Ordering::Relaxed);
            loop {
                let reloads = me.policy_reloads.load(Ordering::Relaxed);
                if reloads != reloads_seen
                    || policy
                        .as_ref()
                        .is_some_and(|(_, at)| at.elapsed() >= POLICY_MAX_AGE)
                {
                    policy = None;
                    reloads_seen = reloads;
                }
                if me.poll(&repo, &mut policy, seed.take()).await == Watch::Stop {
                    tracing::info!(%repo, "no workflow run lately: not watched");
                    me.watching.fetch_sub(1, Ordering::Relaxed);
                    if let Ok(mut dormant) = me.dormant.lock() {
                        dormant.insert(repo);
                    }
                    return;
                }
                // Low on GitHub's hourly budget: poll a quarter as often (the status
                // bar says so) rather than run out and fail.
                let low = me.github.stats().budget().is_some_and(|b| b.is_low());
                // Spread out when many repositories are watched, as the view's countdown is.
                let watching = me.watching.load(Ordering::Relaxed);
                let wait = super::cadence::poll_every(interval, watching, low);
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = me.refresh.notified() => {}
                }
            }
        });
    }

    async fn poll(
        &self,
        repo: &RepoRef,
        policy: &mut Option<(Arc<LoadedPolicy>, tokio::time::Instant)>,
        seed: Option<Result<LoadedPolicy, String>>,
    ) -> Watch {
        let forge: &dyn Forge = self.github.as_ref();
        // With the policy file, the whole failure list is read again (see `scan::poll`).
        let mut complete = false;
        let result = async {
            let current = match policy {
                Some((current, _)) => current.clone(),
                None => {
                    let fresh = Arc::new(match seed {
                        Some(seeded) => seeded?,
                        None => crate::engine::scan::resolve_policy(
                            forge,
                            repo,
                            self.given_policy.as_deref(),
                        )
                        .await
                        .map_err(|e| e.to_string())?,
                    });
                    *policy = Some((fresh.clone(), tokio::time::Instant::now()));
                    if let Ok(mut known) = self.policies.lock() {
                        known.insert(repo.clone(), fresh.clone());
                    }
                    complete = true;
                    fresh
                }
            };
            crate::engine::scan::poll(forge, repo, &current, self.limit, complete)
                .await
                .map(|poll| poll.runs)
                .map_err(|e| e.to_string())
        }
        .await;
        if let Ok(runs) = &result
            && self.is_unproven(repo)
        {
            match self.check_activity(repo, runs).await {
                Ok(Watch::Stop) => {
                    self.send(Action::Inactive { repo: repo.clone() });
                    return Watch::Stop;
                }
                Ok(Watch::Go) => {}
                // Asked again at the next poll.
                Err(e) => tracing::debug!(%repo, error = %e, "activity unknown"),
            }
        }
        if let (Ok(runs), Ok(mut listed)) = (&result, self.listed.lock()) {
            if complete {
                // The whole failure list: what is not in it has left the console (a run
                // still going stays until a poll says how it ended).
                listed.retain(|key, run| {
                    key.repo != *repo
                        || runs.iter().any(|n| n.id == key.run_id)
                        || run.status != Some(Status::Completed)
                });
            }
            for run in runs {
                listed.insert(RunKey::new(repo.clone(), run.id), run.clone());
            }
        }
        self.send(Action::Polled {
            repo: repo.clone(),
            result,
            complete,
            budget: self.github.stats().budget(),
        });
        Watch::Go
    }

    fn is_unproven(&self, repo: &RepoRef) -> bool {
        self.unproven
            .lock()
            .is_ok_and(|unproven| unproven.contains(repo))
    }

    /// Whether an organisation's repository, just polled for the first time (`failures` its
    /// failure list), is active enough to watch: a recent failure says so at no cost.
    async fn check_activity(
        &self,
        repo: &RepoRef,
        failures: &[WorkflowRun],
    ) -> Result<Watch, crate::engine::scan::ScanError> {
        let since = crate::engine::scan::active_since(Utc::now(), self.active_days);
        let active =
            crate::engine::scan::is_active(self.github.as_ref(), repo, failures, since).await?;
        if let Ok(mut unproven) = self.unproven.lock() {
            unproven.remove(repo);
        }
        Ok(if active { Watch::Go } else { Watch::Stop })
    }

    /// Lists each organisation's active repositories again every [`ORG_RELIST`]; a new one
    /// gets a poller and joins the console.
    pub fn start_org_watch(&self, orgs: Vec<String>, interval: std::time::Duration) {
        if orgs.is_empty() {
            return;
        }
        let me = self.clone();
        tokio::spawn(async move {
            let mut known: std::collections::HashSet<RepoRef> = me.repos.iter().cloned().collect();
            loop {
                tokio::time::sleep(ORG_RELIST).await;
                for org in &orgs {
                    // Whether a new repository is active, its first poll tells.
                    let result =
                        crate::engine::scan::org_candidates(me.github.as_ref(), org, &known)
                            .await
                            .map(|found| {
                                found
                                    .into_iter()
                                    .filter(|r| known.insert(r.clone()))
                                    .collect::<Vec<_>>()
                            })
                            .map_err(|e| e.to_string());
                    if let Ok(new) = &result {
                        if let Ok(mut unproven) = me.unproven.lock() {
                            unproven.extend(new.iter().cloned());
                        }
                        me.start_pollers(new, interval);
                    }
                    me.send(Action::OrgListed {
                        org: org.clone(),
                        result,
                    });
                }
                me.wake_dormant(interval).await;
            }
        });
    }

    /// Asks again about the organisation repositories found without a workflow run lately
    /// (one small request each, every [`ORG_RELIST`]); one that has had one since is
    /// watched again.
    pub async fn wake_dormant(&self, interval: std::time::Duration) {
        let dormant: Vec<RepoRef> = self
            .dormant
            .lock()
            .map(|d| d.iter().cloned().collect())
            .unwrap_or_default();
        let since = crate::engine::scan::active_since(Utc::now(), self.active_days);
        for repo in dormant {
            if let Ok(true) = self.github.has_runs_since(&repo, since).await {
                if let Ok(mut d) = self.dormant.lock() {
                    d.remove(&repo);
                }
                self.start_pollers(std::slice::from_ref(&repo), interval);
                self.send(Action::OrgListed {
                    org: repo.owner.clone(),
                    result: Ok(vec![repo]),
                });
            }
        }
    }

    /// Starts the tasks that explain queued runs, each one run at a time.
    pub fn start_explainers(&self, count: usize) {
        for _ in 0..count {
            let me = self.clone();
            tokio::spawn(async move {
                loop {
                    let next = me.explains.next().await;
                    // Low on GitHub's hourly budget, only the run the user looks at is
                    // explained; the rest wait (and the status bar says why).
                    let low = me.github.stats().budget().is_some_and(|b| b.is_low());
                    if low && !next.selected {
                        me.explains.defer(next.key);
                        tokio::time::sleep(BUDGET_WAIT).await;
                        continue;
                    }
                    if next.selected {
                        crate::forge::scheduler::urgently(me.explain(next.key, Looked::At)).await;
                    } else {
                        me.explain(next.key, Looked::Not).await;
                    }
                }
            });
        }
    }

    async fn explain(&self, key: RunKey, looked: Looked) {
        // The run as its poll listed it; the last passing run's logs only for a run the user
        // looks at (selecting one explained without them explains it again, with them).
        let listed = self
            .listed
            .lock()
            .ok()
            .and_then(|listed| listed.get(&key).cloned());
        // In the background, the run's failed jobs are read with those of the runs queued
        // after it (one request for many); the run the user waits for does not wait for that.
        let jobs = match (&listed, looked) {
            (Some(run), Looked::Not) => {
                let ahead = || {
                    let upcoming = self.explains.upcoming(crate::forge::graphql::PER_QUERY);
                    let listed = self.listed.lock().unwrap_or_else(|e| e.into_inner());
                    upcoming
                        .into_iter()
                        .filter_map(|k| Some((k.clone(), listed.get(&k)?.clone())))
                        .collect()
                };
                self.read_ahead
                    .failed_jobs(self.github.as_ref(), &key, run, ahead)
                    .await
            }
            _ => None,
        };
        let fetch = heal::Fetch {
            listed,
            jobs,
            brief: looked == Looked::Not,
            ..Default::default()
        };
        let result = self.prepare(&key, fetch).await.map(Box::new);
        self.send(Action::Explained { key, result });
    }

    /// The run fetched, analysed and its prompt rendered, as `heal::prepare` does it.
    async fn prepare(
        &self,
        key: &RunKey,
        mut fetch: heal::Fetch,
    ) -> Result<heal::Prepared, String> {
        fetch.recall = Some(self.recall.clone());
        fetch.others_explained = true;
        let secrets: Vec<&str> = self.secrets.iter().map(String::as_str).collect();
        // The poller of the run's repository has read its policy already: no need to ask
        // GitHub again for every run explained.
        let polled = self
            .policies
            .lock()
            .ok()
            .and_then(|p| p.get(&key.repo).cloned());
        let policy = self.given_policy.clone().or(polled);
        heal::prepare(
            self.github.as_ref(),
            &key.repo,
            key.run_id,
            policy.as_deref(),
            self.cache.clone(),
            &secrets,
            fetch,
        )
        .await
        .map_err(|e| e.to_string())
    }

    pub fn run(&self, effect: Effect) {
        let me = self.clone();
        match effect {
            Effect::Refresh(_) => self.refresh.notify_waiters(),
            Effect::ReloadPolicies => {
                self.policy_reloads.fetch_add(1, Ordering::Relaxed);
                self.refresh.notify_waiters();
            }
            Effect::Explain(key) => self.explains.push(key, Tier::Newest),
            Effect::ExplainLater(key) => self.explains.push(key, Tier::Older),
            Effect::ExplainFirst(key) => {
                // The user is looking at it: explained now, on a task of its own, its
                // requests ahead of every other in the gate. An explainer may hold it already,
                // waiting on GitHub's budget behind the others: it is explained again here
                // (a few requests more, for the run a person is waiting for).
                self.explains.take(&key);
                let first = self
                    .explaining_now
                    .lock()
                    .is_ok_and(|mut now| now.insert(key.clone()));
                if first {
                    tokio::spawn(async move {
                        crate::forge::scheduler::urgently(me.explain(key.clone(), Looked::At))
                            .await;
                        if let Ok(mut now) = me.explaining_now.lock() {
                            now.remove(&key);
                        }
                    });
                }
            }
            Effect::Heal {
                key,
                steps,
                prompt,
                force,
            } => {
                tokio::spawn(async move {
                    let result = me.heal(&key, steps, &prompt, force).await.map(Box::new);
                    me.send(Action::Healed { key, steps, result });
                });
            }
            Effect::LoadLog { key, job_id } => {
                tokio::spawn(async move {
                    let result = me
                        .github
                        .job_log(&key.repo, job_id)
                        .await
                        .map(|bytes| crate::analysis::scanner::readable_lines(&bytes))
                        .map_err(|e| e.to_string());
                    me.send(Action::LogLoaded {
                        key,
                        job_id,
                        result,
                    });
                });
            }
            Effect::WatchPr {
                key,
                issue,
                pr,
                heal_branch,
            } => {
                tokio::spawn(async move {
                    let result = me.pr_status(&key, issue, pr, heal_branch.as_deref()).await;
                    me.send(Action::PrStatus { key, result });
                });
            }
            Effect::Rerun(key) => {
                tokio::spawn(async move {
                    let result = me.rerun(&key).await.map(Box::new);
                    me.send(Action::Reran { key, result });
                });
            }
            Effect::RefreshRun(key) => {
                tokio::spawn(async move {
                    let result = me
                        .github
                        .run(&key.repo, key.run_id)
                        .await
                        .map(Box::new)
                        .map_err(|e| e.to_string());
                    me.send(Action::RunUpdated { key, result });
                });
            }
            Effect::Approve { key, runs } => {
                tokio::spawn(async move {
                    let mut approved = 0;
                    let mut result = Ok(0);
                    for id in runs {
                        match me.github.approve_run(&key.repo, id).await {
                            Ok(()) => {
                                me.audit.record(
                                    &key.repo.to_string(),
                                    "approve_run",
                                    &id.to_string(),
                                    "approved",
                                );
                                approved += 1;
                                result = Ok(approved);
                            }
                            Err(e) => {
                                result = Err(format!("GitHub refused to approve run {id}: {e}"));
                                break;
                            }
                        }
                    }
                    me.send(Action::Approved { key, result });
                });
            }
            Effect::MarkReady {
                key,
                node_id,
                number,
            } => {
                tokio::spawn(async move {
                    let result = match me.github.mark_ready(&node_id).await {
                        Ok(()) => {
                            me.audit.record(
                                &key.repo.to_string(),
                                "mark_ready",
                                &format!("#{number}"),
                                "ready for review",
                            );
                            Ok(number)
                        }
                        Err(e) => Err(e.to_string()),
                    };
                    me.send(Action::MarkedReady { key, result });
                });
            }
            Effect::LoadStats(repos) => {
                tokio::spawn(async move {
                    let result = me.stats(&repos).await.map(Box::new);
                    me.send(Action::StatsLoaded(result));
                });
            }
            Effect::LoadCleanup(repos) => {
                tokio::spawn(async move {
                    let result = me.cleanup_plans(&repos).await;
                    me.send(Action::CleanupLoaded(result));
                });
            }
            Effect::RunCleanup(plans) => {
                tokio::spawn(async move {
                    let mut deleted = 0;
                    let mut result = Ok(0);
                    for plan in &plans {
                        let Ok(repo) = plan.repo.parse::<RepoRef>() else {
                            continue;
                        };
                        match crate::engine::cleanup::execute(
                            me.github.as_ref(),
                            &repo,
                            plan,
                            &me.audit,
                        )
                        .await
                        {
                            Ok(()) => {
                                deleted += plan.deleted.len();
                                result = Ok(deleted);
                            }
                            Err(e) => {
                                result = Err(format!("{repo}: {e}"));
                                break;
                            }
                        }
                    }
                    me.send(Action::CleanedUp(result));
                });
            }
            Effect::RecordUnfinished(writes) => {
                for Unanswered { repo, run_id, what } in writes {
                    let subject = match run_id {
                        Some(id) => format!("run {id}"),
                        None => "heal branches".to_string(),
                    };
                    self.audit.record(
                        &repo.to_string(),
                        "unfinished",
                        &subject,
                        &format!(
                            "the console quit before GitHub answered ({what}); look on GitHub \
                             for the result"
                        ),
                    );
                }
            }
            Effect::LoadDraft(key) => self.drafts.load(key),
            Effect::SaveDraft { key, text, synced } => self.drafts.save(key, text, synced),
            Effect::RemoveDraft(key) => self.drafts.remove(key),
            Effect::OpenUrl(url) => open_url(&url),
            Effect::CopyUrl(url) => copy_url(&url),
            Effect::Bell => {
                use std::io::Write;
                let _screen = super::crash::hold_screen();
                let mut out = std::io::stdout();
                let _ = out.write_all(b"\x07").and_then(|()| out.flush());
            }
        }
    }

    /// A repository's policy: as its poller last read it, else read now.
    async fn policy(&self, repo: &RepoRef) -> Result<Arc<LoadedPolicy>, String> {
        if let Some(known) = self.policies.lock().ok().and_then(|p| p.get(repo).cloned()) {
            return Ok(known);
        }
        let forge: &dyn Forge = self.github.as_ref();
        crate::engine::scan::resolve_policy(forge, repo, self.given_policy.as_deref())
            .await
            .map(Arc::new)
            .map_err(|e| e.to_string())
    }

    /// The heal statistics of `repos` over 30 days.
    async fn stats(&self, repos: &[RepoRef]) -> Result<crate::watch::stats::Stats, String> {
        let forge: &dyn Forge = self.github.as_ref();
        let mut all = Vec::new();
        let mut failed = Vec::new();
        for repo in repos {
            let policy = self.policy(repo).await?;
            all.extend(
                crate::watch::statuses(forge, repo, &policy.policy)
                    .await
                    .map_err(|e| format!("{repo}: {e}"))?,
            );
            let runs = crate::engine::scan::monitored_failures(forge, repo, &policy, 1000)
                .await
                .map_err(|e| e.to_string())?;
            failed.extend(
                runs.iter()
                    .map(|run| (run.workflow_name().to_string(), run.created_at)),
            );
        }
        Ok(crate::watch::stats::compute(&all, &failed, 30, Utc::now()))
    }

    async fn cleanup_plans(
        &self,
        repos: &[RepoRef],
    ) -> Result<Vec<crate::engine::cleanup::CleanupPlan>, String> {
        let forge: &dyn Forge = self.github.as_ref();
        let mut plans = Vec::new();
        for repo in repos {
            let policy = self.policy(repo).await?;
            let days = policy.policy.cleanup.older_than_days;
            plans.push(
                crate::engine::cleanup::plan(forge, repo, &policy.policy, days, Utc::now())
                    .await
                    .map_err(|e| format!("{repo}: {e}"))?,
            );
        }
        Ok(plans)
    }

    async fn rerun(&self, key: &RunKey) -> Result<crate::forge::WorkflowRun, String> {
        let forge: &dyn Forge = self.github.as_ref();
        let policy =
            crate::engine::scan::resolve_policy(forge, &key.repo, self.given_policy.as_deref())
                .await
                .map_err(|e| e.to_string())?;
        let run = forge
            .run(&key.repo, key.run_id)
            .await
            .map_err(|e| e.to_string())?;
        if let Some(reason) = crate::heal::rerun::refusal(&policy.policy, &run) {
            return Err(format!("refused: {reason}"));
        }
        crate::heal::rerun::rerun(forge, &key.repo, &run, &self.audit)
            .await
            .map_err(|e| e.to_string())?;
        forge
            .run(&key.repo, key.run_id)
            .await
            .map_err(|e| e.to_string())
    }

    async fn heal(
        &self,
        key: &RunKey,
        steps: heal::execute::Steps,
        prompt: &str,
        force: bool,
    ) -> Result<heal::HealOutcome, String> {
        let secrets: Vec<&str> = self.secrets.iter().map(String::as_str).collect();
        // A write is based on what GitHub says now: the run read again, the baseline too.
        let prepared = self.prepare(key, heal::Fetch::full()).await?;
        let plan = heal::plan::plan(&prepared.run, &prepared.policy.policy, prompt, &secrets);
        let executor = Executor {
            forge: self.github.as_ref(),
            policy: &prepared.policy.policy,
            audit: &self.audit,
            now: Utc::now(),
        };
        let outcome = executor
            .execute_steps(&plan, force, steps)
            .await
            .map_err(|e| match e {
                HealError::Refused(r) => format!("refused: {r}"),
                HealError::Forge(e) => e.to_string(),
            })?;
        let dir = crate::platform::paths::data_dir()
            .join("runs")
            .join(&key.repo.owner)
            .join(&key.repo.name)
            .join(key.run_id.to_string());
        if let Err(e) = heal::artifacts::write(
            &dir,
            &prepared.run,
            &plan,
            &prepared.policy,
            Some(&outcome),
            &secrets,
        ) {
            tracing::warn!(error = %e, "cannot write the heal artifacts");
        }
        Ok(outcome)
    }

    /// The heal PR of a tracking issue, found the way `autoheal status` finds it
    /// ([`crate::watch::find_pr`]: a PR that says it fixes the issue or that Copilot opened,
    /// else one from the heal branch) and then read by number; with its check runs.
    async fn pr_status(
        &self,
        key: &RunKey,
        issue: u64,
        known: Option<u64>,
        heal_branch: Option<&str>,
    ) -> Result<Option<Box<PrSnapshot>>, String> {
        let forge: &dyn Forge = self.github.as_ref();
        // The update loop asks for one look at a PR at a time, so the memory taken out here
        // is put back before the next look at the same PR begins.
        let mut memory = self
            .pr_memory
            .lock()
            .map(|mut m| m.remove(key).unwrap_or_default())
            .unwrap_or_default();
        let found =
            crate::watch::follow_pr(forge, &key.repo, issue, known, heal_branch, &mut memory).await;
        let snapshot = memory.pull().map(|pull| {
            Box::new(PrSnapshot {
                pull: pull.clone(),
                checks: memory.checks().to_vec(),
                waiting_runs: memory.waiting_runs().to_vec(),
            })
        });
        if let Ok(mut m) = self.pr_memory.lock() {
            m.insert(key.clone(), memory);
        }
        match found {
            Ok(true) => Ok(snapshot),
            Ok(false) => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// Opens a URL with the desktop's opener, detached; nothing is printed to the terminal.
fn open_url(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let spawned = std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if let Err(e) = spawned {
        tracing::warn!(error = %e, url, "cannot open the browser");
    }
}

/// Copies through the terminal (OSC 52), which works over SSH and in tmux with
/// `set-clipboard on`. Only our own, known-safe URL is written.
fn copy_url(url: &str) {
    use std::io::Write;
    let encoded = crate::forge::github::encode_base64(url.as_bytes());
    let _screen = super::crash::hold_screen();
    let mut out = std::io::stdout();
    let _ = write!(out, "\x1b]52;c;{encoded}\x07").and_then(|()| out.flush());
}
