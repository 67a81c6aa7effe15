//! Re-running a transient failure's failed jobs, bounded by the run's own `run_attempt`, so a
//! rerun loop is impossible even when a laptop and a workflow both act on the same run.

use crate::config::Policy;
use crate::engine::AuditLog;
use crate::forge::{Conclusion, Status};
use crate::forge::{Forge, ForgeError, RepoRef, WorkflowRun};

/// Why a re-run is refused, if it is.
pub fn refusal(policy: &Policy, run: &WorkflowRun) -> Option<String> {
    let attempt = run.run_attempt.unwrap_or(1);
    let max = policy.rerun.max_attempts;
    if !policy.rerun.enabled {
        return Some("re-runs are disabled for this repository (rerun.enabled: false)".into());
    }
    if run.status != Some(Status::Completed) {
        return Some(format!(
            "run {} is {} (attempt {attempt}): nothing to re-run yet",
            run.id,
            run.status.as_ref().map_or("not finished", |v| v.as_str())
        ));
    }
    if run.conclusion != Some(Conclusion::Failure) {
        return Some(format!(
            "run {} concluded {}: only failed runs are re-run",
            run.id,
            run.conclusion
                .as_ref()
                .map_or("without a conclusion", |v| v.as_str())
        ));
    }
    if attempt >= max {
        return Some(format!(
            "run {} is already at attempt {attempt} of {max} (rerun.max_attempts)",
            run.id
        ));
    }
    None
}

/// Sends the re-run (one request). Returns the attempt that will run.
pub async fn rerun(
    forge: &dyn Forge,
    repo: &RepoRef,
    run: &WorkflowRun,
    audit: &AuditLog,
) -> Result<u32, ForgeError> {
    forge.rerun_failed_jobs(repo, run.id).await?;
    let next = run.run_attempt.unwrap_or(1) + 1;
    audit.record(
        &repo.to_string(),
        "rerun_failed_jobs",
        &run.html_url,
        &format!("attempt {next} started"),
    );
    Ok(next)
}
