//! Prompt drafts read and written on a thread of their own.
//!
//! A synced save waits for the disk (`fsync`), which can take tens of milliseconds: never on
//! the console's loop, where it would delay the next frame and key. One thread does every
//! read and write, in the order the console asked, so a draft loaded after a save sees it and
//! two saves of one run land in order. Quitting waits for what was asked ([`DraftStore::finish`]):
//! what the user typed is on the disk before the process exits.

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::mpsc as std_mpsc;

use tokio::sync::mpsc;

use super::action::{Action, RunKey};

enum Job {
    Load(RunKey),
    Save {
        key: RunKey,
        text: String,
        synced: bool,
    },
    Remove(RunKey),
}

/// The drafts of a console, under one data directory.
pub struct DraftStore {
    jobs: Mutex<Option<std_mpsc::Sender<Job>>>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl DraftStore {
    /// Starts the thread; loaded drafts and failed saves come back on `actions`.
    pub fn start(data_dir: PathBuf, actions: mpsc::UnboundedSender<Action>) -> DraftStore {
        let (jobs, queue) = std_mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("drafts".into())
            .spawn(move || {
                for job in queue {
                    // The console may be gone (quitting): then nobody waits for an answer.
                    let _ = match job {
                        Job::Load(key) => {
                            let text =
                                crate::tui::drafts::load_in(&data_dir, &key.repo, key.run_id);
                            actions.send(Action::DraftLoaded { key, text })
                        }
                        Job::Save { key, text, synced } => {
                            match crate::tui::drafts::save_in(
                                &data_dir, &key.repo, key.run_id, &text, synced,
                            ) {
                                Ok(()) => Ok(()),
                                Err(e) => {
                                    tracing::warn!(error = %e, "cannot save the prompt draft");
                                    actions.send(Action::DraftNotSaved(e.to_string()))
                                }
                            }
                        }
                        Job::Remove(key) => {
                            crate::tui::drafts::remove_in(&data_dir, &key.repo, key.run_id);
                            Ok(())
                        }
                    };
                }
            })
            .map_err(|e| tracing::error!(error = %e, "cannot start the drafts thread"))
            .ok();
        DraftStore {
            jobs: Mutex::new(Some(jobs)),
            thread: Mutex::new(thread),
        }
    }

    pub fn load(&self, key: RunKey) {
        self.send(Job::Load(key));
    }

    pub fn save(&self, key: RunKey, text: String, synced: bool) {
        self.send(Job::Save { key, text, synced });
    }

    pub fn remove(&self, key: RunKey) {
        self.send(Job::Remove(key));
    }

    /// Waits until everything asked so far is done; later requests are dropped.
    pub fn finish(&self) {
        if let Ok(mut jobs) = self.jobs.lock() {
            jobs.take();
        }
        let thread = self.thread.lock().ok().and_then(|mut t| t.take());
        if let Some(thread) = thread {
            let _ = thread.join();
        }
    }

    fn send(&self, job: Job) {
        let sent = self
            .jobs
            .lock()
            .ok()
            .and_then(|jobs| jobs.as_ref().map(|j| j.send(job).is_ok()));
        if sent != Some(true) {
            tracing::warn!("a draft request after quitting was dropped");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forge::RepoRef;

    #[test]
    fn saves_land_in_order_and_a_later_load_sees_them() {
        let dir = tempfile::tempdir().unwrap();
        let (tx, mut rx) = mpsc::unbounded_channel();
        let store = DraftStore::start(dir.path().to_path_buf(), tx);
        let key = RunKey::new(RepoRef::new("o", "r"), 7);
        store.save(key.clone(), "first".into(), false);
        store.save(key.clone(), "second".into(), true);
        store.load(key.clone());
        store.finish();
        match rx.try_recv() {
            Ok(Action::DraftLoaded { key: k, text }) => {
                assert_eq!(k, key);
                assert_eq!(text.as_deref(), Some("second"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            crate::tui::drafts::load_in(dir.path(), &key.repo, key.run_id).as_deref(),
            Some("second"),
            "on the disk once finish returns"
        );
    }
}
