//! The architecture, kept: no two files of `src/` use each other, even through others, and each
//! area uses only the areas below it. The areas and their allowed directions are the table in
//! [`ALLOWED`]; `src/lib.rs` draws the same picture for a reader.
//!
//! The check reads the sources the way a reader follows them: every `use crate::…`,
//! `use super::…` and every path written out in code (`crate::forge::RepoRef`), resolved to the
//! file that defines it. A `#[cfg(test)]` module is left out: a test may reach anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each area of `src/` (its folder, or a root file) and the areas it may use. The rules of the
/// house: `text` and `platform` know nothing of the rest; `forge` is the one door to GitHub
/// and decides nothing; `analysis` is pure, knowing no forge and no screen; the engine knows
/// no screen; the console (`tui`) reaches the simulator only over HTTP, so never `sim`; only
/// the command line (`cli`) sees everything.
const ALLOWED: &[(&str, &[&str])] = &[
    ("text", &[]),
    ("platform", &[]),
    ("forge", &["text", "platform"]),
    ("config", &["forge", "platform"]),
    ("analysis", &["config", "text"]),
    ("history", &["analysis", "forge", "text"]),
    (
        "engine",
        &["analysis", "config", "forge", "history", "text", "platform"],
    ),
    (
        "heal",
        &[
            "engine", "analysis", "config", "forge", "history", "text", "platform",
        ],
    ),
    ("watch", &["heal", "engine", "config", "forge", "text"]),
    ("sim", &["forge"]),
    (
        "tui",
        &[
            "watch", "heal", "engine", "history", "analysis", "config", "forge", "text", "platform",
        ],
    ),
    (
        "cli",
        &[
            "tui", "watch", "heal", "engine", "history", "analysis", "config", "forge", "sim",
            "text", "platform",
        ],
    ),
];

/// The crate's root files: they declare the areas and start the program.
const ROOTS: &[&str] = &["lib.rs", "main.rs"];

