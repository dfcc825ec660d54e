//! Group commit: sessions hand accepted messages (blobs already fsynced) to
//! one committer task, which writes everything waiting in one transaction
//! and one fsync, then answers each session. Under load many messages share
//! a commit; alone, a message waits for no one.

use tokio::sync::{mpsc, oneshot};

use crate::access::Access;
use crate::store::blobs::BlobStore;
use crate::store::delivery::Delivery;
use crate::store::{Store, StoreError};

/// How many deliveries one transaction takes at most.
const MAX_BATCH: usize = 256;

#[derive(Clone)]
pub struct Committer {
    tx: mpsc::Sender<(Delivery, oneshot::Sender<Result<(), String>>)>,
}

impl Committer {
    /// Starts the committer task; it ends when every handle is dropped.
    pub fn start(store: Store, blobs: BlobStore, access: Access) -> Self {
        let (tx, rx) = mpsc::channel(4096);
        tokio::spawn(run(store, blobs, access, rx));
        Self { tx }
    }

    /// Commits one delivery; returns once it is on stable storage.
    pub async fn commit(&self, delivery: Delivery) -> Result<(), String> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send((delivery, done))
            .await
            .map_err(|_| "the committer has stopped".to_string())?;
        wait.await
            .map_err(|_| "the committer has stopped".to_string())?
    }
}

async fn run(
    store: Store,
    blobs: BlobStore,
    access: Access,
    mut rx: mpsc::Receiver<(Delivery, oneshot::Sender<Result<(), String>>)>,
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
        let (deliveries, waiters): (Vec<Delivery>, Vec<_>) = batch.drain(..).unzip();
        // Blobs were written without a flush; one flush makes the whole
        // batch's blobs durable before any row points at them.
        if let Err(e) = blobs.sync().await {
            tracing::error!(error = %e, "flushing message blobs failed");
            for done in waiters {
                let _ = done.send(Err(format!("flushing message files: {e}")));
            }
            continue;
        }
        let result = store.commit_deliveries(&deliveries).await;
        for d in &deliveries {
            for r in &d.local {
                access.changed(r.target.account_id);
            }
        }
        match result {
            Ok(()) => {
                for done in waiters {
                    let _ = done.send(Ok(()));
                }
            }
            Err(e) => {
                // One bad delivery must not fail its neighbours: retry each alone.
                tracing::warn!(error = %e, size = deliveries.len(), "group commit failed; committing one by one");
                for (delivery, done) in deliveries.iter().zip(waiters) {
                    let result = store
                        .commit_deliveries(std::slice::from_ref(delivery))
                        .await;
                    let _ = done.send(result.map_err(|e: StoreError| e.to_string()));
                }
            }
        }
    }
}
