//! The runs waiting to be explained, in the order a person triaging would want them: the
//! run the user is looking at first, then the newest failure of each repository (every
//! repository shows one explained failure before any shows two), then the newest failure of
//! each other workflow and branch, then the older failures behind them (often repeats of the same failure). A console that
//! watches an organisation has thousands of failed runs, and GitHub's limits allow explaining
//! a few hundred a minute: what it explains first matters.

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;

use tokio::sync::Semaphore;

use super::action::RunKey;

/// How soon a queued run is explained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    /// The newest failure of its workflow and branch.
    Newest,
    /// An older failure of a workflow and branch whose newest is queued too.
    Older,
}

#[derive(Debug, Default)]
struct Pending {
    /// The run the user selected, not yet taken.
    selected: Option<RunKey>,
    /// The first run of its repository to be queued (the poll lists the newest first).
    first: VecDeque<RunKey>,
    newest: VecDeque<RunKey>,
    older: VecDeque<RunKey>,
    /// Every run waiting, in whichever place.
    waiting: HashSet<RunKey>,
    /// The repositories whose first run has been queued.
    repositories: HashSet<crate::forge::RepoRef>,
}

/// A queue shared by the explaining tasks.
#[derive(Debug)]
pub struct ExplainQueue {
    pending: Mutex<Pending>,
    /// One permit per pending run: a task waits for one before taking a run.
    ready: Semaphore,
}

/// A run to explain, and whether the user is waiting for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Next {
    pub key: RunKey,
    pub selected: bool,
}

impl Default for ExplainQueue {
    fn default() -> Self {
        Self::new()
    }
}

impl ExplainQueue {
    pub fn new() -> Self {
        ExplainQueue {
            pending: Mutex::new(Pending::default()),
            ready: Semaphore::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues a run last in its tier. A run already waiting keeps its place.
    pub fn push(&self, key: RunKey, tier: Tier) {
        let mut pending = self.lock();
        if !pending.waiting.insert(key.clone()) {
            return;
        }
        match tier {
            Tier::Newest if pending.repositories.insert(key.repo.clone()) => {
                pending.first.push_back(key)
            }
            Tier::Newest => pending.newest.push_back(key),
            Tier::Older => pending.older.push_back(key),
        }
        self.ready.add_permits(1);
    }

    /// The user looks at this run: it is explained next. A run not waiting (explained, or
    /// being explained) is left alone.
    pub fn prioritize(&self, key: &RunKey) {
        let mut pending = self.lock();
        if pending.waiting.contains(key) {
            pending.selected = Some(key.clone());
        }
    }

    /// Takes a waiting run out of the queue, to explain it at once; `false` when it is not
    /// waiting (explained, or being explained).
    pub fn take(&self, key: &RunKey) -> bool {
        let mut pending = self.lock();
        if !pending.waiting.remove(key) {
            return false;
        }
        pending.first.retain(|k| k != key);
        pending.newest.retain(|k| k != key);
        pending.older.retain(|k| k != key);
        if pending.selected.as_ref() == Some(key) {
            pending.selected = None;
        }
        // Its permit stays: a task woken for it finds the next run, or waits again.
        true
    }

    /// Puts back a run taken but not explained (GitHub's budget is low), behind the others
    /// of its tier.
    pub fn defer(&self, key: RunKey) {
        self.push(key, Tier::Older);
    }

    /// The next run to explain, waiting for one if there is none.
    pub async fn next(&self) -> Next {
        loop {
            if let Ok(permit) = self.ready.acquire().await {
                permit.forget();
            }
            let mut pending = self.lock();
            let selected = pending.selected.take();
            let taken = match selected {
                Some(key) => {
                    pending.first.retain(|k| *k != key);
                    pending.newest.retain(|k| *k != key);
                    pending.older.retain(|k| *k != key);
                    Some(Next {
                        key,
                        selected: true,
                    })
                }
                None => pending
                    .first
                    .pop_front()
                    .or_else(|| pending.newest.pop_front())
                    .or_else(|| pending.older.pop_front())
                    .map(|key| Next {
                        key,
                        selected: false,
                    }),
            };
            if let Some(next) = taken {
                pending.waiting.remove(&next.key);
                return next;
            }
        }
    }

    /// The next `n` runs waiting, in the order [`ExplainQueue::next`] would take them (the
    /// selected run aside): what is worth reading ahead in one request.
    pub fn upcoming(&self, n: usize) -> Vec<RunKey> {
        let pending = self.lock();
        pending
            .first
            .iter()
            .chain(&pending.newest)
            .chain(&pending.older)
            .filter(|k| pending.selected.as_ref() != Some(*k))
            .take(n)
            .cloned()
            .collect()
    }

    pub fn len(&self) -> usize {
        self.lock().waiting.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forge::RepoRef;

    fn key(id: u64) -> RunKey {
        RunKey::new("acme/shop".parse::<RepoRef>().unwrap(), id)
    }

    #[tokio::test]
    async fn the_selected_run_first_then_the_newest_of_each_kind_then_the_rest() {
        let queue = ExplainQueue::new();
        queue.push(key(1), Tier::Newest);
        queue.push(key(2), Tier::Older);
        queue.push(key(3), Tier::Newest);
        queue.push(key(4), Tier::Older);
        queue.push(key(2), Tier::Newest);
        assert_eq!(queue.len(), 4, "a waiting run is queued once");
        queue.prioritize(&key(4));
        queue.prioritize(&key(99));
        let ahead: Vec<u64> = queue.upcoming(2).iter().map(|k| k.run_id).collect();
        assert_eq!(ahead, [1, 3], "in the order taken, the selected run aside");
        let mut order = Vec::new();
        for _ in 0..4 {
            let next = queue.next().await;
            order.push((next.key.run_id, next.selected));
        }
        assert_eq!(order, [(4, true), (1, false), (3, false), (2, false)]);
        assert!(queue.upcoming(10).is_empty());
        assert!(queue.is_empty());
        // A run put back waits behind the others.
        queue.push(key(5), Tier::Newest);
        queue.push(key(6), Tier::Older);
        let taken = queue.next().await;
        queue.defer(taken.key);
        assert_eq!(queue.next().await.key, key(6));
        assert_eq!(queue.next().await.key, key(5));
    }

    #[tokio::test]
    async fn every_repository_gets_one_explanation_before_any_gets_two() {
        let queue = ExplainQueue::new();
        let of = |repo: &str, id: u64| RunKey::new(repo.parse::<RepoRef>().unwrap(), id);
        // Each repository's poll queues its newest runs of each kind, newest first.
        for (repo, ids) in [
            ("acme/a", [1, 2, 3]),
            ("acme/b", [4, 5, 6]),
            ("acme/c", [7, 8, 9]),
        ] {
            for id in ids {
                queue.push(of(repo, id), Tier::Newest);
            }
        }
        queue.push(of("acme/a", 10), Tier::Older);
        let mut order = Vec::new();
        for _ in 0..10 {
            order.push(queue.next().await.key.run_id);
        }
        assert_eq!(order, [1, 4, 7, 2, 3, 5, 6, 8, 9, 10]);
    }

    #[tokio::test]
    async fn a_waiting_task_wakes_when_a_run_arrives() {
        let queue = std::sync::Arc::new(ExplainQueue::new());
        let waiter = tokio::spawn({
            let queue = queue.clone();
            async move { queue.next().await }
        });
        tokio::task::yield_now().await;
        queue.push(key(7), Tier::Newest);
        assert_eq!(waiter.await.unwrap().key, key(7));
    }
}
