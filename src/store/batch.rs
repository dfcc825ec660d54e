//! The writes the group committer makes for many sessions in one
//! transaction: SMTP deliveries and the IMAP writes that follow a client's
//! every move (APPEND, STORE, claiming \Recent). One commit, one fsync, for
//! everything that queued up while the previous batch was on its way to
//! disk; alone, a job waits for no one.

use super::delivery::{Delivery, deliver_in};
use super::mailboxes::{FlagChanges, FlagOp, MailboxError, NewMessage, append_in};
use super::{Store, StoreResult, now_ms};

/// One write, made inside the batch's transaction.
#[derive(Debug)]
pub enum Job {
    /// An accepted SMTP message: local copies filed, remote ones queued.
    Deliver(Box<Delivery>),
    /// STORE (and FETCH setting \Seen): flags changed against what is stored now.
    Flags {
        ids: Vec<i64>,
        op: FlagOp,
        given: Vec<String>,
        unchanged_since: Option<i64>,
    },
    /// APPEND or COPY: messages added, the quota charged, or nothing when over it.
    Append {
        account_id: i64,
        mailbox_id: i64,
        messages: Vec<NewMessage>,
    },
    /// Claiming the \Recent messages of a mailbox up to a UID for one session.
    ClaimRecent { mailbox_id: i64, up_to: i64 },
}

/// What a job did.
#[derive(Debug)]
pub enum Done {
    Delivered,
    Flags(FlagChanges),
    /// The new UIDs, or why nothing was added.
    Appended(Result<Vec<i64>, MailboxError>),
    /// The UID above which messages were still \Recent.
    Recent(i64),
}

impl Job {
    /// Whether the job files blobs staged without a flush (files storage),
    /// which the batch must make durable before its commit.
    pub fn has_staged_files(&self) -> bool {
        matches!(self, Job::Deliver(_))
    }
}

impl Store {
    /// Makes every job in one transaction: all of them or, on an error,
    /// none (the caller then retries them one by one).
    pub async fn commit_batch(&self, jobs: &[Job]) -> StoreResult<Vec<Done>> {
        let mut tx = self.begin().await?;
        let now = now_ms();
        let mut done = Vec::with_capacity(jobs.len());
        for job in jobs {
            done.push(match job {
                Job::Deliver(d) => {
                    deliver_in(&mut tx, d, now).await?;
                    Done::Delivered
                }
                Job::Flags {
                    ids,
                    op,
                    given,
                    unchanged_since,
                } => Done::Flags(
                    self.change_flags_in(&mut tx, ids, *op, given, *unchanged_since)
                        .await?,
                ),
                // Refused for lack of room writes nothing, so it does not
                // spoil the batch.
                Job::Append {
                    account_id,
                    mailbox_id,
                    messages,
                } => Done::Appended(append_in(&mut tx, *account_id, *mailbox_id, messages).await?),
                Job::ClaimRecent { mailbox_id, up_to } => {
                    Done::Recent(self.claim_recent_in(&mut tx, *mailbox_id, *up_to).await?)
                }
            });
        }
        tx.commit().await?;
        Ok(done)
    }
}
