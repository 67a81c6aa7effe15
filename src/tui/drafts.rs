//! Prompt drafts, autosaved per run in the data directory, so what the user typed survives a
//! restart, a crash, a `kill -9` or a power cut.
//!
//! The console saves on every edit and syncs once typing pauses, keeping `fsync` off the
//! typing path. An edit is written to `RUN.md.live` (a temporary file renamed over it, so it
//! is always whole): the kernel keeps it when the process dies. A sync writes `RUN.md`, waits
//! for the disk, renames it into place and only then drops `RUN.md.live`. So the synced draft
//! is never replaced by unsynced bytes: after a power cut the worst case is the last synced
//! draft, never an empty file where a draft was.

use std::path::{Path, PathBuf};

use crate::forge::RepoRef;
use crate::platform::atomic::{self, Durability};

fn synced_path(data_dir: &Path, repo: &RepoRef, run_id: u64) -> PathBuf {
    data_dir
        .join("drafts")
        .join(&repo.owner)
        .join(&repo.name)
        .join(format!("{run_id}.md"))
}

fn live_path(synced: &Path) -> PathBuf {
    synced.with_extension("md.live")
}

/// The saved draft for a run, if any.
pub fn load(repo: &RepoRef, run_id: u64) -> Option<String> {
    load_in(&crate::platform::paths::data_dir(), repo, run_id)
}

/// The draft under `data_dir`: unsynced edits when there are any, else the synced draft.
pub fn load_in(data_dir: &Path, repo: &RepoRef, run_id: u64) -> Option<String> {
    let synced = synced_path(data_dir, repo, run_id);
    // An empty live file is what a power cut can leave of an unsynced write.
    std::fs::read_to_string(live_path(&synced))
        .ok()
        .filter(|text| !text.is_empty())
        .or_else(|| std::fs::read_to_string(&synced).ok())
}

/// Saves a draft atomically; `synced` waits until it is on the disk itself.
pub fn save(repo: &RepoRef, run_id: u64, text: &str, synced: bool) -> std::io::Result<()> {
    save_in(
        &crate::platform::paths::data_dir(),
        repo,
        run_id,
        text,
        synced,
    )
}

pub fn save_in(
    data_dir: &Path,
    repo: &RepoRef,
    run_id: u64,
    text: &str,
    synced: bool,
) -> std::io::Result<()> {
    let path = synced_path(data_dir, repo, run_id);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let live = live_path(&path);
    if !synced {
        return atomic::write(&live, text.as_bytes(), Durability::Process);
    }
    atomic::write(&path, text.as_bytes(), Durability::Disk)?;
    match std::fs::remove_file(&live) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Forgets a draft (the prompt was reset to the template).
pub fn remove(repo: &RepoRef, run_id: u64) {
    remove_in(&crate::platform::paths::data_dir(), repo, run_id);
}

pub fn remove_in(data_dir: &Path, repo: &RepoRef, run_id: u64) {
    let path = synced_path(data_dir, repo, run_id);
    let _ = std::fs::remove_file(live_path(&path));
    let _ = std::fs::remove_file(path);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_are_kept_beside_the_synced_draft_until_it_is_synced() {
        let dir = tempfile::tempdir().unwrap();
        let repo = RepoRef::new("o", "r");
        let synced = synced_path(dir.path(), &repo, 7);
        save_in(dir.path(), &repo, 7, "first", true).unwrap();
        save_in(dir.path(), &repo, 7, "first and more", false).unwrap();
        assert_eq!(
            std::fs::read_to_string(&synced).unwrap(),
            "first",
            "untouched"
        );
        assert_eq!(
            load_in(dir.path(), &repo, 7).as_deref(),
            Some("first and more")
        );
        // What a power cut can leave of an unsynced write: the synced draft wins.
        std::fs::write(live_path(&synced), "").unwrap();
        assert_eq!(load_in(dir.path(), &repo, 7).as_deref(), Some("first"));
        save_in(dir.path(), &repo, 7, "final", true).unwrap();
        assert!(!live_path(&synced).exists());
        assert_eq!(load_in(dir.path(), &repo, 7).as_deref(), Some("final"));
        let leftovers: Vec<_> = std::fs::read_dir(synced.parent().unwrap())
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.file_name())
            .collect();
        assert_eq!(leftovers, vec![std::ffi::OsString::from("7.md")]);
    }
}
