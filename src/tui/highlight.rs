//! Syntax highlighting for job logs in the console: turns one log line into a styled ratatui
//! [`Line`], using the GitHub Actions log syntax in `assets/github-log.sublime-syntax` and a
//! theme from `themes/` (or the user's own `.tmTheme`).
//!
//! It never does I/O on the render path: the syntax and the built-in themes are compiled into
//! the binary, and a user theme file is read once, in [`Highlighter::new`]. After that,
//! [`Highlighter::line`] only computes, and only for the lines it is asked about (the visible
//! ones), and it caches each result, so scrolling back over a line costs a map look-up.
//!
//! Every line is highlighted from a fresh parse state. That is what makes a per-line cache
//! correct, and it relies on the syntax being line-oriented: each of its contexts pops at the
//! end of the line and strings never span lines, so no line can change how another looks (the
//! tests check this against real logs). With `NO_COLOR` set, lines come back unstyled (still
//! cached).
//!
//! Loading: the syntax is built from its embedded YAML at start, and the theme parsed from its
//! embedded plist: about 3 ms in a release build, most of it syntect test-compiling each regex
//! once. A precompiled dump would load in ~20 µs instead, but the regexes are compiled again,
//! lazily, when the first line is highlighted either way (~2 ms), so it would save ~3 ms once
//! per start: not worth a committed binary that must be kept in step with the YAML. The syntax's regexes use ASCII classes
//! (`[0-9]`, not `\d`) because Unicode classes made both steps three times slower.

use std::collections::HashMap;
use std::io::Cursor;
use std::path::Path;

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use syntect::highlighting::{
    FontStyle, HighlightIterator, HighlightState, Highlighter as ThemeHighlighter, Theme, ThemeSet,
};
use syntect::parsing::{ParseState, ScopeStack, SyntaxDefinition, SyntaxSet, SyntaxSetBuilder};

/// The log syntax (Sublime Text's YAML format), compiled into the binary.
const SYNTAX_SOURCE: &str = include_str!("../../assets/github-log.sublime-syntax");
const DARK_THEME: &str = include_str!("../../themes/autoheal-dark.tmTheme");
const LIGHT_THEME: &str = include_str!("../../themes/autoheal-light.tmTheme");

/// How many highlighted lines are kept. A line is a few hundred bytes, so this is a few MB at
/// most, and far more than any screen shows.
const CACHE_CAP: usize = 20_000;

/// Only this much of a line is highlighted; the rest is shown plain. Minified bundles and
/// base64 blobs make lines of megabytes, and a frame must not wait for them.
const MAX_HIGHLIGHT_BYTES: usize = 4096;

/// One line of each kind the syntax knows, to compile its regexes in [`Highlighter::new`].
const WARM_UP: &[&str] = &[
    "2025-11-20T10:15:32.1234567Z ##[group]Run npm ci",
    "##[endgroup]",
    "##[error]Process completed with exit code 1.",
    "::error file=src/a.ts,line=3::Type 'string' is not assignable",
    "##[warning]Node.js 16 actions are deprecated.",
    "##[notice]note",
    "##[debug]Evaluating condition",
    "[command]/usr/bin/git version",
    "E   ModuleNotFoundError: No module named 'requests'",
    "  File \"/home/runner/work/app.py\", line 3, in <module>",
    "error[E0425]: cannot find value `total` in src/main.rs:12:5 (see https://doc.rust-lang.org)",
    "[INFO] WARNING: 12 tests PASSED in 1.5s, returned code 0, \"quoted\" 'single' 42MiB",
];

/// The built-in themes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ThemeChoice {
    /// For dark terminal backgrounds.
    #[default]
    Dark,
    /// For light terminal backgrounds.
    Light,
}

/// Highlights log lines and remembers the results.
pub struct Highlighter {
    syntaxes: SyntaxSet,
    theme: Theme,
    /// The theme's plain-text style: spans in it are left to the terminal's default colours.
    plain: syntect::highlighting::Style,
    no_color: bool,
    cache: HashMap<u64, Cached>,
    cap: usize,
    /// Advances on every look-up; a cached line remembers when it was last used.
    tick: u64,
}

