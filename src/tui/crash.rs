//! When the console panics: the terminal comes back first, then a crash report is written
//! and its path printed, then the process ends.
//!
//! A panic can happen on any thread: the console's own, an effect's tokio task, the input
//! reader. Wherever it happens the hook first takes the screen ([`hold_screen`]), so no
//! thread can draw or write to the terminal after it is restored, then restores it, writes
//! the report and ends the process with 101. A panic in a background task (which tokio would
//! otherwise swallow) ends the console too: its terminal is no longer in raw mode, so going
//! on would be worse. Nothing is lost by not unwinding: prompt drafts are written to disk on
//! every edit, and every write to GitHub is in the audit log.

use std::cell::Cell;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};

use super::terminal;

/// Secrets a crash report must not contain (the token), set once the session knows them.
static SECRETS: OnceLock<Vec<String>> = OnceLock::new();

/// Held while anything is written to the terminal, and by the panic hook until the end.
static SCREEN: Mutex<()> = Mutex::new(());

/// Set by the first panic: a second one (another thread, at the same moment) waits for the
/// first to end the process instead of restoring and reporting again.
static PANICKING: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// This thread holds the screen (a panic inside a frame must not wait for itself).
    static HOLDING_SCREEN: Cell<bool> = const { Cell::new(false) };
}

/// The exit status after a panic, as Rust's own for a panicking `main`.
const PANIC_EXIT: i32 = 101;

pub fn set_secrets(secrets: Vec<String>) {
    let _ = SECRETS.set(secrets);
}

/// The right to write to the terminal: a frame, a bell, a clipboard write.
pub struct ScreenGuard {
    _lock: MutexGuard<'static, ()>,
}

impl Drop for ScreenGuard {
    fn drop(&mut self) {
        HOLDING_SCREEN.with(|h| h.set(false));
    }
}

/// Takes the screen. After a panic the hook keeps it, so this waits until the process ends
/// rather than letting anything land on the restored terminal.
pub fn hold_screen() -> ScreenGuard {
    let lock = SCREEN
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    HOLDING_SCREEN.with(|h| h.set(true));
    ScreenGuard { _lock: lock }
}

/// Installs the hook: take the screen, restore the terminal, write the report, say where
/// it is, exit.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        if PANICKING.swap(true, Ordering::SeqCst) {
            loop {
                std::thread::park();
            }
        }
        // A panic inside a frame already holds the screen; any other waits for the frame.
        let _screen = (!HOLDING_SCREEN.with(Cell::get)).then(|| {
            SCREEN
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
        });
        terminal::restore();
        let secrets: Vec<&str> = SECRETS
            .get()
            .map(|s| s.iter().map(String::as_str).collect())
            .unwrap_or_default();
        // A panic message can quote input (a log line, a name): masked and cleaned.
        let message = crate::text::redact::redact(&info.to_string(), &secrets).into_owned();
        let message = message
            .lines()
            .map(|l| crate::text::sanitize::clean(l.as_bytes()).into_owned())
            .collect::<Vec<_>>()
            .join("\n");
        let backtrace = std::backtrace::Backtrace::force_capture();
        let report = format!(
            "autoheal {} crashed\n\n{message}\n\nbacktrace:\n{backtrace}\n",
            env!("CARGO_PKG_VERSION")
        );
        // Never `eprintln!` here: a closed stderr would panic inside the hook.
        let mut err = std::io::stderr();
        let _ = match write_report(&report) {
            Ok(path) => writeln!(
                err,
                "autoheal crashed: {message}\nA crash report is in {}\nYour prompt drafts are saved.",
                path.display()
            ),
            Err(e) => writeln!(
                err,
                "autoheal crashed: {message}\n(the crash report could not be written: {e})\n{backtrace}"
            ),
        };
        tracing::error!(%message, "panic");
        std::process::exit(PANIC_EXIT);
    }));
}

/// `crash-<time>-<pid>.txt` in the data directory, beside the log file.
fn write_report(report: &str) -> std::io::Result<PathBuf> {
    let dir = crate::platform::paths::data_dir();
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
