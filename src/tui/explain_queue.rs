//! The runs waiting to be explained: first come, first served, except the one the user is
//! looking at, which goes to the front. At start the console may have hundreds of failed runs
//! to explain; the selected row should not wait behind all of them.

use std::collections::VecDeque;
use std::sync::Mutex;

use tokio::sync::Semaphore;

use super::action::RunKey;

/// A queue shared by the explaining tasks.
#[derive(Debug)]
pub struct ExplainQueue {
    pending: Mutex<VecDeque<RunKey>>,
    /// One permit per pending run: a task waits for one before taking a run.
    ready: Semaphore,
}

impl Default for ExplainQueue {
    fn default() -> Self {
        Self::new()
    }
}

impl ExplainQueue {
    pub fn new() -> Self {
        ExplainQueue {
            pending: Mutex::new(VecDeque::new()),
            ready: Semaphore::new(0),
        }
    }

    /// Queues a run, last. A run already waiting keeps its place.
    pub fn push(&self, key: RunKey) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        if pending.contains(&key) {
            return;
        }
        pending.push_back(key);
        self.ready.add_permits(1);
    }

    /// Moves a waiting run to the front; a run not waiting (explained, or being explained)
    /// is left alone.
    pub fn prioritize(&self, key: &RunKey) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(at) = pending.iter().position(|k| k == key)
            && let Some(found) = pending.remove(at)
        {
            pending.push_front(found);
        }
    }

    /// The next run to explain, waiting for one if there is none.
    pub async fn next(&self) -> RunKey {
        loop {
            if let Ok(permit) = self.ready.acquire().await {
                permit.forget();
            }
            let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(key) = pending.pop_front() {
                return key;
            }
        }
    }

    pub fn len(&self) -> usize {
        self.pending.lock().unwrap_or_else(|e| e.into_inner()).len()
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
        ("acme/shop".parse::<RepoRef>().unwrap(), id)
    }

    #[tokio::test]
    async fn runs_come_in_order_and_the_selected_one_first() {
        let queue = ExplainQueue::new();
        for id in 1..=4 {
            queue.push(key(id));
        }
        queue.push(key(2));
        assert_eq!(queue.len(), 4, "a waiting run is queued once");
        queue.prioritize(&key(3));
        queue.prioritize(&key(99));
        assert_eq!(queue.next().await, key(3));
        assert_eq!(queue.next().await, key(1));
        assert_eq!(queue.next().await, key(2));
        assert_eq!(queue.next().await, key(4));
        assert!(queue.is_empty());
    }

    #[tokio::test]
    async fn a_waiting_task_wakes_when_a_run_arrives() {
        let queue = std::sync::Arc::new(ExplainQueue::new());
        let waiter = tokio::spawn({
            let queue = queue.clone();
            async move { queue.next().await }
        });
        tokio::task::yield_now().await;
        queue.push(key(7));
        assert_eq!(waiter.await.unwrap(), key(7));
    }
}
