//! What the engine reports, as `scan --json`, `analyze --json` and the heal artifacts show it:
//! a failed run, each job's analysis and the verdict, with every secret masked.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::scan::FailedRun;
use super::triage::RunAnalysis;
use crate::analysis::LogAnalysis;
use crate::forge::{Conclusion, Status};
use crate::text::redact;

/// The JSON shape of `scan --json`: `{"runs": [...]}`.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub repo: String,
    pub run_id: u64,
    pub run_attempt: u32,
    pub workflow: String,
    pub workflow_path: String,
    pub title: String,
    pub branch: String,
    pub event: String,
    pub head_sha: String,
    pub actor: Option<String>,
    pub from_fork: bool,
    pub html_url: String,
    pub created_at: DateTime<Utc>,
    /// `completed`, or `in_progress` (or `queued`, …) for a run still going in which a job has
    /// already failed.
    pub status: Status,
    pub jobs: Vec<JobReport>,
    /// The failure's identity across runs (pattern, capture, workflow, job; never ids or times).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    /// Category, safety, policy block and recommendation, once the run is analysed.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<crate::analysis::Verdict>,
    /// What the run was compared with and how many commits since, once looked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes: Option<ChangesReport>,
    /// The commits since then that touched what the failure names, most suspect first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suspects: Option<Vec<crate::history::Suspect>>,
    /// This failure across the workflow's recent runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<HistoryReport>,
}

/// The changes since the base, as reports show them.
#[derive(Debug, Clone, Serialize)]
pub struct ChangesReport {
    /// In one line, as the console shows it.
    pub summary: String,
    #[serde(flatten)]
    pub changes: Option<crate::history::Changes>,
}

/// A failure's history, as reports show it.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryReport {
    pub summary: String,
    #[serde(flatten)]
    pub history: crate::history::Recurrence,
}

#[derive(Debug, Clone, Serialize)]
pub struct JobReport {
    pub job_id: u64,
    pub name: String,
    pub conclusion: Option<Conclusion>,
    pub failed_steps: Vec<String>,
    pub html_url: Option<String>,
    /// What the job's log says, once analysed.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub analysis: Option<JobAnalysisReport>,
}

/// A job's analysis as reports show it (secrets masked).
#[derive(Debug, Clone, Serialize)]
pub struct JobAnalysisReport {
    pub failed_step: Option<String>,
    pub category: String,
    pub safe_to_heal: bool,
    pub total_lines: usize,
    pub excerpt: Vec<ExcerptReport>,
    pub matches: Vec<MatchOut>,
    pub log_error: Option<String>,
}

impl FailedRun {
    pub fn report(&self) -> RunReport {
        let run = &self.run;
        RunReport {
            repo: self.repo.to_string(),
            run_id: run.id,
            run_attempt: run.run_attempt.unwrap_or(1),
            workflow: run.workflow_name().to_string(),
            workflow_path: run.path.clone(),
            title: run.display_title.clone().unwrap_or_default(),
            branch: run.branch().to_string(),
            event: run.event.clone(),
            head_sha: run.head_sha.clone(),
            actor: run.actor.as_ref().map(|a| a.login.clone()),
            from_fork: run.is_from_fork(),
            html_url: run.html_url.clone(),
            created_at: run.created_at,
            status: run.status.clone().unwrap_or(Status::Completed),
            jobs: self
                .jobs
                .iter()
                .map(|j| JobReport {
                    job_id: j.id,
                    name: j.name.clone(),
                    conclusion: j.conclusion.clone(),
                    failed_steps: j.failed_steps().map(|s| s.name.clone()).collect(),
                    html_url: j.html_url.clone(),
                    analysis: None,
                })
                .collect(),
            fingerprint: None,
            verdict: None,
            changes: None,
            suspects: None,
            history: None,
        }
    }
}

impl RunAnalysis {
    /// The full report: the run, each job's excerpt and matches, the verdict. Secrets in
    /// log text are masked, and so is each of `secrets`.
    pub fn report(&self, secrets: &[&str]) -> RunReport {
        let mut report = self.failed.report();
        for (job, analysed) in report.jobs.iter_mut().zip(&self.jobs) {
            let a = &analysed.analysis;
            job.analysis = Some(JobAnalysisReport {
                failed_step: a.failed_step.clone(),
                category: a.category.clone(),
                safe_to_heal: a.safe_to_heal,
                total_lines: a.total_lines,
                excerpt: redacted_excerpt(a, secrets),
                matches: redacted_matches(a, secrets),
                log_error: analysed.log_error.clone(),
            });
        }
        report.verdict = Some(self.verdict.clone());
        report.fingerprint = Some(self.fingerprint());
        if let Some(why) = &self.why {
            let masked = |text: &str| redact::redact(text, secrets).into_owned();
            report.changes = Some(ChangesReport {
                summary: masked(&why.changes_line()),
                changes: why.changes.as_ref().ok().cloned(),
            });
            report.suspects = Some(
                why.suspects()
                    .iter()
                    .map(|s| crate::history::Suspect {
                        title: masked(&s.title),
                        ..s.clone()
                    })
                    .collect(),
            );
            report.history = why.history.as_ref().map(|h| HistoryReport {
                summary: h.summary(),
                history: h.clone(),
            });
        }
        report
    }
}

/// An excerpt line as reports show it: secrets masked.
#[derive(Debug, Clone, Serialize)]
pub struct ExcerptReport {
    pub line: usize,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeated: Option<usize>,
}

/// A match as reports show it: secrets masked.
#[derive(Debug, Clone, Serialize)]
pub struct MatchOut {
    pub pattern: String,
    pub category: String,
    pub suggestion: String,
    pub line: usize,
    pub subject: Option<String>,
    pub recommendation: crate::analysis::Recommendation,
    pub step: Option<String>,
    /// On a line of the excerpt inside the failure region: this match names the failure.
    pub in_failure_region: bool,
}

/// The excerpt with secrets masked (and any of `secrets`, e.g. the user's token).
pub fn redacted_excerpt(a: &LogAnalysis, secrets: &[&str]) -> Vec<ExcerptReport> {
    a.excerpt
        .iter()
        .map(|l| ExcerptReport {
            line: l.line,
            text: redact::redact(&l.text, secrets).into_owned(),
            repeated: l.repeated,
        })
        .collect()
}

pub fn redacted_matches(a: &LogAnalysis, secrets: &[&str]) -> Vec<MatchOut> {
    a.matches
        .iter()
        .map(|m| MatchOut {
            pattern: m.pattern.clone(),
            category: m.category.clone(),
            suggestion: redact::redact(&m.suggestion, secrets).into_owned(),
            line: m.line,
            subject: m
                .subject
                .as_deref()
                .map(|s| redact::redact(s, secrets).into_owned()),
            recommendation: m.recommendation,
            step: m.step.clone(),
            in_failure_region: m.in_failure_region,
        })
        .collect()
}
