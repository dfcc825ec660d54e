//! Accepting a message into the store: local mailbox rows, outbound queue
//! rows and their events, for many messages in one transaction (group
//! commit: one fsync covers every session waiting on it).

use sqlx::Row;

use super::events::append;
use super::{Store, StoreResult};
use crate::address::EmailAddress;
use crate::events::{EventType, NewEvent, payloads};
use crate::store::accounts::AttachmentLinking;
use crate::store::blobs::StagedBlob;

/// A local account that a recipient address resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalTarget {
    pub account_id: i64,
    pub address: String,
    pub domain: String,
    pub quota_bytes: Option<i64>,
    pub used_bytes: i64,
    /// The account's attachment linking when it extracts inbound
    /// attachments; `None` otherwise.
    pub extract_inbound: Option<AttachmentLinking>,
}

/// One local recipient of an accepted message.
#[derive(Debug, Clone)]
pub struct LocalRecipient {
    pub target: LocalTarget,
    /// The mailbox to file into (`INBOX`, or `Junk` for quarantined mail).
    pub mailbox: &'static str,
    /// This recipient's own copy, when it differs from the delivery's
    /// `local_blob` (attachments extracted for this account).
    pub own_blob: Option<StagedBlob>,
}

/// One accepted message, with its blobs already on stable storage.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// Our id for the message (also in its Received header).
    pub queue_id: String,
    /// The envelope sender; empty for the null reverse-path.
    pub sender: String,
    pub client_ip: String,
    /// The authenticated account that submitted it, if any.
    pub account: Option<String>,
    /// The copy for local mailboxes (with Return-Path) and its recipients.
    pub local_blob: Option<StagedBlob>,
    pub local: Vec<LocalRecipient>,
    /// The copy for the outbound queue and its recipients.
    pub queue_blob: Option<StagedBlob>,
    pub remote: Vec<EmailAddress>,
    /// For authenticated submissions: the entry in the account's sending log.
    pub sent_by: Option<super::screening::SendingRecord>,
    /// The inbound sender-check score, when the message was checked.
    pub score: Option<f64>,
}

impl Store {
    /// What `address` delivers to: the account itself, or an alias's
    /// targets. `None` when it is not a local recipient.
    pub async fn resolve_recipient(
        &self,
        address: &EmailAddress,
    ) -> StoreResult<Option<Vec<LocalTarget>>> {
        let rows = sqlx::query(
            "SELECT a.id, a.address, d.name AS domain, a.quota_bytes, a.used_bytes, a.attachment_linking \
             FROM accounts a JOIN domains d ON d.id = a.domain_id WHERE a.address_key = $1 \
             UNION ALL \
             SELECT a.id, a.address, d.name AS domain, a.quota_bytes, a.used_bytes, a.attachment_linking \
             FROM aliases al \
             JOIN alias_targets t ON t.alias_id = al.id JOIN accounts a ON a.id = t.account_id \
             JOIN domains d ON d.id = a.domain_id WHERE al.address_key = $1",
        )
        .bind(address.key())
        .fetch_all(self.reader())
        .await?;
        if rows.is_empty() {
            return Ok(None);
        }
        let mut targets = Vec::with_capacity(rows.len());
        for r in rows {
            targets.push(LocalTarget {
                account_id: r.try_get("id")?,
                address: r.try_get("address")?,
                domain: r.try_get("domain")?,
                quota_bytes: r.try_get("quota_bytes")?,
                used_bytes: r.try_get("used_bytes")?,
                extract_inbound: serde_json::from_str::<AttachmentLinking>(
                    &r.try_get::<String, _>("attachment_linking")?,
                )
                .ok()
                .filter(|l| l.enabled && l.extract_inbound),
            });
        }
        Ok(Some(targets))
    }

    /// Queued recipients as (recipient, status, blob), oldest first; for
    /// tests and the queue API.
    pub async fn queued_recipients(&self) -> StoreResult<Vec<(String, String, String)>> {
        let rows = sqlx::query(
            "SELECT r.recipient, r.status, m.blob FROM queue_recipients r \
             JOIN queue_messages m ON m.id = r.message_id ORDER BY r.id",
        )
        .fetch_all(self.reader())
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push((
                r.try_get("recipient")?,
                r.try_get("status")?,
                r.try_get("blob")?,
            ));
        }
        Ok(out)
    }
}

