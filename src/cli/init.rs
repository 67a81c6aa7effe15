//! `autoheal init`: the repository's policy file and the workflow that heals failures.

use std::path::{Path, PathBuf};

use clap::Args;

use super::{Failure, output};

/// The default policy, every key written out and commented.
pub const CONFIG_TEMPLATE: &str = include_str!("../../assets/init/auto-heal-config.yml");
/// The `workflow_run` workflow.
pub const WORKFLOW_TEMPLATE: &str = include_str!("../../assets/init/auto-heal-failures.yml");
/// The weekly stale-branch cleanup.
pub const CLEANUP_TEMPLATE: &str = include_str!("../../assets/init/auto-heal-cleanup.yml");
/// The workflows' install step: the release binary, checked, else `cargo install`.
pub const INSTALL_SCRIPT: &str = include_str!("../../assets/init/install.sh");

/// Where autoheal's releases are published: the crate's `repository` in `Cargo.toml`, as
/// `OWNER/REPO`. It must name the real repository before the first release.
pub fn release_repository() -> &'static str {
    env!("CARGO_PKG_REPOSITORY")
        .trim_end_matches('/')
        .trim_end_matches(".git")
        .trim_start_matches("https://github.com/")
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The repository's root (default: the current directory).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// Overwrite files that exist.
    #[arg(long)]
    pub force: bool,
    /// The autoheal version the workflows install (default: this one).
    #[arg(long = "version", value_name = "X.Y.Z", default_value = env!("CARGO_PKG_VERSION"))]
    pub install_version: String,
    /// The repository whose GitHub releases hold the binaries (default: autoheal's own).
    #[arg(long, value_name = "OWNER/REPO", default_value = release_repository())]
    pub from: String,
    /// Don't re-run transient failures: the workflow then needs no `actions: write`.
    #[arg(long)]
    pub no_rerun: bool,
}

/// The files `init` writes, rendered: `(path, content)`.
pub fn render(args: &InitArgs) -> Result<Vec<(&'static str, String)>, Failure> {
    let version = args.install_version.trim_start_matches('v');
    let plain = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'+'))
    };
    if !plain(version) {
        return Err(Failure::usage(format!(
            "--version {version:?} is not a version"
        )));
    }
    match args.from.split_once('/') {
        Some((owner, repo)) if plain(owner) && plain(repo) => {}
        _ => {
            return Err(Failure::usage(format!(
                "--from {:?} is not OWNER/REPO",
                args.from
            )));
        }
    }
    let install: String = INSTALL_SCRIPT
        .lines()
        .map(|l| {
            if l.is_empty() {
                "\n".to_string()
            } else {
                format!("          {l}\n")
            }
        })
        .collect();
    let fill = |template: &str| {
        template
            .replace("{version}", version)
            .replace("{from}", &args.from)
            .replace("{install}", &install)
            .replace("{actions}", if args.no_rerun { "read" } else { "write" })
            .replace(
                "{rerun_note}",
                if args.no_rerun {
                    ""
                } else {
                    ", re-running a transient failure (rerun.enabled)"
                },
            )
    };
    let config = if args.no_rerun {
        CONFIG_TEMPLATE.replace(
            "# rerun:\n#   enabled: true\n",
            "rerun:\n  enabled: false\n",
        )
    } else {
        CONFIG_TEMPLATE.to_string()
    };
    // Editors validate and complete the file against the schema of the release installed.
    let config = format!(
        "{}\n{config}",
        crate::config::schema::modeline(&args.from, version)
    );
    Ok(vec![
        (".github/auto-heal-config.yml", config),
        (
            ".github/workflows/auto-heal-failures.yml",
            fill(WORKFLOW_TEMPLATE),
        ),
        (
            ".github/workflows/auto-heal-cleanup.yml",
            fill(CLEANUP_TEMPLATE),
        ),
    ])
}

