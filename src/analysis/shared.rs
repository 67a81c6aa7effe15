//! One analyzer per policy, built once and shared: the console explains hundreds of runs of
//! the same few repositories, and building an analyzer (the literal automata, each
//! repository pattern compiled) is the same work every time for the same patterns.

use std::sync::{Arc, Mutex};

use super::Analyzer;
use crate::config::FailurePattern;

/// Distinct policies kept; an organisation has few (most repositories use the defaults).
const KEPT: usize = 64;

static ANALYZERS: Mutex<Vec<(Vec<FailurePattern>, Arc<Analyzer>)>> = Mutex::new(Vec::new());

/// The analyzer for these repository patterns: the one built before for the same patterns,
/// or a new one (kept for next time).
pub fn analyzer_for(patterns: &[FailurePattern]) -> Result<Arc<Analyzer>, String> {
    if let Some(found) = lookup(patterns) {
        return Ok(found);
    }
    // Built outside the lock: two callers may both build one, and the second is dropped.
    let built = Arc::new(Analyzer::new(patterns)?);
    let mut kept = ANALYZERS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, found)) = kept.iter().find(|(p, _)| p == patterns) {
        return Ok(found.clone());
    }
    if kept.len() >= KEPT {
        kept.remove(0);
    }
    kept.push((patterns.to_vec(), built.clone()));
    Ok(built)
}

fn lookup(patterns: &[FailurePattern]) -> Option<Arc<Analyzer>> {
    let kept = ANALYZERS.lock().unwrap_or_else(|e| e.into_inner());
    kept.iter()
        .find(|(p, _)| p == patterns)
        .map(|(_, a)| a.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_patterns_share_one_analyzer_and_others_get_their_own() {
        let timeout = vec![FailurePattern::new(
            "deploy timed out",
            "Raise the deploy timeout",
        )];
        let a = analyzer_for(&timeout).unwrap();
        let b = analyzer_for(&timeout.clone()).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        let other = analyzer_for(&[FailurePattern::new("flaky", "Re-run")]).unwrap();
        assert!(!Arc::ptr_eq(&a, &other));
        // A bad pattern is an error, and nothing is kept for it.
        assert!(analyzer_for(&[FailurePattern::new("(", "x")]).is_err());
    }
}
