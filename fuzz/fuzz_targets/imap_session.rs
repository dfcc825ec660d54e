//! The IMAP session behind the input limits, as the connection drives it
//! (over TLS, so LOGIN is allowed), with the real store: login with the
//! fuzz account, mailboxes, APPEND, FETCH, SEARCH, STORE, COPY/MOVE,
//! EXPUNGE, CONDSTORE, ESEARCH and LIST-STATUS. Checks that every response encodes, that every
//! tagged command gets exactly one tagged reply, and that the session never
//! panics whatever the order of commands.
#![no_main]

#[path = "common/mod.rs"]
mod common;

use imap_codec::CommandCodec;
use imap_codec::decode::Decoder;
use imap_codec::imap_types::IntoStatic;
use libfuzzer_sys::fuzz_target;
use rampart::imap::extended::{self, Extra};
use rampart::imap::framing::{Event, Limits, Reader};
use rampart::imap::session::{After, Out, Session};

fuzz_target!(|data: &[u8]| {
    let Some((&first, data)) = data.split_first() else {
        return;
    };
    let h = common::harness();
    h.rt.block_on(async {
        let state = h.state.clone();
        let mut session = Session::new(state.clone(), common::peer(first), true);
        let after_login = Limits::after_login(1 << 20);
        let mut reader = Reader::new(Limits::before_login(), after_login);
        reader.enqueue(data);
        let mut out = Out::new();
        loop {
            reader.set_limits(match session.account_id_if_authed() {
                Some(_) => after_login,
                None => Limits::before_login(),
            });
            let Some(event) = reader.next_event() else { break };
            match event {
                Event::Message => {}
                Event::Fatal { .. } => break,
                _ => continue,
            }
            // As the connection does: extension syntax split off first.
            let frag = reader.fragmentizer();
            let Ok((bytes, extra)) = extended::split(frag.message_bytes()) else {
                continue;
            };
            let decoded = match extra {
                Extra::None => frag
                    .decode_message(&CommandCodec::default())
                    .map(|c| c.into_static())
                    .ok(),
                _ => CommandCodec::default()
                    .decode(&bytes)
                    .map(|(_, c)| c.into_static())
                    .ok(),
            };
            let Some(command) = decoded else {
                continue;
            };
            let tag = command.tag.as_ref().to_string();
            out.buf.clear();
            let after = session.handle_extended(command, extra, &mut out).await;
            let text = String::from_utf8_lossy(&out.buf);
            let tagged = text
                .split("\r\n")
                .filter(|l| l.starts_with(&format!("{tag} ")))
                .count();
            match after {
                After::Continue | After::Close => {
                    assert_eq!(tagged, 1, "{tag}: {text:?}")
                }
                // IDLE and AUTHENTICATE answer later; STARTTLS ends the run.
                _ => break,
            }
            if matches!(after, After::Close) {
                break;
            }
        }
    });
});
