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
    let uidvalidity = next_uidvalidity(tx, account_id, now_ms).await?;
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

/// A UIDVALIDITY the account has never used: the current second, or one
/// more than the last handed out when that is later (several mailboxes
/// created, or one deleted and re-created, within a second). The account
/// row is updated in the caller's transaction, which also serialises
/// concurrent creations (its row lock on PostgreSQL, the one writer on
/// SQLite).
async fn next_uidvalidity(
    tx: &mut sqlx::AnyConnection,
    account_id: i64,
    now_ms: i64,
) -> StoreResult<i64> {
    let value: i64 = sqlx::query_scalar(
        "UPDATE accounts SET uidvalidity_seq = CASE WHEN uidvalidity_seq >= $1 \
         THEN uidvalidity_seq + 1 ELSE $1 END WHERE id = $2 RETURNING uidvalidity_seq",
    )
    .bind(now_ms / 1000)
    .bind(account_id)
    .fetch_one(&mut *tx)
    .await?;
    // UIDVALIDITY is a non-zero 32-bit number.
    Ok(value.clamp(1, u32::MAX as i64))
}

/// What a STORE did: every message still there with its flags and
/// mod-sequence now, and those UNCHANGEDSINCE kept it from changing.
#[derive(Debug, Default)]
pub struct FlagChanges {
    pub now: Vec<(i64, String, i64)>,
    pub modified: Vec<i64>,
}

/// How STORE changes flags (RFC 3501 6.4.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagOp {
    Replace,
    Add,
    Remove,
}

impl FlagOp {
    /// The stored flag text after the change: flags compare without regard
    /// to case, keep their first spelling and order, and appear once.
    pub fn apply(self, current: &str, given: &[String]) -> String {
        let has = |list: &[&str], f: &str| list.iter().any(|x| x.eq_ignore_ascii_case(f));
        let current: Vec<&str> = current.split_whitespace().collect();
        let mut next: Vec<&str> = Vec::new();
        let candidates: Vec<&str> = match self {
            FlagOp::Replace => given.iter().map(String::as_str).collect(),
            FlagOp::Add => current
                .iter()
                .copied()
                .chain(given.iter().map(String::as_str))
                .collect(),
            FlagOp::Remove => current
                .iter()
                .copied()
                .filter(|f| !given.iter().any(|g| g.eq_ignore_ascii_case(f)))
                .collect(),
        };
        for f in candidates {
            if !has(&next, f) {
                next.push(f);
            }
        }
        next.join(" ")
    }
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
    /// Messages with a higher UID are \Recent (no session has claimed them).
    pub recent_uid: i64,
    pub highestmodseq: i64,
}

/// What [`Store::changes_since`] found.
#[derive(Debug, Clone)]
pub struct Changes {
    /// Messages added or changed since, in UID order; every message when
    /// `tombstones` is `None`.
    pub changed: Vec<MessageRow>,
    /// UIDs removed since; `None` when those tombstones were pruned.
    pub tombstones: Option<Vec<u32>>,
}

impl Changes {
    /// The UIDs of `known` that are gone: the tombstones among them, or,
    /// when the tombstones were pruned, those not among the messages now.
    pub fn gone(&self, known: impl IntoIterator<Item = u32>) -> Vec<u32> {
        let known = known.into_iter();
        match &self.tombstones {
            Some(t) => {
                let t: std::collections::HashSet<u32> = t.iter().copied().collect();
                known.filter(|u| t.contains(u)).collect()
            }
            None => {
                let present: std::collections::HashSet<u32> =
                    self.changed.iter().map(|r| r.uid as u32).collect();
                known.filter(|u| !present.contains(u)).collect()
            }
        }
    }
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
    /// The mailbox mod-sequence of the message's last change.
    pub modseq: i64,
}

