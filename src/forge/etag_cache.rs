//! What conditional requests remember: the ETag and body of each GET answer, in memory and,
//! for a client that asks, on disk under the cache directory.
//!
//! The disk half is what makes a second `autoheal status` a minute after the first nearly
//! free: GitHub answers `304 Not Modified` (not counted against the rate limit) and the body
//! comes from here. It is shared by the console and every command, so it must be safe when two
//! processes use it at once:
//!
//! - one file per URL, named by the SHA-256 of the API address and path, and holding that key
//!   so a stale or foreign file is never mistaken for another answer;
//! - written to a temporary file of its own and renamed into place, so a reader sees an old
//!   answer or a new one, never half of one;
//! - bounded: past [`MAX_DISK_BYTES`] the oldest files go.
//!
//! A file holds the key, the ETag and the body GitHub sent: never a request header, so never
//! a token. Files and the directory are readable by their owner only. A body that no longer
//! decodes (a disk fault, a crash before the rename reached the disk) is forgotten by the
//! transport and fetched again.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use http::HeaderValue;
use sha2::{Digest, Sha256};

/// Entries kept in memory; a poller touches a few per repository, so this is generous.
const MAX_MEMORY_ENTRIES: usize = 4096;
/// Bodies larger than this (logs) are not kept.
pub const MAX_CACHED_BODY: usize = 2 * 1024 * 1024;
/// The disk cache's size; past it the oldest files are removed.
pub const MAX_DISK_BYTES: u64 = 64 * 1024 * 1024;
/// Writes between two looks at the disk cache's size.
const PRUNE_EVERY: u64 = 200;
/// First line of every file: the format, so that a later version can change it safely.
const MAGIC: &[u8] = b"autoheal-etag 1\n";

#[derive(Debug, Clone, PartialEq)]
pub struct CachedBody {
    pub etag: HeaderValue,
    pub body: Bytes,
}

/// The ETags and bodies of GET answers, by path.
#[derive(Debug)]
pub struct EtagCache {
    memory: Mutex<HashMap<String, CachedBody>>,
    disk: Option<Disk>,
}

#[derive(Debug)]
struct Disk {
    dir: PathBuf,
    /// Prefixes every key: answers of two APIs (github.com, an Enterprise server) never mix.
    api_url: String,
}

/// Writes by this process, to name each one's temporary file.
static WRITES: AtomicU64 = AtomicU64::new(0);

impl EtagCache {
    /// In memory only: it lasts as long as the process.
    pub fn in_memory() -> EtagCache {
        EtagCache {
            memory: Mutex::new(HashMap::new()),
            disk: None,
        }
    }

    /// In memory and in `dir`, for the API at `api_url`.
    pub fn on_disk(dir: PathBuf, api_url: &str) -> EtagCache {
        EtagCache {
            memory: Mutex::new(HashMap::new()),
            disk: Some(Disk {
                dir,
                api_url: api_url.to_string(),
            }),
        }
    }

    pub fn get(&self, path: &str) -> Option<CachedBody> {
        if let Some(hit) = self.memory.lock().ok()?.get(path).cloned() {
            return Some(hit);
        }
        let disk = self.disk.as_ref()?;
        let found = disk.read(path)?;
        self.keep_in_memory(path, found.clone());
        Some(found)
    }

    pub fn put(&self, path: &str, etag: &HeaderValue, body: &Bytes) {
        if body.len() > MAX_CACHED_BODY {
            return;
        }
        let entry = CachedBody {
            etag: etag.clone(),
            body: body.clone(),
        };
        let unchanged = self
            .memory
            .lock()
            .ok()
            .and_then(|m| m.get(path).cloned())
            .is_some_and(|old| old == entry);
        if let Some(disk) = &self.disk
            && !unchanged
            && let Err(e) = disk.write(path, &entry)
        {
            // A cache that cannot be written costs requests, nothing else.
            tracing::debug!(error = %e, "cannot write the ETag cache");
        }
        self.keep_in_memory(path, entry);
    }

