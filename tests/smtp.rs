//! SMTP over real sockets: the MX receiving for local accounts, submission
//! with STARTTLS/implicit TLS and AUTH (lettre), relay control and the relay
//! tricks, sender rules, limits, smuggling, STARTTLS injection, pipelining,
//! BDAT, quotas and shutdown (raw TCP).

mod common;

use common::TestServer;
use common::smtp::SmtpClient;
use rampart::address::EmailAddress;
use reqwest::Method;
use serde_json::{Value, json};

/// A server with example.test, alice and bob, and an alias sales → both.
async fn server(extra: &str) -> TestServer {
    let s = TestServer::start_smtp(extra).await;
    s.create_domain("example.test").await;
    s.create_account("alice@example.test", "alice password")
        .await;
    s.create_account("bob@example.test", "bob password!").await;
    let r = s
        .admin(Method::POST, "/v1/aliases")
        .json(&json!({"address": "sales@example.test", "targets": ["alice@example.test", "bob@example.test"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    s
}

async fn inbox(s: &TestServer, account: &str) -> Vec<Vec<u8>> {
    let address = EmailAddress::parse(account).unwrap();
    let mut out = Vec::new();
    for m in s
        .state
        .store
        .mailbox_messages(&address, "INBOX")
        .await
        .unwrap()
    {
        out.push(s.state.blobs.get(&m.blob).await.unwrap());
    }
    out
}

/// The bytes after our two trace headers (Return-Path, Received).
fn after_trace(stored: &[u8]) -> &[u8] {
    let text = stored;
    assert!(
        text.starts_with(b"Return-Path: <"),
        "{}",
        String::from_utf8_lossy(stored)
    );
    let received = text
        .windows(10)
        .position(|w| w == b"Received: ")
        .expect("Received header");
    // Received ends at the first CRLF not followed by a tab.
    let mut i = received;
    loop {
        let pos = text[i..]
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("header end")
            + i;
        if text.get(pos + 2) != Some(&b'\t') {
            return after_screening(&text[pos + 2..]);
        }
        i = pos + 2;
    }
}

/// Skips the sender-check fields the server adds for unauthenticated mail
/// (Authentication-Results, Received-SPF, X-Rampart-Score).
fn after_screening(mut text: &[u8]) -> &[u8] {
    while [
        &b"Authentication-Results: "[..],
        b"Received-SPF: ",
        b"X-Rampart-Score: ",
    ]
    .iter()
    .any(|name| text.starts_with(name))
    {
        let mut i = 0;
        loop {
            let pos = text[i..]
                .windows(2)
                .position(|w| w == b"\r\n")
                .expect("field end")
                + i;
            i = pos + 2;
            if !matches!(text.get(i), Some(b'\t' | b' ')) {
                break;
            }
        }
        text = &text[i..];
    }
    text
}

async fn events(s: &TestServer, kind: &str) -> Vec<Value> {
    let v: Value = s
        .admin(Method::GET, &format!("/v1/events?type={kind}&limit=500"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["items"].as_array().unwrap().clone()
}

const BODY: &str = "From: Sender <sender@remote.test>\r\nTo: alice@example.test\r\nSubject: hello\r\n\r\nHello Alice.\r\n..leading dot\r\nBye.\r\n";

#[tokio::test]
async fn mx_receives_for_accounts_and_aliases() {
    let s = server("").await;
    let mut c = SmtpClient::connect(s.smtp.unwrap()).await;
    assert!(
        c.greeting.is(220, "mx.rampart.test ESMTP"),
        "{:?}",
        c.greeting
    );
    let ehlo = c.cmd("EHLO client.remote.test").await;
    assert_eq!(ehlo.code, 250);
    for ext in [
        "PIPELINING",
        "SIZE 52428800",
        "8BITMIME",
        "SMTPUTF8",
        "ENHANCEDSTATUSCODES",
        "STARTTLS",
        "CHUNKING",
    ] {
        assert!(
            ehlo.text.lines().any(|l| l == ext),
            "{ext} missing from {}",
            ehlo.text
        );
    }
    assert!(!ehlo.text.contains("AUTH"), "AUTH offered before TLS");
    assert!(
        c.cmd("MAIL FROM:<sender@remote.test>")
            .await
            .is(250, "2.1.0")
    );
    assert!(c.cmd("RCPT TO:<Alice@Example.TEST>").await.is(250, "2.1.5"));
    assert!(c.cmd("RCPT TO:<sales@example.test>").await.is(250, "2.1.5"));
    assert!(
        c.cmd("RCPT TO:<nobody@example.test>")
            .await
            .is(550, "5.1.1")
    );
    assert_eq!(c.cmd("DATA").await.code, 354);
    // Dot-stuffed on the wire, unstuffed in the store.
    let wire = BODY.replace("\r\n..leading", "\r\n...leading");
    c.send(format!("{wire}.\r\n").as_bytes()).await;
    let done = c.reply().await;
    assert!(done.is(250, "2.0.0"), "{done:?}");
    assert!(c.cmd("QUIT").await.is(221, ""));

    for account in ["alice@example.test", "bob@example.test"] {
        let messages = inbox(&s, account).await;
        assert_eq!(
            messages.len(),
            1,
            "{account}: alias and direct address deliver once"
        );
        let stored = &messages[0];
        assert_eq!(after_trace(stored), BODY.as_bytes(), "byte-for-byte");
        let head = String::from_utf8_lossy(stored);
        assert!(head.starts_with("Return-Path: <sender@remote.test>\r\nReceived: from client.remote.test ([127.0.0.1])"), "{head}");
        assert!(
            head.contains("by mx.rampart.test (Rampart) with ESMTP id "),
            "{head}"
        );
    }
    let received = events(&s, "message.received").await;
    assert_eq!(received.len(), 2);
    assert_eq!(received[0]["data"]["authenticated"], false);
    assert_eq!(received[0]["data"]["client_ip"], "127.0.0.1");
    let rejected = events(&s, "message.rejected").await;
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0]["data"]["reason"], "unknown_recipient");
    assert_eq!(rejected[0]["data"]["stage"], "rcpt");
    let account: Value = s
        .admin(Method::GET, "/v1/accounts/alice@example.test")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        account["used_bytes"],
        inbox(&s, "alice@example.test").await[0].len()
    );
    s.stop().await;
}

fn lettre_tls(s: &TestServer) -> lettre::transport::smtp::client::TlsParameters {
    let pem = std::fs::read(s.dir.path().join("tls/self-signed-cert.pem")).unwrap();
    lettre::transport::smtp::client::TlsParameters::builder(common::smtp::SERVER_NAME.to_string())
        .add_root_certificate(lettre::transport::smtp::client::Certificate::from_pem(&pem).unwrap())
        .build_rustls()
        .unwrap()
}

#[tokio::test]
async fn submission_with_lettre_starttls_and_implicit_tls() {
    use lettre::transport::smtp::authentication::{Credentials, Mechanism};
    use lettre::transport::smtp::client::Tls;
    use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

    let s = server("").await;
    let email = |to: &str, subject: &str| {
        Message::builder()
            .from("Alice <alice@example.test>".parse().unwrap())
            .to(to.parse().unwrap())
            .subject(subject)
            .body(String::from("Hi there.\r\n"))
            .unwrap()
    };
    let submission = s.submission.unwrap();
    let starttls = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(submission.port())
        .tls(Tls::Required(lettre_tls(&s)))
        .credentials(Credentials::new(
            "alice@example.test".into(),
            "alice password".into(),
        ))
        .authentication(vec![Mechanism::Plain])
        .build();
    starttls
        .send(email("bob@example.test", "local"))
        .await
        .expect("local delivery over 587");
    starttls
        .send(email("carol@remote.test", "remote"))
        .await
        .expect("remote recipient queued over 587");

    let implicit = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(s.submissions.unwrap().port())
        .tls(Tls::Wrapper(lettre_tls(&s)))
        .credentials(Credentials::new(
            "alice@example.test".into(),
            "alice password".into(),
        ))
        .authentication(vec![Mechanism::Login])
        .build();
    implicit
        .send(email("bob@example.test", "over 465"))
        .await
        .expect("delivery over 465 with AUTH LOGIN");

    let bob = inbox(&s, "bob@example.test").await;
    assert_eq!(bob.len(), 2);
    let first = String::from_utf8_lossy(&bob[0]);
    assert!(first.contains("with ESMTPSA id"), "{first}");
    assert!(
        first.contains("(authenticated as alice@example.test)"),
        "{first}"
    );
    assert!(first.contains("using TLSv1"), "{first}");
    let queued = s.state.store.queued_recipients().await.unwrap();
    assert_eq!(queued.len(), 1);
    assert_eq!(
        (queued[0].0.as_str(), queued[0].1.as_str()),
        ("carol@remote.test", "scheduled")
    );
    let blob = String::from_utf8(s.state.blobs.get(&queued[0].2).await.unwrap()).unwrap();
    assert!(
        blob.starts_with("Received: ") && !blob.contains("Return-Path"),
        "{blob}"
    );
    assert_eq!(events(&s, "message.queued").await.len(), 1);

    // Wrong password: lettre sees a permanent failure.
    let wrong = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(submission.port())
        .tls(Tls::Required(lettre_tls(&s)))
        .credentials(Credentials::new(
            "alice@example.test".into(),
            "not it".into(),
        ))
        .build();
    let err = wrong
        .send(email("bob@example.test", "x"))
        .await
        .unwrap_err();
    assert!(err.is_permanent(), "{err}");
    s.stop().await;
}

#[tokio::test]
async fn authentication_rules() {
    let s = server("").await;
    let dir = s.dir.path().to_path_buf();
    let mut c = SmtpClient::connect(s.submission.unwrap()).await;
    assert!(!c.cmd("EHLO me").await.text.contains("AUTH"));
    assert!(
        c.auth_plain("alice@example.test", "alice password")
            .await
            .is(538, "5.7.11")
    );
    assert!(
        c.cmd("MAIL FROM:<alice@example.test>")
            .await
            .is(530, "5.7.0"),
        "MAIL before AUTH on 587"
    );
    c.starttls(&dir).await;
    let ehlo = c.cmd("EHLO me").await;
    assert!(
        ehlo.text.lines().any(|l| l == "AUTH PLAIN LOGIN"),
        "{}",
        ehlo.text
    );
    assert!(!ehlo.text.contains("STARTTLS"));
    assert!(
        c.cmd("MAIL FROM:<alice@example.test>")
            .await
            .is(530, "5.7.0")
    );
    assert!(
        c.auth_plain("alice@example.test", "wrong password")
            .await
            .is(535, "5.7.8")
    );
    assert!(
        c.auth_plain("ghost@example.test", "alice password")
            .await
            .is(535, "5.7.8")
    );
    assert!(c.cmd("AUTH CRAM-MD5").await.is(504, "5.5.4"));
    // AUTH LOGIN, step by step.
    assert!(c.cmd("AUTH LOGIN").await.is(334, "VXNlcm5hbWU6"));
    assert!(
        c.cmd("YWxpY2VAZXhhbXBsZS50ZXN0")
            .await
            .is(334, "UGFzc3dvcmQ6")
    );
    assert!(c.cmd("YWxpY2UgcGFzc3dvcmQ=").await.is(235, "2.7.0"));
    assert!(c.cmd("AUTH PLAIN").await.is(503, "5.5.1"), "second AUTH");
    assert!(c.cmd("MAIL FROM:<alice@example.test>").await.is(250, ""));
    c.cmd("QUIT").await;

    // Frozen and disabled accounts get their own answers, once the password is right.
    s.admin(Method::POST, "/v1/accounts/bob@example.test/freeze")
        .send()
        .await
        .unwrap();
    let mut c = SmtpClient::connect_tls(s.submissions.unwrap(), &dir).await;
    c.cmd("EHLO me").await;
    let r = c.auth_plain("bob@example.test", "bob password!").await;
    assert!(r.is(535, "5.7.1") && r.text.contains("frozen"), "{r:?}");
    assert!(
        c.auth_plain("bob@example.test", "wrong")
            .await
            .is(535, "5.7.8"),
        "no status leak without the password"
    );
    s.admin(Method::PATCH, "/v1/accounts/bob@example.test")
        .json(&json!({"status": "disabled"}))
        .send()
        .await
        .unwrap();
    let r = c.auth_plain("bob@example.test", "bob password!").await;
    assert!(r.is(535, "5.7.1") && r.text.contains("disabled"), "{r:?}");
    // Mail to a frozen account is still accepted.
    s.admin(Method::PATCH, "/v1/accounts/bob@example.test")
        .json(&json!({"status": "frozen"}))
        .send()
        .await
        .unwrap();
    let mut c = SmtpClient::connect(s.smtp.unwrap()).await;
    c.cmd("EHLO outside.test").await;
    c.cmd("MAIL FROM:<x@outside.test>").await;
    assert!(c.cmd("RCPT TO:<bob@example.test>").await.is(250, ""));
    s.stop().await;
}

#[tokio::test]
async fn no_open_relay_and_no_relay_tricks() {
    let s = server("").await;
    let mut c = SmtpClient::connect(s.smtp.unwrap()).await;
    c.cmd("EHLO outside.test").await;
    assert!(c.cmd("MAIL FROM:<x@outside.test>").await.is(250, ""));
    assert!(
        c.cmd("RCPT TO:<victim@elsewhere.test>")
            .await
            .is(554, "5.7.1")
    );
    for trick in [
        "<victim%elsewhere.test@example.test>",
        "<elsewhere.test!victim@example.test>",
        "<@example.test:victim@elsewhere.test>",
        "<\"victim@elsewhere.test\"@example.test>",
        "<victim@elsewhere.test@example.test>",
        "<postmaster@[192.0.2.1]>",
    ] {
        let r = c.cmd(&format!("RCPT TO:{trick}")).await;
        assert!(r.code >= 500, "{trick} accepted: {r:?}");
        assert_ne!(r.code, 250);
    }
    c.cmd("QUIT").await;
    let relay_refusals = events(&s, "message.rejected").await;
    assert!(
        relay_refusals
            .iter()
            .any(|e| e["data"]["reason"] == "relay_denied")
    );
    assert!(
        relay_refusals
            .iter()
            .filter(|e| e["data"]["reason"] == "relay_trick")
            .count()
            >= 3
    );
    assert!(s.state.store.queued_recipients().await.unwrap().is_empty());

    // A trusted network may relay.
    let r = s
        .admin(Method::PUT, "/v1/settings/relay")
        .json(&json!({"trusted_networks": ["127.0.0.0/8"], "require_auth_for_local_senders": true, "sender_must_match_auth": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = s
        .admin(Method::GET, "/v1/settings/relay")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["trusted_networks"], json!(["127.0.0.0/8"]));
    let mut c = SmtpClient::connect(s.smtp.unwrap()).await;
    c.cmd("EHLO inside.test").await;
    c.cmd("MAIL FROM:<x@inside.test>").await;
    assert!(c.cmd("RCPT TO:<friend@elsewhere.test>").await.is(250, ""));
    let r = s.admin(Method::PUT, "/v1/settings/relay").json(&json!({"trusted_networks": ["not a network"], "require_auth_for_local_senders": true, "sender_must_match_auth": true})).send().await.unwrap();
    assert_eq!(r.status(), 422);
    s.stop().await;
}

#[tokio::test]
async fn sender_rules_and_ip_shield() {
    let s = server("").await;
    let dir = s.dir.path().to_path_buf();
    // Outsiders can't claim our domain, not even to our users.
    let mut c = SmtpClient::connect(s.smtp.unwrap()).await;
    c.cmd("EHLO outside.test").await;
    assert!(
        c.cmd("MAIL FROM:<alice@example.test>")
            .await
            .is(530, "5.7.0")
    );
    // The IP shield.
    let r = s
        .admin(Method::PUT, "/v1/settings/ip-shield")
        .json(&json!({"enabled": true, "entries": [{"domain": "Bank.test", "networks": ["192.0.2.0/24"]}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let mut c = SmtpClient::connect(s.smtp.unwrap()).await;
    c.cmd("EHLO outside.test").await;
    assert!(c.cmd("MAIL FROM:<ceo@bank.test>").await.is(550, "5.7.1"));
    assert!(c.cmd("MAIL FROM:<ceo@other.test>").await.is(250, ""));
    s.admin(Method::PUT, "/v1/settings/ip-shield")
        .json(&json!({"enabled": true, "entries": [{"domain": "bank.test", "networks": ["192.0.2.0/24", "127.0.0.1/32"]}]}))
        .send()
        .await
        .unwrap();
    let mut c = SmtpClient::connect(s.smtp.unwrap()).await;
    c.cmd("EHLO outside.test").await;
    assert!(c.cmd("MAIL FROM:<ceo@bank.test>").await.is(250, ""));

    // Authenticated senders send as themselves or their aliases only.
    let mut c = SmtpClient::connect_tls(s.submissions.unwrap(), &dir).await;
    c.cmd("EHLO me").await;
    assert!(
        c.auth_plain("alice@example.test", "alice password")
            .await
            .is(235, "")
    );
    assert!(c.cmd("MAIL FROM:<bob@example.test>").await.is(550, "5.7.1"));
    assert!(
        c.cmd("MAIL FROM:<sales@example.test>").await.is(250, ""),
        "alias of alice"
    );
    c.cmd("RSET").await;
    assert!(c.cmd("MAIL FROM:<alice@example.test>").await.is(250, ""));
    assert!(c.cmd("RCPT TO:<bob@example.test>").await.is(250, ""));
    assert_eq!(c.cmd("DATA").await.code, 354);
    c.send(b"From: Bob <bob@example.test>\r\nSubject: forged\r\n\r\nx\r\n.\r\n")
        .await;
    assert!(c.reply().await.is(550, "5.7.1"), "From: header not alice's");
    assert!(c.cmd("MAIL FROM:<alice@example.test>").await.is(250, ""));
    assert!(c.cmd("RCPT TO:<bob@example.test>").await.is(250, ""));
    assert_eq!(c.cmd("DATA").await.code, 354);
    c.send(b"From: Alice <Alice@example.test>\r\nSubject: fine\r\n\r\nx\r\n.\r\n")
        .await;
    assert!(c.reply().await.is(250, ""));
    assert_eq!(inbox(&s, "bob@example.test").await.len(), 1);
    s.stop().await;
}

#[tokio::test]
async fn starttls_discards_pipelined_plaintext() {
    let s = server("").await;
    let dir = s.dir.path().to_path_buf();
    let mut c = SmtpClient::connect(s.smtp.unwrap()).await;
    c.cmd("EHLO a.test").await;
    // The injected MAIL would be answered inside TLS if it survived.
    c.send(b"STARTTLS\r\nMAIL FROM:<x@outside.test>\r\n").await;
    assert_eq!(c.reply().await.code, 220);
    let common::smtp::ClientStream::Plain(tcp) =
        std::mem::replace(&mut c.stream, common::smtp::ClientStream::Closed)
    else {
        panic!()
    };
    let name = rustls::pki_types::ServerName::try_from(common::smtp::SERVER_NAME).unwrap();
    let tls = common::smtp::connector(&dir)
        .connect(name, tcp)
        .await
        .unwrap();
    c.stream = common::smtp::ClientStream::Tls(Box::new(tls));
    let r = c.cmd("EHLO a.test").await;
    assert_eq!(r.code, 250, "{r:?}");
    assert!(r.text.contains("AUTH PLAIN LOGIN"));
    // No transaction was started by the injected command.
    assert!(c.cmd("RCPT TO:<alice@example.test>").await.is(503, "5.5.1"));
    assert!(c.cmd("STARTTLS").await.is(503, ""));
    s.stop().await;
}

#[tokio::test]
async fn pipelining_and_bdat() {
    let s = server("").await;
    let mut c = SmtpClient::connect(s.smtp.unwrap()).await;
    c.send(b"EHLO a.test\r\nMAIL FROM:<x@outside.test>\r\nRCPT TO:<alice@example.test>\r\nRCPT TO:<nobody@example.test>\r\nDATA\r\n").await;
    assert_eq!(c.reply().await.code, 250);
    assert_eq!(c.reply().await.code, 250);
    assert_eq!(c.reply().await.code, 250);
    assert_eq!(c.reply().await.code, 550);
    assert_eq!(c.reply().await.code, 354);
    c.send(b"Subject: one\r\n\r\nfirst\r\n.\r\nMAIL FROM:<y@outside.test>\r\nRCPT TO:<alice@example.test>\r\n").await;
    assert!(c.reply().await.is(250, "queued as"));
    assert_eq!(c.reply().await.code, 250);
    assert_eq!(c.reply().await.code, 250);
    let chunk1 = b"Subject: two\r\n\r\nsecond, ";
    let chunk2 = b"in chunks\r\n.not stuffed\r\n";
    c.send(format!("BDAT {}\r\n", chunk1.len()).as_bytes())
        .await;
    c.send(chunk1).await;
    assert!(c.reply().await.is(250, "octets received"));
    let mut last = format!("BDAT {} LAST\r\n", chunk2.len()).into_bytes();
    last.extend_from_slice(chunk2);
    c.send(&last).await;
    assert!(c.reply().await.is(250, "queued as"));
    let stored = inbox(&s, "alice@example.test").await;
    assert_eq!(stored.len(), 2);
    assert_eq!(after_trace(&stored[0]), b"Subject: one\r\n\r\nfirst\r\n");
    assert_eq!(
        after_trace(&stored[1]),
        b"Subject: two\r\n\r\nsecond, in chunks\r\n.not stuffed\r\n"
    );
    // BDAT without a transaction: the chunk is read and refused.
    c.send(b"BDAT 5 LAST\r\nhello").await;
    assert!(c.reply().await.is(503, "5.5.1"));
    assert!(c.cmd("NOOP").await.is(250, ""));
    s.stop().await;
}

#[tokio::test]
async fn smuggling_sequences_never_end_data() {
    let s = server("").await;
    for ending in ["\n.\n", "\r\n.\n", "\n.\r\n", "\r.\r\n"] {
        let mut c = SmtpClient::connect(s.smtp.unwrap()).await;
        c.cmd("EHLO a.test").await;
        c.cmd("MAIL FROM:<x@outside.test>").await;
        c.cmd("RCPT TO:<alice@example.test>").await;
        assert_eq!(c.cmd("DATA").await.code, 354);
        let smuggle = format!(
            "Subject: outer\r\n\r\nx{ending}MAIL FROM:<evil@outside.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\nSubject: smuggled\r\n\r\ny\r\n.\r\n"
        );
        c.send(smuggle.as_bytes()).await;
        let r = c.reply().await;
        assert!(r.is(554, "5.6.0"), "{ending:?}: {r:?}");
        // Exactly one reply: nothing after the real end was a command.
        assert!(c.cmd("NOOP").await.is(250, "2.0.0"), "{ending:?}");
    }
    assert!(inbox(&s, "alice@example.test").await.is_empty());
    assert!(inbox(&s, "bob@example.test").await.is_empty());
    s.stop().await;
}

#[tokio::test]
async fn every_limit_has_its_reply() {
    let s = server("[smtp]\nmax_message_size = 4096\nmax_errors = 4\nidle_timeout_seconds = 1\nmax_recipients = 3\n").await;
    let mut c = SmtpClient::connect(s.smtp.unwrap()).await;
    assert!(c.cmd("EHLO a.test").await.text.contains("SIZE 4096"));
    assert!(
        c.cmd(&format!("NOOP {}", "x".repeat(600)))
            .await
            .is(500, "5.5.2")
    );
    // A line over the limit ends the session (its rest is never read).
    assert!(c.is_closed().await);
    let mut c = SmtpClient::connect(s.smtp.unwrap()).await;
    c.cmd("EHLO a.test").await;
    assert!(
        c.cmd("MAIL FROM:<x@outside.test> SIZE=5000")
            .await
            .is(552, "5.3.4")
    );
    assert!(
        c.cmd("MAIL FROM:<x@outside.test> SIZE=100")
            .await
            .is(250, "")
    );
    for _ in 0..3 {
        assert!(c.cmd("RCPT TO:<alice@example.test>").await.is(250, ""));
    }
    // Duplicates are merged, so use distinct addresses for the count.
    assert!(c.cmd("RCPT TO:<bob@example.test>").await.is(250, ""));
    assert!(c.cmd("RCPT TO:<sales@example.test>").await.is(250, ""));
    assert!(
        c.cmd("RCPT TO:<other@elsewhere.test>")
            .await
            .is(452, "4.5.3")
    );
    assert_eq!(c.cmd("DATA").await.code, 354);
    // Over the size limit mid-stream, for a client that ignores SIZE.
    let big = format!(
        "Subject: big\r\n\r\n{}\r\n.\r\n",
        "0123456789abcdef\r\n".repeat(400)
    );
    c.send(big.as_bytes()).await;
    assert!(c.reply().await.is(552, "5.3.4"));
    c.cmd("MAIL FROM:<x@outside.test>").await;
    c.cmd("RCPT TO:<alice@example.test>").await;
    assert_eq!(c.cmd("DATA").await.code, 354);
    c.send(format!("Subject: long\r\n\r\n{}\r\n.\r\n", "y".repeat(1200)).as_bytes())
        .await;
    assert!(c.reply().await.is(554, "5.6.0"));
    // Too many errors: the fourth ends the session.
    for _ in 0..3 {
        assert!(c.cmd("BOGUS").await.is(500, "5.5.1"));
    }
    let r = c.cmd("BOGUS").await;
    assert!(r.is(421, "4.7.0"), "{r:?}");
    assert!(c.is_closed().await);
    // Idle timeout.
    let mut c = SmtpClient::connect(s.smtp.unwrap()).await;
    assert_eq!(c.greeting.code, 220);
    let r = c.reply().await;
    assert!(r.is(421, "4.4.2"), "{r:?}");
    assert!(inbox(&s, "alice@example.test").await.is_empty());
    s.stop().await;
}

#[tokio::test]
async fn connection_limits() {
    let s = server("[smtp]\nmax_connections_per_ip = 2\n").await;
    let a = SmtpClient::connect(s.smtp.unwrap()).await;
    let b = SmtpClient::connect(s.submission.unwrap()).await;
    assert_eq!((a.greeting.code, b.greeting.code), (220, 220));
    let c = SmtpClient::connect(s.smtp.unwrap()).await;
    assert!(
        c.greeting.is(421, "4.7.0") && c.greeting.text.contains("your address"),
        "{:?}",
        c.greeting
    );
    drop(a);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let d = SmtpClient::connect(s.smtp.unwrap()).await;
    assert_eq!(d.greeting.code, 220, "a closed connection frees its place");
    s.stop().await;

    let s = server("[smtp]\nmax_connections = 1\n").await;
    let a = SmtpClient::connect(s.smtp.unwrap()).await;
    assert_eq!(a.greeting.code, 220);
    let b = SmtpClient::connect(s.smtp.unwrap()).await;
    assert!(
        b.greeting.is(421, "Too many connections"),
        "{:?}",
        b.greeting
    );
    drop(a);
    s.stop().await;
}

#[tokio::test]
async fn quotas() {
    let s = server("").await;
    // Sizes below are exact; sender-check headers would add to them.
    let r = s
        .admin(Method::PUT, "/v1/settings/inbound-screening")
        .json(&json!({"enabled": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    s.admin(Method::PATCH, "/v1/accounts/alice@example.test")
        .json(&json!({"quota_bytes": 1000}))
        .send()
        .await
        .unwrap();
    let mut c = SmtpClient::connect(s.smtp.unwrap()).await;
    c.cmd("EHLO a.test").await;
    assert!(
        c.cmd("MAIL FROM:<x@outside.test> SIZE=2000")
            .await
            .is(250, "")
    );
    assert!(
        c.cmd("RCPT TO:<alice@example.test>").await.is(452, "4.2.2"),
        "declared size over quota"
    );
    c.cmd("RSET").await;
    c.cmd("MAIL FROM:<x@outside.test>").await;
    assert!(c.cmd("RCPT TO:<alice@example.test>").await.is(250, ""));
    c.cmd("DATA").await;
    c.send(format!("Subject: big\r\n\r\n{}.\r\n", "z\r\n".repeat(400)).as_bytes())
        .await;
    assert!(
        c.reply().await.is(552, "5.2.2"),
        "the message alone exceeds the quota"
    );
    c.cmd("MAIL FROM:<x@outside.test>").await;
    c.cmd("RCPT TO:<alice@example.test>").await;
    c.cmd("DATA").await;
    c.send(format!("Subject: fits\r\n\r\n{}.\r\n", "z\r\n".repeat(200)).as_bytes())
        .await;
    assert!(c.reply().await.is(250, ""));
    c.cmd("MAIL FROM:<x@outside.test>").await;
    c.cmd("RCPT TO:<alice@example.test>").await;
    c.cmd("DATA").await;
    c.send(format!("Subject: no room\r\n\r\n{}.\r\n", "z\r\n".repeat(200)).as_bytes())
        .await;
    assert!(c.reply().await.is(452, "4.2.2"), "mailbox full");
    c.cmd("MAIL FROM:<x@outside.test>").await;
    assert!(
        c.cmd("RCPT TO:<alice@example.test>").await.is(250, ""),
        "still under quota before this message"
    );
    assert_eq!(inbox(&s, "alice@example.test").await.len(), 1);
    s.stop().await;
}

#[tokio::test]
async fn shutdown_says_421_to_idle_sessions() {
    let s = server("").await;
    let mut c = SmtpClient::connect(s.smtp.unwrap()).await;
    c.cmd("EHLO a.test").await;
    let stop = tokio::spawn(s.stop());
    let r = c.reply().await;
    assert!(r.is(421, "4.3.0"), "{r:?}");
    stop.await.unwrap();
}

#[tokio::test]
async fn file_blob_storage_delivers_too() {
    let s = server("blob_storage = \"files\"\n").await;
    let mut c = SmtpClient::connect(s.smtp.unwrap()).await;
    c.cmd("EHLO a.test").await;
    c.cmd("MAIL FROM:<x@outside.test>").await;
    c.cmd("RCPT TO:<alice@example.test>").await;
    c.cmd("DATA").await;
    c.send(b"Subject: on disk\r\n\r\nfile body\r\n.\r\n").await;
    assert_eq!(c.reply().await.code, 250);
    let stored = inbox(&s, "alice@example.test").await;
    assert_eq!(
        after_trace(&stored[0]),
        b"Subject: on disk\r\n\r\nfile body\r\n"
    );
    assert!(
        s.dir.path().join("blobs").read_dir().unwrap().count() > 1,
        "the message is a file under data_dir/blobs"
    );
    s.stop().await;
}