fn decode_messages(rows: &[sqlx::any::AnyRow]) -> StoreResult<Vec<MessageRow>> {
    rows.iter()
        .map(|r| {
            Ok(MessageRow {
                id: r.try_get("id")?,
                uid: r.try_get("uid")?,
                blob: r.try_get("blob")?,
                size: r.try_get("size")?,
                flags: r.try_get("flags")?,
                internal_date_ms: r.try_get("internal_date")?,
                modseq: r.try_get("modseq")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()
        .map_err(StoreError::from)
}

fn decode_mailbox(r: &sqlx::any::AnyRow) -> Result<MailboxInfo, sqlx::Error> {
    Ok(MailboxInfo {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        special_use: r.try_get("special_use")?,
        uidvalidity: r.try_get("uidvalidity")?,
        uidnext: r.try_get("uidnext")?,
        subscribed: r.try_get::<i64, _>("subscribed")? != 0,
        recent_uid: r.try_get("recent_uid")?,
        highestmodseq: r.try_get("highestmodseq")?,
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
            "SELECT id, name, special_use, uidvalidity, uidnext, subscribed, recent_uid, highestmodseq FROM mailboxes WHERE account_id = $1 AND name = $2",
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
            "SELECT id, name, special_use, uidvalidity, uidnext, subscribed, recent_uid, highestmodseq FROM mailboxes WHERE account_id = $1 ORDER BY name",
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
            "SELECT id, uid, blob, size, flags, internal_date, modseq FROM messages WHERE mailbox_id = $1 ORDER BY uid",
        )
        .bind(mailbox_id)
        .fetch_all(self.reader())
        .await?;
        decode_messages(&rows)
    }

    /// The mailbox's highest mod-sequence: it grows with every change to
    /// the mailbox's messages, so an unchanged value means nothing changed.
    pub async fn highest_modseq(&self, mailbox_id: i64) -> StoreResult<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT highestmodseq FROM mailboxes WHERE id = $1")
                .bind(mailbox_id)
                .fetch_optional(self.reader())
                .await?,
        )
    }

    /// What changed in a mailbox after mod-sequence `since`: messages added
    /// or whose flags changed (UID order), and the UIDs removed — or, when
    /// the tombstones after `since` were pruned, every message (see
    /// [`Changes::gone`]).
    pub async fn changes_since(&self, mailbox_id: i64, since: i64) -> StoreResult<Changes> {
        let rows = sqlx::query(
            "SELECT id, uid, blob, size, flags, internal_date, modseq FROM messages \
             WHERE mailbox_id = $1 AND modseq > $2 ORDER BY uid",
        )
        .bind(mailbox_id)
        .bind(since)
        .fetch_all(self.reader())
        .await?;
        let tombstones: Vec<i64> = sqlx::query_scalar(
            "SELECT uid FROM expunged WHERE mailbox_id = $1 AND modseq > $2 ORDER BY uid",
        )
        .bind(mailbox_id)
        .bind(since)
        .fetch_all(self.reader())
        .await?;
        // Read after the tombstones: a prune that ran before or while they
        // were read shows here, so a gap is never mistaken for nothing.
        let floor: Option<i64> =
            sqlx::query_scalar("SELECT vanished_floor FROM mailboxes WHERE id = $1")
                .bind(mailbox_id)
                .fetch_optional(self.reader())
                .await?;
        if floor.is_some_and(|f| f > since) {
            return Ok(Changes {
                changed: self.messages(mailbox_id).await?,
                tombstones: None,
            });
        }
        Ok(Changes {
            changed: decode_messages(&rows)?,
            tombstones: Some(tombstones.into_iter().map(|u| u as u32).collect()),
        })
    }

    /// Deletes QRESYNC tombstones made at or before `before_ms` and raises
    /// each mailbox's `vanished_floor` to the newest it lost, in one
    /// transaction. Returns how many were deleted.
    pub async fn prune_tombstones(&self, before_ms: i64) -> StoreResult<u64> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "UPDATE mailboxes SET vanished_floor = (SELECT MAX(e.modseq) FROM expunged e \
             WHERE e.mailbox_id = mailboxes.id AND e.expunged_at <= $1) \
             WHERE id IN (SELECT mailbox_id FROM expunged WHERE expunged_at <= $1)",
        )
        .bind(before_ms)
        .execute(&mut *tx)
        .await?;
        let done = sqlx::query("DELETE FROM expunged WHERE expunged_at <= $1")
            .bind(before_ms)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    /// Deletes messages of one account and gives their size back to its
    /// quota, in one transaction. Returns how many were deleted.
    pub async fn delete_messages(&self, account_id: i64, ids: &[i64]) -> StoreResult<u64> {
        Ok(self.remove_messages(account_id, ids, false).await?.len() as u64)
    }

    /// EXPUNGE: deletes those of `ids` whose stored flags have `\Deleted`
    /// *now* (another session may have undeleted one since this one looked)
    /// and returns the ids it deleted.
    pub async fn expunge_messages(&self, account_id: i64, ids: &[i64]) -> StoreResult<Vec<i64>> {
        self.remove_messages(account_id, ids, true).await
    }

    async fn remove_messages(
        &self,
        account_id: i64,
        ids: &[i64],
        only_deleted: bool,
    ) -> StoreResult<Vec<i64>> {
        let mut tx = self.begin().await?;
        let mut deleted = Vec::new();
        let mut freed: i64 = 0;
        let sql = match only_deleted {
            // Space-padded so `\Deleted` matches as a whole flag; `!` as the
            // LIKE escape keeps PostgreSQL from reading `\` as one.
            true => {
                "DELETE FROM messages WHERE id = $1 AND mailbox_id IN (SELECT id FROM mailboxes WHERE account_id = $2) \
                 AND ' ' || flags || ' ' LIKE '% \\Deleted %' ESCAPE '!' RETURNING size"
            }
            false => {
                "DELETE FROM messages WHERE id = $1 AND mailbox_id IN (SELECT id FROM mailboxes WHERE account_id = $2) RETURNING size"
            }
        };
        for id in ids {
            let size: Option<i64> = sqlx::query_scalar(sql)
                .bind(*id)
                .bind(account_id)
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(size) = size {
                deleted.push(*id);
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

/// Why a mailbox operation was refused, in IMAP's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailboxError {
    NotFound,
    AlreadyExists,
    /// INBOX can't be deleted; a mailbox with children can't be either.
    NotAllowed(&'static str),
    OverQuota,
}

/// One message to add to a mailbox.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub blob: String,
    pub size: i64,
    pub flags: String,
    pub internal_date_ms: i64,
    /// The blob's bytes, written in the same transaction (database storage
    /// of a new message; `None` when the blob is already stored).
    pub bytes: Option<Vec<u8>>,
    /// Precomputed facts (JSON) for `message_meta`, stored with the message.
    pub facts: Option<String>,
}

/// APPEND/COPY inside the caller's transaction: refused whole (nothing
/// written) when the account lacks room, else every message added.
pub(super) async fn append_in(
    tx: &mut sqlx::AnyConnection,
    account_id: i64,
    mailbox_id: i64,
    messages: &[NewMessage],
) -> StoreResult<Result<Vec<i64>, MailboxError>> {
    let total: i64 = messages.iter().map(|m| m.size).sum();
    if !has_room(&mut *tx, account_id, total).await? {
        return Ok(Err(MailboxError::OverQuota));
    }
    let mut uids = Vec::with_capacity(messages.len());
    for m in messages {
        if let Some(bytes) = &m.bytes {
            let blob = super::blobs::BlobRef {
                hash: m.blob.clone(),
                size: bytes.len() as u64,
            };
            super::blobs::insert(&mut *tx, &blob, bytes).await?;
        }
        if let Some(facts) = &m.facts {
            insert_meta(&mut *tx, &m.blob, facts).await?;
        }
        let uid = next_uid(&mut *tx, mailbox_id).await?;
        sqlx::query(
            "INSERT INTO messages (mailbox_id, uid, blob, size, flags, internal_date) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(mailbox_id)
        .bind(uid)
        .bind(m.blob.clone())
        .bind(m.size)
        .bind(m.flags.clone())
        .bind(m.internal_date_ms)
        .execute(&mut *tx)
        .await?;
        uids.push(uid);
    }
    sqlx::query("UPDATE accounts SET used_bytes = used_bytes + $1 WHERE id = $2")
        .bind(total)
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
    Ok(Ok(uids))
}

/// Stores a message's precomputed facts (replacing an older version).
async fn insert_meta(tx: &mut sqlx::AnyConnection, blob: &str, meta: &str) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO message_meta (blob, meta) VALUES ($1, $2) \
         ON CONFLICT (blob) DO UPDATE SET meta = excluded.meta",
    )
    .bind(blob.to_string())
    .bind(meta.to_string())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn next_uid(tx: &mut sqlx::AnyConnection, mailbox_id: i64) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "UPDATE mailboxes SET uidnext = uidnext + 1 WHERE id = $1 RETURNING uidnext - 1",
    )
    .bind(mailbox_id)
    .fetch_one(&mut *tx)
    .await?)
}

/// Whether the account has room for `extra` more octets.
async fn has_room(tx: &mut sqlx::AnyConnection, account_id: i64, extra: i64) -> StoreResult<bool> {
    let row = sqlx::query("SELECT quota_bytes, used_bytes FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_one(&mut *tx)
        .await?;
    let quota: Option<i64> = row.try_get("quota_bytes")?;
    let used: i64 = row.try_get("used_bytes")?;
    Ok(quota.is_none_or(|q| used.saturating_add(extra) <= q))
}

impl Store {
    /// Creates a mailbox. Its UIDVALIDITY is above any the account has had
    /// in use, so a recreated name never reuses one.
    pub async fn create_mailbox(
        &self,
        account_id: i64,
        name: &str,
    ) -> StoreResult<Result<MailboxInfo, MailboxError>> {
        let mut tx = self.begin().await?;
        let exists: Option<i64> =
            sqlx::query_scalar("SELECT id FROM mailboxes WHERE account_id = $1 AND name = $2")
                .bind(account_id)
                .bind(name)
                .fetch_optional(&mut *tx)
                .await?;
        if exists.is_some() {
            return Ok(Err(MailboxError::AlreadyExists));
        }
        let now = super::now_ms();
        let uidvalidity = next_uidvalidity(&mut tx, account_id, now).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO mailboxes (account_id, name, special_use, uidvalidity, uidnext, subscribed, created_at) \
             VALUES ($1, $2, NULL, $3, 1, 0, $4) RETURNING id",
        )
        .bind(account_id)
        .bind(name)
        .bind(uidvalidity)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Ok(MailboxInfo {
            id,
            name: name.to_string(),
            special_use: None,
            uidvalidity,
            uidnext: 1,
            // CREATE does not subscribe (RFC 3501 6.3.3); clients do.
            subscribed: false,
            recent_uid: 0,
            highestmodseq: 1,
        }))
    }

    /// Deletes a mailbox and its messages (their size goes back to the quota).
    pub async fn delete_mailbox(
        &self,
        account_id: i64,
        name: &str,
    ) -> StoreResult<Result<(), MailboxError>> {
        if name.eq_ignore_ascii_case("INBOX") {
            return Ok(Err(MailboxError::NotAllowed("INBOX cannot be deleted")));
        }
        let mut tx = self.begin().await?;
        let Some(id) = sqlx::query_scalar::<_, i64>(
            "SELECT id FROM mailboxes WHERE account_id = $1 AND name = $2",
        )
        .bind(account_id)
        .bind(name)
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(Err(MailboxError::NotFound));
        };
        let children: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM mailboxes WHERE account_id = $1 AND name LIKE $2 ESCAPE '\\'",
        )
        .bind(account_id)
        .bind(format!(
            "{}/%",
            name.replace('%', "\\%").replace('_', "\\_")
        ))
        .fetch_one(&mut *tx)
        .await?;
        if children > 0 {
            return Ok(Err(MailboxError::NotAllowed(
                "mailbox has children; delete them first",
            )));
        }
        let freed: Option<i64> = sqlx::query_scalar(
            "SELECT CAST(SUM(size) AS BIGINT) FROM messages WHERE mailbox_id = $1",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM mailboxes WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE accounts SET used_bytes = CASE WHEN used_bytes > $1 THEN used_bytes - $1 ELSE 0 END WHERE id = $2")
            .bind(freed.unwrap_or(0))
            .bind(account_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Ok(()))
    }

    /// Renames a mailbox and its children. Renaming INBOX moves its messages
    /// into a new mailbox and leaves INBOX empty (RFC 3501 6.3.5).
    pub async fn rename_mailbox(
        &self,
        account_id: i64,
        from: &str,
        to: &str,
    ) -> StoreResult<Result<(), MailboxError>> {
        let mut tx = self.begin().await?;
        let target: Option<i64> =
            sqlx::query_scalar("SELECT id FROM mailboxes WHERE account_id = $1 AND name = $2")
                .bind(account_id)
                .bind(to)
                .fetch_optional(&mut *tx)
                .await?;
        if target.is_some() {
            return Ok(Err(MailboxError::AlreadyExists));
        }
        let Some(id) = sqlx::query_scalar::<_, i64>(
            "SELECT id FROM mailboxes WHERE account_id = $1 AND name = $2",
        )
        .bind(account_id)
        .bind(from)
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(Err(MailboxError::NotFound));
        };
        if from == "INBOX" {
            drop(tx);
            let created = match self.create_mailbox(account_id, to).await? {
                Ok(m) => m,
                Err(e) => return Ok(Err(e)),
            };
            let mut tx = self.begin().await?;
            let ids: Vec<i64> =
                sqlx::query_scalar("SELECT id FROM messages WHERE mailbox_id = $1 ORDER BY uid")
                    .bind(id)
                    .fetch_all(&mut *tx)
                    .await?;
            for message in ids {
                let uid = next_uid(&mut tx, created.id).await?;
                sqlx::query("UPDATE messages SET mailbox_id = $1, uid = $2 WHERE id = $3")
                    .bind(created.id)
                    .bind(uid)
                    .bind(message)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            return Ok(Ok(()));
        }
        sqlx::query("UPDATE mailboxes SET name = $1 WHERE id = $2")
            .bind(to)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let children: Vec<(i64, String)> = {
            let rows = sqlx::query(
                "SELECT id, name FROM mailboxes WHERE account_id = $1 AND name LIKE $2 ESCAPE '\\'",
            )
            .bind(account_id)
            .bind(format!(
                "{}/%",
                from.replace('%', "\\%").replace('_', "\\_")
            ))
            .fetch_all(&mut *tx)
            .await?;
            rows.iter()
                .map(|r| Ok((r.try_get("id")?, r.try_get("name")?)))
                .collect::<Result<_, sqlx::Error>>()?
        };
        for (child, name) in children {
            let renamed = format!("{to}{}", &name[from.len()..]);
            sqlx::query("UPDATE mailboxes SET name = $1 WHERE id = $2")
                .bind(renamed)
                .bind(child)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(Ok(()))
    }

    pub async fn set_subscribed(
        &self,
        account_id: i64,
        name: &str,
        subscribed: bool,
    ) -> StoreResult<bool> {
        let done =
            sqlx::query("UPDATE mailboxes SET subscribed = $1 WHERE account_id = $2 AND name = $3")
                .bind(i64::from(subscribed))
                .bind(account_id)
                .bind(name)
                .execute(&self.write)
                .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Moves messages (by id) to another mailbox of the same account, giving
    /// them new UIDs there; returns the new UIDs in the given order.
    pub async fn move_messages(&self, ids: &[i64], to_mailbox: i64) -> StoreResult<Vec<i64>> {
        let mut tx = self.begin().await?;
        let mut uids = Vec::with_capacity(ids.len());
        for id in ids {
            let uid = next_uid(&mut tx, to_mailbox).await?;
            sqlx::query("UPDATE messages SET mailbox_id = $1, uid = $2 WHERE id = $3")
                .bind(to_mailbox)
                .bind(uid)
                .bind(*id)
                .execute(&mut *tx)
                .await?;
            uids.push(uid);
        }
        tx.commit().await?;
        Ok(uids)
    }

    /// Precomputed message facts (JSON) by blob, for those that have them.
    pub async fn message_meta(
        &self,
        blobs: &[String],
    ) -> StoreResult<std::collections::HashMap<String, String>> {
        self.by_blob("SELECT blob, meta AS value FROM message_meta", blobs)
            .await
    }

    /// The stored search text of each of `blobs` that has one.
    pub async fn search_text(
        &self,
        blobs: &[String],
    ) -> StoreResult<std::collections::HashMap<String, String>> {
        self.by_blob("SELECT blob, text AS value FROM message_text", blobs)
            .await
    }

    /// `select` (naming `blob` and `value`) for each of `blobs`, a few
    /// hundred per statement.
    async fn by_blob(
        &self,
        select: &'static str,
        blobs: &[String],
    ) -> StoreResult<std::collections::HashMap<String, String>> {
        let mut out = std::collections::HashMap::with_capacity(blobs.len());
        for chunk in blobs.chunks(500) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!("{select} WHERE blob IN ({})", placeholders.join(", "));
            // Only placeholders are formatted in; the values are bound.
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for blob in chunk {
                query = query.bind(blob.clone());
            }
            for row in query.fetch_all(self.reader()).await? {
                out.insert(row.try_get("blob")?, row.try_get("value")?);
            }
        }
        Ok(out)
    }

    /// Stores search texts (identical content has identical text, so an
    /// existing row is kept).
    pub async fn put_search_text(&self, entries: &[(String, String)]) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        for (blob, text) in entries {
            sqlx::query(
                "INSERT INTO message_text (blob, text) VALUES ($1, $2) ON CONFLICT (blob) DO NOTHING",
            )
            .bind(blob.clone())
            .bind(text.clone())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Stores precomputed message facts (replacing older versions).
    pub async fn put_message_meta(&self, entries: &[(String, String)]) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        for (blob, meta) in entries {
            insert_meta(&mut tx, blob, meta).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Claims the \Recent messages of a mailbox up to `up_to` (a UID) for
    /// the calling session: returns the UID above which messages were still
    /// recent, and moves the mark, so no other session sees them as recent.
    pub(super) async fn claim_recent_in(
        &self,
        tx: &mut sqlx::AnyConnection,
        mailbox_id: i64,
        up_to: i64,
    ) -> StoreResult<i64> {
        let sql = format!(
            "SELECT recent_uid FROM mailboxes WHERE id = $1{}",
            self.sql("", " FOR UPDATE")
        );
        let before: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(mailbox_id)
            .fetch_optional(&mut *tx)
            .await?;
        let before = before.unwrap_or(up_to);
        if up_to > before {
            sqlx::query("UPDATE mailboxes SET recent_uid = $1 WHERE id = $2")
                .bind(up_to)
                .bind(mailbox_id)
                .execute(&mut *tx)
                .await?;
        }
        Ok(before)
    }

    /// Applies a STORE to the flags each message has *now*, not to a
    /// session's copy of them, so that two sessions changing different
    /// flags of one message both take effect. Runs in the caller's
    /// transaction: the rows are locked on PostgreSQL, and SQLite has one
    /// writer. With `unchanged_since` (CONDSTORE), messages changed after
    /// that mod-sequence are left alone and listed in `modified`.
    pub(super) async fn change_flags_in(
        &self,
        tx: &mut sqlx::AnyConnection,
        ids: &[i64],
        op: FlagOp,
        given: &[String],
        unchanged_since: Option<i64>,
    ) -> StoreResult<FlagChanges> {
        let mut out = FlagChanges::default();
        for chunk in ids.chunks(500) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT id, flags, modseq FROM messages WHERE id IN ({}){}",
                placeholders.join(", "),
                self.sql("", " FOR UPDATE")
            );
            // Only placeholders are formatted in; the values are bound.
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                query = query.bind(*id);
            }
            for row in query.fetch_all(&mut *tx).await? {
                let id: i64 = row.try_get("id")?;
                let current: String = row.try_get("flags")?;
                let mut modseq: i64 = row.try_get("modseq")?;
                if unchanged_since.is_some_and(|u| modseq > u) {
                    out.modified.push(id);
                    out.now.push((id, current, modseq));
                    continue;
                }
                let next = op.apply(&current, given);
                if next != current || unchanged_since.is_some() {
                    // UNCHANGEDSINCE stores even an unchanged value: the
                    // new mod-sequence tells the client its store won.
                    sqlx::query("UPDATE messages SET flags = $1 WHERE id = $2")
                        .bind(next.clone())
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    modseq = sqlx::query_scalar("SELECT modseq FROM messages WHERE id = $1")
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await?;
                }
                out.now.push((id, next, modseq));
            }
        }
        Ok(out)
    }
}
