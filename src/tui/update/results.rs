//! What the effects bring back (polls, analyses, heals, re-runs, PR states, drafts, the
//! books) and the clock's ticks, taken into the console's state.

use super::*;
use crate::forge::Status;

/// Takes a result of an effect into the state.
pub(super) fn on_result(app: &mut App, action: Action) -> Vec<Effect> {
    match action {
        Action::Polled {
            repo,
            result,
            complete,
            budget,
        } => {
            app.status.polling = app.status.polling.saturating_sub(1);
            if budget.is_some() {
                app.status.budget = budget;
            }
            match result {
                Ok(runs) => merge_runs(app, repo, runs, complete),
                Err(e) => {
                    app.status.error(format!("{repo}: {e}"));
                    Vec::new()
                }
            }
        }
        Action::Explained { key, result } => {
            let mut effects = Vec::new();
            // Failed: the editor asked for will not open.
            if result.is_err() && app.edit_when_ready.as_ref() == Some(&key) {
                app.edit_when_ready = None;
            }
            let selected = app.selected_row().is_some_and(|r| r.key == key);
            if let Some(row) = app.row_mut(&key) {
                match result {
                    // A background explanation that lost the race with the full one the
                    // user asked for, of the same run: the full one stays.
                    Ok(prepared)
                        if !prepared.complete && row.has_full_explanation_of(&prepared) => {}
                    Ok(prepared) => {
                        if !prepared.complete && selected {
                            // The user is looking at it: explained in full.
                            effects.push(Effect::ExplainFirst(key.clone()));
                        }
                        row.fingerprint = Some(prepared.run.fingerprint());
                        // A brief explanation's prompt lacks the policy's context files: the
                        // editor opens on the complete one.
                        if row.prompt.is_none() && prepared.complete {
                            // The editor opens on a saved draft if there is one: read it
                            // off this loop, the answer is `DraftLoaded`.
                            effects.push(Effect::LoadDraft(key.clone()));
                        }
                        row.prepared = Some(prepared);
                        row.explain_error = None;
                    }
                    Err(e) => row.explain_error = Some(e),
                }
                // A tracking issue this console knows of already: look for its PR.
                effects.extend(watch_pr(row));
            }
            effects
        }
        Action::Healed { key, steps, result } => {
            let mut effects = Vec::new();
            if let Some(row) = app.row_mut(&key) {
                row.heal.busy = None;
                match result {
                    Ok(outcome) => {
                        if let (Some(number), Some(url)) =
                            (outcome.issue_number, &outcome.issue_url)
                        {
                            row.heal.issue = Some((number, url.clone()));
                        }
                        if outcome.branch.is_some() {
                            row.heal.branch = outcome.branch.clone();
                        }
                        if outcome.copilot.is_some() {
                            row.heal.copilot = outcome.copilot.clone();
                        }
                        let mut summary = Vec::new();
                        if !outcome.created.is_empty() {
                            summary.push(format!("created {}", outcome.created.join(", ")));
                        }
                        if !outcome.existing.is_empty() {
                            summary.push(format!("already there: {}", outcome.existing.join(", ")));
                        }
                        if let Some(note) = outcome.copilot.as_ref().and_then(|c| c.note.clone()) {
                            summary.push(note);
                        }
                        let text = summary.join("; ");
                        row.heal.result = Some(text.clone());
                        if steps.copilot {
                            // Copilot was asked (again): its PR is found anew.
                            row.heal.pr = None;
                            effects.extend(watch_pr(row));
                        }
                        app.status.done(text);
                    }
                    Err(e) => {
                        row.heal.result = Some(format!("failed: {e}"));
                        app.status.error(e);
                    }
                }
            }
            effects
        }
        Action::LogLoaded {
            key,
            job_id,
            result,
        } => {
            if let Mode::Log(view) = &mut app.mode
                && view.key.as_ref() == Some(&key)
                && view.job_id == job_id
            {
                match result {
                    Ok(lines) => view.lines = Some(lines),
                    Err(e) => view.error = Some(e),
                }
            }
            Vec::new()
        }
        Action::Reran { key, result } => {
            if let Some(row) = app.row_mut(&key) {
                row.heal.busy = None;
                match result {
                    Ok(run) => {
                        row.heal.result = Some(format!(
                            "re-running the failed jobs: attempt {}",
                            run.run_attempt.unwrap_or(1)
                        ));
                        row.heal.rerun = true;
                        row.run = *run;
                        let text = row.heal.result.clone().unwrap_or_default();
                        app.status.done(text);
                    }
                    Err(e) => {
                        row.heal.result = Some(e.clone());
                        app.status.error(e);
                    }
                }
            }
            Vec::new()
        }
        Action::RunUpdated { key, result } => {
            let run = match result {
                Ok(run) => run,
                Err(e) => {
                    app.status
                        .error(format!("cannot read run {}: {e}", key.run_id));
                    return Vec::new();
                }
            };
            if let Some(row) = app.row_mut(&key) {
                if run.status == Some(Status::Completed)
                    && row.run.status != Some(Status::Completed)
                {
                    let how = run.conclusion.as_ref().map_or("", |c| c.as_str());
                    row.heal.result = Some(format!(
                        "attempt {} finished: {how}",
                        run.run_attempt.unwrap_or(1)
                    ));
                }
                row.run = *run;
            }
            Vec::new()
        }
        Action::Approved { key, result } => {
            let Some(row) = app.row_mut(&key) else {
                return Vec::new();
            };
            row.heal.busy = None;
            let (text, error) = match result {
                Ok(n) => {
                    if let Some(pr) = row.heal.pr.as_mut() {
                        pr.waiting_runs.clear();
                    }
                    (
                        format!("approved {n} workflow run(s): the heal PR's checks run now"),
                        false,
                    )
                }
                Err(e) => {
                    let url = row
                        .heal
                        .pr
                        .as_ref()
                        .map(|p| p.pull.html_url.clone())
                        .unwrap_or_default();
                    (format!("{e}; approve it on the PR: {url}"), true)
                }
            };
            row.heal.result = Some(text.clone());
            if error {
                app.status.error(text);
            } else {
                app.status.done(text);
            }
            Vec::new()
        }
        Action::MarkedReady { key, result } => {
            match result {
                Ok(n) => app.status.done(format!("PR #{n} is ready for review")),
                Err(e) => app.status.error(format!("cannot mark the PR ready: {e}")),
            }
            app.row_mut(&key)
                .and_then(|r| {
                    r.heal.busy = None;
                    watch_pr(r)
                })
                .into_iter()
                .collect()
        }
        Action::Trouble(trouble) => {
            app.status.trouble = trouble;
            Vec::new()
        }
        Action::Inactive { repo } => {
            if app.repos.contains(&repo) {
                app.repos.retain(|r| *r != repo);
                app.status.polling = app.status.polling.saturating_sub(1);
                // Its rows go (only an earlier poll could have listed any), but not those of
                // a heal or re-run this console started.
                let selected_key = app.selected_row().map(|r| r.key.clone());
                app.rows_version += 1;
                app.rows.retain(|row| {
                    row.key.repo != repo
                        || row.heal.issue.is_some()
                        || row.heal.branch.is_some()
                        || row.heal.rerun
                });
                if let Some(key) = selected_key
                    && let Some(pos) = app.visible().iter().position(|&i| app.rows[i].key == key)
                {
                    app.selected = pos;
                }
                clamp_selection(app);
            }
            Vec::new()
        }
        Action::OrgListed { org, result } => {
            match result {
                Ok(new) if new.is_empty() => {}
                Ok(new) => {
                    app.status.info(format!(
                        "{org}: now watching {} more repositories",
                        new.len()
                    ));
                    app.status.polling += new.len();
                    app.repos.extend(new);
                }
                Err(e) => app.status.error(e),
            }
            Vec::new()
        }
        Action::DraftLoaded { key, text } => {
            if let Some(row) = app.row_mut(&key)
                && row.prompt.is_none()
                && let Some(prepared) = &row.prepared
            {
                let text = text.unwrap_or_else(|| prepared.default_prompt.clone());
                row.prompt = Some(textarea(&text));
            }
            let waited = app.edit_when_ready.as_ref() == Some(&key);
            if waited {
                app.edit_when_ready = None;
                let still_selected = app.selected_row().is_some_and(|r| r.key == key);
                if still_selected && matches!(app.mode, Mode::Normal) {
                    start_editing(app);
                }
            }
            Vec::new()
        }
        Action::DraftNotSaved(e) => {
            app.status
                .error(format!("the prompt draft is not saved: {e}"));
            Vec::new()
        }
        Action::StatsLoaded(result) => {
            match result {
                Ok(s) => {
                    if matches!(app.mode, Mode::Stats(_)) {
                        app.mode = Mode::Stats(Some(s));
                    }
                }
                Err(e) => {
                    app.mode = Mode::Normal;
                    app.status.error(format!("statistics: {e}"));
                }
            }
            Vec::new()
        }
        Action::CleanupLoaded(result) => {
            match result {
                Ok(plans) => {
                    if matches!(app.mode, Mode::Cleanup(_)) {
                        app.mode = Mode::Cleanup(Some(plans));
                    }
                }
                Err(e) => {
                    app.mode = Mode::Normal;
                    app.status.error(format!("cleanup: {e}"));
                }
            }
            Vec::new()
        }
        Action::CleanedUp(result) => {
            app.cleanup_running = false;
            match result {
                Ok(n) => app
                    .status
                    .done(format!("deleted {n} stale heal branch(es)")),
                Err(e) => app.status.error(format!("cleanup: {e}")),
            }
            Vec::new()
        }
        Action::PrStatus { key, result } => {
            if let Some(row) = app.row_mut(&key) {
                match result {
                    Ok(pr) => {
                        row.heal.pr = pr.map(|p| *p);
                        row.heal.pr_error = None;
                    }
                    Err(e) => row.heal.pr_error = Some(e),
                }
            }
            Vec::new()
        }
        // What the user does, and the clock, are taken by `transition`.
        Action::Key(_)
        | Action::Paste(_)
        | Action::Mouse(_)
        | Action::Resize(..)
        | Action::Tick => Vec::new(),
    }
}

