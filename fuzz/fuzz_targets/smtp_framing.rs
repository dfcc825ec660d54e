//! SMTP framing: bytes → command lines, DATA bodies, BDAT chunks and SASL
//! lines, driven the way the session drives it. Checks that no frame is
//! larger than its limit and that how the bytes are split across reads
//! never changes the frames.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart::smtp::framing::{Frame, Framer, MAX_AUTH_LINE, MAX_COMMAND_LINE};
use smtp_proto::Request;

const MAX_MESSAGE: usize = 4096;

fn frames(data: &[u8], split: usize) -> Vec<String> {
    let mut framer = Framer::new(MAX_MESSAGE);
    let mut out = Vec::new();
    let mut sasl = false;
    for chunk in data.chunks(split) {
        let mut input = chunk.iter();
        while let Some(frame) = framer.next(&mut input) {
            sasl = false;
            match &frame {
                Frame::Command(Request::Data) => framer.expect_data(),
                Frame::Command(Request::Auth { .. }) => {
                    framer.expect_auth_line();
                    sasl = true;
                }
                Frame::Command(Request::StartTls) => framer.reset(),
                Frame::Message(body) => assert!(body.len() <= MAX_MESSAGE + 2),
                Frame::Chunk { data, .. } => assert!(data.len() <= MAX_MESSAGE),
                Frame::AuthLine(line) => assert!(line.len() <= 4096),
                _ => {}
            }
            out.push(format!("{frame:?}"));
        }
        // A partial command (or SASL) line is never held past its limit.
        let limit = if sasl {
            MAX_AUTH_LINE
        } else {
            MAX_COMMAND_LINE
        };
        assert!(framer.buffered_line() < limit);
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&split, data)) = data.split_first() else {
        return;
    };
    let whole = frames(data, data.len().max(1));
    let split = frames(data, usize::from(split % 64) + 1);
    assert_eq!(whole, split);
});
