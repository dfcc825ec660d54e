//! The selected mailbox as one session knows it: its snapshot of messages,
//! the keywords announced so far, the mod-sequence it reflects and the
//! removals not yet reported, with the responses that keep a client's view
//! in step (FLAGS, EXPUNGE or VANISHED).

use std::num::{NonZeroU32, NonZeroU64};

use imap_codec::imap_types::IntoStatic;
use imap_codec::imap_types::command::CommandBody;
use imap_codec::imap_types::core::Vec1;
use imap_codec::imap_types::flag::{Flag, FlagPerm};
use imap_codec::imap_types::response::{Code, Data};
use imap_codec::imap_types::search::SearchKey;
use imap_codec::imap_types::sequence::{SeqOrUid, Sequence, SequenceSet};

use super::extended::SAVED;
use super::fetch::Msg;
use super::out::Out;
use crate::store::mailboxes::MailboxInfo;

/// A selected mailbox as this session knows it.
pub(super) struct Selected {
    pub(super) mailbox: MailboxInfo,
    pub(super) read_only: bool,
    pub(super) msgs: Vec<Msg>,
    /// Keywords announced in FLAGS so far (RFC 3501 7.2.6: a client learns
    /// of new ones by an untagged FLAGS before they appear in a FETCH).
    pub(super) keywords: Vec<String>,
    /// The mailbox mod-sequence this snapshot reflects.
    pub(super) highestmodseq: i64,
    /// UIDs removed by others, not yet reported (no EXPUNGE while
    /// answering FETCH, STORE or SEARCH).
    pub(super) pending_expunge: Vec<u32>,
    /// The saved search result `$` (RFC 5182), as UIDs: what a SEARCH
    /// RETURN (SAVE) found. Reset by selecting; expunged messages drop out
    /// because `$` is resolved by UID against the snapshot.
    pub(super) saved: Vec<u32>,
}

/// Puts the saved search result where a command said `$` (written as
/// [`SAVED`] by `extended::split`). Commands by sequence number become
/// their UID form: the saved result is a set of messages, not of numbers,
/// and a UID form answers the same (with UIDs added, which RFC 3501 7.4.2
/// allows).
pub(super) fn put_saved(body: &mut CommandBody<'_>, saved: &[u32]) {
    let set = saved_set(saved);
    match body {
        CommandBody::Fetch {
            sequence_set, uid, ..
        }
        | CommandBody::Store {
            sequence_set, uid, ..
        }
        | CommandBody::Copy {
            sequence_set, uid, ..
        }
        | CommandBody::Move {
            sequence_set, uid, ..
        } if is_saved(sequence_set) => {
            *sequence_set = set;
            *uid = true;
        }
        CommandBody::ExpungeUid { sequence_set } if is_saved(sequence_set) => *sequence_set = set,
        CommandBody::Search { criteria, .. } => {
            let keys: Vec<SearchKey<'_>> = criteria
                .clone()
                .into_iter()
                .map(|k| with_saved(k, &set))
                .collect();
            if let Ok(keys) = Vec1::try_from(keys) {
                *criteria = keys;
            }
        }
        _ => {}
    }
}

/// Whether a set is the `$` marker `extended::split` wrote.
fn is_saved(set: &SequenceSet) -> bool {
    matches!(
        set.0.as_ref(),
        [Sequence::Single(SeqOrUid::Value(n))] if n.get() == SAVED
    )
}

/// A search key with every `$` in it (at any depth) replaced by `set`.
fn with_saved<'a>(key: SearchKey<'a>, set: &SequenceSet) -> SearchKey<'a> {
    match key {
        SearchKey::SequenceSet(s) | SearchKey::Uid(s) if is_saved(&s) => {
            SearchKey::Uid(set.clone())
        }
        SearchKey::And(keys) => {
            let inner: Vec<SearchKey<'a>> = keys
                .clone()
                .into_iter()
                .map(|k| with_saved(k, set))
                .collect();
            Vec1::try_from(inner).map_or(SearchKey::And(keys), SearchKey::And)
        }
        SearchKey::Not(k) => SearchKey::Not(Box::new(with_saved(*k, set))),
        SearchKey::Or(a, b) => {
            SearchKey::Or(Box::new(with_saved(*a, set)), Box::new(with_saved(*b, set)))
        }
        other => other,
    }
}