/// New runs join the list (marked new after the first poll); runs no longer failing leave it
/// unless a heal touched them.
/// Takes a poll's runs into the rows. `complete`: the poll read the whole failure list, so a
/// row of this repository absent from it is gone (its re-run passed, or it aged out), unless
/// a heal or re-run of it is being followed, or it was still going when last seen.
fn merge_runs(
    app: &mut App,
    repo: crate::forge::RepoRef,
    runs: Vec<crate::forge::WorkflowRun>,
    complete: bool,
) -> Vec<Effect> {
    let first = !app.polled_once.contains(&repo);
    if first {
        app.polled_once.push(repo.clone());
    }
    let selected_key = app.selected_row().map(|r| r.key.clone());
    let ids: Vec<u64> = runs.iter().map(|r| r.id).collect();
    app.rows_version += 1;
    app.rows.retain(|r| {
        !complete
            || r.key.repo != repo
            || ids.contains(&r.key.run_id)
            // A run still going is not in the failure list; the next poll says how it ends.
            || r.run.status.as_ref().is_some_and(|s| *s != Status::Completed)
            || r.heal.issue.is_some()
            || r.heal.branch.is_some()
            || r.heal.rerun
    });
    let mut effects = Vec::new();
    let mut fresh = 0;
    // The list is newest first: the first run of each workflow and branch is the one a
    // person looks at first, and is explained before the older ones.
    let mut kinds_seen = std::collections::HashSet::new();
    for run in runs {
        let key = RunKey::new(repo.clone(), run.id);
        let newest_of_kind = kinds_seen.insert((run.workflow_id, run.head_branch.clone()));
        let explain = if newest_of_kind {
            Effect::Explain(key.clone())
        } else {
            Effect::ExplainLater(key.clone())
        };
        if let Some(row) = app.row_mut(&key) {
            // A run's jobs and logs do not change until it does (a re-run, say): only then
            // is it explained again. The old explanation shows until the new one arrives.
            let changed = row.run.run_attempt != run.run_attempt
                || row.run.status != run.status
                || row.run.updated_at != run.updated_at;
            row.run = run;
            if changed {
                effects.push(explain);
            }
            continue;
        }
        fresh += 1;
        app.rows.push(Row::new(repo.clone(), run, !first));
        effects.push(explain);
    }
    if fresh > 0 {
        app.sort_rows();
    }
    if fresh > 0 && !first {
        app.status
            .info(format!("{fresh} new failed run(s) in {repo}"));
        if app.bell {
            effects.push(Effect::Bell);
        }
    }
    // Keep the same run selected when rows move (once the user has chosen one).
    if app.touched
        && let Some(key) = selected_key
        && let Some(pos) = app.visible().iter().position(|&i| app.rows[i].key == key)
    {
        app.selected = pos;
    }
    clamp_selection(app);
    effects
}

