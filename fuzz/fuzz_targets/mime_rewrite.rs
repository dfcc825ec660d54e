//! The MIME rewrite of attachment linking: whatever the message, finding
//! attachments terminates, their ranges lie inside the message in order
//! without overlapping, and splicing notices in leaves every byte outside
//! those ranges exactly as it was.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart::attachments::rewrite::{find, splice};

fuzz_target!(|data: &[u8]| {
    let Ok(candidates) = find(data, 1) else {
        return;
    };
    let mut end = 0;
    let mut replacements = Vec::new();
    for c in &candidates {
        assert!(
            c.range.start >= end && c.range.end <= data.len(),
            "{:?}",
            c.range
        );
        assert!(c.range.start <= c.range.end);
        end = c.range.end;
        replacements.push((c.range.clone(), b"[notice]".to_vec()));
    }
    let out = splice(data, replacements);
    // Rebuild the original from the output: what is between notices must
    // be the original's bytes.
    let mut at_in = 0;
    let mut at_out = 0;
    for c in &candidates {
        let keep = c.range.start - at_in;
        assert_eq!(out[at_out..at_out + keep], data[at_in..c.range.start]);
        at_out += keep;
        assert_eq!(&out[at_out..at_out + 8], b"[notice]");
        at_out += 8;
        at_in = c.range.end;
    }
    assert_eq!(out[at_out..], data[at_in..]);
});