#[test]
fn no_two_files_use_each_other() {
    let graph = Graph::of_sources();
    let cycles = graph.cycles();
    assert!(
        cycles.is_empty(),
        "files that use each other (move the shared part to a file both can use):\n{}",
        cycles
            .iter()
            .map(|c| format!("  {}", c.join(" → ")))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn every_area_uses_only_the_areas_below_it() {
    let graph = Graph::of_sources();
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut wrong = Vec::new();
    let mut unknown = BTreeSet::new();
    for (from, uses) in &graph.edges {
        let Some(from_area) = area(from) else {
            continue;
        };
        let Some(may) = allowed.get(from_area.as_str()) else {
            unknown.insert(from_area);
            continue;
        };
        for (to, line) in uses {
            let Some(to_area) = area(to) else {
                continue;
            };
            if to_area != from_area && !may.contains(&to_area.as_str()) {
                wrong.push(format!(
                    "  src/{from}:{line} uses src/{to} ({from_area} → {to_area})"
                ));
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "areas missing from the table: {unknown:?}"
    );
    assert!(
        wrong.is_empty(),
        "uses against the layering (tests/it/architecture.rs lists what each area may use):\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_table_has_no_cycle_of_its_own() {
    // Areas ordered so that each uses only those before it: the table is a layering.
    let mut placed: Vec<&str> = Vec::new();
    let mut left: Vec<(&str, &[&str])> = ALLOWED.to_vec();
    while !left.is_empty() {
        let before = left.len();
        left.retain(|(area, uses)| {
            if uses.iter().all(|u| placed.contains(u)) {
                placed.push(area);
                false
            } else {
                true
            }
        });
        assert!(left.len() < before, "the areas {left:?} use each other");
    }
}

#[test]
fn the_reader_finds_uses_as_written() {
    // The check is only as good as its reading of the sources.
    let code = strip(
        r####"
        use crate::forge::{RepoRef, model::{Run as R, self}};
        // use crate::tui::app;
        let s = "crate::sim::Faults"; let r = r#"crate::cli"#; let c = '"';
        fn f<'a>(x: &'a str) -> crate::engine::scan::FailedRun { super::sibling::go() }
        #[cfg(test)]
        mod tests { use crate::cli::Cli; }
        "####,
    );
    let paths: Vec<String> = paths_in(&code)
        .into_iter()
        .map(|(p, _)| p.join("::"))
        .collect();
    assert_eq!(
        paths,
        [
            "crate::forge::RepoRef",
            "crate::forge::model::Run",
            "crate::forge::model",
            "crate::engine::scan::FailedRun",
            "super::sibling::go",
        ]
    );
}

/// The area of a file: its folder under `src/`, or its stem for a file at the root.
fn area(file: &str) -> Option<String> {
    if ROOTS.contains(&file) {
        return None;
    }
    let first = file.split('/').next()?;
    Some(first.trim_end_matches(".rs").to_string())
}

/// Which files of `src/` use which, with the line of the first use.
struct Graph {
    edges: BTreeMap<String, BTreeMap<String, usize>>,
}

impl Graph {
    fn of_sources() -> Graph {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        collect(&src, &mut files);
        let names: BTreeSet<String> = files.iter().map(|f| relative(&src, f)).collect();
        let mut edges = BTreeMap::new();
        for file in &files {
            let name = relative(&src, file);
            let text = std::fs::read_to_string(file).expect("a source file");
            let module = module_of(&name);
            let mut uses = BTreeMap::new();
            for (path, line) in paths_in(&strip(&text)) {
                let Some(absolute) = absolute(&module, &path) else {
                    continue;
                };
                if let Some(target) = file_of(&names, &absolute)
                    && target != name
                {
                    uses.entry(target).or_insert(line);
                }
            }
            edges.insert(name, uses);
        }
        Graph { edges }
    }

    /// Every group of files that use each other (Tarjan's strongly connected components).
    fn cycles(&self) -> Vec<Vec<String>> {
        struct Walk<'a> {
            graph: &'a Graph,
            index: BTreeMap<&'a str, usize>,
            low: BTreeMap<&'a str, usize>,
            stack: Vec<&'a str>,
            on_stack: BTreeSet<&'a str>,
            found: Vec<Vec<String>>,
        }
        impl<'a> Walk<'a> {
            fn visit(&mut self, v: &'a str) {
                let i = self.index.len();
                self.index.insert(v, i);
                self.low.insert(v, i);
                self.stack.push(v);
                self.on_stack.insert(v);
                for w in self.graph.edges.get(v).into_iter().flat_map(|m| m.keys()) {
                    let w = w.as_str();
                    if !self.index.contains_key(w) {
                        self.visit(w);
                        let low = self.low[v].min(self.low[w]);
                        self.low.insert(v, low);
                    } else if self.on_stack.contains(w) {
                        let low = self.low[v].min(self.index[w]);
                        self.low.insert(v, low);
                    }
                }
                if self.low[v] == self.index[v] {
                    let mut group = Vec::new();
                    while let Some(w) = self.stack.pop() {
                        self.on_stack.remove(w);
                        group.push(w.to_string());
                        if w == v {
                            break;
                        }
                    }
                    if group.len() > 1 {
                        group.sort();
                        self.found.push(group);
                    }
                }
            }
        }
        let mut walk = Walk {
            graph: self,
            index: BTreeMap::new(),
            low: BTreeMap::new(),
            stack: Vec::new(),
            on_stack: BTreeSet::new(),
            found: Vec::new(),
        };
        for v in self.edges.keys() {
            if !walk.index.contains_key(v.as_str()) {
                walk.visit(v);
            }
        }
        walk.found
    }
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("src is readable")
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn relative(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).expect("a file under src");
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// The module path of a file: `analysis/mod.rs` is `analysis`, `forge/model.rs` is
/// `forge::model`, the roots are the crate itself.
fn module_of(file: &str) -> Vec<String> {
    let mut parts: Vec<String> = file
        .trim_end_matches(".rs")
        .split('/')
        .map(String::from)
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// A path as written, made absolute from the crate root; `None` for another crate's.
fn absolute(module: &[String], path: &[String]) -> Option<Vec<String>> {
    let mut parts = path.iter().peekable();
    let mut base: Vec<String> = match parts.peek().map(|s| s.as_str()) {
        Some("crate") => {
            parts.next();
            Vec::new()
        }
        Some("super" | "self") => module.to_vec(),
        _ => return None,
    };
    while let Some(part) = parts.peek() {
        match part.as_str() {
            "super" => {
                base.pop();
            }
            "self" => {}
            _ => break,
        }
        parts.next();
    }
    base.extend(parts.cloned());
    Some(base)
}

/// The file defining the longest prefix of an absolute path that names a module.
fn file_of(files: &BTreeSet<String>, path: &[String]) -> Option<String> {
    (1..=path.len()).rev().find_map(|n| {
        let stem = path[..n].join("/");
        [format!("{stem}.rs"), format!("{stem}/mod.rs")]
            .into_iter()
            .find(|f| files.contains(f))
    })
}

/// The code with comments, string and character literals blanked (lines kept), and
/// `#[cfg(test)]` modules removed.
fn strip(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |c: char, out: &mut String| out.push(if c == '\n' { '\n' } else { ' ' });
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    blank(chars[i], &mut out);
                    i += 1;
                }
            }
        } else if c == 'r' && matches!(next, Some('"' | '#')) && starts_literal(&chars, i) {
            // A raw string: r"…", r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                match chars.get(j) {
                    None => break,
                    Some('"') if (1..=hashes).all(|k| chars.get(j + k) == Some(&'#')) => {
                        j += 1 + hashes;
                        break;
                    }
                    Some(&ch) => {
                        blank(ch, &mut out);
                        j += 1;
                    }
                }
            }
            i = j;
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                if let Some(&ch) = chars.get(i) {
                    blank(ch, &mut out);
                }
                i += 1;
            }
            i += 1;
        } else if c == '\'' {
            // A character literal ('x', '\n', '\u{1b}'), or a lifetime ('a).
            if next == Some('\\') {
                i += 2;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if chars.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                out.push(c);
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    without_test_modules(&out)
}

/// Does the `r` at `i` start a raw string (`r"`, `br#"`), not end a name (`for"`)?
fn starts_literal(chars: &[char], i: usize) -> bool {
    let is_ident = |k: Option<usize>| {
        k.and_then(|k| chars.get(k))
            .is_some_and(|c| c.is_alphanumeric() || *c == '_')
    };
    let before = i.checked_sub(1);
    !is_ident(before) || (chars[i - 1] == 'b' && !is_ident(i.checked_sub(2)))
}

/// The code without its `#[cfg(test)] mod … { … }` blocks (lines kept).
fn without_test_modules(code: &str) -> String {
    let mut out = code.to_string();
    let mut from = 0;
    while let Some(at) = out[from..].find("#[cfg(test)]").map(|p| p + from) {
        let after = &out[at + "#[cfg(test)]".len()..];
        let trimmed = after.trim_start();
        let is_module = trimmed.starts_with("mod ") || trimmed.starts_with("pub mod ");
        let open = after.find(['{', ';']);
        match (is_module, open) {
            (true, Some(o)) if after.as_bytes()[o] == b'{' => {
                let start = at + "#[cfg(test)]".len() + o;
                let mut depth = 0;
                let mut end = out.len();
                for (k, ch) in out[start..].char_indices() {
                    match ch {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = start + k + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                let blanked: String = out[at..end]
                    .chars()
                    .map(|c| if c == '\n' { '\n' } else { ' ' })
                    .collect();
                out.replace_range(at..end, &blanked);
                from = end;
            }
            _ => from = at + 1,
        }
    }
    out
}

/// Every path the code names from this crate (`crate::`, `super::`, `self::`), with its line:
/// the leaves of each `use` tree, and the paths written out elsewhere.
fn paths_in(code: &str) -> Vec<(Vec<String>, usize)> {
    let line_of = |at: usize| code[..at].matches('\n').count() + 1;
    let mut found = Vec::new();
    let mut uses = Vec::new();
    let mut at = 0;
    while let Some(p) = find_word(code, "use", at) {
        let end = code[p..].find(';').map_or(code.len(), |e| p + e);
        let tree = code[p + 3..end]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        for path in use_leaves(&tree) {
            found.push((path, line_of(p)));
        }
        uses.push(p..end);
        at = end;
    }
    let bytes = code.as_bytes();
    for start in ["crate::", "super::", "self::"] {
        let mut from = 0;
        while let Some(p) = code[from..].find(start).map(|x| x + from) {
            from = p + start.len();
            let inside_use = uses.iter().any(|u| u.contains(&p));
            let mid_path = p > 0 && (is_ident_byte(bytes[p - 1]) || bytes[p - 1] == b':');
            if inside_use || mid_path {
                continue;
            }
            let end = code[p..]
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .map_or(code.len(), |e| p + e);
            let path: Vec<String> = code[p..end]
                .trim_end_matches(':')
                .split("::")
                .map(String::from)
                .collect();
            found.push((path, line_of(p)));
        }
    }
    found.sort_by_key(|(_, line)| *line);
    found
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// `word` as a whole word in `code[from..]`.
fn find_word(code: &str, word: &str, from: usize) -> Option<usize> {
    let bytes = code.as_bytes();
    let mut at = from;
    while let Some(p) = code[at..].find(word).map(|x| x + at) {
        let before = p == 0 || !is_ident_byte(bytes[p - 1]);
        let after = bytes.get(p + word.len()).is_none_or(|b| !is_ident_byte(*b));
        if before && after {
            return Some(p);
        }
        at = p + word.len();
    }
    None
}

/// The paths a `use` tree names (`a::{b, c::{d as e, self}}` → `a::b`, `a::c::d`, `a::c`).
fn use_leaves(tree: &str) -> Vec<Vec<String>> {
    fn walk(prefix: &[String], tree: &str, out: &mut Vec<Vec<String>>) {
        let mut depth = 0;
        let mut item = String::new();
        let mut items = Vec::new();
        for c in tree.chars() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    items.push(std::mem::take(&mut item));
                    continue;
                }
                _ => {}
            }
            item.push(c);
        }
        items.push(item);
        for item in items.iter().map(|i| i.trim()).filter(|i| !i.is_empty()) {
            if let Some(open) = item.find('{') {
                let head: Vec<String> = item[..open]
                    .trim()
                    .trim_end_matches("::")
                    .split("::")
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect();
                let inner = &item[open + 1..item.len().saturating_sub(1)];
                walk(&[prefix, &head].concat(), inner, out);
            } else {
                let name = item.split(" as ").next().unwrap_or(item);
                let mut path = prefix.to_vec();
                path.extend(
                    name.split("::")
                        .map(str::trim)
                        .filter(|s| !s.is_empty() && *s != "*" && *s != "self")
                        .map(String::from),
                );
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&[], tree, &mut out);
    out
}
