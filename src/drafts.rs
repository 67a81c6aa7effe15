//! Prompt drafts, autosaved per run in the data directory, so what the user typed survives a
//! restart, a crash or a `kill -9`: every save writes a temporary file and renames it over the
//! old draft, so a draft on disk is always whole. The console saves on every edit (the
//! kernel keeps what was written when the process dies) and syncs once typing pauses (so a
//! power cut loses at most that pause), keeping `fsync` off the typing path.

use std::io::Write;
use std::path::PathBuf;

use crate::forge::RepoRef;

fn path(repo: &RepoRef, run_id: u64) -> PathBuf {
    crate::paths::data_dir()
        .join("drafts")
        .join(&repo.owner)
        .join(&repo.name)
        .join(format!("{run_id}.md"))
}

/// The saved draft for a run, if any.
pub fn load(repo: &RepoRef, run_id: u64) -> Option<String> {
    std::fs::read_to_string(path(repo, run_id)).ok()
}

/// Saves a draft atomically; `synced` waits until it is on the disk itself.
pub fn save(repo: &RepoRef, run_id: u64, text: &str, synced: bool) -> std::io::Result<()> {
    let path = path(repo, run_id);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("md.partial");
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(text.as_bytes())?;
    if synced {
        f.sync_all()?;
    }
    std::fs::rename(&tmp, &path)
}

/// Forgets a draft (the prompt was reset to the template).
pub fn remove(repo: &RepoRef, run_id: u64) {
    let _ = std::fs::remove_file(path(repo, run_id));
}
