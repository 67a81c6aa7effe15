//! One gate for every request a process sends, so that a console watching an organisation
//! stays within GitHub's documented secondary rate limits however many runs it explains:
//!
//! - at most 100 requests in flight at once;
//! - at most 600 points in any minute, a read costing 1 and a write 5 (GitHub counts REST
//!   requests this way and allows 900 a minute per endpoint; one budget for all, with room
//!   to spare, is the safe reading);
//! - writes at least a second apart.
//!
//! (`retry-after` and an exhausted primary budget are the retry loop's business, in
//! `transport`.) A request waits here, never fails: the cost of a burst is time, and the
//! console's queues decide what goes first.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::Method;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// The limits a scheduler keeps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    pub concurrent: usize,
    /// Points allowed in any `window`.
    pub points: u32,
    pub window: Duration,
    /// Least time between the starts of two writes.
    pub write_gap: Duration,
    /// Points of each window that only urgent requests may spend (see [`urgently`]): what a
    /// person waits for gets through even when background work has used the rest.
    pub reserved: u32,
}

impl Default for Limits {
    /// GitHub's documented limits, with room to spare: 900 points a minute is its limit per
    /// endpoint; 600 across all of them leaves the user's other tools (gh, a browser) theirs.
    fn default() -> Self {
        Limits {
            concurrent: 100,
            points: 600,
            // A second over the minute: requests are counted here when sent and by GitHub
            // when they arrive, and a burst at the window's start and one at its end must
            // not both fall in one of GitHub's minutes.
            window: Duration::from_secs(61),
            write_gap: Duration::from_secs(1),
            reserved: 40,
        }
    }
}

impl Limits {
    /// For a server that is not GitHub and has no such limits (the demo's loopback simulator).
    pub fn unpaced() -> Limits {
        Limits {
            concurrent: 100,
            points: u32::MAX,
            window: Duration::from_secs(60),
            write_gap: Duration::ZERO,
            reserved: 0,
        }
    }
}

tokio::task_local! {
    /// Set for the requests of work a person is waiting for (the run just selected).
    static URGENT: bool;
}

/// Runs `work` with its requests ahead of every other in the gate: they take slots kept for
/// them and may spend the points kept for them, and other requests wait while one of them
/// does. (A task-local: requests of tasks `work` spawns are not urgent.)
pub async fn urgently<F: std::future::Future>(work: F) -> F::Output {
    URGENT.scope(true, work).await
}

fn is_urgent() -> bool {
    URGENT.try_with(|u| *u).unwrap_or(false)
}

/// Slots of the hundred kept for urgent requests.
const URGENT_SLOTS: usize = 4;

/// What a read costs against the per-minute budget; a write costs [`WRITE_POINTS`].
const READ_POINTS: u32 = 1;
const WRITE_POINTS: u32 = 5;

#[derive(Debug)]
pub struct Scheduler {
    limits: Limits,
    slots: Arc<Semaphore>,
    urgent_slots: Arc<Semaphore>,
    /// Urgent requests waiting for points: the others wait while there are any.
    urgent_waiting: std::sync::atomic::AtomicUsize,
    /// The points spent in the current window, oldest first, and their sum.
    spent: Mutex<(VecDeque<(Instant, u32)>, u32)>,
    /// When the last write was let through; held while a write waits its turn.
    last_write: tokio::sync::Mutex<Option<Instant>>,
}

/// What a request costs: GitHub counts a read (a `GET`, or a GraphQL query) as 1 point and a
/// write (anything else, a GraphQL mutation included) as 5, and spaces writes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Read,
    Write,
}

impl Kind {
    /// A REST request's kind, by its method.
    pub fn of(method: &Method) -> Kind {
        if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
            Kind::Read
        } else {
            Kind::Write
        }
    }
}

/// A request let through: it holds its slot until dropped (the answer read).
#[derive(Debug)]
pub struct Admission {
    _slot: Option<OwnedSemaphorePermit>,
}

