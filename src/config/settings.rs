//! The user's own settings: `$XDG_CONFIG_HOME/autoheal/config.yml`.
//!
//! Repositories to watch, the poll interval, the theme, the terminal bell and key bindings.
//! A missing file means the defaults; a broken one is an error naming file, line and column.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::forge::RepoRef;

/// Days since its last workflow run for an organisation's repository to be watched, unless
/// the user says otherwise.
pub const ORG_ACTIVE_DAYS: u32 = 30;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Repositories the console watches when none are named on the command line.
    pub repos: Vec<RepoRef>,
    /// Organisations whose active repositories the console watches too.
    pub orgs: Vec<String>,
    /// Days since a repository's last workflow run for an organisation's repository to count.
    pub org_active_days: u32,
    /// Seconds between polls of each repository.
    pub poll_interval_secs: u64,
    /// `dark` or `light`.
    pub theme: String,
    /// A `.tmTheme` file to use instead of the built-in themes.
    pub theme_file: Option<PathBuf>,
    /// Ring the terminal bell when a new failure appears.
    pub bell: bool,
    /// Failed runs listed per repository.
    pub limit: usize,
    /// Key bindings: command name → key (e.g. `heal_all: "H"`, `quit: "ctrl-q"`).
    pub keys: BTreeMap<String, String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            repos: Vec::new(),
            orgs: Vec::new(),
            org_active_days: ORG_ACTIVE_DAYS,
            poll_interval_secs: 30,
            theme: "dark".into(),
            theme_file: None,
            bell: false,
            limit: 30,
            keys: BTreeMap::new(),
        }
    }
}

pub fn path() -> PathBuf {
    crate::platform::paths::config_dir().join("config.yml")
}

/// Reads the settings file; a missing file is the defaults.
pub fn load() -> Result<Settings, String> {
    let path = path();
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Settings::default()),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    parse(&text, &path.display().to_string())
}

pub fn parse(text: &str, file: &str) -> Result<Settings, String> {
    if text.trim().is_empty() {
        return Ok(Settings::default());
    }
    let settings: Settings = serde_yaml::from_str(text).map_err(|e| match e.location() {
        Some(l) => format!("{file}:{}:{}: {e}", l.line(), l.column()),
        None => format!("{file}: {e}"),
    })?;
    if settings.poll_interval_secs < 5 {
        return Err(format!(
            "{file}: poll_interval_secs must be at least 5 (GitHub's rate limit)"
        ));
    }
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_parse_with_defaults_for_what_is_missing() {
        let s = parse(
            "repos: [octo/shop]\ntheme: light\nkeys:\n  quit: ctrl-q\n",
            "f",
        )
        .unwrap();
        assert_eq!(s.repos, vec![RepoRef::new("octo", "shop")]);
        assert_eq!(s.poll_interval_secs, 30);
        assert_eq!(s.keys["quit"], "ctrl-q");
        assert!(s.orgs.is_empty());
        assert_eq!(s.org_active_days, 30);
        let s = parse("orgs: [acme, octo]\norg_active_days: 7\n", "f").unwrap();
        assert_eq!(s.orgs, ["acme", "octo"]);
        assert_eq!(s.org_active_days, 7);
        assert!(parse("poll_interval_secs: 1\n", "f").is_err());
        assert!(
            parse("repos: [nonsense]\n", "f")
                .unwrap_err()
                .starts_with("f:1:")
        );
    }
}
