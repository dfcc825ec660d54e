//! POP3 line framing: no line longer than its limit is ever returned or
//! held, and the split of the bytes across reads never changes the lines.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart::pop3::framing::{Line, LineReader, MAX_AUTH_LINE, MAX_COMMAND_LINE};

fn lines(data: &[u8], split: usize, max: usize) -> Vec<Line> {
    let mut reader = LineReader::default();
    let mut out = Vec::new();
    for chunk in data.chunks(split) {
        let mut input = chunk.iter();
        while let Some(line) = reader.next(&mut input, max) {
            if let Line::Complete(l) = &line {
                assert!(l.len() + 1 <= max, "a line of {} octets passed", l.len());
                assert!(!l.contains(&b'\n'));
            }
            out.push(line);
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, data)) = data.split_first() else {
        return;
    };
    let max = if first & 0x80 != 0 {
        MAX_AUTH_LINE
    } else {
        MAX_COMMAND_LINE
    };
    let whole = lines(data, data.len().max(1), max);
    assert_eq!(whole, lines(data, usize::from(first & 0x3f) + 1, max));
});