/// The saved UIDs as a set; an empty result as a UID no message has.
fn saved_set(saved: &[u32]) -> SequenceSet {
    uid_sequence(saved).unwrap_or_else(|| {
        SequenceSet::try_from(SAVED.to_string().as_str()).expect("a number is a set")
    })
}

impl Selected {
    pub(super) fn uids(&self) -> Vec<u32> {
        self.msgs.iter().map(|m| m.uid).collect()
    }

    /// The blobs of the messages at these snapshot indices.
    pub(super) fn blobs(&self, indices: &[usize]) -> Vec<&str> {
        indices
            .iter()
            .map(|i| self.msgs[*i].blob.as_str())
            .collect()
    }

    /// Keywords in use that were not announced yet.
    pub(super) fn unannounced(&self) -> Vec<String> {
        let mut new: Vec<String> = Vec::new();
        for f in self.msgs.iter().flat_map(|m| &m.flags) {
            let known = |list: &[String]| list.iter().any(|k| k.eq_ignore_ascii_case(f));
            if !f.starts_with('\\') && !known(&self.keywords) && !known(&new) {
                new.push(f.clone());
            }
        }
        new
    }

    /// Sends FLAGS and PERMANENTFLAGS naming every keyword in use, when
    /// some were not announced yet (or always, with `force`).
    pub(super) fn announce_flags(&mut self, out: &mut Out, force: bool) {
        let new = self.unannounced();
        if new.is_empty() && !force {
            return;
        }
        self.keywords.extend(new);
        let flags: Vec<Flag<'static>> = SYSTEM_FLAGS
            .iter()
            .map(|f| f.to_string())
            .chain(self.keywords.iter().cloned())
            .filter_map(|f| Flag::try_from(f.as_str()).ok().map(|f| f.into_static()))
            .collect();
        out.data(Data::Flags(flags.clone()));
        let mut permanent: Vec<FlagPerm<'static>> = Vec::new();
        if !self.read_only {
            permanent = flags.into_iter().map(FlagPerm::Flag).collect();
            permanent.push(FlagPerm::Asterisk);
        }
        out.ok(
            None,
            Some(Code::PermanentFlags(permanent)),
            "Flags permitted",
        );
    }
}

pub(super) fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

pub(super) fn modseq_nz(modseq: i64) -> NonZeroU64 {
    NonZeroU64::new(modseq.max(1) as u64).unwrap_or(NonZeroU64::MIN)
}

/// UIDs as a compact sequence set (`1:3,7`), for VANISHED and MODIFIED.
pub(super) fn uid_sequence(uids: &[u32]) -> Option<SequenceSet> {
    SequenceSet::try_from(ranges_text(uids).as_str()).ok()
}

/// Numbers as compact sequence-set text (`1:3,7`), ascending, without
/// repeats; empty for none.
pub(super) fn ranges_text(numbers: &[u32]) -> String {
    let mut sorted = numbers.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        parts.push(match start == end {
            true => start.to_string(),
            false => format!("{start}:{end}"),
        });
        i += 1;
    }
    parts.join(",")
}

/// Removes messages other sessions expunged from the snapshot and says so:
/// `* n EXPUNGE` each (highest first, so each number is right when sent),
/// or one `* VANISHED` with their UIDs under QRESYNC (RFC 7162 3.2.10).
pub(super) fn report_expunged(selected: &mut Selected, uids: &[u32], qresync: bool, out: &mut Out) {
    let mut removed = Vec::new();
    for i in (0..selected.msgs.len()).rev() {
        if uids.contains(&selected.msgs[i].uid) {
            let m = selected.msgs.remove(i);
            removed.push(m.uid);
            if !qresync {
                out.data(Data::Expunge(nz(i as u32 + 1)));
            }
        }
    }
    if qresync && let Some(set) = uid_sequence(&removed) {
        out.data(Data::Vanished {
            earlier: false,
            known_uids: set,
        });
    }
}

pub(super) const SYSTEM_FLAGS: [&str; 5] =
    ["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"];
