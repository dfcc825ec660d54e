//! The SMTP session state machine behind the framer, as the connection
//! drives it (MX or submission over TLS, chosen by the first byte), with
//! the real store: deliveries, relay and sender rules, AUTH (the fuzz
//! account's password is in the seeds). Checks that every reply is a
//! well-formed SMTP reply and the session ends when it says so.
#![no_main]

#[path = "common/mod.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use rampart::smtp::ListenerKind;
use rampart::smtp::framing::Framer;
use rampart::smtp::session::{After, Session, TlsInfo};

fuzz_target!(|data: &[u8]| {
    let Some((&first, data)) = data.split_first() else {
        return;
    };
    let h = common::harness();
    let (kind, tls) = match first & 1 {
        0 => (ListenerKind::Mx, None),
        _ => (
            ListenerKind::Submission,
            Some(TlsInfo {
                description: "using TLSv1.3 (fuzz)".into(),
            }),
        ),
    };
    h.rt.block_on(async {
        let state = h.state.clone();
        let mut session = Session::new(
            state.clone(),
            state.committer.clone(),
            kind,
            common::peer(first),
            tls,
        )
        .await;
        let mut framer = Framer::new(state.config.smtp.max_message_size as usize);
        let mut input = data.iter();
        while let Some(frame) = framer.next(&mut input) {
            let (reply, after) = session.handle(frame).await;
            let mut wire = Vec::new();
            reply.write_to(&mut wire);
            let text = String::from_utf8(wire).expect("replies are UTF-8");
            assert!(text.ends_with("\r\n"), "{text:?}");
            for line in text.trim_end().split("\r\n") {
                let code: u16 = line.get(..3).and_then(|c| c.parse().ok()).expect("a code");
                assert!((200..600).contains(&code), "{line:?}");
            }
            match after {
                After::Continue => {}
                After::ExpectData => framer.expect_data(),
                After::ExpectAuthLine => framer.expect_auth_line(),
                After::Close | After::StartTls => break,
            }
        }
    });
});
