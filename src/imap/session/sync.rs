//! Keeping a session's snapshot in step with the mailbox: the changes
//! other sessions made (EXPUNGE or VANISHED, FETCH FLAGS, EXISTS) and
//! QRESYNC's report at SELECT.

use super::*;

impl Session {
    /// Brings the snapshot up to date and reports the differences:
    /// EXPUNGE (when allowed), FETCH FLAGS, EXISTS.
    pub async fn sync(&mut self, out: &mut Out, allow_expunge: bool) {
        let (condstore, qresync, rev2) = (self.condstore, self.qresync, self.rev2);
        let Some(selected) = &mut self.selected else {
            return;
        };
        // One small read answers "anything new?" for the common case.
        let highest = match self.state.store.highest_modseq(selected.mailbox.id).await {
            Ok(Some(h)) => h,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "IMAP sync failed");
                return;
            }
        };
        let mut rows = Vec::new();
        if highest != selected.highestmodseq {
            let changes = match self
                .state
                .store
                .changes_since(selected.mailbox.id, selected.highestmodseq)
                .await
            {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "IMAP sync failed");
                    return;
                }
            };
            for uid in changes.gone(selected.msgs.iter().map(|m| m.uid)) {
                if !selected.pending_expunge.contains(&uid) {
                    selected.pending_expunge.push(uid);
                }
            }
            selected.highestmodseq = highest;
            rows = changes.changed;
        }
        if allow_expunge && !selected.pending_expunge.is_empty() {
            let gone = std::mem::take(&mut selected.pending_expunge);
            report_expunged(selected, &gone, qresync, out);
        }
        let by_uid: HashMap<u32, &MessageRow> = rows.iter().map(|r| (r.uid as u32, r)).collect();
        let mut changed = Vec::new();
        for (i, m) in selected.msgs.iter_mut().enumerate() {
            if let Some(row) = by_uid.get(&m.uid) {
                let flags = parse_flags(&row.flags);
                let modseq_moved = condstore && row.modseq != m.modseq;
                m.modseq = row.modseq;
                if flags != m.flags || modseq_moved {
                    m.flags = flags;
                    changed.push(i);
                }
            }
        }
        selected.announce_flags(out, false);
        for i in changed {
            let m = &selected.msgs[i];
            let mut items = vec![
                MessageDataItem::Uid(nz(m.uid)),
                MessageDataItem::Flags(fetch::flags(&m.flags, m.recent)),
            ];
            if condstore {
                items.push(MessageDataItem::ModSeq(modseq_nz(m.modseq)));
            }
            if let Ok(items) = Vec1::try_from(items) {
                out.data(Data::Fetch {
                    seq: nz(i as u32 + 1),
                    items,
                });
            }
        }
        let last = selected.msgs.last().map(|m| m.uid).unwrap_or(0);
        let before = selected.msgs.len();
        selected
            .msgs
            .extend(rows.iter().filter(|r| r.uid as u32 > last).map(to_msg));
        if selected.msgs.len() != before {
            selected.announce_flags(out, false);
            out.data(Data::Exists(selected.msgs.len() as u32));
            // IMAP4rev2 has no \Recent (RFC 9051 E.1).
            if rev2 {
                return;
            }
            // New arrivals are \Recent here if no other session took them.
            let newest = selected.msgs.last().map(|m| i64::from(m.uid)).unwrap_or(0);
            let recent_above = match selected.read_only {
                true => Ok(selected.mailbox.recent_uid),
                false => {
                    self.state
                        .committer
                        .claim_recent(selected.mailbox.id, newest)
                        .await
                }
            };
            match recent_above {
                Ok(above) => {
                    for m in &mut selected.msgs[before..] {
                        m.recent = i64::from(m.uid) > above;
                    }
                }
                Err(e) => tracing::warn!(error = %e, "claiming \\Recent failed"),
            }
            let recent = selected.msgs.iter().filter(|m| m.recent).count() as u32;
            out.data(Data::Recent(recent));
        }
    }

    /// SELECT with QRESYNC (RFC 7162 3.2.5): what the client's cache is
    /// missing since `since`: the UIDs expunged (VANISHED (EARLIER), within
    /// `known` when given) and the messages changed (FETCH with MODSEQ).
    pub(super) async fn qresync_report(
        &self,
        selected: &mut Selected,
        since: i64,
        known: Option<&SequenceSet>,
        out: &mut Out,
    ) {
        let changes = match self
            .state
            .store
            .changes_since(selected.mailbox.id, since)
            .await
        {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "QRESYNC: reading changes failed");
                return;
            }
        };
        let vanished = vanished_within(&changes, known, selected.mailbox.uidnext);
        if let Some(set) = uid_sequence(&vanished) {
            out.data(Data::Vanished {
                earlier: true,
                known_uids: set,
            });
        }
        let changed = changes.changed;
        let changed: std::collections::HashSet<u32> =
            changed.iter().map(|r| r.uid as u32).collect();
        for (i, m) in selected.msgs.iter().enumerate() {
            if !changed.contains(&m.uid) {
                continue;
            }
            let items = vec![
                MessageDataItem::Uid(nz(m.uid)),
                MessageDataItem::Flags(fetch::flags(&m.flags, m.recent)),
                MessageDataItem::ModSeq(modseq_nz(m.modseq)),
            ];
            if let Ok(items) = Vec1::try_from(items) {
                out.data(Data::Fetch {
                    seq: nz(i as u32 + 1),
                    items,
                });
            }
        }
    }
}

/// The UIDs to report in VANISHED (EARLIER): the tombstones within `known`
/// (every UID when it is absent) — or, when the tombstones were pruned, every
/// UID below `uidnext` within `known` that is not a message now (RFC 7162
/// 3.2.10: the client ignores UIDs it never had).
pub(super) fn vanished_within(
    changes: &Changes,
    known: Option<&SequenceSet>,
    uidnext: i64,
) -> Vec<u32> {
    let below = u32::try_from(uidnext.saturating_sub(1)).unwrap_or(u32::MAX);
    let candidates: Vec<u32> = match &changes.tombstones {
        Some(t) => t.clone(),
        None => (1..=below).collect(),
    };
    let mut gone = changes.gone(candidates);
    gone.sort_unstable();
    gone.dedup();
    if let Some(known) = known {
        let keep: Vec<usize> = resolve(known, &gone, true);
        gone = keep.into_iter().map(|i| gone[i]).collect();
    }
    gone
}
