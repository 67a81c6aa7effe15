//! `autoheal init`: the repository's policy file and the workflow that heals failures.

use std::path::{Path, PathBuf};

use clap::Args;

use super::{Failure, output};

/// The design's example policy, commented.
pub const CONFIG_TEMPLATE: &str = include_str!("../../assets/init/auto-heal-config.yml");
/// The `workflow_run` workflow.
pub const WORKFLOW_TEMPLATE: &str = include_str!("../../assets/init/auto-heal-failures.yml");
/// The weekly stale-branch cleanup.
pub const CLEANUP_TEMPLATE: &str = include_str!("../../assets/init/auto-heal-cleanup.yml");

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The repository's root (default: the current directory).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// Overwrite files that exist.
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: InitArgs) -> Result<(), Failure> {
    let files = [
        (Path::new(".github/auto-heal-config.yml"), CONFIG_TEMPLATE),
        (
            Path::new(".github/workflows/auto-heal-failures.yml"),
            WORKFLOW_TEMPLATE,
        ),
        (
            Path::new(".github/workflows/auto-heal-cleanup.yml"),
            CLEANUP_TEMPLATE,
        ),
    ];
    // Check everything first: write all or nothing.
    let existing: Vec<String> = files
        .iter()
        .map(|(rel, _)| args.dir.join(rel))
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
        let path = args.dir.join(rel);
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
        "\nCommit both files. Failed runs are then healed by the workflow; `autoheal` shows them \
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

    #[test]
    fn the_cleanup_workflow_is_weekly_with_the_permissions_it_needs() {
        let w: serde_yaml::Value = serde_yaml::from_str(CLEANUP_TEMPLATE).unwrap();
        assert!(w["on"]["schedule"][0]["cron"].is_string());
        assert_eq!(w["permissions"]["contents"], "write");
        assert_eq!(w["permissions"]["pull-requests"], "read");
        assert!(CLEANUP_TEMPLATE.contains("autoheal cleanup --yes"));
    }

    #[test]
    fn the_workflow_is_valid_yaml_with_the_designs_permissions() {
        let w: serde_yaml::Value = serde_yaml::from_str(WORKFLOW_TEMPLATE).unwrap();
        assert_eq!(w["name"], "Auto-Heal Workflow Failures");
        assert_eq!(w["on"]["workflow_run"]["types"][0], "completed");
        for (k, v) in [
            ("contents", "write"),
            ("pull-requests", "write"),
            ("issues", "write"),
            ("actions", "read"),
        ] {
            assert_eq!(w["permissions"][k], v, "{k}");
        }
        let steps = w["jobs"]["heal"]["steps"].as_sequence().unwrap();
        assert!(steps.iter().any(|s| {
            s["run"]
                .as_str()
                .is_some_and(|r| r.contains("autoheal heal --from-event --yes"))
        }));
    }
}
