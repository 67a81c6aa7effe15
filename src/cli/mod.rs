//! The command line: `autoheal [scan|sim|...]`, parsed with clap, run on tokio.
//!
//! Exit status: 0 done, 1 failure, 2 usage or configuration error, 3 refused by policy.

mod actions;
mod analyze;
mod docs;
mod heal;
mod init;
pub mod output;
mod scan;
mod session;
mod sim;
mod status;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::forge::RepoRef;

pub use session::{NO_TOKEN_NOTICE, Session};

#[derive(Debug, Parser)]
#[command(
    name = "autoheal",
    version = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("AUTOHEAL_COMMIT"), ")"),
    about = "Triage failed GitHub Actions runs and ask Copilot to heal them",
    long_about = "Triage failed GitHub Actions runs and ask Copilot to heal them.\n\n\
        Without a command, opens the triage console. With no token (GH_TOKEN, GITHUB_TOKEN or \
        `gh auth login`) or with --demo, everything runs against a built-in simulated GitHub.",
    after_help = "Environment: GH_TOKEN / GITHUB_TOKEN (token), GITHUB_API_URL (API address; \
        GitHub Enterprise: https://HOST/api/v3), GITHUB_REPOSITORY (default repository), \
        AUTOHEAL_LOG (log filter; the log file is in the data directory)."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every command takes.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Repository to watch, OWNER/NAME (repeatable). Default: GITHUB_REPOSITORY, else the
    /// `origin` remote of the current git checkout.
    #[arg(long = "repo", value_name = "OWNER/NAME", global = true)]
    pub repos: Vec<RepoRef>,
    /// Watch every active repository of an organisation (repeatable): neither archived nor
    /// disabled, with a workflow run in the last --active-days days.
    #[arg(long = "org", value_name = "ORG", global = true)]
    pub orgs: Vec<String>,
    /// With --org: days since a repository's last workflow run for it to be watched
    /// [default: 30, or `org_active_days` in the settings file].
    #[arg(long, value_name = "DAYS", global = true)]
    pub active_days: Option<u32>,
    /// Policy file to use instead of the repository's .github/auto-heal-config.yml.
    #[arg(long, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
    /// Use the built-in demo: a simulated GitHub on a loopback port, no token, no network.
    #[arg(long, global = true)]
    pub demo: bool,
}

impl GlobalArgs {
    /// What the command line names to look at.
    pub fn targets(&self) -> session::Targets {
        session::Targets {
            repos: self.repos.clone(),
            orgs: self.orgs.clone(),
            active_days: self
                .active_days
                .unwrap_or(crate::config::settings::ORG_ACTIVE_DAYS),
            defer_activity: false,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List failed runs of the monitored workflows, with their failed jobs and steps.
    Scan(scan::ScanArgs),
    /// Explain a local log file: the failure excerpt, matched patterns, category and safety.
    Analyze(analyze::AnalyzeArgs),
    /// Heal one failed run: tracking issue, auto-heal branch, Copilot request (exactly once).
    Heal(heal::HealArgs),
    /// Write .github/auto-heal-config.yml and the workflow that heals failures.
    Init(init::InitArgs),
    /// Every tracking issue with its heal PR and checks; --bookkeep keeps the books on GitHub.
    Status(status::StatusArgs),
    /// How healing went: failures, heals, PRs, merges, success rate, time to merge.
    Stats(status::StatsArgs),
    /// Re-run a failed run's failed jobs (bounded by rerun.max_attempts).
    Rerun(actions::RerunArgs),
    /// Approve the workflow runs of a heal PR that wait for a maintainer.
    Approve(actions::ApproveArgs),
    /// Delete stale heal branches (old, no open PR, under the heal prefix).
    Cleanup(actions::CleanupArgs),
    /// Serve the simulated GitHub on a loopback port (for trying autoheal, and for tests).
    Sim(sim::SimArgs),
    /// Print the shell completion script for SHELL (bash, zsh, fish, powershell, elvish).
    Completions(docs::CompletionsArgs),
    /// Print the manual page (roff), e.g. `autoheal man > ~/.local/share/man/man1/autoheal.1`.
    Man,
}

/// Why a command stopped, and the exit status that says so.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Self {
        Failure {
            code: 2,
            message: message.into(),
        }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Failure {
            code: 1,
            message: message.into(),
        }
    }

