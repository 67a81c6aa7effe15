//! Explaining a failed run: fetch each failed job's log (cached on disk: a finished job's log
//! never changes), take the last passing run of the same workflow and branch as a baseline,
//! analyse, and judge. The I/O half of analysis; `analysis` itself stays pure.

use std::path::PathBuf;
use std::sync::{Arc, LazyLock};

use tokio::sync::Semaphore;

use crate::analysis::{
    Analyzer, Baseline, JobContext, LogAnalysis, RunFacts, StepSpan, Verdict, verdict,
};
use crate::config::Policy;
use crate::engine::scan::FailedRun;
use crate::forge::Conclusion;
use crate::forge::{Forge, ForgeError, Job, RepoRef, WorkflowRun};
use crate::history::named_files::{self, NamedFile};
use crate::history::{self, Fingerprinter, Recall, WhyNow};
use crate::platform::atomic::{self, Durability};

/// One failed job, explained.
#[derive(Debug, Clone)]
pub struct JobAnalysis {
    pub job: Job,
    pub analysis: LogAnalysis,
    /// The passing job whose log served as the baseline.
    pub baseline_job: Option<u64>,
    /// Why the log could not be read, when it could not.
    pub log_error: Option<String>,
}

/// A failed run, explained and judged.
#[derive(Debug, Clone)]
pub struct RunAnalysis {
    pub failed: FailedRun,
    pub jobs: Vec<JobAnalysis>,
    pub verdict: Verdict,
    /// The commits since the last green run and the failure's history, when looked for.
    pub why: Option<WhyNow>,
}

impl RunAnalysis {
    /// The failure's identity (see [`super::fingerprint`]): the workflow, the failed jobs and
    /// what was matched in each.
    pub fn fingerprint(&self) -> String {
        super::fingerprint::fingerprint_of(
            &self.failed.run.path,
            self.jobs.iter().map(|j| (j.job.name.as_str(), &j.analysis)),
        )
    }
}

/// How far back to look when explaining a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookBack {
    /// The failed run alone.
    Off,
    /// The failure's history from what this process knows already (the workflows' runs
    /// read for earlier looks, the failures explained): no request at all. For the hundreds
    /// of runs a console explains in the background.
    History,
    /// The commits since the last green run (a comparison a run), and the history as
    /// [`LookBack::History`] finds it: for a console, which explains every failed run anyway.
    Changes,
    /// The commits since the last green run, and the history read in full: the jobs and logs
    /// of every failed run of the workflow's window (a dozen at most) are read if need be.
    Full,
}

/// How to explain runs: the client, the compiled catalog, the policy in force.
pub struct Triage<'a> {
    pub forge: &'a dyn Forge,
    pub analyzer: Arc<Analyzer>,
    pub policy: &'a Policy,
    /// Compare with the last passing run's log (costs a few requests per run).
    pub use_baseline: bool,
    pub look_back: LookBack,
    /// What earlier explanations found out (the workflows' runs, the failures' fingerprints).
    pub recall: Arc<Recall>,
    /// Where downloaded logs are kept; `None` keeps nothing.
    pub cache: Option<PathBuf>,
}