struct Cached {
    line: Line<'static>,
    used: u64,
}

impl std::fmt::Debug for Highlighter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Highlighter")
            .field("theme", &self.theme.name)
            .field("no_color", &self.no_color)
            .field("cached", &self.cache.len())
            .finish_non_exhaustive()
    }
}

impl Highlighter {
    /// `user_theme`: optional path to a .tmTheme from the user's config dir; `no_color`: true
    /// when NO_COLOR is set (then lines come back unstyled, but still cached).
    pub fn new(
        choice: ThemeChoice,
        user_theme: Option<&Path>,
        no_color: bool,
    ) -> Result<Highlighter, String> {
        Self::with_cap(choice, user_theme, no_color, CACHE_CAP)
    }

    fn with_cap(
        choice: ThemeChoice,
        user_theme: Option<&Path>,
        no_color: bool,
        cap: usize,
    ) -> Result<Highlighter, String> {
        let syntaxes = build_syntax_set()?;
        let theme = match user_theme {
            Some(path) => ThemeSet::get_theme(path)
                .map_err(|e| format!("cannot load the theme {}: {e}", path.display()))?,
            None => builtin_theme(choice)?,
        };
        let plain = ThemeHighlighter::new(&theme).get_default();
        let hl = Highlighter {
            syntaxes,
            theme,
            plain,
            no_color,
            cache: HashMap::new(),
            cap: cap.max(1),
            tick: 0,
        };
        // syntect compiles each regex the first time a line tries it: do it now, at start,
        // rather than in the first frame that shows a log (~2 ms), with a line of each kind.
        if !no_color {
            for line in WARM_UP {
                hl.highlight(line);
            }
        }
        Ok(hl)
    }

    /// The highlighted line as a ratatui `Line<'static>`; `key` identifies the line (e.g. hash
    /// of job id + line number) for the cache. `text` is already free of control characters.
    pub fn line(&mut self, key: u64, text: &str) -> Line<'static> {
        self.tick += 1;
        if let Some(hit) = self.cache.get_mut(&key) {
            // A key reused for other text (a hash collision, a caller's bug) is not trusted.
            if same_text(&hit.line, text) {
                hit.used = self.tick;
                return hit.line.clone();
            }
        }
        let line = if self.no_color {
            plain_line(text)
        } else {
            self.highlight(text)
        };
        if self.cache.len() >= self.cap && !self.cache.contains_key(&key) {
            self.evict();
        }
        self.cache.insert(
            key,
            Cached {
                line: line.clone(),
                used: self.tick,
            },
        );
        line
    }

    /// How many lines are cached.
    pub fn cache_len(&self) -> usize {
        self.cache.len()
    }

    /// Drops the least recently used quarter of the cache (at least one line), so eviction
    /// costs O(1) per insert on average.
    fn evict(&mut self) {
        let mut used: Vec<u64> = self.cache.values().map(|c| c.used).collect();
        let n = (used.len() / 4).max(1).min(used.len());
        let (_, cutoff, _) = used.select_nth_unstable(n - 1);
        let cutoff = *cutoff;
        self.cache.retain(|_, c| c.used > cutoff);
    }

    fn highlight(&self, text: &str) -> Line<'static> {
        if text.is_empty() {
            return Line::default();
        }
        let (head, tail) = split_at_most(text, MAX_HIGHLIGHT_BYTES);
        let syntax = &self.syntaxes.syntaxes()[0];
        // A fresh state per line: lines are independent (see the module doc).
        let mut parse = ParseState::new(syntax);
        let Ok(ops) = parse.parse_line(head, &self.syntaxes) else {
            return plain_line(text);
        };
        let theme = ThemeHighlighter::new(&self.theme);
        let mut state = HighlightState::new(&theme, ScopeStack::new());
        let mut spans: Vec<Span<'static>> = Vec::new();
        let mut run = String::new();
        let mut run_style = Style::default();
        for (style, piece) in HighlightIterator::new(&mut state, &ops, head, &theme) {
            if piece.is_empty() {
                continue;
            }
            let style = self.convert(style);
            if style != run_style && !run.is_empty() {
                spans.push(Span::styled(std::mem::take(&mut run), run_style));
            }
            run_style = style;
            run.push_str(piece);
        }
        if !tail.is_empty() {
            if run_style != Style::default() && !run.is_empty() {
                spans.push(Span::styled(std::mem::take(&mut run), run_style));
            }
            run_style = Style::default();
            run.push_str(tail);
        }
        if !run.is_empty() {
            spans.push(Span::styled(run, run_style));
        }
        Line::from(spans)
    }

    /// syntect's style to ratatui's: the foreground as RGB, bold/italic/underline. The theme's
    /// plain-text style maps to no style at all, so plain text keeps the terminal's colours;
    /// backgrounds are never set.
    fn convert(&self, style: syntect::highlighting::Style) -> Style {
        if style.foreground == self.plain.foreground && style.font_style.is_empty() {
            return Style::default();
        }
        let mut out = Style::default();
        if style.foreground != self.plain.foreground && style.foreground.a > 0 {
            let c = style.foreground;
            out = out.fg(Color::Rgb(c.r, c.g, c.b));
        }
        let mut modifiers = Modifier::empty();
        if style.font_style.contains(FontStyle::BOLD) {
            modifiers |= Modifier::BOLD;
        }
        if style.font_style.contains(FontStyle::ITALIC) {
            modifiers |= Modifier::ITALIC;
        }
        if style.font_style.contains(FontStyle::UNDERLINE) {
            modifiers |= Modifier::UNDERLINED;
        }
        out.add_modifier(modifiers)
    }
}

