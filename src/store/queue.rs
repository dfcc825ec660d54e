//! The outbound queue: one row per remote recipient, claimed with a lease
//! (and `SKIP LOCKED` on PostgreSQL) so each attempt is made by one worker,
//! and a worker that dies leaves its items to be retried after the lease.

use sqlx::Row;

use super::events::append;
use super::{Backend, Page, Store, StoreError, StoreResult, decode_id_cursor, now_ms};
use crate::events::{EventType, NewEvent, payloads};

/// How long one delivery attempt may hold its recipients.
const LEASE_MS: i64 = 15 * 60 * 1000;

/// Recipient states, as stored and shown by the queue API.
pub const SCHEDULED: &str = "scheduled";
pub const IN_FLIGHT: &str = "in_flight";
pub const DELIVERED: &str = "delivered";
pub const DEFERRED: &str = "deferred";
pub const BOUNCED: &str = "bounced";
/// Bounced because it stayed longer than `[outbound] max_queue_seconds`.
pub const EXPIRED: &str = "expired";
/// States of recipients no longer waiting: the queue's history.
pub const FINISHED: [&str; 3] = [DELIVERED, BOUNCED, EXPIRED];

#[derive(Debug, Clone)]
pub struct QueuedRecipient {
    pub id: i64,
    pub message_id: i64,
    pub queue_id: String,
    pub blob: String,
    pub sender: String,
    pub size: i64,
    pub account: Option<String>,
    pub recipient: String,
    pub domain: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at_ms: i64,
    pub last_reply: Option<String>,
    pub remote_host: Option<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

/// How one attempt for one recipient ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecipientOutcome {
    Delivered {
        remote_host: String,
        tls: Option<String>,
        reply: String,
    },
    Deferred {
        reply: String,
        next_attempt_at_ms: i64,
        remote_host: Option<String>,
    },
    Bounced {
        reply: String,
        remote_host: Option<String>,
        /// Given up after `[outbound] max_queue_seconds`.
        expired: bool,
    },
}

/// One delivery attempt of one recipient, as the queue API shows it.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub recipient_id: i64,
    pub at_ms: i64,
    pub status: String,
    pub remote_host: Option<String>,
    pub reply: String,
}

const COLUMNS: &str = "r.id, r.message_id, m.queue_id, m.blob, m.sender, m.size, m.account, r.recipient, r.domain, \
     r.status, r.attempts, r.next_attempt_at, r.last_reply, r.remote_host, m.created_at, r.updated_at";

fn decode(r: &sqlx::any::AnyRow) -> Result<QueuedRecipient, sqlx::Error> {
    Ok(QueuedRecipient {
        id: r.try_get("id")?,
        message_id: r.try_get("message_id")?,
        queue_id: r.try_get("queue_id")?,
        blob: r.try_get("blob")?,
        sender: r.try_get("sender")?,
        size: r.try_get("size")?,
        account: r.try_get("account")?,
        recipient: r.try_get("recipient")?,
        domain: r.try_get("domain")?,
        status: r.try_get("status")?,
        attempts: r.try_get("attempts")?,
        next_attempt_at_ms: r.try_get("next_attempt_at")?,
        last_reply: r.try_get("last_reply")?,
        remote_host: r.try_get("remote_host")?,
        created_at_ms: r.try_get("created_at")?,
        updated_at_ms: r.try_get("updated_at")?,
    })
}

/// Filters of `GET /v1/queue`.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    /// One state; none lists every waiting state.
    pub status: Option<String>,
    pub domain: Option<String>,
    pub sender: Option<String>,
    pub recipient: Option<String>,
}

fn domain_of(account: &Option<String>) -> Option<String> {
    account
        .as_deref()
        .and_then(|a| a.rsplit_once('@'))
        .map(|(_, d)| d.to_string())
}