/// While a run asked to run again has not finished, it is read this often (seconds).
const RERUN_WATCH_EVERY: u64 = 3;

/// A heal whose PR may still change: its issue is open or its PR not yet merged or closed.
fn heal_in_flight(row: &Row) -> bool {
    row.heal.issue.is_some()
        && !row
            .heal
            .pr
            .as_ref()
            .is_some_and(|p| p.pull.merged_at.is_some() || p.pull.state == "closed")
}

pub(super) fn on_tick(app: &mut App) -> Vec<Effect> {
    let mut effects = Vec::new();
    app.ticks += 1;
    if app.status.seconds_to_refresh == 0 {
        app.status.seconds_to_refresh = app.refresh_interval().as_secs();
        app.status.polling = app.repos.len();
        effects.push(Effect::Refresh(None));
        // Every heal still in flight is followed at the same pace: one conditional request
        // per PR while nothing changes.
        effects.extend(
            app.rows
                .iter()
                .filter(|r| heal_in_flight(r))
                .filter_map(watch_pr),
        );
    } else {
        app.status.seconds_to_refresh -= 1;
    }
    if app.ticks % RERUN_WATCH_EVERY == 0 {
        for row in app
            .rows
            .iter()
            .filter(|r| r.heal.rerun && r.run.status != Some(Status::Completed))
        {
            effects.push(Effect::RefreshRun(row.key.clone()));
        }
    }
    let editing = matches!(app.mode, Mode::EditPrompt);
    for row in &mut app.rows {
        if let Some(age) = row.prompt_unsynced.as_mut() {
            *age += 1;
            if *age > AUTOSAVE_AFTER || !editing {
                if let Some(text) = row.prompt_text() {
                    effects.push(Effect::SaveDraft {
                        key: row.key.clone(),
                        text,
                        synced: true,
                    });
                }
                row.prompt_unsynced = None;
            }
        }
    }
    effects
}
