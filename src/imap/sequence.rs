//! Sequence sets against a mailbox snapshot. imap-types' own iterator does
//! not clamp to the mailbox and would walk four billion UIDs for `1:*`, so
//! ranges are matched against the messages that exist instead.

use std::collections::BTreeSet;
use std::num::NonZeroU32;

use imap_codec::imap_types::sequence::{Sequence, SequenceSet};

/// 0-based indices of the messages `set` names, ascending. `uids` holds the
/// UID of each message in sequence order; `by_uid` picks the numbering.
pub fn resolve(set: &SequenceSet, uids: &[u32], by_uid: bool) -> Vec<usize> {
    let largest = if by_uid {
        uids.last().copied().unwrap_or(0)
    } else {
        uids.len() as u32
    };
    let Some(largest) = NonZeroU32::new(largest) else {
        return Vec::new();
    };
    let mut out = BTreeSet::new();
    for sequence in set.0.as_ref() {
        let (lo, hi) = match sequence {
            Sequence::Single(v) => {
                let v = v.expand(largest).get();
                (v, v)
            }
            Sequence::Range(a, b) => {
                let (a, b) = (a.expand(largest).get(), b.expand(largest).get());
                (a.min(b), a.max(b))
            }
        };
        if by_uid {
            let start = uids.partition_point(|u| *u < lo);
            let end = uids.partition_point(|u| *u <= hi);
            out.extend(start..end);
        } else {
            let hi = hi.min(uids.len() as u32);
            if lo <= hi {
                out.extend((lo as usize - 1)..(hi as usize));
            }
        }
    }
    out.into_iter().collect()
}

/// Whether `set` names `value` (a sequence number or UID) when `*` stands
/// for `largest`: a per-message test for SEARCH, without listing the set.
pub fn contains(set: &SequenceSet, value: u32, largest: u32) -> bool {
    let Some(largest) = NonZeroU32::new(largest) else {
        return false;
    };
    set.0.as_ref().iter().any(|sequence| match sequence {
        Sequence::Single(v) => v.expand(largest).get() == value,
        Sequence::Range(a, b) => {
            let (a, b) = (a.expand(largest).get(), b.expand(largest).get());
            (a.min(b)..=a.max(b)).contains(&value)
        }
    })
}

/// Whether a message sequence set names a number past the last message
/// (`*` never does): RFC 3501 9 has the server answer BAD.
pub fn beyond(set: &SequenceSet, count: usize) -> bool {
    use imap_codec::imap_types::sequence::SeqOrUid;
    let past = |v: &SeqOrUid| matches!(v, SeqOrUid::Value(n) if n.get() as usize > count);
    set.0.as_ref().iter().any(|s| match s {
        Sequence::Single(v) => past(v),
        Sequence::Range(a, b) => past(a) || past(b),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(s: &str) -> SequenceSet {
        SequenceSet::try_from(s).unwrap()
    }

    #[test]
    fn resolves_without_walking_the_number_space() {
        let uids = [3, 7, 9, 20];
        assert_eq!(resolve(&set("1:*"), &uids, true), vec![0, 1, 2, 3]);
        assert_eq!(resolve(&set("1:4294967295"), &uids, true), vec![0, 1, 2, 3]);
        assert_eq!(resolve(&set("8:10"), &uids, true), vec![2]);
        assert_eq!(
            resolve(&set("30:*"), &uids, true),
            vec![3],
            "n:* with n past the last UID is the last"
        );
        assert_eq!(resolve(&set("2,4:*"), &uids, false), vec![1, 3]);
        assert_eq!(resolve(&set("5:9"), &uids, false), Vec::<usize>::new());
        assert_eq!(resolve(&set("*"), &[], false), Vec::<usize>::new());
        assert_eq!(resolve(&set("3:1"), &uids, false), vec![0, 1, 2]);
    }

    #[test]
    fn contains_agrees_with_resolve() {
        let uids = [3, 7, 9, 20];
        for text in ["1:*", "8:10", "30:*", "2,4:*", "5:9", "*", "3:1", "7", "21"] {
            for by_uid in [true, false] {
                let listed = resolve(&set(text), &uids, by_uid);
                let largest = if by_uid { 20 } else { uids.len() as u32 };
                for (i, uid) in uids.iter().enumerate() {
                    let value = if by_uid { *uid } else { i as u32 + 1 };
                    assert_eq!(
                        contains(&set(text), value, largest),
                        listed.contains(&i),
                        "{text} by_uid={by_uid} message {i}"
                    );
                }
            }
        }
    }
}
