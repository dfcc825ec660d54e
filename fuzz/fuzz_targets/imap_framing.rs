//! IMAP input: bytes → messages within the limits of the session's state,
//! each complete message decoded with imap-codec's command codec (as the
//! connection does). Checks that the buffered bytes never exceed the
//! limits, that a refused literal is never taken in, and that the split of
//! the bytes across reads never changes the outcome.
#![no_main]

use imap_codec::CommandCodec;
use imap_codec::fragmentizer::DecodeMessageError;
use libfuzzer_sys::fuzz_target;
use rampart::imap::framing::{Event, Limits, Reader};

fn run(data: &[u8], split: usize, authenticated: bool) -> Vec<String> {
    let after = Limits::after_login(64 * 1024);
    let limits = if authenticated {
        after
    } else {
        Limits::before_login()
    };
    let mut reader = Reader::new(limits, after);
    let mut out = Vec::new();
    for chunk in data.chunks(split) {
        reader.enqueue(chunk);
        while let Some(event) = reader.next_event() {
            // What is held never grows past the limit plus the last read.
            assert!(reader.fragmentizer().message_bytes().len() <= limits.message + split);
            let decoded = match &event {
                Event::Message => match reader
                    .fragmentizer()
                    .decode_message(&CommandCodec::default())
                {
                    Ok(command) => format!("{:?}", command.body.name()),
                    Err(DecodeMessageError::DecodingFailure(_)) => "bad".into(),
                    Err(e) => format!("{e:?}"),
                },
                Event::Literal { length, .. } => {
                    assert!(*length as usize <= limits.literal);
                    String::new()
                }
                _ => String::new(),
            };
            out.push(format!("{event:?} {decoded}"));
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, data)) = data.split_first() else {
        return;
    };
    let authenticated = first & 0x80 != 0;
    let split = usize::from(first & 0x3f) + 1;
    let whole = run(data, data.len().max(1), authenticated);
    assert_eq!(whole, run(data, split, authenticated));
});
