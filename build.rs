//! Two things done once, at build time, rather than in every process:
//!
//! - the demo scenario (YAML and job logs) is embedded into the binary, so `--demo` works from
//!   any directory and from an installed binary, with no files beside it;
//! - the built-in failure catalog (`assets/patterns.yml`) is read, and the literals each of its
//!   patterns and each evidence shape requires are found, so a process starts with them
//!   ready (reading the YAML and parsing ~400 regexes cost ~8 ms per process).

use std::fmt::Write as _;
use std::path::Path;

#[allow(dead_code)]
#[path = "src/analysis/literals.rs"]
mod literals;
#[allow(dead_code)]
#[path = "src/analysis/shapes.rs"]
mod shapes;

fn main() {
    demo_assets();
    builtin_catalog();
    commit();
}

/// The commit this build is of, for `autoheal --version` (`unknown` outside a git checkout,
/// as in a crate built from crates.io; `AUTOHEAL_COMMIT` set by a release build wins).
fn commit() {
    println!("cargo:rerun-if-env-changed=AUTOHEAL_COMMIT");
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let git = Path::new(&manifest).join(".git");
    if git.is_dir() {
        println!("cargo:rerun-if-changed={}", git.join("HEAD").display());
        println!("cargo:rerun-if-changed={}", git.join("refs").display());
    }
    let from_git = || {
        let out = std::process::Command::new("git")
            .args(["rev-parse", "--short=12", "HEAD"])
            .current_dir(&manifest)
            .output()
            .ok()?;
        let sha = String::from_utf8(out.stdout).ok()?;
        let sha = sha.trim();
        (out.status.success() && !sha.is_empty()).then(|| sha.to_string())
    };
    let commit = std::env::var("AUTOHEAL_COMMIT")
        .ok()
        .filter(|c| !c.is_empty())
        .or_else(|| git.exists().then(from_git).flatten())
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=AUTOHEAL_COMMIT={commit}");
}

fn demo_assets() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let demo = Path::new(&manifest).join("assets").join("demo");
    println!("cargo:rerun-if-changed={}", demo.display());

    let mut logs: Vec<_> = std::fs::read_dir(demo.join("logs"))
        .map(|dir| {
            dir.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "log"))
                .collect()
        })
        .unwrap_or_default();
    logs.sort();

    let mut out = String::new();
    let scenario = demo.join("scenario.yml");
    if scenario.exists() {
        writeln!(
            out,
            "/// The demo scenario's YAML.\npub static SCENARIO: &str = include_str!({:?});",
            scenario.display().to_string()
        )
        .unwrap();
    } else {
        println!("cargo:warning=assets/demo/scenario.yml is missing: the demo will be empty");
        out.push_str("pub static SCENARIO: &str = \"repositories: []\";\n");
    }
    writeln!(
        out,
        "/// The demo's job logs, by file name.\npub static LOGS: &[(&str, &[u8])] = &["
    )
    .unwrap();
    for log in &logs {
        let name = log.file_name().unwrap().to_string_lossy();
        writeln!(
            out,
            "    ({name:?}, include_bytes!({:?})),",
            log.display().to_string()
        )
        .unwrap();
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("demo_assets.rs");
    std::fs::write(dest, out).unwrap();
}

#[derive(serde::Deserialize)]
struct CatalogFile {
    categories: std::collections::BTreeMap<String, CategoryEntry>,
    patterns: Vec<PatternEntry>,
}

#[derive(serde::Deserialize)]
struct CategoryEntry {
    safe_to_heal: bool,
    #[serde(default)]
    description: String,
}

#[derive(serde::Deserialize)]
struct PatternEntry {
    id: String,
    category: String,
    regex: String,
    suggestion: String,
    #[serde(default)]
    recommendation: Option<String>,
    #[serde(default)]
    examples: Vec<String>,
    #[serde(default)]
    subjects: Vec<String>,
    #[serde(default)]
    counter_examples: Vec<String>,
}

/// `assets/patterns.yml` as Rust statics, with each pattern's and each shape's required
/// literals (`src/analysis/builtin.rs` includes the result).
fn builtin_catalog() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let root = Path::new(&manifest);
    for input in [
        "assets/patterns.yml",
        "src/analysis/literals.rs",
        "src/analysis/shapes.rs",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(input).display());
    }
    let yaml = std::fs::read_to_string(root.join("assets/patterns.yml"))
        .expect("assets/patterns.yml is readable");
    let file: CatalogFile = serde_yaml::from_str(&yaml)
        .unwrap_or_else(|e| panic!("assets/patterns.yml is not a valid catalog: {e}"));

    let mut out = String::new();
    out.push_str("/// The catalog's categories: name, safe to heal, description.\n");
    out.push_str("pub static CATEGORIES: &[(&str, bool, &str)] = &[\n");
    for (name, c) in &file.categories {
        writeln!(
            out,
            "    ({name:?}, {}, {:?}),",
            c.safe_to_heal, c.description
        )
        .unwrap();
    }
    out.push_str("];\n\n/// The catalog's patterns, in priority order.\n");
    out.push_str("pub static PATTERNS: &[BuiltinPattern] = &[\n");
    for p in &file.patterns {
        if !file.categories.contains_key(&p.category) {
            panic!(
                "assets/patterns.yml: pattern {} names unknown category {}",
                p.id, p.category
            );
        }
        if let Err(e) = regex_syntax::Parser::new().parse(&p.regex) {
            panic!("assets/patterns.yml: pattern {}: {e}", p.id);
        }
        writeln!(
            out,
            "    BuiltinPattern {{ id: {:?}, category: {:?}, regex: {:?}, suggestion: {:?}, \
             recommendation: {:?}, examples: &{:?}, subjects: &{:?}, counter_examples: &{:?}, \
             literals: {} }},",
            p.id,
            p.category,
            p.regex,
            p.suggestion,
            p.recommendation,
            p.examples,
            p.subjects,
            p.counter_examples,
            literal_list(&p.regex),
        )
        .unwrap();
    }
    out.push_str("];\n\n/// The literals each evidence shape requires, in the shapes' order.\n");
    out.push_str("pub static SHAPE_LITERALS: &[Option<&[&[u8]]>] = &[\n");
    for shape in shapes::SHAPES {
        writeln!(out, "    {},", literal_list(shape.regex)).unwrap();
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("builtin_catalog.rs");
    std::fs::write(dest, out).unwrap();
}

/// A pattern's required literals as a Rust expression of type `Option<&[&[u8]]>`.
fn literal_list(pattern: &str) -> String {
    match literals::required(pattern, literals::MIN_LITERAL) {
        None => "None".into(),
        Some(set) => {
            let items: Vec<String> = set.iter().map(|l| format!("&{l:?}")).collect();
            format!("Some(&[{}])", items.join(", "))
        }
    }
}
