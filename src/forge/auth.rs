//! Finding the token, the API address and the repositories, the way `gh` users expect.

use std::process::{Command, Stdio};

use super::model::RepoRef;

/// A token. Its `Debug` and `Display` never show it; only [`Secret::expose`] does, and only
/// the HTTP client calls that.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// Where the token came from, for messages (never the token itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    GhTokenEnv,
    GithubTokenEnv,
    GhCli,
}

impl std::fmt::Display for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TokenSource::GhTokenEnv => "GH_TOKEN",
            TokenSource::GithubTokenEnv => "GITHUB_TOKEN",
            TokenSource::GhCli => "gh auth token",
        })
    }
}

pub const DEFAULT_API_URL: &str = "https://api.github.com";

/// `GITHUB_API_URL`, else github.com's API. Enterprise Server is `https://HOST/api/v3`.
pub fn api_url_from_env() -> String {
    std::env::var("GITHUB_API_URL")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_API_URL.to_string())
}

/// `GH_TOKEN`, then `GITHUB_TOKEN`, then `gh auth token` when gh is installed.
pub fn discover_token(api_url: &str) -> Option<(Secret, TokenSource)> {
    for (var, source) in [
        ("GH_TOKEN", TokenSource::GhTokenEnv),
        ("GITHUB_TOKEN", TokenSource::GithubTokenEnv),
    ] {
        if let Ok(v) = std::env::var(var)
            && !v.trim().is_empty()
        {
            return Some((Secret::new(v.trim()), source));
        }
    }
    gh_cli_token(api_url).map(|t| (t, TokenSource::GhCli))
}

fn gh_cli_token(api_url: &str) -> Option<Secret> {
    let mut cmd = Command::new("gh");
    cmd.args(["auth", "token"]);
    if let Some(host) = enterprise_host(api_url) {
        cmd.args(["--hostname", &host]);
    }
    let out = cmd
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let token = String::from_utf8(out.stdout).ok()?;
    let token = token.trim();
    (!token.is_empty()).then(|| Secret::new(token))
}

/// The host `gh` knows an Enterprise API by; `None` for github.com.
fn enterprise_host(api_url: &str) -> Option<String> {
    let uri: http::Uri = api_url.parse().ok()?;
    let host = uri.host()?;
    (host != "api.github.com").then(|| host.to_string())
}

/// Repositories to work on: `--repo` flags, else `GITHUB_REPOSITORY`, else the `origin`
/// remote of the git checkout in the working directory.
pub fn discover_repos(flags: &[RepoRef]) -> Vec<RepoRef> {
    if !flags.is_empty() {
        return flags.to_vec();
    }
    if let Ok(v) = std::env::var("GITHUB_REPOSITORY")
        && let Ok(r) = v.parse()
    {
        return vec![r];
    }
    origin_repo().into_iter().collect()
}

/// The repository the working directory is a checkout of, from `git remote get-url origin`.
pub fn origin_repo() -> Option<RepoRef> {
    let out = Command::new("git")
        .args(["remote", "get-url", "origin"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    parse_remote_url(String::from_utf8_lossy(&out.stdout).trim())
}

/// `https://github.com/o/r(.git)`, `git@github.com:o/r.git`, `ssh://git@host/o/r.git`.
pub fn parse_remote_url(url: &str) -> Option<RepoRef> {
    let url = url.trim().trim_end_matches('/');
    let url = url.strip_suffix(".git").unwrap_or(url);
    let path = if let Some((_, rest)) = url.split_once("://") {
        rest.split_once('/')?.1
    } else if let Some((_, rest)) = url.split_once(':') {
        rest
    } else {
        return None;
    };
    let mut parts = path.rsplitn(3, '/');
    let name = parts.next()?;
    let owner = parts.next()?;
    format!("{owner}/{name}").parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("ghp_abcdefabcdefabcdefabcdefabcdefabcdef");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        assert_eq!(format!("{s}"), "***");
    }

    #[test]
    fn remote_urls_parse() {
        for url in [
            "https://github.com/octo/hello.git",
            "https://github.com/octo/hello",
            "git@github.com:octo/hello.git",
            "ssh://git@github.example.com/octo/hello.git",
            "https://x-access-token:abc@github.com/octo/hello.git",
        ] {
            assert_eq!(
                parse_remote_url(url),
                Some(RepoRef::new("octo", "hello")),
                "{url}"
            );
        }
        assert_eq!(parse_remote_url("/local/path"), None);
    }

    #[test]
    fn enterprise_hosts_are_named_for_gh() {
        assert_eq!(enterprise_host("https://api.github.com"), None);
        assert_eq!(
            enterprise_host("https://ghe.example.com/api/v3").as_deref(),
            Some("ghe.example.com")
        );
    }
}
