//! Files replaced whole: the new content goes to a temporary file beside the target, which
//! is then renamed over it, so a reader (or the next start after a crash) finds the old
//! content or the new, never part of either. The file is private (0600 on Unix: drafts, logs
//! and artifacts hold log text) and its temporary is named `.tmp-…`, so a directory's owner
//! can sweep what a killed writer left.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

/// What a write must survive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// This process dying: the rename is atomic, nothing is flushed to the disk. For caches,
    /// which a power cut may lose, and for a draft saved at every keystroke (it is synced
    /// once typing pauses).
    Process,
    /// A power cut too: the file's content, then the directory entry naming it, are flushed
    /// before the write returns.
    Disk,
}

/// Replaces `path` with `contents`.
pub fn write(path: &Path, contents: &[u8], durability: Durability) -> io::Result<()> {
    write_with(path, durability, |file| file.write_all(contents))
}

/// Replaces `path` with what `fill` writes.
pub fn write_with(
    path: &Path,
    durability: Durability,
    fill: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut temp = tempfile::Builder::new().prefix(".tmp-").tempfile_in(dir)?;
    fill(temp.as_file_mut())?;
    if durability == Durability::Disk {
        temp.as_file().sync_all()?;
    }
    // On failure the temporary file is removed as `PersistError` drops it.
    temp.persist(path).map_err(|e| e.error)?;
    if durability == Durability::Disk
        && let Err(e) = sync_dir(dir)
    {
        // The file is whole and in place, its content on disk: only the rename may not be
        // yet. Some filesystems (network, FUSE) refuse to flush a directory; that is no
        // reason to report a write that happened as failed.
        tracing::debug!(dir = %dir.display(), error = %e, "cannot flush the directory");
    }
    Ok(())
}

/// Flushes a directory's entries: a renamed file survives a power cut only once its
/// directory is flushed too (Unix; elsewhere the rename is as durable as it gets).
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_replaced_whole_and_nothing_is_left_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("draft.md");
        write(&path, b"first", Durability::Disk).unwrap();
        write(&path, b"second", Durability::Process).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["draft.md"]);
    }

    #[test]
    fn a_failed_write_keeps_the_old_content_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache");
        write(&path, b"old", Durability::Process).unwrap();
        let failed = write_with(&path, Durability::Disk, |file| {
            file.write_all(b"half")?;
            Err(io::Error::other("disk full"))
        });
        assert!(failed.is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("etag");
        write(&path, b"x", Durability::Process).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
