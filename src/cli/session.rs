//! Connecting to GitHub, or to the built-in demo: the same client either way.

use std::sync::Arc;

use crate::forge::auth;
use crate::forge::{Forge, GitHub, RepoRef, RetryPolicy, Secret};
use crate::sim::{self, RunningSim, SimOptions};

use super::Failure;

/// A live connection: the client, the repositories to look at, and the simulator when the
/// demo is running (kept alive as long as the session).
pub struct Session {
    pub github: Arc<GitHub>,
    pub repos: Vec<RepoRef>,
    pub demo: Option<RunningSim>,
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
pub async fn open(demo: bool, repo_flags: &[RepoRef]) -> Result<Session, Failure> {
    let api_url = auth::api_url_from_env();
    if demo {
        return open_demo(repo_flags, None).await;
    }
    let Some((token, source)) = auth::discover_token(&api_url) else {
        return open_demo(repo_flags, Some(NO_TOKEN_NOTICE.to_string())).await;
    };
    tracing::info!(api_url, token_from = %source, "connecting");
    let github = GitHub::new(&api_url, Some(&token), RetryPolicy::default())
        .map_err(|e| Failure::usage(e.to_string()))?
        .with_disk_cache(crate::paths::http_cache_dir());
    let repos = auth::discover_repos(repo_flags);
    if repos.is_empty() {
        return Err(Failure::usage(format!(
            "no repository to look at: pass --repo OWNER/NAME, set GITHUB_REPOSITORY, or run \
             inside a git checkout with an `origin` remote (token from {source})"
        )));
    }
    Ok(Session {
        github: Arc::new(github),
        repos,
        demo: None,
        notice: None,
        token: Some(token),
    })
}

async fn open_demo(repo_flags: &[RepoRef], notice: Option<String>) -> Result<Session, Failure> {
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
    let github = GitHub::new(&sim.url(), Some(&token), paced)
        .map_err(|e| Failure::internal(e.to_string()))?;
    let repos = if repo_flags.is_empty() {
        all
    } else {
        repo_flags.to_vec()
    };
    tracing::info!(url = %sim.url(), "demo simulator started");
    Ok(Session {
        github: Arc::new(github),
        repos,
        demo: Some(sim),
        notice,
        token: None,
    })
}
