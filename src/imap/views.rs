//! Each mailbox's message list as of a mod-sequence, shared by this node's
//! sessions: SELECT copies it, after reading only what changed since it was
//! taken (`changes_since`), instead of decoding every row of a large
//! mailbox. A view is only a starting point: the session's own snapshot is
//! kept in step by `sync` as before, and a view older than the mailbox is
//! brought forward from the database, so views are safe with several nodes.

use std::collections::HashSet;
use std::sync::Arc;

use super::fetch::Msg;
use crate::store::mailboxes::{MailboxInfo, MessageRow};
use crate::store::{Store, StoreResult};

/// Bytes a message of a view takes, for the cache's bound (the blob name,
/// a few flags and the fixed fields).
const MSG_WEIGHT: u32 = 192;

struct View {
    /// The mailbox's HIGHESTMODSEQ read before the rows were: every change
    /// up to it is in `msgs` (later ones may be too; reapplying is harmless).
    modseq: i64,
    msgs: Arc<Vec<Msg>>,
}

#[derive(Clone)]
pub struct Views {
    inner: moka::sync::Cache<i64, Arc<View>>,
}

impl Views {
    pub fn new(max_bytes: u64) -> Self {
        Self {
            inner: moka::sync::Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|_, v: &Arc<View>| {
                    u32::try_from(v.msgs.len())
                        .unwrap_or(u32::MAX)
                        .saturating_mul(MSG_WEIGHT)
                        .max(1)
                })
                .build(),
        }
    }

    /// The messages of `mailbox` (none \Recent yet), as of at least the
    /// mod-sequence `mailbox` was read at: a session's own copy.
    pub async fn messages(&self, store: &Store, mailbox: &MailboxInfo) -> StoreResult<Vec<Msg>> {
        Ok(self.shared(store, mailbox).await?.as_ref().clone())
    }

    /// The same list, shared and read-only: for answers that only count
    /// (STATUS, LIST-STATUS), without copying it.
    pub async fn shared(&self, store: &Store, mailbox: &MailboxInfo) -> StoreResult<Arc<Vec<Msg>>> {
        let msgs = match self.inner.get(&mailbox.id) {
            Some(view) if view.modseq >= mailbox.highestmodseq => return Ok(view.msgs.clone()),
            Some(view) => {
                let changes = store.changes_since(mailbox.id, view.modseq).await?;
                let gone = changes.gone(view.msgs.iter().map(|m| m.uid));
                let mut msgs = view.msgs.as_ref().clone();
                apply(&mut msgs, &changes.changed, &gone);
                Arc::new(msgs)
            }
            None => Arc::new(
                store
                    .messages(mailbox.id)
                    .await?
                    .iter()
                    .map(to_msg)
                    .collect(),
            ),
        };
        self.inner.insert(
            mailbox.id,
            Arc::new(View {
                modseq: mailbox.highestmodseq,
                msgs: msgs.clone(),
            }),
        );
        Ok(msgs)
    }
}

/// Brings a UID-ordered list forward: messages removed, flags changed and
/// messages added since the list was taken.
fn apply(msgs: &mut Vec<Msg>, changed: &[MessageRow], gone: &[u32]) {
    if !gone.is_empty() {
        let gone: HashSet<u32> = gone.iter().copied().collect();
        msgs.retain(|m| !gone.contains(&m.uid));
    }
    for row in changed {
        let uid = row.uid as u32;
        match msgs.binary_search_by_key(&uid, |m| m.uid) {
            Ok(i) => {
                msgs[i].flags = parse_flags(&row.flags);
                msgs[i].modseq = row.modseq;
            }
            Err(i) => msgs.insert(i, to_msg(row)),
        }
    }
}

pub(super) fn parse_flags(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_string).collect()
}

pub(super) fn to_msg(row: &MessageRow) -> Msg {
    Msg {
        id: row.id,
        uid: row.uid as u32,
        flags: parse_flags(&row.flags),
        recent: false,
        modseq: row.modseq,
        size: row.size as u32,
        blob: row.blob.clone(),
        internal_date_ms: row.internal_date_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(uid: i64, flags: &str, modseq: i64) -> MessageRow {
        MessageRow {
            id: uid * 10,
            uid,
            blob: format!("b{uid}"),
            size: 1,
            flags: flags.into(),
            internal_date_ms: 0,
            modseq,
        }
    }

    #[test]
    fn applies_removals_changes_and_arrivals_in_uid_order() {
        let mut msgs: Vec<Msg> = [row(1, "", 1), row(3, "", 2), row(5, "", 3)]
            .iter()
            .map(to_msg)
            .collect();
        apply(
            &mut msgs,
            &[row(3, "\\Seen", 7), row(4, "", 8), row(9, "", 9)],
            &[1, 2],
        );
        let uids: Vec<u32> = msgs.iter().map(|m| m.uid).collect();
        assert_eq!(uids, vec![3, 4, 5, 9]);
        assert_eq!(msgs[0].flags, vec!["\\Seen".to_string()]);
        assert_eq!(msgs[0].modseq, 7);
    }
}
