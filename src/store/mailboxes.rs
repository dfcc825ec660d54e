//! Mailboxes and the messages in them, as IMAP and POP3 will see them.

use sqlx::Row;

use super::{Store, StoreError, StoreResult};
use crate::address::EmailAddress;

/// The mailboxes every account starts with, and their SPECIAL-USE flags.
pub const DEFAULT_MAILBOXES: [(&str, Option<&str>); 5] = [
    ("INBOX", None),
    ("Sent", Some("\\Sent")),
    ("Drafts", Some("\\Drafts")),
    ("Trash", Some("\\Trash")),
    ("Junk", Some("\\Junk")),
];

/// Creates the standard mailboxes for a new account.
pub(super) async fn create_defaults(
    tx: &mut sqlx::AnyConnection,
    account_id: i64,
    now_ms: i64,
) -> StoreResult<()> {
    let uidvalidity = now_ms / 1000;
    for (name, special_use) in DEFAULT_MAILBOXES {
        sqlx::query(
            "INSERT INTO mailboxes (account_id, name, special_use, uidvalidity, uidnext, subscribed, created_at) \
             VALUES ($1, $2, $3, $4, 1, 1, $5)",
        )
        .bind(account_id)
        .bind(name)
        .bind(special_use)
        .bind(uidvalidity)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// One message in a mailbox.
#[derive(Debug, Clone)]
pub struct StoredMessage {
    pub uid: i64,
    pub blob: String,
    pub size: i64,
    pub flags: String,
    pub internal_date_ms: i64,
}

impl Store {
    /// The messages of one mailbox of an account, in UID order.
    pub async fn mailbox_messages(
        &self,
        account: &EmailAddress,
        mailbox: &str,
    ) -> StoreResult<Vec<StoredMessage>> {
        let rows = sqlx::query(
            "SELECT m.uid, m.blob, m.size, m.flags, m.internal_date FROM messages m \
             JOIN mailboxes b ON b.id = m.mailbox_id JOIN accounts a ON a.id = b.account_id \
             WHERE a.address_key = $1 AND b.name = $2 ORDER BY m.uid",
        )
        .bind(account.key())
        .bind(mailbox)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StoredMessage {
                    uid: r.try_get("uid")?,
                    blob: r.try_get("blob")?,
                    size: r.try_get("size")?,
                    flags: r.try_get("flags")?,
                    internal_date_ms: r.try_get("internal_date")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(StoreError::from)
    }
}

/// A mailbox as IMAP sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxInfo {
    pub id: i64,
    pub name: String,
    pub special_use: Option<String>,
    pub uidvalidity: i64,
    pub uidnext: i64,
    pub subscribed: bool,
}

/// A message row, with the id the store knows it by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRow {
    pub id: i64,
    pub uid: i64,
    pub blob: String,
    pub size: i64,
    /// Space-separated IMAP flags, e.g. `\Seen \Flagged`.
    pub flags: String,
    pub internal_date_ms: i64,
}

fn decode_mailbox(r: &sqlx::any::AnyRow) -> Result<MailboxInfo, sqlx::Error> {
    Ok(MailboxInfo {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        special_use: r.try_get("special_use")?,
        uidvalidity: r.try_get("uidvalidity")?,
        uidnext: r.try_get("uidnext")?,
        subscribed: r.try_get::<i64, _>("subscribed")? != 0,
    })
}

impl Store {
    /// One mailbox of an account by name (`INBOX` is matched in any case).
    pub async fn mailbox(&self, account_id: i64, name: &str) -> StoreResult<Option<MailboxInfo>> {
        let name = if name.eq_ignore_ascii_case("INBOX") {
            "INBOX"
        } else {
            name
        };
        let row = sqlx::query(
            "SELECT id, name, special_use, uidvalidity, uidnext, subscribed FROM mailboxes WHERE account_id = $1 AND name = $2",
        )
        .bind(account_id)
        .bind(name)
        .fetch_optional(self.reader())
        .await?;
        Ok(row.as_ref().map(decode_mailbox).transpose()?)
    }

    /// Every mailbox of an account, by name.
    pub async fn mailboxes(&self, account_id: i64) -> StoreResult<Vec<MailboxInfo>> {
        let rows = sqlx::query(
            "SELECT id, name, special_use, uidvalidity, uidnext, subscribed FROM mailboxes WHERE account_id = $1 ORDER BY name",
        )
        .bind(account_id)
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .iter()
            .map(decode_mailbox)
            .collect::<Result<Vec<_>, _>>()?)
    }

    /// The messages of a mailbox in UID order.
    pub async fn messages(&self, mailbox_id: i64) -> StoreResult<Vec<MessageRow>> {
        let rows = sqlx::query(
            "SELECT id, uid, blob, size, flags, internal_date FROM messages WHERE mailbox_id = $1 ORDER BY uid",
        )
        .bind(mailbox_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(MessageRow {
                    id: r.try_get("id")?,
                    uid: r.try_get("uid")?,
                    blob: r.try_get("blob")?,
                    size: r.try_get("size")?,
                    flags: r.try_get("flags")?,
                    internal_date_ms: r.try_get("internal_date")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    /// Deletes messages of one account and gives their size back to its
    /// quota, in one transaction. Returns how many were deleted.
    pub async fn delete_messages(&self, account_id: i64, ids: &[i64]) -> StoreResult<u64> {
        let mut tx = self.begin().await?;
        let mut deleted = 0;
        let mut freed: i64 = 0;
        for id in ids {
            let size: Option<i64> = sqlx::query_scalar(
                "DELETE FROM messages WHERE id = $1 AND mailbox_id IN (SELECT id FROM mailboxes WHERE account_id = $2) RETURNING size",
            )
            .bind(*id)
            .bind(account_id)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(size) = size {
                deleted += 1;
                freed += size;
            }
        }
        sqlx::query("UPDATE accounts SET used_bytes = CASE WHEN used_bytes > $1 THEN used_bytes - $1 ELSE 0 END WHERE id = $2")
            .bind(freed)
            .bind(account_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(deleted)
    }
}
