//! The POP3 session behind the line limits (over TLS), with the real store
//! and the fuzz account: every reply starts with +OK or -ERR (or is a SASL
//! continuation), multi-line replies end with the terminating dot, and
//! the session never panics.
#![no_main]

#[path = "common/mod.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use rampart::pop3::framing::{Line, LineReader, MAX_AUTH_LINE, MAX_COMMAND_LINE};
use rampart::pop3::session::{After, Session};

fuzz_target!(|data: &[u8]| {
    let Some((&first, data)) = data.split_first() else {
        return;
    };
    let h = common::harness();
    h.rt.block_on(async {
        let mut session = Session::new(h.state.clone(), common::peer(first), true);
        let mut reader = LineReader::default();
        let mut input = data.iter();
        let mut auth_line = false;
        loop {
            let max = if auth_line { MAX_AUTH_LINE } else { MAX_COMMAND_LINE };
            let line = match reader.next(&mut input, max) {
                None | Some(Line::TooLong) => break,
                Some(Line::Complete(line)) => line,
            };
            let (reply, after) = session.handle(&String::from_utf8_lossy(&line)).await;
            let text = String::from_utf8_lossy(&reply);
            assert!(
                text.starts_with("+OK") || text.starts_with("-ERR") || text.starts_with("+ "),
                "{text:?}"
            );
            assert!(text.ends_with("\r\n"), "{text:?}");
            auth_line = after == After::ExpectAuthLine;
            if matches!(after, After::Close | After::StartTls) {
                break;
            }
        }
    });
});