impl Triage<'_> {
    pub async fn explain(&self, failed: FailedRun) -> RunAnalysis {
        let baseline_jobs = if self.use_baseline {
            self.baseline_jobs(&failed).await
        } else {
            Vec::new()
        };
        let mut jobs = Vec::with_capacity(failed.jobs.len());
        // Each job's analysis without the baseline too, when one was used: what earlier
        // attempts (analysed without one) are compared with. From the log already read.
        let mut plain = Vec::with_capacity(failed.jobs.len());
        let plain_too = self.look_back != LookBack::Off;
        for job in &failed.jobs {
            let passing = baseline_jobs.iter().find(|(name, _, _)| *name == job.name);
            let (analysis, without_baseline, log_error) = self
                .analyze_job(
                    &failed.repo,
                    job,
                    passing.map(|(_, _, log)| log.clone()),
                    plain_too,
                )
                .await;
            plain.push(without_baseline);
            jobs.push(JobAnalysis {
                job: job.clone(),
                analysis,
                baseline_job: passing.map(|(_, id, _)| *id),
                log_error,
            });
        }
        let run = &failed.run;
        let head_repo = run.head_repository.as_ref().map(|r| r.full_name.as_str());
        let facts = RunFacts {
            workflow_name: run.workflow_name(),
            workflow_path: &run.path,
            branch: run.branch(),
            from_fork: run.is_from_fork(),
            head_repository: head_repo,
            run_attempt: run.run_attempt.unwrap_or(1),
        };
        let analyses: Vec<&LogAnalysis> = jobs.iter().map(|j| &j.analysis).collect();
        let mut verdict = verdict::judge(&analyses, self.policy, &facts);
        let why = if self.look_back == LookBack::Off {
            None
        } else {
            let named: Vec<NamedFile> = jobs
                .iter()
                .flat_map(|j| named_files::named_files(&j.analysis.excerpt))
                .collect();
            // Earlier attempts are analysed without a baseline, which can change what is
            // matched first: this one is compared with them the same way.
            let fingerprint = super::fingerprint::fingerprint_of(
                &run.path,
                jobs.iter()
                    .zip(&plain)
                    .map(|(j, p)| (j.job.name.as_str(), p.as_ref().unwrap_or(&j.analysis))),
            );
            let looking = history::lookup::LookBack {
                forge: self.forge,
                recall: &self.recall,
                fingerprinter: self,
                asks: self.look_back != LookBack::History,
                changes: self.look_back != LookBack::History,
                read_failures: self.look_back == LookBack::Full,
            };
            let why = looking
                .why_now(&failed.repo, run, &named, &fingerprint)
                .await;
            if let Some(h) = why.history.as_ref().filter(|h| h.flaky) {
                verdict = verdict::with_flakiness(verdict, &h.summary(), self.policy, &facts);
            }
            Some(why)
        };
        RunAnalysis {
            failed,
            jobs,
            verdict,
            why,
        }
    }

    /// One failed job's log, read and analysed (against a passing job's log, when given;
    /// then also without it when `plain_too`).
    async fn analyze_job(
        &self,
        repo: &RepoRef,
        job: &Job,
        passing: Option<Arc<Vec<u8>>>,
        plain_too: bool,
    ) -> (LogAnalysis, Option<LogAnalysis>, Option<String>) {
        let steps: Vec<StepSpan> = job
            .steps
            .iter()
            .map(|s| StepSpan {
                name: s.name.clone(),
                started_at: s.started_at,
                completed_at: s.completed_at,
                failed: matches!(
                    s.conclusion,
                    Some(Conclusion::Failure | Conclusion::TimedOut)
                ),
            })
            .collect();
        let (log, log_error) = match self.log(repo, job.id).await {
            Ok(bytes) => (bytes, None),
            Err(e) => (Vec::new(), Some(e.to_string())),
        };
        let (analysis, plain) =
            analyze(self.analyzer.clone(), log, steps, passing, plain_too).await;
        (analysis, plain, log_error)
    }

    /// `(job name, job id, log)` of the last passing run of the same workflow and branch.
    async fn baseline_jobs(&self, failed: &FailedRun) -> Vec<(String, u64, Arc<Vec<u8>>)> {
        let run = &failed.run;
        let Ok(Some(success)) = self
            .forge
            .last_success(&failed.repo, run.workflow_id, run.branch())
            .await
        else {
            return Vec::new();
        };
        let Ok(jobs) = self.forge.jobs(&failed.repo, success.id).await else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for job in jobs {
            if failed.jobs.iter().any(|f| f.name == job.name)
                && let Ok(log) = self.log(&failed.repo, job.id).await
            {
                out.push((job.name, job.id, Arc::new(log)));
            }
        }
        out
    }

    /// A job's log, from the disk cache or downloaded (and then cached).
    async fn log(&self, repo: &RepoRef, job_id: u64) -> Result<Vec<u8>, ForgeError> {
        let file = self.cache.as_ref().map(|dir| {
            dir.join("logs")
                .join(&repo.owner)
                .join(&repo.name)
                .join(format!("{job_id}.log"))
        });
        if let Some(f) = &file
            && let Ok(bytes) = std::fs::read(f)
        {
            return Ok(bytes);
        }
        let bytes = self.forge.job_log(repo, job_id).await?.to_vec();
        if let Some(f) = &file
            && let Some(dir) = f.parent()
            && std::fs::create_dir_all(dir).is_ok()
        {
            // Replaced whole: a half-written log is never mistaken for a whole one. A cache,
            // so a failed write costs only a download next time.
            let _ = atomic::write(f, &bytes, Durability::Process);
        }
        Ok(bytes)
    }
}

#[async_trait::async_trait]
impl Fingerprinter for Triage<'_> {
    async fn fingerprint(
        &self,
        repo: &RepoRef,
        run: &WorkflowRun,
        failed_jobs: Vec<Job>,
    ) -> String {
        let mut analyses = Vec::with_capacity(failed_jobs.len());
        for job in &failed_jobs {
            analyses.push(self.analyze_job(repo, job, None, false).await.0);
        }
        super::fingerprint::fingerprint_of(
            &run.path,
            failed_jobs
                .iter()
                .map(|j| j.name.as_str())
                .zip(analyses.iter()),
        )
    }
}

/// Analyses running at once: one a core but one, so a core stays free for the threads that
/// fetch logs and (in the console) draw the screen and answer keys. Analysis is CPU work;
/// those threads never run it.
static ANALYSES: LazyLock<Semaphore> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    Semaphore::new(cores.saturating_sub(1).max(1))
});

/// One log analysed on a blocking thread, at most one a core at a time; with a passing log,
/// also without it when `plain_too`.
async fn analyze(
    analyzer: Arc<Analyzer>,
    log: Vec<u8>,
    steps: Vec<StepSpan>,
    passing: Option<Arc<Vec<u8>>>,
    plain_too: bool,
) -> (LogAnalysis, Option<LogAnalysis>) {
    let _permit = ANALYSES.acquire().await;
    let work = move || {
        let baseline = passing.map(|log| Baseline::from_log(&log));
        let with = |baseline: Option<&Baseline>| {
            analyzer.analyze_bytes(
                &log,
                &JobContext {
                    steps: &steps,
                    baseline,
                },
            )
        };
        let analysis = with(baseline.as_ref());
        let plain = (plain_too && baseline.is_some()).then(|| with(None));
        (analysis, plain)
    };
    match tokio::task::spawn_blocking(work).await {
        Ok(analysis) => analysis,
        // A panic in the analysis is a bug: it goes on as it would have on this thread.
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        // Only a runtime shutting down cancels it, and then nobody waits for this.
        Err(_) => std::future::pending().await,
    }
}
