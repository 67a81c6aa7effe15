//! Connecting to GitHub, or to the built-in demo: the same client either way.

use std::sync::Arc;

use crate::forge::auth;
use crate::forge::{Forge, GitHub, RepoRef, RetryPolicy, Secret};
use crate::sim::{self, RunningSim, SimOptions};

use super::Failure;

/// What to look at: repositories by name, and organisations whose active repositories join
/// them (neither archived nor disabled, with a workflow run in the last `active_days` days).
#[derive(Debug, Clone, Default)]
pub struct Targets {
    pub repos: Vec<RepoRef>,
    pub orgs: Vec<String>,
    pub active_days: u32,
    /// Leave each organisation repository's activity to be checked later (by the console's
    /// first poll of it, which reads what tells) instead of a request each now.
    pub defer_activity: bool,
}

impl Targets {
    pub fn repos(repos: &[RepoRef]) -> Targets {
        Targets {
            repos: repos.to_vec(),
            ..Targets::default()
        }
    }
}

/// A live connection: the client, the repositories to look at, and the simulator when the
/// demo is running (kept alive as long as the session).
pub struct Session {
    pub github: Arc<GitHub>,
    pub repos: Vec<RepoRef>,
    /// The organisations watched (their repositories are among `repos`), to look again later.
    pub targets: Targets,
    pub demo: Option<RunningSim>,
    /// The organisations' repositories among `repos` whose activity is yet to be checked
    /// (see [`Targets::defer_activity`]).
    pub unproven: Vec<RepoRef>,
    /// Shown once to the user (on stderr, or in the console's status bar).
    pub notice: Option<String>,
    token: Option<Secret>,
}

impl Session {
    pub fn forge(&self) -> &dyn Forge {
        self.github.as_ref()
    }

    pub fn is_demo(&self) -> bool {
        self.demo.is_some()
    }

    /// Secrets to mask in anything written out: the token itself, whatever it looks like.
    pub fn secrets(&self) -> Vec<&str> {
        self.token
            .as_ref()
            .map(|t| vec![t.expose()])
            .unwrap_or_default()
    }
}

/// Explains the fallback to the demo, and how to leave it.
pub const NO_TOKEN_NOTICE: &str = "No GitHub token found (GH_TOKEN, GITHUB_TOKEN or `gh auth login`): \
showing the built-in demo. To connect to GitHub, set GH_TOKEN (or run `gh auth login`) and name \
repositories with --repo OWNER/NAME.";

/// Opens a session: the demo when asked or when no token can be found, else GitHub at
/// `GITHUB_API_URL` with the discovered token and repositories.
pub async fn open(demo: bool, targets: &Targets) -> Result<Session, Failure> {
    let api_url = auth::api_url_from_env();
    if demo {
        return open_demo(targets, None).await;
    }
    let Some((token, source)) = auth::discover_token(&api_url) else {
        return open_demo(targets, Some(NO_TOKEN_NOTICE.to_string())).await;
    };
    tracing::info!(api_url, token_from = %source, "connecting");
    // A malformed GITHUB_API_URL is the user's to fix.
    let github = GitHub::new(&api_url, Some(&token), RetryPolicy::default())
        .map_err(|e| Failure::usage(e.to_string()))?
        .with_disk_cache(crate::platform::paths::http_cache_dir());
    // Named organisations stand instead of the checkout's repository, not beside it.
    let mut repos = if targets.orgs.is_empty() {
        auth::discover_repos(&targets.repos)
    } else {
        targets.repos.clone()
    };
    let unproven = add_org_repos(&github, targets, &mut repos).await?;
    if repos.is_empty() {
        return Err(Failure::usage(if targets.orgs.is_empty() {
            format!(
                "no repository to look at: pass --repo OWNER/NAME or --org ORG, set \
                 GITHUB_REPOSITORY, or run inside a git checkout with an `origin` remote (token \
                 from {source})"
            )
        } else {
            if targets.defer_activity {
                format!(
                    "no repository to watch in {}: every one is archived or disabled",
                    targets.orgs.join(", ")
                )
            } else {
                format!(
                    "no active repository in {}: none has had a workflow run in the last {} \
                     days (--active-days changes that)",
                    targets.orgs.join(", "),
                    targets.active_days
                )
            }
        }));
    }
    Ok(Session {
        github: Arc::new(github),
        repos,
        targets: targets.clone(),
        demo: None,
        unproven,
        notice: None,
        token: Some(token),
    })
}

/// The active repositories of each organisation in `targets`, added to `repos` (once each).
/// With [`Targets::defer_activity`], every repository neither archived nor disabled, and those
/// whose activity is yet to be checked are returned.
pub async fn add_org_repos(
    forge: &dyn Forge,
    targets: &Targets,
    repos: &mut Vec<RepoRef>,
) -> Result<Vec<RepoRef>, Failure> {
    let mut unproven = Vec::new();
    for org in &targets.orgs {
        let found = if targets.defer_activity {
            crate::engine::scan::org_candidates(forge, org, &Default::default()).await
        } else {
            crate::engine::scan::org_repositories(
                forge,
                org,
                targets.active_days,
                chrono::Utc::now(),
            )
            .await
        }
        // An organisation that cannot be listed is one the user named: theirs to fix.
        .map_err(|e| Failure::usage(e.to_string()))?;
        for repo in found {
            if !repos.contains(&repo) {
                repos.push(repo.clone());
                if targets.defer_activity {
                    unproven.push(repo);
                }
            }
        }
    }
    Ok(unproven)
}

async fn open_demo(targets: &Targets, notice: Option<String>) -> Result<Session, Failure> {
    let options = SimOptions::demo().map_err(Failure::internal)?;
    let all: Vec<RepoRef> = options
        .scenario
        .scenario
        .repositories
        .iter()
        .map(|r| RepoRef::new(&r.owner, &r.name))
        .collect();
    let sim = sim::start(([127, 0, 0, 1], 0).into(), options)
        .await
        .map_err(|e| Failure::internal(format!("cannot start the demo simulator: {e}")))?;
    let token = Secret::new("demo-token");
    // The demo's server is this process's own: GitHub's limits do not apply to it.
    let paced = RetryPolicy {
        pace: crate::forge::Limits::unpaced(),
        ..RetryPolicy::default()
    };
    let github = GitHub::new(&sim.url(), Some(&token), paced)?;
    let mut repos = if targets.repos.is_empty() && targets.orgs.is_empty() {
        all
    } else {
        targets.repos.clone()
    };
    let unproven = add_org_repos(&github, targets, &mut repos).await?;
    tracing::info!(url = %sim.url(), "demo simulator started");
    Ok(Session {
        github: Arc::new(github),
        repos,
        targets: targets.clone(),
        demo: Some(sim),
        unproven,
        notice,
        token: None,
    })
}