pub fn run(args: InitArgs) -> Result<(), Failure> {
    let files = render(&args)?;
    // Check everything first: write all or nothing.
    let existing: Vec<String> = files
        .iter()
        .map(|(rel, _)| args.dir.join(Path::new(rel)))
        .filter(|p| p.exists())
        .map(|p| p.display().to_string())
        .collect();
    if !existing.is_empty() && !args.force {
        return Err(Failure::usage(format!(
            "{} already exist{}; pass --force to overwrite",
            existing.join(", "),
            if existing.len() == 1 { "s" } else { "" }
        )));
    }
    for (rel, content) in files {
        let path = args.dir.join(Path::new(rel));
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| {
                Failure::internal(format!("cannot create {}: {e}", parent.display()))
            })?;
        }
        std::fs::write(&path, content)
            .map_err(|e| Failure::internal(format!("cannot write {}: {e}", path.display())))?;
        output::line(&format!("wrote {}", path.display()));
    }
    output::line(
        "\nCommit the three files. Failed runs are then healed by the workflow; `autoheal` shows them \
         in the console. Optional: a fine-grained token in the AUTOHEAL_TOKEN secret lets the \
         workflow start Copilot agent tasks.",
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_written_policy_is_the_default_policy() {
        let (policy, warnings) =
            crate::config::parse_policy(CONFIG_TEMPLATE.as_bytes(), "template").unwrap();
        assert_eq!(policy, crate::config::Policy::default());
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    fn args(extra: &[&str]) -> InitArgs {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            init: InitArgs,
        }
        let argv = std::iter::once("init").chain(extra.iter().copied());
        <Cli as clap::Parser>::parse_from(argv).init
    }

    fn rendered(extra: &[&str]) -> Vec<(&'static str, serde_yaml::Value, String)> {
        render(&args(extra))
            .unwrap()
            .into_iter()
            .map(|(path, text)| (path, serde_yaml::from_str(&text).unwrap(), text))
            .collect()
    }

    #[test]
    fn the_cleanup_workflow_is_weekly_with_the_permissions_it_needs() {
        let (_, w, text) = rendered(&[]).remove(2);
        assert!(w["on"]["schedule"][0]["cron"].is_string());
        let job = &w["jobs"]["cleanup"];
        assert_eq!(job["permissions"]["contents"], "write");
        assert_eq!(job["permissions"]["pull-requests"], "read");
        assert!(text.contains("autoheal cleanup --yes"));
    }

    #[test]
    fn the_workflow_asks_for_exactly_what_the_enabled_features_use() {
        let (_, w, _) = rendered(&[]).remove(1);
        assert_eq!(w["name"], "Auto-Heal Workflow Failures");
        assert_eq!(w["on"]["workflow_run"]["types"][0], "completed");
        assert_eq!(
            w["permissions"],
            serde_yaml::Value::Mapping(Default::default())
        );
        let job = &w["jobs"]["heal"];
        for (k, v) in [
            ("contents", "write"),
            ("pull-requests", "write"),
            ("issues", "write"),
            ("actions", "write"),
        ] {
            assert_eq!(job["permissions"][k], v, "{k}");
        }
        // Without re-runs, no `actions: write`, and the policy says so.
        let mut quiet = rendered(&["--no-rerun"]);
        let (_, w, _) = quiet.remove(1);
        assert_eq!(w["jobs"]["heal"]["permissions"]["actions"], "read");
        let (policy, _) = crate::config::parse_policy(quiet[0].2.as_bytes(), "cfg").unwrap();
        assert!(!policy.rerun.enabled);
        let steps = job["steps"].as_sequence().unwrap();
        assert!(steps.iter().any(|s| {
            s["run"]
                .as_str()
                .is_some_and(|r| r.contains("autoheal heal --from-event --yes"))
        }));
    }

    #[test]
    fn the_policy_file_names_its_schema_first() {
        let (_, _, text) = rendered(&["--version", "1.2.3", "--from", "acme/autoheal"]).remove(0);
        assert_eq!(
            text.lines().next().unwrap(),
            "# yaml-language-server: $schema=https://raw.githubusercontent.com/acme/autoheal/v1.2.3/assets/auto-heal-config.schema.json"
        );
    }

    #[test]
    fn heals_of_one_repository_wait_for_each_other() {
        for (_, w, _) in rendered(&[]).into_iter().skip(1) {
            let group = w["concurrency"]["group"].as_str().unwrap();
            assert!(group.contains("${{ github.repository }}"), "{group}");
            assert_eq!(w["concurrency"]["cancel-in-progress"], false);
        }
    }

    #[test]
    fn actions_are_pinned_and_checkout_keeps_no_credentials() {
        for (path, w, text) in rendered(&[]).into_iter().skip(1) {
            for line in text
                .lines()
                .filter(|l| l.trim_start().starts_with("- uses:"))
            {
                let (action, rest) = line.split_once('@').unwrap();
                let (sha, comment) = rest.split_once(" # ").unwrap_or((rest, ""));
                assert_eq!(sha.len(), 40, "{path}: {action}");
                assert!(sha.bytes().all(|b| b.is_ascii_hexdigit()), "{path}: {line}");
                assert!(
                    comment.starts_with('v'),
                    "{path}: the version beside {line}"
                );
            }
            let jobs = w["jobs"].as_mapping().unwrap();
            for (_, job) in jobs {
                let checkout = &job["steps"][0];
                assert_eq!(checkout["with"]["persist-credentials"], false, "{path}");
            }
        }
    }

    #[test]
    fn the_install_step_takes_the_pinned_release_checked_else_builds_that_version() {
        let (_, w, _) = rendered(&["--version", "1.2.3", "--from", "acme/autoheal-fork"]).remove(1);
        let step = w["jobs"]["heal"]["steps"]
            .as_sequence()
            .unwrap()
            .iter()
            .find(|s| s["name"].as_str().is_some_and(|n| n.starts_with("Install")))
            .unwrap()
            .clone();
        assert_eq!(step["env"]["AUTOHEAL_VERSION"], "1.2.3");
        assert_eq!(step["env"]["AUTOHEAL_FROM"], "acme/autoheal-fork");
        let script = step["run"].as_str().unwrap();
        assert!(script.contains("sha256sum"), "{script}");
        assert!(script.contains(r#"cargo install --locked --version "${AUTOHEAL_VERSION}""#));
        // The run block reads its inputs from the environment, never from an expression.
        assert!(!script.contains("${{"), "{script}");
        assert!(render(&args(&["--from", "not a repo"])).is_err());
        assert!(render(&args(&["--version", "1.0; rm -rf /"])).is_err());
    }
}
