//! A generated organisation, for trying the console at scale: many repositories with
//! believable names, each with many failed runs, drawn from the demo's repositories (their
//! workflows, policy files, logs and passing runs, which serve as baselines).

use super::scenario::LoadedScenario;

/// What a platform team's repositories are called.
const SERVICES: &[&str] = &[
    "billing",
    "checkout",
    "search",
    "catalog",
    "payments",
    "identity",
    "notifications",
    "inventory",
    "shipping",
    "pricing",
    "reviews",
    "recommendations",
    "analytics",
    "gateway",
    "accounts",
    "orders",
    "ledger",
    "media",
    "messaging",
    "scheduler",
    "reporting",
    "audit",
    "onboarding",
    "support",
    "storefront",
    "warehouse",
    "fulfilment",
    "tax",
    "loyalty",
    "fraud",
    "returns",
    "subscriptions",
    "invoices",
    "quotes",
    "partners",
    "sso",
    "profiles",
    "feeds",
    "exports",
    "webhooks",
];
const KINDS: &[&str] = &[
    "api", "web", "worker", "cli", "infra", "sdk", "jobs", "docs",
];

/// The name of the `i`-th repository: `billing-api`, `checkout-web`, … then numbered.
fn repo_name(i: usize) -> String {
    let service = SERVICES[i % SERVICES.len()];
    let kind = KINDS[(i / SERVICES.len()) % KINDS.len()];
    match i / (SERVICES.len() * KINDS.len()) {
        0 => format!("{service}-{kind}"),
        round => format!("{service}-{kind}-{}", round + 1),
    }
}

impl LoadedScenario {
    /// `repos` repositories of `org`, `failed_per_repo` failed runs each (a minute apart,
    /// newest first), with fresh ids for every run and job.
    pub fn organisation(
        org: &str,
        repos: usize,
        failed_per_repo: usize,
    ) -> Result<LoadedScenario, String> {
        let mut loaded = LoadedScenario::demo()?;
        let templates: Vec<_> = loaded
            .scenario
            .repositories
            .iter()
            .filter(|r| r.runs.iter().any(|run| run.conclusion == "failure"))
            .cloned()
            .collect();
        if templates.is_empty() {
            return Err("the demo has no failed run to draw from".into());
        }
        let mut next_id = 50_000_000u64;
        let mut generated = Vec::with_capacity(repos);
        for i in 0..repos {
            let mut repo = templates[i % templates.len()].clone();
            repo.owner = org.to_string();
            repo.name = repo_name(i);
            let failed: Vec<_> = repo
                .runs
                .iter()
                .filter(|run| run.conclusion == "failure")
                .cloned()
                .collect();
            let mut runs: Vec<_> = repo
                .runs
                .iter()
                .filter(|run| run.conclusion != "failure")
                .cloned()
                .collect();
            for k in 0..failed_per_repo {
                let mut run = failed[k % failed.len()].clone();
                run.ago_minutes += k as f64;
                runs.push(run);
            }
            for run in &mut runs {
                run.id = next_id;
                next_id += 1;
                let earlier = run.previous_attempts.iter_mut().flat_map(|a| &mut a.jobs);
                for job in run.jobs.iter_mut().chain(earlier) {
                    job.id = next_id;
                    next_id += 1;
                }
            }
            repo.runs = runs;
            generated.push(repo);
        }
        loaded.scenario.repositories = generated;
        loaded.check()?;
        Ok(loaded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_organisation_has_the_repositories_and_failures_asked_for() {
        let org = LoadedScenario::organisation("acme", 200, 30).unwrap();
        let repos = &org.scenario.repositories;
        assert_eq!(repos.len(), 200);
        let names: std::collections::HashSet<&str> =
            repos.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names.len(), 200, "every name once");
        assert_eq!(repos[0].name, "billing-api");
        assert!(repos.iter().all(|r| r.owner == "acme"));
        for repo in repos {
            let failed = repo
                .runs
                .iter()
                .filter(|r| r.conclusion == "failure")
                .count();
            assert_eq!(failed, 30, "{}", repo.name);
        }
        assert_eq!(repo_name(40 * 8), "billing-api-2");
    }
}