impl Scheduler {
    pub fn new(limits: Limits) -> Scheduler {
        let urgent = URGENT_SLOTS.min(limits.concurrent / 2);
        Scheduler {
            limits,
            slots: Arc::new(Semaphore::new((limits.concurrent - urgent).max(1))),
            urgent_slots: Arc::new(Semaphore::new(urgent.max(1))),
            urgent_waiting: std::sync::atomic::AtomicUsize::new(0),
            spent: Mutex::new((VecDeque::new(), 0)),
            last_write: tokio::sync::Mutex::new(None),
        }
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Waits until a request may be sent. Its points are spent last, just before it goes: the
    /// budget counts requests as GitHub sees them arrive, not as they queue here.
    pub async fn admit(&self, kind: Kind) -> Admission {
        let urgent = is_urgent();
        let slots = if urgent {
            &self.urgent_slots
        } else {
            &self.slots
        };
        // Fails only if the semaphore were closed, which this scheduler never does; a request
        // then goes without a slot rather than not at all.
        let slot = slots.clone().acquire_owned().await.ok();
        if kind == Kind::Write {
            // One write at a time through this lock, each a gap after the one before.
            let mut last = self.last_write.lock().await;
            if let Some(at) = *last {
                tokio::time::sleep_until(at + self.limits.write_gap).await;
            }
            self.spend(WRITE_POINTS, urgent).await;
            *last = Some(Instant::now());
        } else {
            self.spend(READ_POINTS, urgent).await;
        }
        Admission { _slot: slot }
    }

    /// Waits until `cost` more points fit in the window, and spends them. Urgent requests may
    /// spend the reserve, and go before the others.
    async fn spend(&self, cost: u32, urgent: bool) {
        use std::sync::atomic::Ordering;
        let cost = cost.min(self.limits.points.max(1));
        let allowed = if urgent {
            self.limits.points
        } else {
            self.limits
                .points
                .saturating_sub(self.limits.reserved)
                .max(cost)
        };
        if urgent {
            self.urgent_waiting.fetch_add(1, Ordering::SeqCst);
        }
        struct Done<'a>(&'a std::sync::atomic::AtomicUsize, bool);
        impl Drop for Done<'_> {
            fn drop(&mut self) {
                if self.1 {
                    self.0.fetch_sub(1, Ordering::SeqCst);
                }
            }
        }
        let _done = Done(&self.urgent_waiting, urgent);
        loop {
            if !urgent && self.urgent_waiting.load(Ordering::SeqCst) > 0 {
                tokio::time::sleep(Duration::from_millis(5)).await;
                continue;
            }
            let wait = {
                let mut guard = self.spent.lock().unwrap_or_else(|p| p.into_inner());
                let (spent, total) = &mut *guard;
                let now = Instant::now();
                while let Some(&(at, points)) = spent.front() {
                    if now.duration_since(at) < self.limits.window {
                        break;
                    }
                    spent.pop_front();
                    *total -= points;
                }
                if *total + cost <= allowed {
                    spent.push_back((now, cost));
                    *total += cost;
                    return;
                }
                // Full: wait until the oldest points leave the window.
                spent
                    .front()
                    .map(|&(at, _)| (at + self.limits.window).saturating_duration_since(now))
                    .unwrap_or_default()
            };
            tokio::time::sleep(wait.max(Duration::from_millis(1))).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn no_more_requests_are_in_flight_than_allowed() {
        let scheduler = Arc::new(Scheduler::new(Limits {
            concurrent: 3,
            ..Limits::default()
        }));
        let (now, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let (scheduler, now, most) = (scheduler.clone(), now.clone(), most.clone());
                tokio::spawn(async move {
                    let _admitted = scheduler.admit(Kind::Read).await;
                    let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(n, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    now.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        // Of the 3, one is kept for urgent requests.
        assert_eq!(most.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_window_holds_no_more_points_than_allowed() {
        // 10 points per 200 ms: 10 reads pass at once, the next waits for the window.
        let scheduler = Scheduler::new(Limits {
            points: 10,
            window: Duration::from_millis(200),
            reserved: 0,
            ..Limits::default()
        });
        let start = Instant::now();
        for _ in 0..10 {
            scheduler.admit(Kind::Read).await;
        }
        assert!(start.elapsed() < Duration::from_millis(100));
        scheduler.admit(Kind::Read).await;
        assert!(start.elapsed() >= Duration::from_millis(200));
        // A write costs five.
        let scheduler = Scheduler::new(Limits {
            points: 10,
            window: Duration::from_millis(200),
            write_gap: Duration::ZERO,
            reserved: 0,
            ..Limits::default()
        });
        let start = Instant::now();
        scheduler.admit(Kind::Write).await;
        scheduler.admit(Kind::Write).await;
        assert!(start.elapsed() < Duration::from_millis(100));
        scheduler.admit(Kind::Read).await;
        assert!(start.elapsed() >= Duration::from_millis(200));
    }

    #[tokio::test]
    async fn writes_start_a_gap_apart_and_reads_do_not_wait_for_them() {
        let scheduler = Arc::new(Scheduler::new(Limits {
            write_gap: Duration::from_millis(100),
            ..Limits::default()
        }));
        let start = Instant::now();
        let writes: Vec<_> = (0..3)
            .map(|_| {
                let scheduler = scheduler.clone();
                tokio::spawn(async move {
                    scheduler.admit(Kind::Write).await;
                    Instant::now()
                })
            })
            .collect();
        scheduler.admit(Kind::Read).await;
        assert!(start.elapsed() < Duration::from_millis(50), "a read passes");
        let mut times = Vec::new();
        for w in writes {
            times.push(w.await.unwrap());
        }
        times.sort();
        for pair in times.windows(2) {
            assert!(pair[1] - pair[0] >= Duration::from_millis(100), "{times:?}");
        }
    }

    #[tokio::test]
    async fn an_urgent_request_spends_the_reserve_and_goes_first() {
        // 10 points per 300 ms, 3 kept for urgent requests.
        let scheduler = Arc::new(Scheduler::new(Limits {
            points: 10,
            window: Duration::from_millis(300),
            reserved: 3,
            ..Limits::default()
        }));
        let start = Instant::now();
        for _ in 0..7 {
            scheduler.admit(Kind::Read).await;
        }
        assert!(start.elapsed() < Duration::from_millis(100));
        // The background's share is spent: its next read waits for the window...
        let background = tokio::spawn({
            let scheduler = scheduler.clone();
            async move {
                scheduler.admit(Kind::Read).await;
                Instant::now()
            }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        // ...while the one a person waits for goes at once.
        urgently(scheduler.admit(Kind::Read)).await;
        assert!(start.elapsed() < Duration::from_millis(150));
        let background_at = background.await.unwrap();
        assert!(background_at - start >= Duration::from_millis(300));
    }
}