    pub fn refused(message: impl Into<String>) -> Self {
        Failure {
            code: 3,
            message: message.into(),
        }
    }
}

/// A broken policy file is the user's to fix: a usage error, naming file, line and column.
impl From<crate::config::ConfigError> for Failure {
    fn from(e: crate::config::ConfigError) -> Self {
        Failure::usage(e.to_string())
    }
}

/// GitHub could not be reached or refused: the command could not do its work.
impl From<crate::forge::ForgeError> for Failure {
    fn from(e: crate::forge::ForgeError) -> Self {
        Failure::internal(e.to_string())
    }
}

impl From<crate::tui::ConsoleError> for Failure {
    fn from(e: crate::tui::ConsoleError) -> Self {
        Failure::internal(e.to_string())
    }
}

impl From<crate::engine::scan::ScanError> for Failure {
    fn from(e: crate::engine::scan::ScanError) -> Self {
        match e {
            crate::engine::scan::ScanError::Config(_) => Failure::usage(e.to_string()),
            crate::engine::scan::ScanError::Forge { .. }
            | crate::engine::scan::ScanError::Org { .. } => Failure::internal(e.to_string()),
        }
    }
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Some(Command::Scan(args)) => scan::run(&cli.global, args).await,
        Some(Command::Sim(args)) => sim::run(&cli.global.orgs, args).await,
        Some(Command::Analyze(args)) => analyze::run(&cli.global, args),
        Some(Command::Heal(args)) => heal::run(&cli.global, args).await,
        Some(Command::Init(args)) => init::run(args),
        Some(Command::Status(args)) => status::status(&cli.global, args).await,
        Some(Command::Rerun(args)) => actions::rerun(&cli.global, args).await,
        Some(Command::Approve(args)) => actions::approve(&cli.global, args).await,
        Some(Command::Cleanup(args)) => actions::cleanup(&cli.global, args).await,
        Some(Command::Stats(args)) => status::stats(&cli.global, args).await,
        Some(Command::Completions(args)) => docs::completions(args),
        Some(Command::Man) => docs::man(),
        None => console(&cli.global).await,
    }
}

/// `autoheal` with no command: the triage console.
async fn console(global: &GlobalArgs) -> Result<(), Failure> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(Failure::usage(
            "the console needs a terminal; for scripts use `autoheal scan --json`",
        ));
    }
    let settings = crate::config::settings::load().map_err(Failure::usage)?;
    let given = match &global.config {
        Some(path) => Some(crate::config::load_file(path)?),
        None => None,
    };
    // Repositories: --repo and --org, else the settings file's, else GITHUB_REPOSITORY / the
    // checkout.
    let named = !global.repos.is_empty() || !global.orgs.is_empty();
    let targets = if named || global.demo {
        global.targets()
    } else {
        session::Targets {
            repos: settings.repos.clone(),
            orgs: settings.orgs.clone(),
            active_days: global.active_days.unwrap_or(settings.org_active_days),
            defer_activity: false,
        }
    };
    // The console's first poll of a repository tells whether it is active.
    let targets = session::Targets {
        defer_activity: true,
        ..targets
    };
    let session = session::open(global.demo, &targets).await?;
    let start = crate::tui::Start {
        github: session.github.clone(),
        repos: session.repos.clone(),
        orgs: session.targets.orgs.clone(),
        active_days: session.targets.active_days,
        unproven: session.unproven.clone(),
        notice: session.notice.clone(),
        demo: session.is_demo(),
        secrets: session.secrets().iter().map(|s| s.to_string()).collect(),
    };
    // The session (and the demo's simulator in it) lives as long as the console.
    let ran = crate::tui::run(start, settings, given).await;
    drop(session);
    Ok(ran?)
}
