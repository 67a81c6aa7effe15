//! `autoheal sim`: the simulated GitHub, standalone, until Ctrl-C.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::sim::{self, Faults, LoadedScenario, SimOptions};

use super::Failure;

#[derive(Debug, Args)]
pub struct SimArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Scenario YAML to serve instead of the built-in demo (logs in `logs/` beside it). With
    /// --org ORG instead, a generated organisation: --repos repositories of --failed-per-repo
    /// failed runs each, drawn from the demo's (to try the console at scale).
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// With --org: how many repositories [default: 200].
    #[arg(long = "repos", id = "generated_repos", value_name = "N")]
    pub generated_repos: Option<usize>,
    /// With --org: failed runs in each repository [default: 30].
    #[arg(long, value_name = "N")]
    pub failed_per_repo: Option<usize>,
    /// Fraction of API requests answered with a 5xx.
    #[arg(long, default_value_t = 0.0, value_name = "0..1")]
    pub error_rate: f64,
    /// Refuse every Nth request with a rate limit (0: never).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub rate_limit_every: u64,
    /// Seconds until a simulated rate limit resets.
    #[arg(long, default_value_t = 2, value_name = "SECS")]
    pub rate_limit_reset: u64,
    /// Fraction of requests that stall before being answered.
    #[arg(long, default_value_t = 0.0, value_name = "0..1")]
    pub stall_rate: f64,
    /// Length of a stall in milliseconds.
    #[arg(long, default_value_t = 5000, value_name = "MS")]
    pub stall_ms: u64,
    /// Fraction of answers cut in half.
    #[arg(long, default_value_t = 0.0, value_name = "0..1")]
    pub truncate_rate: f64,
    /// Fraction of connections dropped mid-answer.
    #[arg(long, default_value_t = 0.0, value_name = "0..1")]
    pub drop_rate: f64,
    /// Seed for the fault dice.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Seconds between a Copilot request and its draft PR.
    #[arg(long, default_value_t = 4.0, value_name = "SECS")]
    pub copilot_delay: f64,
    /// Serve GitHub Enterprise Server's layout: REST under /api/v3, GraphQL at /api/graphql.
    #[arg(long)]
    pub enterprise: bool,
    /// Conclusion of the Copilot PR's checks.
    #[arg(long, default_value = "success", value_parser = ["success", "failure"])]
    pub copilot_checks: String,
}

fn fraction(name: &str, v: f64) -> Result<f64, Failure> {
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(Failure::usage(format!(
            "--{name} must be between 0 and 1, not {v}"
        )))
    }
}

pub async fn run(orgs: &[String], args: SimArgs) -> Result<(), Failure> {
    let org = match orgs {
        [] => None,
        [org] => Some(org),
        _ => return Err(Failure::usage("the simulator generates one organisation")),
    };
    let scenario = match (&args.scenario, org) {
        (Some(_), Some(_)) => {
            return Err(Failure::usage("--scenario and --org: one or the other"));
        }
        (Some(path), None) => LoadedScenario::from_file(path).map_err(Failure::usage)?,
        (None, Some(org)) => {
            let repos = args.generated_repos.unwrap_or(200);
            let failed = args.failed_per_repo.unwrap_or(30);
            if !(1..=10_000).contains(&repos) || failed > 1_000 {
                return Err(Failure::usage(
                    "--repos must be 1 to 10000 and --failed-per-repo at most 1000",
                ));
            }
            LoadedScenario::organisation(org, repos, failed).map_err(Failure::internal)?
        }
        (None, None) => {
            if args.generated_repos.is_some() || args.failed_per_repo.is_some() {
                return Err(Failure::usage(
                    "--repos and --failed-per-repo shape a generated organisation: add --org ORG",
                ));
            }
            LoadedScenario::demo().map_err(Failure::internal)?
        }
    };
    if !(0.0..=3600.0).contains(&args.copilot_delay) {
        return Err(Failure::usage(
            "--copilot-delay must be between 0 and 3600 seconds",
        ));
    }
    let faults = Faults {
        error_rate: fraction("error-rate", args.error_rate)?,
        rate_limit_every: args.rate_limit_every,
        rate_limit_reset_secs: args.rate_limit_reset,
        stall_rate: fraction("stall-rate", args.stall_rate)?,
        stall_ms: args.stall_ms,
        truncate_rate: fraction("truncate-rate", args.truncate_rate)?,
        drop_rate: fraction("drop-rate", args.drop_rate)?,
        fail_next: Vec::new(),
        seed: args.seed,
    };
    let mut options = SimOptions {
        scenario,
        world: Default::default(),
        faults,
        layout: if args.enterprise {
            sim::ApiLayout::EnterpriseServer
        } else {
            sim::ApiLayout::DotCom
        },
    };
    options.world.copilot_delay = Duration::from_secs_f64(args.copilot_delay);
    options.world.copilot_checks_conclusion = args.copilot_checks.clone();
    let repos: Vec<String> = options
        .scenario
        .scenario
        .repositories
        .iter()
        .map(|r| format!("{}/{}", r.owner, r.name))
        .collect();
    let running = sim::start(([127, 0, 0, 1], args.port).into(), options)
        .await
        .map_err(|e| Failure::internal(format!("cannot listen on 127.0.0.1:{}: {e}", args.port)))?;
    let url = running.url();
    let listed = if repos.len() > 12 {
        format!("{}, … ({} in all)", repos[..12].join(", "), repos.len())
    } else {
        repos.join(", ")
    };
    let mut banner = format!("autoheal simulator listening on {url}\nrepositories: {listed}\n");
    if let Some(org) = org {
        banner.push_str(&format!(
            "\nTry, in another terminal:\n  GITHUB_API_URL={url} GITHUB_TOKEN=x autoheal --org {org}\n"
        ));
    } else if let Some(first) = repos.first() {
        banner.push_str(&format!(
            "\nTry, in another terminal:\n  GITHUB_API_URL={url} GITHUB_TOKEN=x autoheal scan --repo {first}\n"
        ));
    }
    banner.push_str("Press Ctrl-C to stop.\n");
    // Whoever started us may have stopped reading: keep serving all the same.
    let mut out = std::io::stdout();
    let _ = out.write_all(banner.as_bytes()).and_then(|()| out.flush());
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| Failure::internal(format!("cannot wait for Ctrl-C: {e}")))?;
    running.stop();
    Ok(())
}
