//! The simulator plays the Copilot coding agent.
//!
//! A Copilot request (the trigger comment, an assignment to the agent, or an agent task)
//! makes a draft pull request appear `copilot_delay` later, on a `copilot/` branch, linked to
//! the issue ("Fixes #N" and a `cross-referenced` timeline event), with check runs that move
//! queued → in progress → completed. Everything is derived from the clock on each request.

use chrono::{DateTime, TimeDelta, Utc};

use super::world::*;

/// Login the agent's pull requests are authored by on github.com.
pub const COPILOT_LOGIN: &str = "Copilot";

/// Does this comment ask Copilot for a fix? (The design's `@github-copilot workspace`, or
/// today's `@copilot`.)
pub fn is_copilot_trigger(body: &str) -> bool {
    body.lines().take(3).any(|l| {
        let l = l.trim_start().to_ascii_lowercase();
        l.starts_with("@github-copilot") || l.starts_with("@copilot")
    })
}

/// Is this login the coding agent?
pub fn is_copilot_agent(login: &str) -> bool {
    let l = login.to_ascii_lowercase();
    l == "copilot" || l == "copilot-swe-agent" || l == "copilot-swe-agent[bot]"
}

/// Brings every repository's Copilot work up to `now`.
pub fn advance(world: &mut World, now: DateTime<Utc>) {
    let delay = TimeDelta::from_std(world.options.copilot_delay).unwrap_or_default();
    for r in 0..world.repos.len() {
        for q in 0..world.repos[r].copilot.len() {
            let request = &world.repos[r].copilot[q];
            if request.pull_number.is_some() || now < request.at + delay {
                continue;
            }
            let at = request.at + delay;
            let number = open_pull(world, r, q, at);
            world.repos[r].copilot[q].pull_number = Some(number);
        }
    }
}

fn open_pull(world: &mut World, r: usize, q: usize, at: DateTime<Utc>) -> u64 {
    let pull_id = world.next_id();
    let check_ids = [world.next_id(), world.next_id()];
    let gated_run_id = world.next_id();
    let require_approval = world.options.require_approval || world.repos[r].require_approval;
    let conclusion = world.options.copilot_checks_conclusion.clone();
    let changed_files = world.options.copilot_changed_files;
    let repo = &mut world.repos[r];
    let request = repo.copilot[q].clone();
    let number = repo.next_number;
    repo.next_number += 1;

    let issue_title = request
        .issue_number
        .and_then(|n| repo.issues.iter().find(|i| i.number == n))
        .map(|i| i.title.clone());
    let slug: String = issue_title
        .as_deref()
        .unwrap_or(&request.prompt)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect::<String>()
        .split('-')
        .filter(|s| !s.is_empty())
        .take(5)
        .collect::<Vec<_>>()
        .join("-");
    let head_ref = format!("copilot/fix-{number}-{slug}");
    let head_sha = fake_sha(&format!("{}#{number}", repo.full_name()));
    repo.branches.insert(head_ref.clone(), head_sha.clone());
    let parent = repo.branches.get(&repo.default_branch).cloned();
    repo.commits.insert(
        head_sha.clone(),
        CommitState {
            message: format!("Fix the failure of {}", request.base_ref),
            author: COPILOT_LOGIN.into(),
            parents: parent.into_iter().collect(),
            ..CommitState::at(at)
        },
    );

    let body = match request.issue_number {
        Some(issue) => format!(
            "Fixes #{issue}\n\nCopilot investigated the failure described in the issue and \
             prepared this fix.\n\n- [x] Reproduced the failure\n- [x] Applied the fix\n- [ ] \
             Waiting for CI\n"
        ),
        None => "Copilot prepared this fix from an agent task.\n".to_string(),
    };
    repo.pulls.push(PullState {
        id: pull_id,
        number,
        title: format!(
            "Fix: {}",
            issue_title.unwrap_or_else(|| "failing workflow".into())
        ),
        body,
        state: "open".into(),
        draft: true,
        head_ref: head_ref.clone(),
        head_sha: head_sha.clone(),
        base_ref: request.base_ref.clone(),
        user: COPILOT_LOGIN.into(),
        created_at: at,
        updated_at: at,
        merged_at: None,
        changed_files,
        labels: Vec::new(),
        reviews: Vec::new(),
    });
    if require_approval {
        // The PR's workflow run waits for a maintainer; no check runs until approved.
        if let Some(w) = repo.workflows.first().cloned() {
            let run_number = repo.runs.len() as u64 + 500;
            repo.runs.push(RunState {
                id: gated_run_id,
                run_number,
                workflow_id: w.id,
                name: w.name.clone(),
                path: w.path.clone(),
                display_title: format!("Fix for #{}", request.issue_number.unwrap_or(0)),
                event: "pull_request".into(),
                head_branch: head_ref.clone(),
                head_sha: head_sha.clone(),
                actor: COPILOT_LOGIN.into(),
                status: "completed".into(),
                conclusion: Some("action_required".into()),
                run_attempt: 1,
                created_at: at,
                updated_at: at,
                fork: false,
                jobs: Vec::new(),
                pending: None,
                rerun_conclusion: conclusion.clone(),
                previous_attempts: Vec::new(),
                pull_base: None,
            });
        }
    } else {
        for (id, name) in check_ids.into_iter().zip(["build", "test"]) {
            repo.check_runs.push(CheckRunState {
                id,
                name: name.into(),
                head_sha: head_sha.clone(),
                created_at: at,
                conclusion: conclusion.clone(),
            });
        }
    }
    if let Some(issue) = request
        .issue_number
        .and_then(|n| repo.issues.iter_mut().find(|i| i.number == n))
    {
        issue.timeline.push(TimelineState::CrossReferenced {
            pull_number: number,
            at,
        });
        issue.updated_at = at;
    }
    number
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triggers_are_recognised() {
        assert!(is_copilot_trigger(
            "@github-copilot workspace\n\nPlease fix"
        ));
        assert!(is_copilot_trigger("@copilot please fix this"));
        assert!(!is_copilot_trigger("Thanks, copilot looks great"));
        assert!(is_copilot_agent("copilot-swe-agent[bot]"));
        assert!(is_copilot_agent("Copilot"));
        assert!(!is_copilot_agent("octocat"));
    }
}
