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
//!
//! In memory the bodies are kept deflated: a page of 30 workflow runs is about 350 KB of JSON,
//! and a console watching 200 repositories holds two such pages a repository (the newest runs,
//! the failure list). Deflated they take a tenth of that, for a millisecond or two a page.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use http::HeaderValue;
use sha2::{Digest, Sha256};

use crate::platform::atomic::{self, Durability};

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

/// An answer as memory keeps it: the body deflated.
#[derive(Debug, Clone, PartialEq)]
struct Deflated {
    etag: HeaderValue,
    body: Bytes,
}

impl Deflated {
    fn new(entry: &CachedBody) -> Option<Deflated> {
        let mut encoder =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(&entry.body).ok()?;
        Some(Deflated {
            etag: entry.etag.clone(),
            body: Bytes::from(encoder.finish().ok()?),
        })
    }

    fn inflate(&self) -> Option<CachedBody> {
        let mut body = Vec::new();
        flate2::read::DeflateDecoder::new(&self.body[..])
            .read_to_end(&mut body)
            .ok()?;
        Some(CachedBody {
            etag: self.etag.clone(),
            body: Bytes::from(body),
        })
    }
}

/// The ETags and bodies of GET answers, by path.
#[derive(Debug)]
pub struct EtagCache {
    memory: Mutex<HashMap<String, Deflated>>,
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

    /// The ETag of the answer kept for `path`, to ask whether it still holds.
    pub fn etag(&self, path: &str) -> Option<HeaderValue> {
        let kept = self.memory.lock().ok()?.get(path).map(|d| d.etag.clone());
        kept.or_else(|| self.get(path).map(|c| c.etag))
    }

    /// The body kept for `path`, if it is still the answer tagged `etag` (another request may
    /// have replaced it since the ETag was read).
    pub fn body_for(&self, path: &str, etag: &HeaderValue) -> Option<Bytes> {
        self.get(path).filter(|c| c.etag == *etag).map(|c| c.body)
    }

    pub fn get(&self, path: &str) -> Option<CachedBody> {
        let kept = self.memory.lock().ok()?.get(path).cloned();
        if let Some(hit) = kept.and_then(|d| d.inflate()) {
            return Some(hit);
        }
        let disk = self.disk.as_ref()?;
        let found = disk.read(path)?;
        if let Some(deflated) = Deflated::new(&found) {
            self.keep_deflated(path, deflated);
        }
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
        let Some(deflated) = Deflated::new(&entry) else {
            return;
        };
        // The same ETag and body (deflating is deterministic) need not be written again.
        let unchanged = self
            .memory
            .lock()
            .ok()
            .and_then(|m| m.get(path).cloned())
            .is_some_and(|old| old == deflated);
        if let Some(disk) = &self.disk
            && !unchanged
            && let Err(e) = disk.write(path, &entry)
        {
            // A cache that cannot be written costs requests, nothing else.
            tracing::debug!(error = %e, "cannot write the ETag cache");
        }
        self.keep_deflated(path, deflated);
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

    fn keep_deflated(&self, path: &str, entry: Deflated) {
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
        let written = atomic::write_with(&target, Durability::Process, |file| {
            file.write_all(MAGIC)?;
            file.write_all(key.as_bytes())?;
            file.write_all(b"\n")?;
            file.write_all(entry.etag.as_bytes())?;
            file.write_all(b"\n")?;
            file.write_all(&entry.body)
        });
        let n = WRITES.fetch_add(1, Ordering::Relaxed);
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
    fn memory_keeps_a_page_of_runs_in_a_fraction_of_its_size_and_gives_it_back_whole() {
        let cache = EtagCache::in_memory();
        let etag = HeaderValue::from_static("W/\"runs\"");
        // JSON repeats itself: a page of runs is mostly the same keys and URLs.
        let page: String = (0..30)
            .map(|i| format!("{{\"id\":{i},\"url\":\"https://api.github.com/repos/o/r/actions/runs/{i}\",\"status\":\"completed\",\"conclusion\":\"failure\"}},"))
            .collect();
        cache.put("/repos/o/r/actions/runs", &etag, &body(&page));
        let kept: usize = cache
            .memory
            .lock()
            .unwrap()
            .values()
            .map(|d| d.body.len())
            .sum();
        assert!(kept * 4 < page.len(), "{kept} of {}", page.len());
        let hit = cache.get("/repos/o/r/actions/runs").unwrap();
        assert_eq!(hit.etag, etag);
        assert_eq!(hit.body, body(&page));
    }

    #[test]
    fn a_kept_body_is_given_only_for_the_etag_it_was_kept_with() {
        let cache = EtagCache::in_memory();
        let (one, two) = (
            HeaderValue::from_static("\"1\""),
            HeaderValue::from_static("\"2\""),
        );
        cache.put("/p", &one, &body("first"));
        assert_eq!(cache.etag("/p"), Some(one.clone()));
        assert_eq!(cache.body_for("/p", &one), Some(body("first")));
        // Another request replaced it while ours was asking with the old ETag.
        cache.put("/p", &two, &body("second"));
        assert_eq!(cache.body_for("/p", &one), None);
        assert_eq!(cache.body_for("/p", &two), Some(body("second")));
        assert_eq!(cache.etag("/nothing"), None);
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
