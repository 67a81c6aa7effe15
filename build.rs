//! Embeds the demo scenario (YAML and job logs) into the binary, so `--demo` works from any
//! directory and from an installed binary, with no files beside it.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
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
