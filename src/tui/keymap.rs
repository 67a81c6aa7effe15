//! Key bindings: every command has a name, a default key and a line of help. The settings
//! file rebinds by name (`keys: {heal_all: "ctrl-h"}`); the help overlay is generated from the
//! same table, so it always shows the live bindings.

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    Down,
    Up,
    Top,
    Bottom,
    PageDown,
    PageUp,
    NextPane,
    PrevPane,
    Open,
    Filter,
    Help,
    EditPrompt,
    ResetPrompt,
    CreateIssue,
    CreateBranch,
    RequestCopilot,
    HealAll,
    OpenBrowser,
    CopyUrl,
    FullLog,
    Refresh,
    Rerun,
    Approve,
    Group,
    MarkReady,
    Stats,
    Cleanup,
    Quit,
}

/// `(command, settings name, default keys, help)`, in the order the help shows them.
pub const COMMANDS: &[(Command, &str, &[&str], &str)] = &[
    (Command::Down, "down", &["j", "down"], "move down"),
    (Command::Up, "up", &["k", "up"], "move up"),
    (Command::Top, "top", &["g", "home"], "first run"),
    (Command::Bottom, "bottom", &["G", "end"], "last run"),
    (
        Command::PageDown,
        "page_down",
        &["pagedown", "ctrl-d"],
        "scroll the pane down",
    ),
    (
        Command::PageUp,
        "page_up",
        &["pageup", "ctrl-u"],
        "scroll the pane up",
    ),
    (Command::NextPane, "next_pane", &["tab"], "next pane"),
    (
        Command::PrevPane,
        "prev_pane",
        &["backtab"],
        "previous pane",
    ),
    (
        Command::Open,
        "open",
        &["enter"],
        "open the selected run's details",
    ),
    (
        Command::Filter,
        "filter",
        &["/"],
        "filter runs (repo, workflow, branch, category, text)",
    ),
    (Command::Help, "help", &["?"], "this help"),
    (
        Command::EditPrompt,
        "edit_prompt",
        &["e"],
        "edit the Copilot prompt (Esc leaves)",
    ),
    (
        Command::ResetPrompt,
        "reset_prompt",
        &["ctrl-r"],
        "reset the prompt to the template",
    ),
    (
        Command::CreateIssue,
        "create_issue",
        &["i"],
        "create the tracking issue",
    ),
    (
        Command::CreateBranch,
        "create_branch",
        &["b"],
        "create the auto-heal branch",
    ),
    (
        Command::RequestCopilot,
        "request_copilot",
        &["c"],
        "send the Copilot request",
    ),
    (
        Command::HealAll,
        "heal_all",
        &["H"],
        "issue, branch and Copilot request, in order",
    ),
    (
        Command::OpenBrowser,
        "open_browser",
        &["o"],
        "open the PR / issue / run in the browser",
    ),
    (Command::CopyUrl, "copy_url", &["y"], "copy that URL"),
    (
        Command::FullLog,
        "full_log",
        &["L"],
        "the failed job's full log (/ searches)",
    ),
    (
        Command::Rerun,
        "rerun",
        &["x"],
        "re-run the failed jobs (transient failures)",
    ),
    (
        Command::Approve,
        "approve",
        &["A"],
        "approve the heal PR's waiting workflow runs",
    ),
    (
        Command::Group,
        "group",
        &["f"],
        "group repeated failures by fingerprint",
    ),
    (
        Command::MarkReady,
        "mark_ready",
        &["R"],
        "mark the heal PR ready for review (checks passing)",
    ),
    (Command::Stats, "stats", &["S"], "heal statistics"),
    (
        Command::Cleanup,
        "cleanup",
        &["C"],
        "stale heal branches, and deleting them",
    ),
    (Command::Refresh, "refresh", &["r"], "refresh now"),
    (Command::Quit, "quit", &["q", "ctrl-c"], "quit"),
];

#[derive(Debug, Clone)]
pub struct Keymap {
    bindings: Vec<(KeyEvent, Command)>,
}

/// Parses `j`, `H`, `ctrl-r`, `shift-tab`, `enter`, `pagedown`, `f5`, `?`.
pub fn parse_key(text: &str) -> Option<KeyEvent> {
    let mut modifiers = KeyModifiers::NONE;
    let mut rest = text.trim();
    loop {
        let lower = rest.to_ascii_lowercase();
        if let Some(r) = lower.strip_prefix("ctrl-") {
            modifiers |= KeyModifiers::CONTROL;
            rest = &rest[rest.len() - r.len()..];
        } else if let Some(r) = lower.strip_prefix("alt-") {
            modifiers |= KeyModifiers::ALT;
            rest = &rest[rest.len() - r.len()..];
        } else if let Some(r) = lower.strip_prefix("shift-") {
            modifiers |= KeyModifiers::SHIFT;
            rest = &rest[rest.len() - r.len()..];
        } else {
            break;
        }
    }
    let code = match rest.to_ascii_lowercase().as_str() {
        "enter" | "return" => KeyCode::Enter,
        "esc" | "escape" => KeyCode::Esc,
        "tab" if modifiers.contains(KeyModifiers::SHIFT) => {
            modifiers -= KeyModifiers::SHIFT;
            KeyCode::BackTab
        }
        "tab" => KeyCode::Tab,
        "backtab" => KeyCode::BackTab,
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "pageup" => KeyCode::PageUp,
        "pagedown" => KeyCode::PageDown,
        "space" => KeyCode::Char(' '),
        "backspace" => KeyCode::Backspace,
        f if f.starts_with('f') && f.len() > 1 => KeyCode::F(f[1..].parse().ok()?),
        _ => {
            let mut chars = rest.chars();
            let c = chars.next()?;
            if chars.next().is_some() {
                return None;
            }
            KeyCode::Char(c)
        }
    };
    Some(KeyEvent::new(code, modifiers))
}