/// The log syntax, built from its embedded YAML (no newline at the end of the lines it is fed).
fn build_syntax_set() -> Result<SyntaxSet, String> {
    let definition = SyntaxDefinition::load_from_str(SYNTAX_SOURCE, false, None)
        .map_err(|e| format!("the built-in log syntax does not load: {e}"))?;
    let mut builder = SyntaxSetBuilder::new();
    builder.add(definition);
    Ok(builder.build())
}

fn builtin_theme(choice: ThemeChoice) -> Result<Theme, String> {
    let source = match choice {
        ThemeChoice::Dark => DARK_THEME,
        ThemeChoice::Light => LIGHT_THEME,
    };
    ThemeSet::load_from_reader(&mut Cursor::new(source))
        .map_err(|e| format!("the built-in {choice:?} theme does not load: {e}"))
}

fn plain_line(text: &str) -> Line<'static> {
    if text.is_empty() {
        Line::default()
    } else {
        Line::from(Span::raw(text.to_owned()))
    }
}

/// Whether the line's spans spell out `text`, without allocating.
fn same_text(line: &Line<'_>, text: &str) -> bool {
    let mut rest = text;
    for span in &line.spans {
        match rest.strip_prefix(span.content.as_ref()) {
            Some(r) => rest = r,
            None => return false,
        }
    }
    rest.is_empty()
}