impl Store {
    /// Leases up to `limit` recipients that are due: scheduled or deferred
    /// with their time come, or in flight with an expired lease.
    pub async fn claim_recipients(&self, limit: usize) -> StoreResult<Vec<QueuedRecipient>> {
        let now = now_ms();
        let lock = match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => "FOR UPDATE SKIP LOCKED",
        };
        let sql = format!(
            "UPDATE queue_recipients SET status = 'in_flight', lease_until = $1, updated_at = $2 WHERE id IN ( \
               SELECT id FROM queue_recipients \
               WHERE (status IN ('scheduled', 'deferred') AND next_attempt_at <= $2) \
                  OR (status = 'in_flight' AND lease_until < $2) \
               ORDER BY next_attempt_at LIMIT $3 {lock}) RETURNING id"
        );
        let ids: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(now + LEASE_MS)
            .bind(now)
            .bind(limit as i64)
            .fetch_all(&self.write)
            .await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(r) = self.queue_item(id).await? {
                out.push(r);
            }
        }
        Ok(out)
    }

    pub async fn queue_item(&self, id: i64) -> StoreResult<Option<QueuedRecipient>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM queue_recipients r JOIN queue_messages m ON m.id = r.message_id WHERE r.id = $1"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        Ok(row.as_ref().map(decode).transpose()?)
    }

    /// Records an attempt's outcome and its event, in one transaction.
    pub async fn finish_recipient(
        &self,
        item: &QueuedRecipient,
        outcome: &RecipientOutcome,
    ) -> StoreResult<()> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        let (status, next, reply, host) = match outcome {
            RecipientOutcome::Delivered {
                remote_host, reply, ..
            } => (DELIVERED, now, reply.clone(), Some(remote_host.clone())),
            RecipientOutcome::Deferred {
                reply,
                next_attempt_at_ms,
                remote_host,
            } => (
                DEFERRED,
                *next_attempt_at_ms,
                reply.clone(),
                remote_host.clone(),
            ),
            RecipientOutcome::Bounced {
                reply,
                remote_host,
                expired,
            } => (
                if *expired { EXPIRED } else { BOUNCED },
                now,
                reply.clone(),
                remote_host.clone(),
            ),
        };
        let finished = (status != DEFERRED).then_some(now);
        sqlx::query(
            "UPDATE queue_recipients SET status = $1, attempts = attempts + 1, next_attempt_at = $2, last_reply = $3, \
             remote_host = COALESCE($4, remote_host), lease_until = NULL, updated_at = $5, finished_at = $6 WHERE id = $7",
        )
        .bind(status)
        .bind(next)
        .bind(reply.clone())
        .bind(host.clone())
        .bind(now)
        .bind(finished)
        .bind(item.id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO queue_attempts (recipient_id, at, status, remote_host, reply) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(item.id)
        .bind(now)
        .bind(status)
        .bind(host)
        .bind(reply.clone())
        .execute(&mut *tx)
        .await?;
        let (kind, data) = match outcome {
            RecipientOutcome::Delivered {
                remote_host,
                tls,
                reply,
            } => (
                EventType::MessageDelivered,
                payloads::to_data(&payloads::MessageDelivered {
                    message_id: item.queue_id.clone(),
                    queue_id: item.id,
                    sender: item.sender.clone(),
                    recipient: item.recipient.clone(),
                    remote_host: remote_host.clone(),
                    tls: tls.is_some(),
                    tls_cipher: tls.clone(),
                    reply: reply.clone(),
                    attempts: item.attempts + 1,
                }),
            ),
            RecipientOutcome::Deferred {
                reply,
                next_attempt_at_ms,
                ..
            } => (
                EventType::MessageDeferred,
                payloads::to_data(&payloads::MessageDeferred {
                    message_id: item.queue_id.clone(),
                    queue_id: item.id,
                    sender: item.sender.clone(),
                    recipient: item.recipient.clone(),
                    reply: reply.clone(),
                    attempts: item.attempts + 1,
                    next_attempt_at: super::from_ms(*next_attempt_at_ms).to_rfc3339(),
                }),
            ),
            RecipientOutcome::Bounced { reply, .. } => (
                EventType::MessageBounced,
                payloads::to_data(&payloads::MessageBounced {
                    message_id: item.queue_id.clone(),
                    queue_id: item.id,
                    sender: item.sender.clone(),
                    recipient: item.recipient.clone(),
                    reply: reply.clone(),
                    attempts: item.attempts + 1,
                }),
            ),
        };
        append(
            &mut tx,
            &NewEvent {
                kind,
                account: item.account.clone(),
                domain: domain_of(&item.account),
                data,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// When every recipient of a message is final and some bounced, claims
    /// the right to send its one DSN (exactly once, across nodes) and
    /// returns the bounced recipients with their replies.
    pub async fn claim_dsn(&self, message_id: i64) -> StoreResult<Option<Vec<(String, String)>>> {
        let pending: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM queue_recipients WHERE message_id = $1 AND status NOT IN ('delivered', 'bounced', 'expired')",
        )
        .bind(message_id)
        .fetch_one(&self.read)
        .await?;
        if pending > 0 {
            return Ok(None);
        }
        let rows = sqlx::query("SELECT recipient, last_reply FROM queue_recipients WHERE message_id = $1 AND status IN ('bounced', 'expired') ORDER BY id")
            .bind(message_id)
            .fetch_all(&self.read)
            .await?;
        if rows.is_empty() {
            return Ok(None);
        }
        let won =
            sqlx::query("UPDATE queue_messages SET dsn_sent = 1 WHERE id = $1 AND dsn_sent = 0")
                .bind(message_id)
                .execute(&self.write)
                .await?;
        if won.rows_affected() == 0 {
            return Ok(None);
        }
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push((
                r.try_get("recipient")?,
                r.try_get::<Option<String>, _>("last_reply")?
                    .unwrap_or_default(),
            ));
        }
        Ok(Some(out))
    }

    /// Queue entries, newest first.
    pub async fn list_queue(
        &self,
        filter: &QueueFilter,
        cursor: Option<&str>,
        limit: usize,
    ) -> StoreResult<Page<QueuedRecipient>> {
        let before = match cursor.filter(|c| !c.is_empty()) {
            Some(c) => decode_id_cursor(c)?,
            None => i64::MAX,
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM queue_recipients r JOIN queue_messages m ON m.id = r.message_id \
             WHERE r.id < $1 AND (r.status = $2 OR ($2 IS NULL AND r.status IN ('scheduled', 'in_flight', 'deferred'))) \
             AND ($3 IS NULL OR r.domain = $3) AND ($4 IS NULL OR m.sender = $4) AND ($5 IS NULL OR r.recipient = $5) \
             ORDER BY r.id DESC LIMIT $6"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(before)
            .bind(filter.status.clone())
            .bind(filter.domain.clone())
            .bind(filter.sender.clone())
            .bind(filter.recipient.clone())
            .bind((limit + 1) as i64)
            .fetch_all(&self.read)
            .await?;
        let items = rows.iter().map(decode).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(items, limit, |r| r.id.to_string()))
    }

    /// The attempts of these recipients, oldest first.
    pub async fn queue_attempts(&self, ids: &[i64]) -> StoreResult<Vec<Attempt>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT recipient_id, at, status, remote_host, reply FROM queue_attempts \
             WHERE recipient_id IN ({}) ORDER BY id",
            marks.join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in ids {
            query = query.bind(*id);
        }
        let rows = query.fetch_all(&self.read).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(Attempt {
                recipient_id: r.try_get("recipient_id")?,
                at_ms: r.try_get("at")?,
                status: r.try_get("status")?,
                remote_host: r.try_get("remote_host")?,
                reply: r.try_get("reply")?,
            });
        }
        Ok(out)
    }

    /// Deletes finished recipients older than `before_ms` (with their
    /// attempts), then the messages left without recipients. Returns the
    /// recipients deleted.
    pub async fn purge_queue_history(&self, before_ms: i64) -> StoreResult<u64> {
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "DELETE FROM queue_recipients WHERE finished_at IS NOT NULL AND finished_at < $1",
        )
        .bind(before_ms)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM queue_messages WHERE NOT EXISTS \
             (SELECT 1 FROM queue_recipients r WHERE r.message_id = queue_messages.id)",
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    /// Removes a recipient that has not been delivered yet (no DSN is sent).
    pub async fn delete_queue_item(&self, id: i64) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM queue_recipients WHERE id = $1")
            .bind(id)
            .execute(&self.write)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("queue entry {id}")));
        }
        Ok(())
    }

    /// Makes a waiting recipient due now.
    pub async fn retry_queue_item(&self, id: i64) -> StoreResult<QueuedRecipient> {
        let item = self
            .queue_item(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("queue entry {id}")))?;
        if FINISHED.contains(&item.status.as_str()) {
            return Err(StoreError::Conflict(format!(
                "queue entry {id} is already {}",
                item.status
            )));
        }
        sqlx::query("UPDATE queue_recipients SET next_attempt_at = $1, updated_at = $1 WHERE id = $2 AND status IN ('scheduled', 'deferred')")
            .bind(now_ms())
            .bind(id)
            .execute(&self.write)
            .await?;
        self.queue_item(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("queue entry {id}")))
    }
}
