//! When the console panics: the terminal comes back first, then a crash report is written
//! and its path printed, then the process ends.
//!
//! A panic can happen on any thread: the console's own, an effect's tokio task, the input
//! reader. Wherever it happens the hook first takes the screen ([`hold_screen`]), so the
//! console's thread cannot draw again after the terminal is restored, then restores it,
//! writes the report and ends the process with 101 (what an unwinding panic would give).
//! Nothing is lost by not unwinding: prompt drafts are written to disk on every edit, and
//! every write to GitHub is in the audit log.

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use super::terminal;

/// Secrets a crash report must not contain (the token), set once the session knows them.
static SECRETS: OnceLock<Vec<String>> = OnceLock::new();

/// The exit status after a panic, as Rust's own for a panicking `main`.
const PANIC_EXIT: i32 = 101;

/// Held while a frame is drawn, and by the panic hook until the process ends.
static SCREEN: Mutex<()> = Mutex::new(());

pub fn set_secrets(secrets: Vec<String>) {
    let _ = SECRETS.set(secrets);
}

/// The right to draw a frame. After a panic the hook keeps it, so this waits until the
/// process ends rather than letting a frame land on the restored terminal.
pub fn hold_screen() -> MutexGuard<'static, ()> {
    SCREEN
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The hook's take on the screen: a panic inside a frame (on the console's own thread)
/// already holds it, so after a short wait the hook goes ahead without it.
fn take_screen() -> Option<MutexGuard<'static, ()>> {
    let deadline = Instant::now() + Duration::from_millis(200);
    loop {
        match SCREEN.try_lock() {
            Ok(guard) => return Some(guard),
            Err(std::sync::TryLockError::Poisoned(p)) => return Some(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(std::sync::TryLockError::WouldBlock) => return None,
        }
    }
}

/// Installs the hook: restore the terminal, write the report, say where it is, exit.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let _screen = take_screen();
        terminal::restore();
        let secrets: Vec<&str> = SECRETS
            .get()
            .map(|s| s.iter().map(String::as_str).collect())
            .unwrap_or_default();
        let message = crate::analysis::redact::redact(&info.to_string(), &secrets).into_owned();
        let backtrace = std::backtrace::Backtrace::force_capture();
        let report = format!(
            "autoheal {} crashed\n\n{message}\n\nbacktrace:\n{backtrace}\n",
            env!("CARGO_PKG_VERSION")
        );
        match write_report(&report) {
            Ok(path) => eprintln!(
                "autoheal crashed: {message}\nA crash report is in {}\nYour prompt drafts are saved.",
                path.display()
            ),
            Err(e) => eprintln!(
                "autoheal crashed: {message}\n(the crash report could not be written: {e})\n{backtrace}"
            ),
        }
        tracing::error!(%message, "panic");
        std::process::exit(PANIC_EXIT);
    }));
}

/// `crash-<time>-<pid>.txt` in the data directory, beside the log file.
fn write_report(report: &str) -> std::io::Result<PathBuf> {
    let dir = crate::paths::data_dir();
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!(
        "crash-{}-{}.txt",
        chrono::Utc::now().format("%Y%m%dT%H%M%S"),
        std::process::id()
    ));
    std::fs::write(&path, report)?;
    Ok(path)
}

/// `AUTOHEAL_CRASH_TEST=main` or `=task`: pressing F12 panics, on the console's own thread
/// or in a background task, so the crash path (terminal restored, report written, drafts
/// kept) can be tried on a real terminal. The message carries the session's token, which
/// the report must mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashTest {
    Main,
    Task,
}

impl CrashTest {
    pub fn from_env() -> Option<CrashTest> {
        match std::env::var("AUTOHEAL_CRASH_TEST").ok()?.as_str() {
            "main" => Some(CrashTest::Main),
            "task" => Some(CrashTest::Task),
            _ => None,
        }
    }

    pub fn fire(self, secrets: &[String]) {
        let message = format!(
            "crash test (AUTOHEAL_CRASH_TEST) on the {} with token {}",
            match self {
                CrashTest::Main => "console thread",
                CrashTest::Task => "background task",
            },
            secrets.first().map(String::as_str).unwrap_or("none")
        );
        match self {
            CrashTest::Main => panic!("{message}"),
            CrashTest::Task => {
                tokio::spawn(async move { panic!("{message}") });
            }
        }
    }
}