/// Splits `text` after at most `max` bytes, at a character boundary.
fn split_at_most(text: &str, max: usize) -> (&str, &str) {
    if text.len() <= max {
        return (text, "");
    }
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text.split_at(cut)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::time::Instant;
    use syntect::parsing::ScopeStackOp;

    fn manifest_dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    fn text_of(line: &Line<'_>) -> String {
        line.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    /// The style of the span that contains byte `at` of the line.
    fn style_at(line: &Line<'_>, at: usize) -> Style {
        let mut pos = 0;
        for span in &line.spans {
            pos += span.content.len();
            if at < pos {
                return span.style;
            }
        }
        panic!("{at} is past the end of {line:?}");
    }

    fn rgb(style: Style) -> (u8, u8, u8) {
        match style.fg {
            Some(Color::Rgb(r, g, b)) => (r, g, b),
            other => panic!("expected an RGB foreground, got {other:?}"),
        }
    }

    fn luminance((r, g, b): (u8, u8, u8)) -> f64 {
        0.2126 * f64::from(r) + 0.7152 * f64::from(g) + 0.0722 * f64::from(b)
    }

    fn is_reddish((r, g, b): (u8, u8, u8)) -> bool {
        u16::from(r) > u16::from(g) + 60 && u16::from(r) > u16::from(b) + 60
    }

    fn dark() -> Highlighter {
        Highlighter::new(ThemeChoice::Dark, None, false).unwrap()
    }

    /// Lines as the console gets them: through the sanitizer (escape sequences and control
    /// characters gone, tabs as spaces). The `job<TAB>step<TAB>` prefix of `gh run view --log`
    /// lines is kept: it is text like any other.
    fn cleaned(raw: &[u8]) -> String {
        crate::text::sanitize::clean(raw).into_owned()
    }

    /// Every log the tests run over: the demo logs, and CiDiff's fail.log files when the
    /// shared data is there.
    fn real_logs() -> Vec<PathBuf> {
        let mut logs: Vec<PathBuf> = std::fs::read_dir(manifest_dir().join("assets/demo/logs"))
            .expect("assets/demo/logs")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "log"))
            .collect();
        assert!(!logs.is_empty(), "no demo logs found");
        let shared = manifest_dir().join("../shared/data/cidiff-breakages");
        match std::fs::read_dir(&shared) {
            Ok(dir) => {
                for case in dir.filter_map(Result::ok) {
                    let fail = case.path().join("fail.log");
                    if fail.is_file() {
                        logs.push(fail);
                    }
                }
            }
            Err(e) => println!(
                "skipping the CiDiff logs: {} is not readable ({e})",
                shared.display()
            ),
        }
        logs.sort();
        logs
    }

    fn lines_of(path: &Path) -> Vec<String> {
        let raw = std::fs::read(path).unwrap();
        raw.split(|&b| b == b'\n').map(cleaned).collect()
    }

    #[test]
    fn builtin_themes_and_syntax_load() {
        for choice in [ThemeChoice::Dark, ThemeChoice::Light] {
            let h = Highlighter::new(choice, None, false).unwrap();
            assert_eq!(h.syntaxes.syntaxes().len(), 1);
            assert_eq!(h.cache_len(), 0);
        }
    }

    #[test]
    fn an_error_line_is_red() {
        for choice in [ThemeChoice::Dark, ThemeChoice::Light] {
            let mut h = Highlighter::new(choice, None, false).unwrap();
            let text = "##[error]Process completed with exit code 1.";
            let line = h.line(1, text);
            assert_eq!(text_of(&line), text);
            assert!(is_reddish(rgb(style_at(&line, 0))), "{choice:?}: {line:?}");
            assert!(is_reddish(rgb(style_at(&line, 12))), "{choice:?}: {line:?}");
            // Also when the runner's timestamp is still in front.
            let text = "2025-11-20T10:15:32.1234567Z ##[error]boom";
            let line = h.line(2, text);
            assert!(is_reddish(rgb(style_at(&line, text.len() - 1))), "{line:?}");
            assert!(!is_reddish(rgb(style_at(&line, 0))), "{line:?}");
        }
    }

    #[test]
    fn a_timestamp_is_dimmer_than_text() {
        let text = "2025-11-20T10:15:32.1234567Z Downloading the runner";
        let mut h = dark();
        let line = h.line(1, text);
        assert_eq!(text_of(&line), text);
        let plain = h.plain.foreground;
        let plain = luminance((plain.r, plain.g, plain.b));
        assert!(
            luminance(rgb(style_at(&line, 0))) < plain - 40.0,
            "{line:?}"
        );
        // The rest of the line is plain text: the terminal's own colours.
        assert_eq!(style_at(&line, text.len() - 1), Style::default());

        // On a light background, dimmer means lighter.
        let mut h = Highlighter::new(ThemeChoice::Light, None, false).unwrap();
        let line = h.line(1, text);
        let plain = h.plain.foreground;
        let plain = luminance((plain.r, plain.g, plain.b));
        assert!(
            luminance(rgb(style_at(&line, 0))) > plain + 40.0,
            "{line:?}"
        );
    }

    #[test]
    fn scopes_get_their_colours() {
        let mut h = dark();
        let style = |h: &mut Highlighter, text: &str, at: &str| {
            let line = h.line(crate_hash(text), text);
            style_at(&line, text.find(at).unwrap())
        };
        let warning = rgb(style(&mut h, "##[warning]Node.js 16 is deprecated", "Node"));
        assert!(
            warning.0 > 150 && warning.1 > 120 && warning.2 < 120,
            "{warning:?}"
        );
        let heading = style(&mut h, "##[group]Run cargo test", "cargo");
        assert!(heading.add_modifier.contains(Modifier::BOLD), "{heading:?}");
        let program = style(&mut h, "[command]/usr/bin/git checkout main", "/usr");
        assert!(program.fg.is_some() && program.add_modifier.contains(Modifier::BOLD));
        assert_eq!(
            style(&mut h, "[command]/usr/bin/git checkout main", "main"),
            Style::default()
        );
        for (text, at) in [
            ("  --> src/lib.rs:12:5", "src"),
            (
                "error: .github/workflows/ci.yml (Line: 14, Col: 9): bad",
                "ci.yml",
            ),
            ("  src/a.ts(12,5): error TS2304", "a.ts"),
            ("see https://docs.github.com/x for more", "docs"),
            (
                "DATABASE_URL: postgresql://u@localhost:5432/db",
                "localhost",
            ),
            ("tests/test_x.py:42: AssertionError", "test_x"),
            ("[ERROR] /w/Foo.java:[3,13] cannot find symbol", "Foo"),
            ("  File \"/app/x.py\", line 42, in main", "x.py"),
        ] {
            let s = style(&mut h, text, at);
            assert!(
                s.add_modifier.contains(Modifier::UNDERLINED),
                "{text}: {s:?}"
            );
        }
        for (text, at) in [
            ("Process completed with exit code 1.", "1."),
            ("make: *** [all] Error 2, exit status 2", "2"),
            ("subprocess returned 1", "1"),
            ("thread 'main' panicked at src/main.rs:3:5", "panicked"),
            ("FAILED tests/test_a.py::test_b", "FAILED"),
            ("error[E0425]: cannot find value `x`", "error"),
        ] {
            let at = text.rfind(at).unwrap();
            let line = h.line(crate_hash(text), text);
            assert!(is_reddish(rgb(style_at(&line, at))), "{text}: {line:?}");
        }
        let ok = rgb(style(&mut h, "test tests::it_works ... ok", "ok"));
        assert!(ok.1 > ok.0 + 60, "{ok:?}");
        let zero = rgb(style(&mut h, "exited with code 0", "0"));
        assert!(zero.1 > zero.0 + 60, "{zero:?}");
        // Apostrophes are not quotes.
        let text = "Don't panic, it's fine";
        let line = h.line(crate_hash(text), text);
        assert_eq!(style_at(&line, 6), Style::default(), "{line:?}");
    }

    fn crate_hash(text: &str) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        text.hash(&mut hasher);
        hasher.finish()
    }

    #[test]
    fn no_color_gives_the_same_text_unstyled() {
        let mut h = Highlighter::new(ThemeChoice::Dark, None, true).unwrap();
        for (key, text) in [
            "##[error]Process completed with exit code 1.",
            "2025-11-20T10:15:32.1234567Z ##[group]Run cargo test",
            "  --> src/lib.rs:12:5",
            "",
        ]
        .into_iter()
        .enumerate()
        {
            let line = h.line(key as u64, text);
            assert_eq!(text_of(&line), text);
            assert!(line.spans.len() <= 1);
            assert!(line.spans.iter().all(|s| s.style == Style::default()));
            assert_eq!(line.style, Style::default());
        }
        assert_eq!(h.cache_len(), 4, "unstyled lines are cached too");
    }

    #[test]
    fn an_unterminated_quote_does_not_leak_into_the_next_line() {
        let mut h = dark();
        let next = "FAILED tests/test_a.py::test_b";
        let alone = h.line(100, next);
        for (key, opener) in [
            "echo \"unterminated",
            "echo 'unterminated",
            "[command]/bin/sh -c \"echo",
            "##[error]it said \"no",
        ]
        .into_iter()
        .enumerate()
        {
            let line = h.line(key as u64, opener);
            assert_eq!(text_of(&line), opener);
            assert_eq!(h.line(1000 + key as u64, next), alone, "after {opener:?}");
        }
        // And the syntax itself keeps no state across lines: a parse state carried from
        // one line to the next gives exactly what a fresh one does.
        let lines = [
            "say \"open",
            "##[group]Run x",
            "it's 'open",
            "src/a.rs:1:2 \"x\"",
        ];
        assert_same_with_carried_state(&h.syntaxes, lines.iter().copied());
    }

    /// Parses `lines` once with one state carried through, once with a fresh state per
    /// line, and asserts both give the same scope changes, and that every line ends with
    /// nothing open but the syntax's own scope: no context outlives its line.
    fn assert_same_with_carried_state<'a>(
        syntaxes: &SyntaxSet,
        lines: impl Iterator<Item = &'a str>,
    ) -> usize {
        let syntax = &syntaxes.syntaxes()[0];
        let mut carried = ParseState::new(syntax);
        let mut scopes = ScopeStack::new();
        let mut n = 0;
        for (i, text) in lines.enumerate() {
            let text = split_at_most(text, MAX_HIGHLIGHT_BYTES).0;
            let a = carried.parse_line(text, syntaxes).unwrap();
            let mut b = ParseState::new(syntax).parse_line(text, syntaxes).unwrap();
            if i > 0 {
                // A fresh state opens with the syntax's own scope; a carried one has it.
                assert_eq!(b.first(), Some(&(0, ScopeStackOp::Push(syntax.scope))));
                b.remove(0);
            }
            assert_eq!(a, b, "line {i} ({text:?}) depends on the lines before it");
            for (_, op) in &a {
                scopes.apply(op).unwrap();
            }
            assert_eq!(
                scopes.as_slice(),
                [syntax.scope],
                "line {i} ({text:?}) leaves scopes open for the next line"
            );
            n += 1;
        }
        n
    }

    /// The check above does catch the classic mistake: a string that ends only at its closing
    /// quote, not at the line break, and so swallows the lines after it.
    #[test]
    fn the_line_independence_check_catches_a_string_that_spans_lines() {
        let broken = "name: Broken\nscope: text.broken\ncontexts:\n  main:\n    - match: '\"'\n      push: string\n  string:\n    - meta_scope: string.quoted.double\n    - match: '\"'\n      pop: true\n";
        let mut builder = SyntaxSetBuilder::new();
        builder.add(SyntaxDefinition::load_from_str(broken, false, None).unwrap());
        let broken = builder.build();
        let lines = ["echo \"open", "FAILED: the next line"];
        let caught = std::panic::catch_unwind(|| {
            assert_same_with_carried_state(&broken, lines.iter().copied())
        });
        assert!(caught.is_err(), "a string spanning lines went unnoticed");
    }

    #[test]
    fn the_cache_returns_the_same_line_for_the_same_key() {
        let mut h = dark();
        let text = "##[error]tests/test_x.py:42: exit code 1";
        let first = h.line(7, text);
        assert_eq!(h.cache_len(), 1);
        let second = h.line(7, text);
        assert_eq!(first, second);
        assert_eq!(h.cache_len(), 1);
        // Different text under the same key is highlighted afresh, not served stale.
        let other = h.line(7, "plain");
        assert_eq!(text_of(&other), "plain");
        assert_eq!(h.cache_len(), 1);
    }

    #[test]
    fn the_cache_is_bounded_and_keeps_recent_lines() {
        let mut h = Highlighter::with_cap(ThemeChoice::Dark, None, false, 100).unwrap();
        for key in 0..1000u64 {
            h.line(key, &format!("line {key}"));
            // Line 0 stays in use, as the line under the cursor would.
            h.line(0, "line 0");
            assert!(h.cache_len() <= 100);
        }
        assert!(h.cache.contains_key(&0), "a line in use was evicted");
        assert!(h.cache.contains_key(&999));
        assert!(!h.cache.contains_key(&500));
    }

    #[test]
    fn very_long_lines_keep_their_text() {
        let mut h = dark();
        let long = format!("##[error]{}é tail", "x".repeat(MAX_HIGHLIGHT_BYTES - 10));
        let line = h.line(1, &long);
        assert_eq!(text_of(&line), long);
    }

    #[test]
    fn a_user_theme_is_loaded_or_reported() {
        let dir = std::env::temp_dir().join(format!("autoheal-theme-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("mine.tmTheme");
        std::fs::write(&path, LIGHT_THEME.replace("#CF222E", "#FF0000")).unwrap();
        let mut h = Highlighter::new(ThemeChoice::Dark, Some(&path), false).unwrap();
        let line = h.line(1, "##[error]boom");
        assert_eq!(rgb(style_at(&line, 0)), (0xFF, 0, 0));

        let missing = dir.join("missing.tmTheme");
        let err = Highlighter::new(ThemeChoice::Dark, Some(&missing), false).unwrap_err();
        assert!(err.contains("missing.tmTheme"), "{err}");
        std::fs::write(&path, "not a plist").unwrap();
        assert!(Highlighter::new(ThemeChoice::Dark, Some(&path), false).is_err());
        std::fs::remove_dir_all(&dir).ok();
    }

    /// The syntax on real logs: nothing panics, the text comes back as it went in, and no
    /// line's highlighting depends on the lines before it (a string or context that does
    /// not end at the line break would swallow the rest of the file).
    #[test]
    fn every_real_log_line_highlights_to_its_own_text() {
        let mut h = dark();
        let mut total = 0usize;
        let mut styled = 0usize;
        for path in real_logs() {
            let lines = lines_of(&path);
            for (i, text) in lines.iter().enumerate() {
                let line = h.line((total + i) as u64, text);
                assert_eq!(text_of(&line), *text, "{}:{}", path.display(), i + 1);
                styled += usize::from(line.spans.iter().any(|s| s.style != Style::default()));
            }
            let checked =
                assert_same_with_carried_state(&h.syntaxes, lines.iter().map(String::as_str));
            total += checked;
        }
        println!("{total} lines highlighted, {styled} with some style");
        assert!(styled > 0);
    }

    /// Not asserted: how fast highlighting is (debug builds are much slower than release).
    #[test]
    fn measure_throughput() {
        let started = Instant::now();
        let mut h = dark();
        let load = started.elapsed();
        let lines: Vec<String> = real_logs()
            .iter()
            .filter(|p| p.starts_with(manifest_dir().join("assets")))
            .flat_map(|p| lines_of(p))
            .collect();
        let started = Instant::now();
        for (i, text) in lines.iter().enumerate() {
            h.line(i as u64, text);
        }
        let cold = started.elapsed();
        // The most recent lines, well within the cache: all hits.
        let visible = lines.len().min(CACHE_CAP / 2);
        let started = Instant::now();
        for (i, text) in lines.iter().enumerate().skip(lines.len() - visible) {
            h.line(i as u64, text);
        }
        let warm = started.elapsed();
        println!(
            "load {load:?}; {} lines cold in {cold:?} ({:.0} lines/s); {visible} cached in {warm:?} ({:.0} lines/s)",
            lines.len(),
            lines.len() as f64 / cold.as_secs_f64(),
            visible as f64 / warm.as_secs_f64(),
        );
    }
}
