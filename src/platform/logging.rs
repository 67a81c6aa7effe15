//! Tracing to a file, never to the terminal: the console owns the screen, and headless
//! output (`--json`) must stay machine-readable.
//!
//! The file is `autoheal.log` in the data directory; `AUTOHEAL_LOG` sets the filter
//! (default `autoheal=info`), e.g. `AUTOHEAL_LOG=autoheal=debug`.

use std::path::PathBuf;

use tracing_subscriber::EnvFilter;

/// Starts logging; returns the log file's path, or `None` when it cannot be opened (logging
/// is then off: it is never a reason to fail).
pub fn init() -> Option<PathBuf> {
    let dir = crate::platform::paths::data_dir();
    std::fs::create_dir_all(&dir).ok()?;
    let path = dir.join("autoheal.log");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .ok()?;
    let filter =
        EnvFilter::try_from_env("AUTOHEAL_LOG").unwrap_or_else(|_| EnvFilter::new("autoheal=info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::sync::Mutex::new(file))
        .with_ansi(false)
        .try_init()
        .ok()?;
    Some(path)
}
