//! Group commit: sessions hand their writes — accepted SMTP messages (blobs
//! already written) and IMAP APPEND/STORE — to one committer task, which
//! makes everything waiting in one transaction and one fsync, then answers
//! each session. Under load many writes share a commit; alone, a write
//! waits for no one. The database has one writer (SQLite) or row locks
//! (PostgreSQL), so batching loses no concurrency, and it is what lets the
//! writer keep up with many clients without skipping the fsync.

use tokio::sync::{mpsc, oneshot};

use crate::access::Access;
use crate::store::batch::{Done, Job};
use crate::store::blobs::BlobStore;
use crate::store::delivery::Delivery;
use crate::store::mailboxes::{FlagChanges, FlagOp, MailboxError, NewMessage};
use crate::store::{Store, StoreError};

/// How many jobs one transaction takes at most.
const MAX_BATCH: usize = 256;

type Waiter = oneshot::Sender<Result<Done, String>>;

#[derive(Clone)]
pub struct Committer {
    tx: mpsc::Sender<(Job, Waiter)>,
}

impl Committer {
    /// Starts the committer task; it ends when every handle is dropped.
    pub fn start(store: Store, blobs: BlobStore, access: Access) -> Self {
        let (tx, rx) = mpsc::channel(4096);
        tokio::spawn(run(store, blobs, access, rx));
        Self { tx }
    }

    async fn submit(&self, job: Job) -> Result<Done, String> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send((job, done))
            .await
            .map_err(|_| "the committer has stopped".to_string())?;
        wait.await
            .map_err(|_| "the committer has stopped".to_string())?
    }

    /// Commits one delivery; returns once it is on stable storage.
    pub async fn commit(&self, delivery: Delivery) -> Result<(), String> {
        self.submit(Job::Deliver(Box::new(delivery)))
            .await
            .map(|_| ())
    }

    /// STORE's flag change (see `Job::Flags`), group-committed.
    pub async fn change_flags(
        &self,
        ids: Vec<i64>,
        op: FlagOp,
        given: Vec<String>,
        unchanged_since: Option<i64>,
    ) -> Result<FlagChanges, String> {
        let job = Job::Flags {
            ids,
            op,
            given,
            unchanged_since,
        };
        match self.submit(job).await? {
            Done::Flags(changes) => Ok(changes),
            other => Err(format!("unexpected commit result {other:?}")),
        }
    }

    /// APPEND or COPY (see `Job::Append`), group-committed.
    pub async fn append(
        &self,
        account_id: i64,
        mailbox_id: i64,
        messages: Vec<NewMessage>,
    ) -> Result<Result<Vec<i64>, MailboxError>, String> {
        let job = Job::Append {
            account_id,
            mailbox_id,
            messages,
        };
        match self.submit(job).await? {
            Done::Appended(result) => Ok(result),
            other => Err(format!("unexpected commit result {other:?}")),
        }
    }

    /// Claiming \Recent (see `Job::ClaimRecent`), group-committed.
    pub async fn claim_recent(&self, mailbox_id: i64, up_to: i64) -> Result<i64, String> {
        match self.submit(Job::ClaimRecent { mailbox_id, up_to }).await? {
            Done::Recent(above) => Ok(above),
            other => Err(format!("unexpected commit result {other:?}")),
        }
    }
}

async fn run(
    store: Store,
    blobs: BlobStore,
    access: Access,
    mut rx: mpsc::Receiver<(Job, Waiter)>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let (jobs, waiters): (Vec<Job>, Vec<Waiter>) = batch.drain(..).unzip();
        // Delivered blobs were written without a flush; one flush makes the
        // whole batch's blobs durable before any row points at them.
        if jobs.iter().any(Job::has_staged_files)
            && let Err(e) = blobs.sync().await
        {
            tracing::error!(error = %e, "flushing message blobs failed");
            for done in waiters {
                let _ = done.send(Err(format!("flushing message files: {e}")));
            }
            continue;
        }
        let result = store.commit_batch(&jobs).await;
        for job in &jobs {
            if let Job::Deliver(d) = job {
                for r in &d.local {
                    access.changed(r.target.account_id);
                }
            }
        }
        match result {
            Ok(done) => {
                for (waiter, done) in waiters.into_iter().zip(done) {
                    let _ = waiter.send(Ok(done));
                }
            }
            Err(e) => {
                // One bad job must not fail its neighbours: retry each alone.
                tracing::warn!(error = %e, size = jobs.len(), "group commit failed; committing one by one");
                for (job, waiter) in jobs.into_iter().zip(waiters) {
                    let result = store
                        .commit_batch(std::slice::from_ref(&job))
                        .await
                        .map(|mut done| done.remove(0));
                    let _ = waiter.send(result.map_err(|e: StoreError| e.to_string()));
                }
            }
        }
    }
}