/// How a key is shown in the help.
pub fn show_key(key: &KeyEvent) -> String {
    let mut s = String::new();
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        s.push_str("ctrl-");
    }
    if key.modifiers.contains(KeyModifiers::ALT) {
        s.push_str("alt-");
    }
    s.push_str(&match key.code {
        KeyCode::Char(' ') => "space".into(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Enter => "enter".into(),
        KeyCode::Esc => "esc".into(),
        KeyCode::Tab => "tab".into(),
        KeyCode::BackTab => "shift-tab".into(),
        KeyCode::Up => "↑".into(),
        KeyCode::Down => "↓".into(),
        KeyCode::Home => "home".into(),
        KeyCode::End => "end".into(),
        KeyCode::PageUp => "pgup".into(),
        KeyCode::PageDown => "pgdn".into(),
        KeyCode::F(n) => format!("f{n}"),
        other => format!("{other:?}").to_lowercase(),
    });
    s
}

impl Keymap {
    /// The defaults, with the settings' overrides (`name → key`). Unknown names or keys are
    /// returned as warnings.
    pub fn new(overrides: &BTreeMap<String, String>) -> (Keymap, Vec<String>) {
        let mut warnings = Vec::new();
        let mut bindings = Vec::new();
        for (cmd, name, defaults, _) in COMMANDS {
            match overrides.get(*name) {
                Some(key) => match parse_key(key) {
                    Some(k) => bindings.push((k, *cmd)),
                    None => warnings.push(format!("keys.{name}: cannot read the key {key:?}")),
                },
                None => bindings.extend(
                    defaults
                        .iter()
                        .filter_map(|d| parse_key(d))
                        .map(|k| (k, *cmd)),
                ),
            }
        }
        for name in overrides.keys() {
            if !COMMANDS.iter().any(|(_, n, _, _)| n == name) {
                warnings.push(format!("keys.{name}: no such command"));
            }
        }
        (Keymap { bindings }, warnings)
    }

    pub fn command(&self, key: &KeyEvent) -> Option<Command> {
        // Shift is implied by an upper-case letter; ignore it when matching characters.
        let normalise = |k: &KeyEvent| {
            let mut m = k.modifiers;
            if matches!(k.code, KeyCode::Char(_)) {
                m -= KeyModifiers::SHIFT;
            }
            (k.code, m)
        };
        let wanted = normalise(key);
        self.bindings
            .iter()
            .find(|(k, _)| normalise(k) == wanted)
            .map(|(_, c)| *c)
    }

    /// `(keys, help)` for each command, as bound now.
    pub fn help(&self) -> Vec<(String, &'static str)> {
        COMMANDS
            .iter()
            .map(|(cmd, _, _, help)| {
                let keys: Vec<String> = self
                    .bindings
                    .iter()
                    .filter(|(_, c)| c == cmd)
                    .map(|(k, _)| show_key(k))
                    .collect();
                (keys.join(" "), *help)
            })
            .collect()
    }

    /// The first key bound to `cmd`, for hints.
    pub fn key_for(&self, cmd: Command) -> String {
        self.bindings
            .iter()
            .find(|(_, c)| *c == cmd)
            .map(|(k, _)| show_key(k))
            .unwrap_or_else(|| "—".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_and_show() {
        assert_eq!(
            parse_key("ctrl-r"),
            Some(KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL))
        );
        assert_eq!(
            parse_key("H"),
            Some(KeyEvent::new(KeyCode::Char('H'), KeyModifiers::NONE))
        );
        assert_eq!(
            parse_key("shift-tab").map(|k| k.code),
            Some(KeyCode::BackTab)
        );
        assert_eq!(parse_key("f5").map(|k| k.code), Some(KeyCode::F(5)));
        assert_eq!(parse_key("nonsense"), None);
        assert_eq!(show_key(&parse_key("ctrl-c").unwrap()), "ctrl-c");
    }

    #[test]
    fn overrides_rebind_by_name_and_bad_ones_warn() {
        let mut o = BTreeMap::new();
        o.insert("heal_all".to_string(), "ctrl-h".to_string());
        o.insert("nothing".to_string(), "x".to_string());
        let (map, warnings) = Keymap::new(&o);
        assert_eq!(
            map.command(&parse_key("ctrl-h").unwrap()),
            Some(Command::HealAll)
        );
        assert_eq!(map.command(&parse_key("H").unwrap()), None);
        assert_eq!(warnings.len(), 1);
        let shifted = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(map.command(&shifted), Some(Command::Bottom));
    }
}