/// One delivery inside the caller's transaction: local copies filed,
/// remote recipients queued, their events written.
pub(crate) async fn deliver_in(
    tx: &mut sqlx::AnyConnection,
    d: &Delivery,
    now: i64,
) -> StoreResult<()> {
    if let Some(record) = &d.sent_by {
        super::screening::log_sending(tx, record, now).await?;
    }
    if let Some(staged) = &d.local_blob
        && let Some(bytes) = &staged.bytes
    {
        super::blobs::insert(tx, &staged.blob, bytes).await?;
    }
    for r in &d.local {
        let Some(staged) = r.own_blob.as_ref().or(d.local_blob.as_ref()) else {
            continue;
        };
        let blob = &staged.blob;
        if let Some(StagedBlob {
            blob: own,
            bytes: Some(bytes),
        }) = &r.own_blob
        {
            super::blobs::insert(tx, own, bytes).await?;
        }
        let row = sqlx::query(
            "UPDATE mailboxes SET uidnext = uidnext + 1 \
             WHERE account_id = $1 AND name = $2 RETURNING id, uidnext - 1 AS uid",
        )
        .bind(r.target.account_id)
        .bind(r.mailbox)
        .fetch_optional(&mut *tx)
        .await?;
        let row = match row {
            Some(row) => row,
            // A mailbox deleted by its user: file into INBOX instead.
            None => {
                sqlx::query(
                    "UPDATE mailboxes SET uidnext = uidnext + 1 \
                 WHERE account_id = $1 AND name = 'INBOX' RETURNING id, uidnext - 1 AS uid",
                )
                .bind(r.target.account_id)
                .fetch_one(&mut *tx)
                .await?
            }
        };
        let mailbox_id: i64 = row.try_get("id")?;
        let uid: i64 = row.try_get("uid")?;
        sqlx::query(
            "INSERT INTO messages (mailbox_id, uid, blob, size, flags, internal_date) \
             VALUES ($1, $2, $3, $4, '', $5)",
        )
        .bind(mailbox_id)
        .bind(uid)
        .bind(blob.hash.clone())
        .bind(blob.size as i64)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE accounts SET used_bytes = used_bytes + $1 WHERE id = $2")
            .bind(blob.size as i64)
            .bind(r.target.account_id)
            .execute(&mut *tx)
            .await?;
        append(
            tx,
            &NewEvent {
                kind: EventType::MessageReceived,
                account: Some(r.target.address.clone()),
                domain: Some(r.target.domain.clone()),
                data: payloads::to_data(&payloads::MessageReceived {
                    account: r.target.address.clone(),
                    message_id: d.queue_id.clone(),
                    mailbox: r.mailbox.into(),
                    uid,
                    size: blob.size,
                    sender: d.sender.clone(),
                    client_ip: d.client_ip.clone(),
                    authenticated: d.account.is_some(),
                    score: d.score,
                }),
            },
        )
        .await?;
    }
    if let (Some(staged), false) = (&d.queue_blob, d.remote.is_empty()) {
        let blob = &staged.blob;
        if let Some(bytes) = &staged.bytes {
            super::blobs::insert(tx, blob, bytes).await?;
        }
        let message_id: i64 = sqlx::query_scalar(
            "INSERT INTO queue_messages (blob, sender, size, account, client_ip, created_at, queue_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(blob.hash.clone())
        .bind(d.sender.clone())
        .bind(blob.size as i64)
        .bind(d.account.clone())
        .bind(d.client_ip.clone())
        .bind(now)
        .bind(d.queue_id.clone())
        .fetch_one(&mut *tx)
        .await?;
        for r in &d.remote {
            sqlx::query(
                "INSERT INTO queue_recipients (message_id, recipient, domain, status, attempts, next_attempt_at, updated_at) \
                 VALUES ($1, $2, $3, 'scheduled', 0, $4, $4)",
            )
            .bind(message_id)
            .bind(r.to_string())
            .bind(r.domain().to_string())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        let domain = d
            .account
            .as_deref()
            .and_then(|a| a.rsplit_once('@'))
            .map(|(_, dom)| dom.to_string());
        append(
            tx,
            &NewEvent {
                kind: EventType::MessageQueued,
                account: d.account.clone(),
                domain,
                data: payloads::to_data(&payloads::MessageQueued {
                    message_id: d.queue_id.clone(),
                    queue_id: message_id,
                    sender: d.sender.clone(),
                    recipients: d.remote.iter().map(|r| r.to_string()).collect(),
                    size: blob.size,
                    client_ip: d.client_ip.clone(),
                }),
            },
        )
        .await?;
    }
    Ok(())
}
