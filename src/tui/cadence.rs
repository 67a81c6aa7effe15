//! How often the console polls GitHub: the one rule both the pollers (which wait) and the
//! status bar (which counts down) follow.

use std::time::Duration;

/// Polls a minute the console allows itself when idle, of the 600 requests a minute it keeps
/// to (see `forge::scheduler`): the rest is for following heal PRs and explaining.
pub const POLLS_PER_MINUTE: u32 = 480;

/// How much slower the pollers go while GitHub's hourly budget is low.
pub const SLOW_DOWN: u32 = 4;

/// How often the repositories are polled: the configured interval, or longer when there are
/// so many repositories that polling them all that often would pass [`POLLS_PER_MINUTE`]
/// (a poll is a request a repository).
pub fn refresh_interval(configured: Duration, repos: usize) -> Duration {
    let spread =
        Duration::from_secs(60) * u32::try_from(repos).unwrap_or(u32::MAX) / POLLS_PER_MINUTE;
    configured.max(spread)
}

/// The wait between two polls of a repository: [`refresh_interval`], [`SLOW_DOWN`] times
/// longer while GitHub's hourly budget is low rather than run out and fail.
pub fn poll_every(configured: Duration, repos: usize, low_budget: bool) -> Duration {
    let every = refresh_interval(configured, repos);
    if low_budget { every * SLOW_DOWN } else { every }
}
