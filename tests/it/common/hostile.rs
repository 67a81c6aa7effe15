//! A repository whose failed runs were written by an attacker: a fork's pull request whose
//! title, workflow, job and step names and log all try to drive the terminal (clipboard and
//! title writes, screen clears, cursor moves, mode switches, terminal queries, bracketed
//! paste markers, 8-bit controls) or fool the reader (bidi overrides), next to CJK, emoji,
//! RTL, zero-width text, CRLF and invalid UTF-8, which must come through as text.

use std::path::{Path, PathBuf};

use autoheal::sim::LoadedScenario;

/// Text that must never be seen, neither obeyed nor shown: it is inside escape sequences.
pub const HIDDEN_PAYLOADS: &[&str] = &["cm0gLXJmIH4", "pwned-title", "wf-title", "5854474554"];

/// What a terminal-driving byte sequence may not leave behind in anything shown.
pub fn is_forbidden(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// The failing job's log, as raw GitHub log bytes.
pub fn log() -> Vec<u8> {
    let lines: &[&[u8]] = &[
        b"##[group]Run pytest -q",
        b"##[endgroup]",
        b"\x1b]52;c;cm0gLXJmIH4=\x07clipboard write",
        b"\x1b]0;pwned-title\x07title write \x1b]2;pwned-title\x1b\\ again",
        b"\x1b[2J\x1b[H\x1b[3;3Hscreen clear and cursor move \x1b[1A\x1b[K up",
        b"\x1b[200~bracketed paste\x1b[201~ markers",
        b"\x1b[?1049l\x1b[?25l\x1b[?1000h\x1b[?2004l mode switches",
        b"\x1bP+q5854474554544341500\x1b\\ DCS query \x1b[6n \x1b[c reports",
        b"\x9b31m raw 8-bit CSI \xc2\x9b2J UTF-8 C1 \xc2\x9d0;pwned-title\xc2\x9c",
        b"\x1b]8;;https://evil.example\x1b\\hyperlink\x1b]8;;\x1b\\ text",
        "错误: 失败 🚨 שגיאה zero\u{200b}width \u{202e}override\u{202c} end".as_bytes(),
        b"carriage\rreturn and crlf\r",
        b"invalid \xff\xfe utf-8 \xc3\x28 bytes",
        b"\x1b[1;31mFAILED\x1b[0m tests/test_prices.py::test_total - AssertionError: hostile",
        b"##[error]Process completed with exit code 1.",
    ];
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        out.extend_from_slice(format!("2025-11-20T10:00:{:02}.0000000Z ", i + 1).as_bytes());
        out.extend_from_slice(l);
        out.push(b'\n');
    }
    out
}

/// The scenario's YAML: `octo/shop` with one failed run from a fork, all names hostile
/// (YAML's `\x1b` and `\u202e` escapes put the raw characters in). The branch holds a bidi
/// override, which git allows in a ref.
pub const SCENARIO: &str = r#"
repositories:
  - owner: octo
    name: shop
    default_branch: main
    workflows:
      - {id: 21, name: "CI \x1b]0;wf-title\x07\x1b[2J", path: .github/workflows/ci.yml}
    runs:
      - id: 7001
        workflow_id: 21
        display_title: "Fix \x1b]52;c;cm0gLXJmIH4=\x07prices \x1b]0;pwned-title\x07\u202egnp.exe\x1b[?1049l"
        event: pull_request
        head_branch: "feature/\u202eprices"
        head_sha: "7000000000000000000000000000000000000001"
        conclusion: failure
        ago_minutes: 5
        fork: true
        actor: mallory
        jobs:
          - id: 70011
            name: "test \x1b[31m\x1b]0;pwned-title\x07suite"
            conclusion: failure
            log: hostile.log
            steps:
              - {name: Set up job, conclusion: success, first_line: 1}
              - {name: "Run \x1b[2Jpytest \u2066-q", conclusion: failure, first_line: 1}
"#;

/// The scenario in memory, for in-process simulators.
pub fn scenario() -> LoadedScenario {
    LoadedScenario {
        scenario: serde_yaml::from_str(SCENARIO).expect("the hostile scenario parses"),
        logs: [("hostile.log".to_string(), log())].into(),
    }
}

/// The scenario on disk under `dir`, for `autoheal sim --scenario`; returns the YAML's path.
pub fn write_scenario(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir.join("logs")).expect("scenario dir");
    std::fs::write(dir.join("logs/hostile.log"), log()).expect("hostile log");
    let path = dir.join("scenario.yml");
    std::fs::write(&path, SCENARIO).expect("scenario file");
    path
}
