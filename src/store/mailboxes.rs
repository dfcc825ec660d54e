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
