//! Owning the terminal: raw mode, the alternate screen, mouse and bracketed paste on entry,
//! all restored on every exit path: a normal quit, an error (the guard's `Drop`), and a panic
//! (the hook restores first, then writes a crash report and says where it is).

use std::io::{Stdout, Write};
use std::sync::OnceLock;

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

/// Secrets a crash report must not contain (the token), set once the session knows them.
static SECRETS: OnceLock<Vec<String>> = OnceLock::new();

pub fn set_secrets(secrets: Vec<String>) {
    let _ = SECRETS.set(secrets);
}

/// Restores the terminal when dropped.
pub struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

pub fn enter() -> std::io::Result<(Terminal<CrosstermBackend<Stdout>>, Guard)> {
    enable_raw_mode()?;
    let guard = Guard;
    let mut out = std::io::stdout();
    execute!(
        out,
        EnterAlternateScreen,
        EnableMouseCapture,
        EnableBracketedPaste,
        cursor::Hide
    )?;
    let terminal = Terminal::new(CrosstermBackend::new(out))?;
    Ok((terminal, guard))
}

/// Puts the terminal back as it was; safe to call more than once.
pub fn restore() {
    let mut out = std::io::stdout();
    let _ = execute!(
        out,
        DisableBracketedPaste,
        DisableMouseCapture,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = disable_raw_mode();
    let _ = out.flush();
}

/// On a panic: restore the terminal first (so the message is readable), then write a crash
/// report to the data directory and print its path.
pub fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
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
        tracing::error!(%message, "panic");
        let dir = crate::paths::data_dir();
        let path = dir.join(format!(
            "crash-{}.txt",
            chrono::Utc::now().format("%Y%m%dT%H%M%S")
        ));
        let written = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, report));
        match written {
            Ok(()) => eprintln!(
                "autoheal crashed: {message}\nA crash report is in {}\nYour prompt drafts are saved.",
                path.display()
            ),
            Err(_) => {
                eprintln!("autoheal crashed: {message}");
                previous(info);
            }
        }
    }));
}
