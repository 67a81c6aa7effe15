//! Heal statistics: failures seen, heals started, PRs opened and merged, success rate, median
//! time from the tracking issue to the merged fix, by category and workflow.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use super::{HealState, HealStatus};

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Counts {
    pub failures: usize,
    pub heals: usize,
    pub prs: usize,
    pub merged: usize,
    pub healed: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    pub days: u32,
    /// Failed runs of monitored workflows in the window.
    pub failures_seen: usize,
    /// Tracking issues opened in the window.
    pub heals_started: usize,
    pub prs_opened: usize,
    pub merged: usize,
    /// Closed with the success label: merged, and the workflow passed again.
    pub healed: usize,
    /// `merged / heals_started`, 0 when nothing started.
    pub success_rate: f64,
    /// Median hours from the tracking issue to the merged fix.
    pub median_hours_to_merge: Option<f64>,
    pub by_category: BTreeMap<String, Counts>,
    pub by_workflow: BTreeMap<String, Counts>,
}

/// Computes the statistics over `days` days before `now`; `failed_runs` are `(workflow,
/// created_at)` of the failed runs seen.
pub fn compute(
    statuses: &[HealStatus],
    failed_runs: &[(String, DateTime<Utc>)],
    days: u32,
    now: DateTime<Utc>,
) -> Stats {
    let since = now - TimeDelta::days(i64::from(days));
    let mut stats = Stats {
        days,
        failures_seen: 0,
        heals_started: 0,
        prs_opened: 0,
        merged: 0,
        healed: 0,
        success_rate: 0.0,
        median_hours_to_merge: None,
        by_category: BTreeMap::new(),
        by_workflow: BTreeMap::new(),
    };
    for (workflow, at) in failed_runs {
        if *at >= since {
            stats.failures_seen += 1;
            stats
                .by_workflow
                .entry(workflow.clone())
                .or_default()
                .failures += 1;
        }
    }
    let mut hours = Vec::new();
    for s in statuses.iter().filter(|s| s.issue_created_at >= since) {
        let category = s.category.clone().unwrap_or_else(|| "unknown".into());
        let merged = s.merged_at.is_some() || s.state == HealState::Healed;
        let healed = s.state == HealState::Healed;
        stats.heals_started += 1;
        for counts in [
            stats.by_category.entry(category).or_default(),
            stats.by_workflow.entry(s.workflow.clone()).or_default(),
        ] {
            counts.heals += 1;
            counts.prs += usize::from(s.pr_number.is_some());
            counts.merged += usize::from(merged);
            counts.healed += usize::from(healed);
        }
        stats.prs_opened += usize::from(s.pr_number.is_some());
        stats.merged += usize::from(merged);
        stats.healed += usize::from(healed);
        if let Some(m) = s.merged_at {
            hours.push((m - s.issue_created_at).num_seconds() as f64 / 3600.0);
        }
    }
    if stats.heals_started > 0 {
        stats.success_rate = stats.merged as f64 / stats.heals_started as f64;
    }
    if !hours.is_empty() {
        hours.sort_by(f64::total_cmp);
        let mid = hours.len() / 2;
        stats.median_hours_to_merge = Some(if hours.len() % 2 == 1 {
            hours[mid]
        } else {
            (hours[mid - 1] + hours[mid]) / 2.0
        });
    }
    stats
}
