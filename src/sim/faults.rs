//! Fault switches: the simulator misbehaves the ways GitHub and networks do, on purpose.
//!
//! Set at start (`autoheal sim --error-rate 0.2 ...`), or at run time with
//! `POST /_sim/faults` (JSON of [`Faults`]), so a test can break exactly one call.

use std::time::Duration;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Fraction (0–1) of API requests answered 500/502/503.
    pub error_rate: f64,
    /// Every Nth API request is refused with a 403 rate limit (0: never).
    pub rate_limit_every: u64,
    /// Seconds until the rate limit "resets", sent in `x-ratelimit-reset` and `retry-after`.
    pub rate_limit_reset_secs: u64,
    /// Fraction of requests that stall for `stall_ms` before being answered.
    pub stall_rate: f64,
    pub stall_ms: u64,
    /// Fraction of JSON answers cut in half.
    pub truncate_rate: f64,
    /// Fraction of requests whose connection is dropped mid-answer.
    pub drop_rate: f64,
    /// One-shot faults: the next request matching each is answered with its status.
    pub fail_next: Vec<ScriptedFault>,
    /// Seed of the fault dice, so a faulty run can be replayed.
    pub seed: u64,
}

/// Fail the next request whose method and path match; applied once, then removed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScriptedFault {
    pub method: String,
    /// Matches when the request path contains this text.
    pub path_contains: String,
    pub status: u16,
    /// Apply the request's effect before failing (a write that succeeded but whose answer
    /// was lost): the case that makes blind retries create duplicates.
    #[serde(default)]
    pub after_effect: bool,
}

/// What to do with one request.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultAction {
    None,
    ServerError(u16),
    RateLimit { reset: Duration },
    Scripted { status: u16, after_effect: bool },
    Truncate,
    Drop,
}

/// The dice: xorshift, seeded, so fault runs are reproducible without a dependency.
#[derive(Debug, Clone)]
pub struct Dice(u64);

impl Dice {
    pub fn new(seed: u64) -> Self {
        Dice(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn roll(&mut self) -> f64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        (x >> 11) as f64 / (1u64 << 53) as f64
    }
}

impl Faults {
    pub fn is_quiet(&self) -> bool {
        *self
            == Faults {
                seed: self.seed,
                rate_limit_reset_secs: self.rate_limit_reset_secs,
                stall_ms: self.stall_ms,
                ..Faults::default()
            }
    }

    /// Decides the fate of request number `n` (1-based). Stalls are decided separately.
    pub fn decide(&mut self, n: u64, method: &str, path: &str, dice: &mut Dice) -> FaultAction {
        if let Some(i) = self
            .fail_next
            .iter()
            .position(|f| f.method.eq_ignore_ascii_case(method) && path.contains(&f.path_contains))
        {
            let f = self.fail_next.remove(i);
            return FaultAction::Scripted {
                status: f.status,
                after_effect: f.after_effect,
            };
        }
        if self.rate_limit_every > 0 && n % self.rate_limit_every == 0 {
            return FaultAction::RateLimit {
                reset: Duration::from_secs(self.rate_limit_reset_secs.max(1)),
            };
        }
        if self.error_rate > 0.0 && dice.roll() < self.error_rate {
            let codes = [500, 502, 503];
            return FaultAction::ServerError(codes[(dice.roll() * 3.0) as usize % 3]);
        }
        if self.drop_rate > 0.0 && dice.roll() < self.drop_rate {
            return FaultAction::Drop;
        }
        if self.truncate_rate > 0.0 && dice.roll() < self.truncate_rate {
            return FaultAction::Truncate;
        }
        FaultAction::None
    }

    pub fn stall(&self, dice: &mut Dice) -> Option<Duration> {
        (self.stall_rate > 0.0 && dice.roll() < self.stall_rate)
            .then(|| Duration::from_millis(self.stall_ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripted_faults_fire_once() {
        let mut f = Faults {
            fail_next: vec![ScriptedFault {
                method: "POST".into(),
                path_contains: "/git/refs".into(),
                status: 502,
                after_effect: false,
            }],
            ..Faults::default()
        };
        let mut d = Dice::new(1);
        assert_eq!(
            f.decide(1, "GET", "/repos/a/b/git/refs", &mut d),
            FaultAction::None
        );
        assert!(matches!(
            f.decide(2, "POST", "/repos/a/b/git/refs", &mut d),
            FaultAction::Scripted { status: 502, .. }
        ));
        assert_eq!(
            f.decide(3, "POST", "/repos/a/b/git/refs", &mut d),
            FaultAction::None
        );
    }

    #[test]
    fn rate_limits_come_every_nth_request() {
        let mut f = Faults {
            rate_limit_every: 5,
            ..Faults::default()
        };
        let mut d = Dice::new(1);
        let limited: Vec<u64> = (1..=15)
            .filter(|&n| {
                matches!(
                    f.decide(n, "GET", "/x", &mut d),
                    FaultAction::RateLimit { .. }
                )
            })
            .collect();
        assert_eq!(limited, vec![5, 10, 15]);
    }

    #[test]
    fn error_rates_are_roughly_honoured() {
        let mut f = Faults {
            error_rate: 0.2,
            ..Faults::default()
        };
        let mut d = Dice::new(42);
        let errors = (1..=10_000)
            .filter(|&n| {
                matches!(
                    f.decide(n, "GET", "/x", &mut d),
                    FaultAction::ServerError(_)
                )
            })
            .count();
        assert!((1_700..2_300).contains(&errors), "{errors}");
    }
}
