//! Where autoheal keeps its files, per the platform's conventions (XDG on Linux).
//!
//! `AUTOHEAL_DATA_DIR`, `AUTOHEAL_CACHE_DIR` and `AUTOHEAL_CONFIG_DIR` override each one, which
//! is how the tests keep to a temporary directory.

use std::path::PathBuf;

use directories::ProjectDirs;

fn project() -> Option<ProjectDirs> {
    ProjectDirs::from("", "", "autoheal")
}

fn dir(var: &str, pick: impl FnOnce(&ProjectDirs) -> PathBuf) -> PathBuf {
    if let Some(v) = std::env::var_os(var).filter(|v| !v.is_empty()) {
        return PathBuf::from(v);
    }
    project()
        .map(|p| pick(&p))
        .unwrap_or_else(|| std::env::temp_dir().join("autoheal"))
}

/// Prompt drafts, the audit log, per-run artifacts, the log file.
pub fn data_dir() -> PathBuf {
    dir("AUTOHEAL_DATA_DIR", |p| p.data_dir().to_path_buf())
}

/// Downloaded logs and the ETag cache.
pub fn cache_dir() -> PathBuf {
    dir("AUTOHEAL_CACHE_DIR", |p| p.cache_dir().to_path_buf())
}

/// The answers of conditional requests (see `forge::etag_cache`).
pub fn http_cache_dir() -> PathBuf {
    cache_dir().join("http")
}

/// The user's settings file lives here (`config.yml`).
pub fn config_dir() -> PathBuf {
    dir("AUTOHEAL_CONFIG_DIR", |p| p.config_dir().to_path_buf())
}
