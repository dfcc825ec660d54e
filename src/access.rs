//! Who is reading mail on this node: sessions per account (bounded), and a
//! broadcast of "this account's mailboxes changed" so IMAP IDLE wakes at
//! once for changes made here. Changes made on other nodes are found by
//! IDLE's once-a-second look at the store.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::broadcast;

#[derive(Clone)]
pub struct Access {
    inner: Arc<Inner>,
}

struct Inner {
    sessions: Mutex<HashMap<i64, usize>>,
    changes: broadcast::Sender<i64>,
    /// Accounts whose open sessions must end (frozen, disabled).
    kicks: broadcast::Sender<i64>,
}

/// One open session of an account; dropping it frees the place.
pub struct SessionGuard {
    inner: Arc<Inner>,
    account_id: i64,
}

impl Drop for SessionGuard {
    fn drop(&mut self) {
        let mut map = self
            .inner
            .sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(n) = map.get_mut(&self.account_id) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.account_id);
            }
        }
    }
}

impl Default for Access {
    fn default() -> Self {
        Self::new()
    }
}

impl Access {
    pub fn new() -> Self {
        let (changes, _) = broadcast::channel(1024);
        let (kicks, _) = broadcast::channel(256);
        Self {
            inner: Arc::new(Inner {
                sessions: Mutex::default(),
                changes,
                kicks,
            }),
        }
    }

    /// Opens a session for `account_id` unless it already has `max`.
    pub fn open(&self, account_id: i64, max: usize) -> Option<SessionGuard> {
        let mut map = self
            .inner
            .sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let n = map.entry(account_id).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(SessionGuard {
            inner: self.inner.clone(),
            account_id,
        })
    }

    /// Tells this node's sessions that an account's mail changed.
    pub fn changed(&self, account_id: i64) {
        let _ = self.inner.changes.send(account_id);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<i64> {
        self.inner.changes.subscribe()
    }

    /// Ends the account's open IMAP and POP3 sessions on this node.
    pub fn kick(&self, account_id: i64) {
        let _ = self.inner.kicks.send(account_id);
    }

    pub fn kicks(&self) -> broadcast::Receiver<i64> {
        self.inner.kicks.subscribe()
    }
}