    /// Drops what is known of `path` (its body did not decode).
    pub fn forget(&self, path: &str) {
        if let Ok(mut memory) = self.memory.lock() {
            memory.remove(path);
        }
        if let Some(disk) = &self.disk {
            let _ = std::fs::remove_file(disk.file(path));
        }
    }

    fn keep_in_memory(&self, path: &str, entry: CachedBody) {
        if let Ok(mut memory) = self.memory.lock() {
            if memory.len() >= MAX_MEMORY_ENTRIES && !memory.contains_key(path) {
                memory.clear();
            }
            memory.insert(path.to_string(), entry);
        }
    }
}

impl Disk {
    fn key(&self, path: &str) -> String {
        format!("{}{path}", self.api_url)
    }

    fn file(&self, path: &str) -> PathBuf {
        let digest = Sha256::digest(self.key(path).as_bytes());
        let name: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        self.dir.join(name)
    }

    fn read(&self, path: &str) -> Option<CachedBody> {
        let bytes = std::fs::read(self.file(path)).ok()?;
        let rest = bytes.strip_prefix(MAGIC)?;
        let (key, rest) = split_line(rest)?;
        if key != self.key(path).as_bytes() {
            return None;
        }
        let (etag, body) = split_line(rest)?;
        Some(CachedBody {
            etag: HeaderValue::from_bytes(etag).ok()?,
            body: Bytes::copy_from_slice(body),
        })
    }

