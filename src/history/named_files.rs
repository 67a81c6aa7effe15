//! The files a failure's excerpt names: a compiler's `src/x.rs:12:5`, a test runner's
//! `tests/test_cart.py::test_total`, a stack frame's `(Cart.java:88)` or `File "/home/runner/
//! work/shop/shop/cart.py", line 12`. What a commit must have touched to be suspected.
//!
//! A token counts as a file when it has an extension of letters and either a directory or a
//! position after it (`:12`, `::test`, `", line 12`, `(12`): a bare `setup.py` in prose, a
//! module path like `numpy.core` or a host like `pypi.org` is not a file the log points at.

use std::sync::LazyLock;

use regex::Regex;

use crate::analysis::ExcerptLine;

/// A file named on a line of the excerpt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedFile {
    /// As the log writes it, with `\` turned into `/` and a leading `./` dropped.
    pub path: String,
    /// The log's line (1-based) that names it.
    pub line: usize,
    /// That line is an anchor of the excerpt: it says what failed, not what surrounds it.
    pub on_failing_line: bool,
}

/// A token's leading path and what follows it (a position, or nothing).
static PATH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?P<path>(?:[A-Za-z]:)?[\w.@+\-/\\]*[\w\-+@]\.(?P<ext>[A-Za-z][A-Za-z0-9]{0,9}))(?P<rest>.*)$")
        .expect("the path pattern compiles")
});

/// Extensions that are hosts' or versions' more often than files'.
const NOT_FILES: &[&str] = &["com", "org", "net", "io", "dev", "ai", "app", "co"];

/// Every file the excerpt names, in the excerpt's order, each once (its first, failing
/// mention preferred).
pub fn named_files(excerpt: &[ExcerptLine]) -> Vec<NamedFile> {
    let mut found: Vec<NamedFile> = Vec::new();
    for line in excerpt {
        for path in files_on(&line.text) {
            match found.iter_mut().find(|f| f.path == path) {
                Some(known) => {
                    if line.anchor && !known.on_failing_line {
                        known.line = line.line;
                        known.on_failing_line = true;
                    }
                }
                None => found.push(NamedFile {
                    path,
                    line: line.line,
                    on_failing_line: line.anchor,
                }),
            }
        }
    }
    found
}

/// The file paths on one line of text.
pub fn files_on(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let tokens = text.split(|c: char| {
        c.is_whitespace() || matches!(c, '(' | '"' | '\'' | '`' | ',' | '=' | '[' | '<')
    });
    for token in tokens {
        // An address, not a file of the repository.
        if token.contains("://") || token.starts_with("//") {
            continue;
        }
        let token = token.trim_end_matches([')', ']', '>', ';', '.', ':']);
        let Some(caps) = PATH.captures(token) else {
            continue;
        };
        let path = &caps["path"];
        let rest = &caps["rest"];
        let ext = caps["ext"].to_ascii_lowercase();
        let has_dir = path.contains('/') || path.contains('\\');
        let has_pos = rest.starts_with("::")
            || rest
                .strip_prefix(':')
                .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()));
        let clean_end = rest.is_empty() || has_pos || rest.starts_with(':');
        if !clean_end || !(has_dir || has_pos) || NOT_FILES.contains(&ext.as_str()) {
            continue;
        }
        let mut path = path.replace('\\', "/");
        while let Some(stripped) = path.strip_prefix("./") {
            path = stripped.to_string();
        }
        if !path.is_empty() && !out.contains(&path) {
            out.push(path);
        }
    }
    out
}

/// Does `named` (as a log writes it) stand for `file` (a path in the repository)? Equal, or
/// one ends with the other at a directory boundary: a log names `/home/runner/work/shop/
/// shop/src/cart.py` or, from inside a crate, `src/pricing.rs` for `crates/core/src/pricing.rs`.
/// A bare file name (`Cart.java`) matches a file of that name anywhere.
pub fn same_file(named: &str, file: &str) -> bool {
    fn ends_at_boundary(long: &str, short: &str) -> bool {
        long.len() > short.len()
            && long.ends_with(short)
            && long.as_bytes()[long.len() - short.len() - 1] == b'/'
    }
    named == file || ends_at_boundary(named, file) || ends_at_boundary(file, named)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(n: usize, text: &str, anchor: bool) -> ExcerptLine {
        ExcerptLine {
            line: n,
            text: text.into(),
            repeated: None,
            anchor,
        }
    }

    #[test]
    fn compilers_test_runners_and_stack_frames_name_files() {
        assert_eq!(
            files_on("  --> crates/webshop-core/src/pricing/discount.rs:87:24"),
            ["crates/webshop-core/src/pricing/discount.rs"]
        );
        assert_eq!(
            files_on("FAILED tests/test_cart.py::test_total - assert 3 == 4"),
            ["tests/test_cart.py"]
        );
        assert_eq!(
            files_on(r#"  File "/home/runner/work/shop/shop/cart.py", line 12, in total"#),
            ["/home/runner/work/shop/shop/cart.py"]
        );
        assert_eq!(
            files_on("    at com.acme.Cart.total(Cart.java:88)"),
            ["Cart.java"]
        );
        assert_eq!(
            files_on(r"D:\a\shop\shop\src\main.c(12): error C2065"),
            ["D:/a/shop/shop/src/main.c"]
        );
        assert_eq!(files_on("src/app.ts(4,7): error TS2304"), ["src/app.ts"]);
    }

    #[test]
    fn hosts_modules_versions_and_prose_are_not_files() {
        for text in [
            "Downloading https://files.pythonhosted.org/packages/x/requests-2.31.0.tar.gz",
            "ModuleNotFoundError: No module named 'numpy.core'",
            "Collecting pypi.org",
            "run setup.py to install",
            "version 1.2.3 released",
            "see https://example.com/docs/page.html",
        ] {
            assert!(files_on(text).is_empty(), "{text}: {:?}", files_on(text));
        }
    }

    #[test]
    fn each_file_once_and_a_failing_line_preferred() {
        let excerpt = [
            line(10, "   Compiling src/lib.rs:1", false),
            line(12, "error: src/lib.rs:40:2 mismatched types", true),
            line(13, "note: src/other.rs:3", false),
        ];
        let named = named_files(&excerpt);
        assert_eq!(named.len(), 2);
        assert_eq!(
            named[0],
            NamedFile {
                path: "src/lib.rs".into(),
                line: 12,
                on_failing_line: true
            }
        );
        assert!(!named[1].on_failing_line);
    }

    #[test]
    fn a_named_path_stands_for_a_repository_file_at_a_directory_boundary() {
        let file = "crates/core/src/pricing.rs";
        assert!(same_file("crates/core/src/pricing.rs", file));
        assert!(same_file(
            "/home/runner/work/shop/shop/crates/core/src/pricing.rs",
            file
        ));
        assert!(same_file("src/pricing.rs", file));
        assert!(same_file("pricing.rs", file));
        assert!(!same_file(
            "c/src/pricing.rs",
            "crates/core/src/xpricing.rs"
        ));
        assert!(!same_file("ing.rs", file));
        assert!(!same_file("src/other.rs", file));
    }
}
