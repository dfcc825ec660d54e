//! The inbound pipeline without a socket: `inbound::receive` called with a
//! context built from a running server's state, as the SMTP session does.

mod common;

use std::net::SocketAddr;

use common::TestServer;
use rampart::address::EmailAddress;
use rampart::inbound::{self, Context, Envelope, Outcome, Rcpt};
use rampart::screening::hijack::HijackSettings;
use rampart::screening::relay::RelaySettings;
use rampart::screening::sender::InboundScreening;
use rampart::smtp::ListenerKind;

async fn envelope(s: &TestServer, to: &str) -> Envelope {
    let address = EmailAddress::parse(to).unwrap();
    let targets = s
        .state
        .store
        .resolve_recipient(&address)
        .await
        .unwrap()
        .expect("a local recipient");
    Envelope {
        sender: Some(EmailAddress::parse("someone@elsewhere.test").unwrap()),
        declared_size: 0,
        rcpts: vec![Rcpt::Local { address, targets }],
    }
}

#[tokio::test]
async fn the_pipeline_refuses_smuggling_and_stores_what_it_accepts() {
    let s = TestServer::start_smtp("").await;
    s.create_domain("example.test").await;
    s.create_account("alice@example.test", "alice password")
        .await;
    let (relay, screening, hijack) = (
        RelaySettings::default(),
        InboundScreening::default(),
        HijackSettings::default(),
    );
    let peer: SocketAddr = "127.0.0.1:40000".parse().unwrap();
    let ctx = Context {
        state: &s.state,
        committer: &s.state.committer,
        kind: ListenerKind::Mx,
        peer,
        helo: Some("client.elsewhere.test"),
        esmtp: true,
        tls: None,
        auth: None,
        relay: &relay,
        screening: &screening,
        hijack: &hijack,
        trusted: false,
    };

    // A bare LF (SMTP smuggling material) is refused, and nothing stored.
    let smuggled = b"Subject: x\r\n\r\nline\n.\r\nMAIL FROM:<a@b>\r\n".to_vec();
    let outcome = inbound::receive(&ctx, envelope(&s, "alice@example.test").await, smuggled).await;
    let Outcome::Refuse { reply, .. } = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(reply.code, 554, "{reply:?}");

    // A good message is accepted only once stored: it is in the mailbox.
    let body = b"Subject: through the pipeline\r\n\r\nhello\r\n".to_vec();
    let outcome = inbound::receive(&ctx, envelope(&s, "alice@example.test").await, body).await;
    let Outcome::Accept(text) = &outcome else {
        panic!("{outcome:?}")
    };
    assert!(text.starts_with("Ok: queued as "), "{text}");
    let stored = common::imap::messages(&s, "alice@example.test", "alice password", "INBOX").await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert!(stored[0].contains("Subject: through the pipeline"));
    assert!(stored[0].starts_with(
        "Return-Path: <someone@elsewhere.test>\r\nReceived: from client.elsewhere.test"
    ));
    s.stop().await;
}