    fn write(&self, path: &str, entry: &CachedBody) -> std::io::Result<()> {
        let key = self.key(path);
        if key.contains('\n') || entry.etag.as_bytes().contains(&b'\n') {
            return Ok(());
        }
        create_private_dir(&self.dir)?;
        let target = self.file(path);
        // A name no other writer uses: this process, this write.
        let n = WRITES.fetch_add(1, Ordering::Relaxed);
        let temp = self.dir.join(format!(".tmp-{}-{n}", std::process::id()));
        let mut file = private_file(&temp)?;
        let written = (|| {
            file.write_all(MAGIC)?;
            file.write_all(key.as_bytes())?;
            file.write_all(b"\n")?;
            file.write_all(entry.etag.as_bytes())?;
            file.write_all(b"\n")?;
            file.write_all(&entry.body)?;
            drop(file);
            std::fs::rename(&temp, &target)
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        if n % PRUNE_EVERY == 0 {
            prune(&self.dir, MAX_DISK_BYTES);
        }
        written
    }
}

fn split_line(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let end = memchr::memchr(b'\n', bytes)?;
    Some((&bytes[..end], &bytes[end + 1..]))
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Removes the oldest files until the directory holds at most three quarters of `limit`
/// bytes, once it holds more than `limit`; and temporary files a crashed writer left.
fn prune(dir: &Path, limit: u64) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let now = std::time::SystemTime::now();
    let mut files = Vec::new();
    let mut total = 0u64;
    for entry in entries.flatten() {
        let Ok(meta) = entry.metadata() else { continue };
        if !meta.is_file() {
            continue;
        }
        let modified = meta.modified().unwrap_or(now);
        if entry.file_name().to_string_lossy().starts_with(".tmp-") {
            let stale = now
                .duration_since(modified)
                .is_ok_and(|age| age.as_secs() > 600);
            if stale {
                let _ = std::fs::remove_file(entry.path());
            }
            continue;
        }
        total += meta.len();
        files.push((modified, meta.len(), entry.path()));
    }
    if total <= limit {
        return;
    }
    files.sort_by_key(|(modified, ..)| *modified);
    for (_, len, path) in files {
        if total <= limit / 4 * 3 {
            break;
        }
        // Another process may have removed it already: either way it is gone.
        let _ = std::fs::remove_file(&path);
        total = total.saturating_sub(len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(text: &str) -> Bytes {
        Bytes::copy_from_slice(text.as_bytes())
    }

    #[test]
    fn an_answer_written_by_one_process_is_read_by_the_next() {
        let dir = tempfile::tempdir().unwrap();
        let etag = HeaderValue::from_static("W/\"abc\"");
        let first = EtagCache::on_disk(dir.path().join("http"), "https://api.github.com");
        first.put(
            "/repos/o/r/actions/runs?per_page=100",
            &etag,
            &body("{\"a\":1}"),
        );
        let second = EtagCache::on_disk(dir.path().join("http"), "https://api.github.com");
        let hit = second.get("/repos/o/r/actions/runs?per_page=100").unwrap();
        assert_eq!(hit.etag, etag);
        assert_eq!(hit.body, body("{\"a\":1}"));
        // Another API's answers are its own.
        let other = EtagCache::on_disk(dir.path().join("http"), "https://ghe.example/api/v3");
        assert!(other.get("/repos/o/r/actions/runs?per_page=100").is_none());
        // A forgotten answer is gone for every process.
        second.forget("/repos/o/r/actions/runs?per_page=100");
        let third = EtagCache::on_disk(dir.path().join("http"), "https://api.github.com");
        assert!(third.get("/repos/o/r/actions/runs?per_page=100").is_none());
    }

    #[test]
    fn a_damaged_or_foreign_file_is_a_miss() {
        let dir = tempfile::tempdir().unwrap();
        let cache = EtagCache::on_disk(dir.path().to_path_buf(), "https://api.github.com");
        let etag = HeaderValue::from_static("\"1\"");
        cache.put("/a", &etag, &body("{}"));
        let file = cache.disk.as_ref().unwrap().file("/a");
        let fresh = || EtagCache::on_disk(dir.path().to_path_buf(), "https://api.github.com");
        std::fs::write(&file, b"garbage").unwrap();
        assert!(fresh().get("/a").is_none());
        // A file holding another key (a hash collision, a renamed file) is not taken.
        std::fs::write(
            &file,
            b"autoheal-etag 1\nhttps://api.github.com/b\n\"1\"\n{}",
        )
        .unwrap();
        assert!(fresh().get("/a").is_none());
    }

    #[cfg(unix)]
    #[test]
    fn files_are_the_owners_alone_and_hold_no_request_header() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let cache = EtagCache::on_disk(dir.path().join("http"), "https://api.github.com");
        cache.put(
            "/user",
            &HeaderValue::from_static("\"e\""),
            &body("{\"login\":\"me\"}"),
        );
        let file = cache.disk.as_ref().unwrap().file("/user");
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{mode:o}");
        let dir_mode = std::fs::metadata(dir.path().join("http"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(dir_mode & 0o077, 0, "{dir_mode:o}");
        let text = std::fs::read_to_string(&file).unwrap();
        assert_eq!(
            text,
            "autoheal-etag 1\nhttps://api.github.com/user\n\"e\"\n{\"login\":\"me\"}"
        );
    }

    #[test]
    fn the_oldest_files_go_when_the_cache_outgrows_its_bound() {
        let dir = tempfile::tempdir().unwrap();
        for (i, age) in [(0, 30), (1, 20), (2, 10)] {
            let path = dir.path().join(format!("f{i}"));
            std::fs::write(&path, vec![b'x'; 400]).unwrap();
            let when = std::time::SystemTime::now() - std::time::Duration::from_secs(age);
            std::fs::File::options()
                .write(true)
                .open(&path)
                .unwrap()
                .set_modified(when)
                .unwrap();
        }
        prune(dir.path(), 1000);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        // 1,200 bytes > 1,000: the oldest go until three quarters of the bound is left.
        assert_eq!(left, ["f2"]);
        prune(dir.path(), 1000);
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "under the bound: kept"
        );
    }

    #[test]
    fn two_writers_at_once_leave_one_whole_answer() {
        let dir = tempfile::tempdir().unwrap();
        let a = body(&"a".repeat(100_000));
        let b = body(&"b".repeat(100_000));
        std::thread::scope(|s| {
            for text in [&a, &b] {
                let dir = dir.path().to_path_buf();
                s.spawn(move || {
                    let cache = EtagCache::on_disk(dir, "https://api.github.com");
                    for i in 0..50 {
                        let etag = HeaderValue::from_str(&format!("\"{i}\"")).unwrap();
                        cache.put("/same", &etag, text);
                    }
                });
            }
        });
        let hit = EtagCache::on_disk(dir.path().to_path_buf(), "https://api.github.com")
            .get("/same")
            .unwrap();
        assert!(hit.body == a || hit.body == b);
    }
}
