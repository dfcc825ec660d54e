//! IMAP over real sockets: async-imap as the client library, raw TCP for
//! protocol edges, Python's imaplib and curl as other real clients.

mod common;

use std::time::Duration;

use common::TestServer;
use common::smtp::SmtpClient;
use futures_util::TryStreamExt;
use reqwest::Method;
use serde_json::{Value, json};

type Imap = async_imap::Session<tokio_rustls::client::TlsStream<tokio::net::TcpStream>>;

async fn server(extra: &str) -> TestServer {
    let s = TestServer::start_smtp(extra).await;
    s.create_domain("example.test").await;
    s.create_account("alice@example.test", "alice password")
        .await;
    s
}

async fn deliver(s: &TestServer, rcpt: &str, body: &str) {
    let mut c = SmtpClient::connect(s.smtp.unwrap()).await;
    c.cmd("EHLO sender.test").await;
    c.cmd("MAIL FROM:<someone@sender.test>").await;
    assert_eq!(c.cmd(&format!("RCPT TO:<{rcpt}>")).await.code, 250);
    c.cmd("DATA").await;
    c.send(format!("{body}.\r\n").as_bytes()).await;
    assert_eq!(c.reply().await.code, 250);
    c.cmd("QUIT").await;
}

async fn connect(
    s: &TestServer,
) -> async_imap::Client<tokio_rustls::client::TlsStream<tokio::net::TcpStream>> {
    let tcp = tokio::net::TcpStream::connect(s.imaps.unwrap())
        .await
        .unwrap();
    let name = rustls::pki_types::ServerName::try_from(common::smtp::SERVER_NAME).unwrap();
    let tls = common::smtp::connector(s.dir.path())
        .connect(name, tcp)
        .await
        .unwrap();
    let mut client = async_imap::Client::new(tls);
    client.read_response().await.unwrap().expect("greeting");
    client
}

async fn login(s: &TestServer) -> Imap {
    connect(s)
        .await
        .login("alice@example.test", "alice password")
        .await
        .map_err(|(e, _)| e)
        .expect("login")
}

#[tokio::test]
async fn read_flag_search_move_and_delete_with_async_imap() {
    let s = server("").await;
    deliver(
        &s,
        "alice@example.test",
        "From: Bob <bob@sender.test>\r\nSubject: first\r\n\r\nhello one\r\n",
    )
    .await;
    deliver(
        &s,
        "alice@example.test",
        "From: Carol <carol@sender.test>\r\nSubject: second\r\n\r\nhello two\r\n",
    )
    .await;
    let mut imap = login(&s).await;
    let caps = imap.capabilities().await.unwrap();
    for cap in [
        "IMAP4rev1",
        "IDLE",
        "UIDPLUS",
        "MOVE",
        "NAMESPACE",
        "SPECIAL-USE",
        "LITERAL+",
        "ENABLE",
        "ID",
        "UNSELECT",
        "CHILDREN",
    ] {
        assert!(caps.has_str(cap), "{cap}");
    }
    let mailboxes: Vec<_> = imap
        .list(Some(""), Some("*"))
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let names: Vec<&str> = mailboxes.iter().map(|m| m.name()).collect();
    for name in ["INBOX", "Sent", "Drafts", "Trash", "Junk"] {
        assert!(names.contains(&name), "{names:?}");
    }
    let inbox = imap.select("INBOX").await.unwrap();
    assert_eq!(inbox.exists, 2);
    let validity = inbox.uid_validity.unwrap();
    let fetched: Vec<_> = imap
        .uid_fetch("1:*", "(UID FLAGS RFC822.SIZE ENVELOPE BODY.PEEK[])")
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(fetched.len(), 2);
    let alice = rampart::address::EmailAddress::parse("alice@example.test").unwrap();
    let stored = s
        .state
        .store
        .mailbox_messages(&alice, "INBOX")
        .await
        .unwrap();
    let raw = s.state.blobs.get(&stored[0].blob).await.unwrap();
    assert_eq!(
        fetched[0].body().unwrap(),
        &raw[..],
        "BODY[] is the stored message byte for byte"
    );
    assert_eq!(fetched[0].size, Some(raw.len() as u32));
    let envelope = fetched[0].envelope().unwrap();
    assert_eq!(envelope.subject.as_deref(), Some(&b"first"[..]));
    // Only \Recent (this session selected the mailbox first): PEEK leaves
    // \Seen unset.
    assert_eq!(
        fetched[0].flags().collect::<Vec<_>>(),
        [async_imap::types::Flag::Recent],
        "PEEK leaves \\Seen unset"
    );
    let uid1 = fetched[0].uid.unwrap();
    let uid2 = fetched[1].uid.unwrap();

    // Flags and search.
    let _: Vec<_> = imap
        .uid_store(uid1.to_string(), "+FLAGS (\\Flagged)")
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        imap.uid_search("FLAGGED")
            .await
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>(),
        vec![uid1]
    );
    assert_eq!(
        imap.uid_search("SUBJECT second")
            .await
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>(),
        vec![uid2]
    );
    assert_eq!(
        imap.uid_search("FROM carol BODY \"hello two\"")
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        imap.uid_search("OR FLAGGED SUBJECT second")
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        imap.uid_search("NOT FLAGGED")
            .await
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>(),
        vec![uid2]
    );
    assert_eq!(imap.uid_search("UNSEEN LARGER 10").await.unwrap().len(), 2);
    // Reading without PEEK sets \Seen.
    let _: Vec<_> = imap
        .uid_fetch(uid2.to_string(), "BODY[TEXT]")
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        imap.uid_search("SEEN")
            .await
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>(),
        vec![uid2]
    );

    // Move to a new mailbox; UIDs there start at 1 and never repeat.
    imap.create("Archive/2026").await.unwrap();
    imap.uid_mv(uid1.to_string(), "Archive/2026").await.unwrap();
    let inbox = imap.select("INBOX").await.unwrap();
    assert_eq!(inbox.exists, 1);
    assert_eq!(inbox.uid_validity, Some(validity));
    let archive = imap.select("Archive/2026").await.unwrap();
    assert_eq!(archive.exists, 1);
    let moved: Vec<_> = imap
        .fetch("1", "(UID FLAGS)")
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert!(
        moved[0]
            .flags()
            .any(|f| f == async_imap::types::Flag::Flagged),
        "flags travel with a move"
    );

    // Delete: \Deleted, EXPUNGE; the quota is given back.
    let before: Value = s
        .admin(Method::GET, "/v1/accounts/alice@example.test")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let _: Vec<_> = imap
        .store("1", "+FLAGS (\\Deleted)")
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let expunged: Vec<u32> = imap.expunge().await.unwrap().try_collect().await.unwrap();
    assert_eq!(expunged, vec![1]);
    let after: Value = s
        .admin(Method::GET, "/v1/accounts/alice@example.test")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        after["used_bytes"].as_i64().unwrap(),
        before["used_bytes"].as_i64().unwrap() - raw.len() as i64
    );
    imap.logout().await.unwrap();
    s.stop().await;
}

#[tokio::test]
async fn idle_wakes_on_delivery() {
    let s = server("").await;
    let mut imap = login(&s).await;
    imap.select("INBOX").await.unwrap();
    let mut idle = imap.idle();
    idle.init().await.unwrap();
    let (wait, _stop) = idle.wait_with_timeout(Duration::from_secs(10));
    let started = std::time::Instant::now();
    let delivery = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        deliver(
            &s,
            "alice@example.test",
            "Subject: wake up\r\n\r\nnew mail\r\n",
        )
        .await;
    };
    let (woke, ()) = tokio::join!(wait, delivery);
    match woke.unwrap() {
        async_imap::extensions::idle::IdleResponse::NewData(data) => {
            let text = format!("{:?}", data.parsed());
            assert!(text.contains("Exists(1)"), "{text}");
        }
        other => panic!("IDLE did not wake: {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(5));
    let mut imap = idle.done().await.unwrap();
    imap.logout().await.unwrap();
    s.stop().await;
}

#[tokio::test]
async fn starttls_logindisabled_authenticate_and_frozen() {
    let s = server("").await;
    let dir = s.dir.path().to_path_buf();
    let mut c = SmtpClient::connect_raw(s.imap.unwrap()).await;
    let greeting = c.read_line().await.unwrap();
    assert!(
        greeting.starts_with("* OK [CAPABILITY ")
            && greeting.contains("STARTTLS")
            && greeting.contains("LOGINDISABLED"),
        "{greeting}"
    );
    assert!(
        c.line_cmd("a1 LOGIN alice@example.test \"alice password\"")
            .await
            .starts_with("a1 NO [PRIVACYREQUIRED]")
    );
    assert!(c.line_cmd("a2 SELECT INBOX").await.starts_with("a2 BAD"));
    assert!(
        c.line_cmd("a3 FOO").await.starts_with("a3 BAD"),
        "malformed commands get BAD and the session goes on"
    );
    // Pipelined after STARTTLS: must be dropped.
    c.send(b"a4 STARTTLS\r\na5 LOGIN alice@example.test \"alice password\"\r\n")
        .await;
    assert!(c.read_line().await.unwrap().starts_with("a4 OK"));
    c.upgrade_tls(&dir).await;
    c.send(b"a6 CAPABILITY\r\n").await;
    let caps = c.read_line().await.unwrap();
    assert!(
        caps.contains("AUTH=PLAIN") && !caps.contains("LOGINDISABLED"),
        "{caps}"
    );
    assert!(
        c.read_line().await.unwrap().starts_with("a6 OK"),
        "the injected a5 produced nothing"
    );
    // AUTHENTICATE PLAIN with a continuation.
    assert_eq!(
        c.line_cmd("a7 AUTHENTICATE PLAIN").await,
        "+",
        "an empty continuation (trailing space trimmed)"
    );
    use base64::Engine;
    let bad = base64::engine::general_purpose::STANDARD.encode("\0alice@example.test\0wrong");
    assert!(
        c.line_cmd(&bad)
            .await
            .starts_with("a7 NO [AUTHENTICATIONFAILED]")
    );
    let good =
        base64::engine::general_purpose::STANDARD.encode("\0alice@example.test\0alice password");
    assert!(
        c.line_cmd(&format!("a8 AUTHENTICATE PLAIN {good}"))
            .await
            .starts_with("a8 OK")
    );
    // Literals: synchronizing and LITERAL+.
    c.send(b"a9 CREATE {6}\r\n").await;
    assert!(c.read_line().await.unwrap().starts_with("+"));
    assert!(c.line_cmd("Folder").await.starts_with("a9 OK"));
    assert!(
        c.line_cmd("b1 CREATE {7+}\r\nFolder2")
            .await
            .starts_with("b1 OK")
    );
    assert!(
        c.line_cmd("b2 APPEND INBOX {100000000}")
            .await
            .starts_with("b2 NO [TOOBIG]")
    );
    c.line_cmd("b3 LOGOUT").await;

    s.admin(Method::POST, "/v1/accounts/alice@example.test/freeze")
        .json(&json!({"reason": "test"}))
        .send()
        .await
        .unwrap();
    let r = connect(&s)
        .await
        .login("alice@example.test", "alice password")
        .await;
    let Err((err, _)) = r else {
        panic!("frozen account logged in")
    };
    assert!(format!("{err:?}").contains("CONTACTADMIN"), "{err:?}");
    s.stop().await;
}

#[tokio::test]
async fn two_sessions_see_each_other() {
    let s = server("").await;
    deliver(&s, "alice@example.test", "Subject: a\r\n\r\na\r\n").await;
    deliver(&s, "alice@example.test", "Subject: b\r\n\r\nb\r\n").await;
    let dir = s.dir.path().to_path_buf();
    let open = || async {
        let mut c = SmtpClient::connect_raw_tls(s.imaps.unwrap(), &dir).await;
        c.read_line().await;
        assert!(
            c.line_cmd("l LOGIN alice@example.test \"alice password\"")
                .await
                .starts_with("l OK")
        );
        c.send(b"s SELECT INBOX\r\n").await;
        while !c.read_line().await.unwrap().starts_with("s OK") {}
        c
    };
    let mut a = open().await;
    let mut b = open().await;
    assert!(
        a.line_cmd("f STORE 1 +FLAGS.SILENT (\\Deleted)")
            .await
            .starts_with("f OK")
    );
    // B sees the flag change at its next command.
    assert_eq!(
        b.line_cmd("n NOOP").await,
        "* 1 FETCH (UID 1 FLAGS (\\Deleted))"
    );
    assert!(b.read_line().await.unwrap().starts_with("n OK"));
    assert_eq!(a.line_cmd("e EXPUNGE").await, "* 1 EXPUNGE");
    assert!(a.read_line().await.unwrap().starts_with("e OK"));
    // No EXPUNGE while B runs FETCH: message 1 is still there for it.
    b.send(b"x FETCH 1 (UID)\r\n").await;
    assert_eq!(b.read_line().await.unwrap(), "* 1 FETCH (UID 1)");
    assert!(b.read_line().await.unwrap().starts_with("x OK"));
    assert_eq!(b.line_cmd("n2 NOOP").await, "* 1 EXPUNGE");
    assert!(b.read_line().await.unwrap().starts_with("n2 OK"));
    deliver(&s, "alice@example.test", "Subject: c\r\n\r\nc\r\n").await;
    assert_eq!(b.line_cmd("n3 NOOP").await, "* 2 EXISTS");
    s.stop().await;
}

#[tokio::test]
async fn quota_is_exact_through_append_copy_and_expunge() {
    let s = server("").await;
    let mut imap = login(&s).await;
    let used = || async {
        let v: Value = s
            .admin(Method::GET, "/v1/accounts/alice@example.test")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["used_bytes"].as_i64().unwrap()
    };
    let message = b"Subject: appended\r\n\r\nbody\r\n";
    imap.append("INBOX", Some("(\\Seen)"), None, message)
        .await
        .unwrap();
    assert_eq!(used().await, message.len() as i64);
    imap.select("INBOX").await.unwrap();
    imap.copy("1", "Trash").await.unwrap();
    assert_eq!(used().await, 2 * message.len() as i64);
    let _: Vec<_> = imap
        .store("1", "+FLAGS (\\Deleted)")
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let _: Vec<u32> = imap.expunge().await.unwrap().try_collect().await.unwrap();
    assert_eq!(used().await, message.len() as i64);
    // Deleting a mailbox gives its messages' size back too.
    imap.create("Scratch").await.unwrap();
    imap.select("Trash").await.unwrap();
    imap.copy("1", "Scratch").await.unwrap();
    assert_eq!(used().await, 2 * message.len() as i64);
    imap.delete("Scratch").await.unwrap();
    assert_eq!(used().await, message.len() as i64);
    s.admin(Method::PATCH, "/v1/accounts/alice@example.test")
        .json(&json!({"quota_bytes": 40}))
        .send()
        .await
        .unwrap();
    // Refused before the message is sent (`NO [OVERQUOTA]` instead of the
    // continuation; tests/hostile.rs reads the line itself): async-imap
    // reports that as a failed APPEND without the code.
    let err = imap.append("INBOX", None, None, message).await.unwrap_err();
    assert!(
        matches!(err, async_imap::error::Error::Append) || format!("{err:?}").contains("OVERQUOTA"),
        "{err:?}"
    );
    assert_eq!(used().await, message.len() as i64);
    imap.logout().await.unwrap();
    s.stop().await;
}

#[tokio::test]
async fn sessions_per_account_are_limited() {
    let s = server("[access]\nmax_sessions_per_account = 2\n").await;
    let a = login(&s).await;
    let b = login(&s).await;
    let third = connect(&s)
        .await
        .login("alice@example.test", "alice password")
        .await;
    let Err((err, _)) = third else {
        panic!("third session allowed")
    };
    assert!(format!("{err:?}").contains("LIMIT"), "{err:?}");
    drop((a, b));
    s.stop().await;
}

#[tokio::test]
async fn python_imaplib_and_curl() {
    let s = server("").await;
    deliver(
        &s,
        "alice@example.test",
        "Subject: for imaplib\r\n\r\nhello imaplib\r\n",
    )
    .await;
    let port = s.imaps.unwrap().port();
    let script = format!(
        r#"
import imaplib, ssl
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
m = imaplib.IMAP4_SSL("127.0.0.1", {port}, ssl_context=ctx)
m.login("alice@example.test", "alice password")
typ, data = m.select("INBOX")
assert typ == "OK" and data[0] == b"1", data
typ, data = m.search(None, "SUBJECT", "imaplib")
assert data[0] == b"1", data
typ, data = m.fetch("1", "(RFC822)")
assert b"hello imaplib" in data[0][1], data
m.store("1", "+FLAGS", "\\Flagged")
typ, data = m.fetch("1", "(FLAGS)")
assert b"\\Flagged" in data[0], data
m.create("Saved")
typ, data = m.uid("MOVE", "1", "Saved")
assert typ == "OK", (typ, data)
m.select("Saved")
m.store("1", "+FLAGS", "\\Deleted")
m.expunge()
m.logout()
print("ok")
"#
    );
    let out = tokio::process::Command::new("python3")
        .arg("-c")
        .arg(&script)
        .output()
        .await
        .expect("python3");
    assert!(
        out.status.success(),
        "imaplib: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    deliver(
        &s,
        "alice@example.test",
        "Subject: for curl\r\n\r\nhello curl\r\n",
    )
    .await;
    let out = tokio::process::Command::new("curl")
        .args([
            "-s",
            "-k",
            "--max-time",
            "20",
            "-u",
            "alice@example.test:alice password",
        ])
        .arg(format!("imaps://127.0.0.1:{port}/INBOX;UID=2"))
        .output()
        .await
        .expect("curl");
    assert!(
        out.status.success(),
        "curl: {:?} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("hello curl"));
    // imap:// with STARTTLS required.
    let out = tokio::process::Command::new("curl")
        .args([
            "-s",
            "-k",
            "--ssl-reqd",
            "--max-time",
            "20",
            "-u",
            "alice@example.test:alice password",
        ])
        .arg(format!(
            "imap://127.0.0.1:{}/INBOX;UID=2",
            s.imap.unwrap().port()
        ))
        .output()
        .await
        .expect("curl");
    assert!(
        out.status.success(),
        "curl STARTTLS: {:?} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("hello curl"));
    s.stop().await;
}

/// Runs `command` on a fresh session with the corpus message appended to
/// INBOX, returning the untagged response lines it produced.
async fn fetch_corpus(s: &TestServer, message: &[u8], command: &str) -> Vec<String> {
    let dir = s.dir.path().to_path_buf();
    let mut c = SmtpClient::connect_raw_tls(s.imaps.unwrap(), &dir).await;
    c.read_line().await;
    assert!(
        c.line_cmd("l LOGIN alice@example.test \"alice password\"")
            .await
            .starts_with("l OK")
    );
    c.send(format!("a APPEND INBOX {{{}+}}\r\n", message.len()).as_bytes())
        .await;
    c.send(message).await;
    c.send(b"\r\n").await;
    assert!(c.read_line().await.unwrap().starts_with("a OK [APPENDUID"));
    c.send(b"s SELECT INBOX\r\n").await;
    while !c.read_line().await.unwrap().starts_with("s OK") {}
    c.send(format!("f {command}\r\n").as_bytes()).await;
    let mut lines = Vec::new();
    loop {
        let line = c.read_line().await.unwrap();
        if line.starts_with("f ") {
            assert!(line.starts_with("f OK"), "{line}");
            return lines;
        }
        lines.push(line);
    }
}

#[tokio::test]
async fn corpus_bodystructure_and_envelope() {
    let s = server("").await;
    let message = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/corpus/nested.eml"
    ))
    .unwrap();
    let lines = fetch_corpus(&s, &message, "FETCH 1 (BODYSTRUCTURE ENVELOPE)").await;
    // Derived by hand from tests/corpus/nested.eml: part sizes are the octets
    // between a part's header and the CRLF that starts the next boundary,
    // lines are the line endings within them (as Dovecot counts); names
    // and parameters go out as written (RFC 2231 `filename*` included).
    let text = "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"8BIT\" 25 1 NIL NIL NIL NIL)";
    let html = "(\"TEXT\" \"HTML\" (\"CHARSET\" \"utf-8\") NIL NIL \"QUOTED-PRINTABLE\" 17 0 NIL NIL NIL NIL)";
    let alternative =
        format!("({text}{html} \"ALTERNATIVE\" (\"BOUNDARY\" \"inner\") NIL NIL NIL)");
    let name = "\"=?utf-8?b?w6RyZ2VyLnBkZg==?=\"";
    let pdf = format!(
        "(\"APPLICATION\" \"PDF\" (\"NAME\" {name}) NIL NIL \"BASE64\" 12 NIL (\"ATTACHMENT\" (\"FILENAME*\" \"utf-8''%C3%A4rger.pdf\")) NIL NIL)"
    );
    let carol = "((\"Carol\" NIL \"carol\" \"example.test\"))";
    let inner_env = format!(
        "(\"Sun, 1 Nov 2026 09:00:00 +0000\" \"inner message\" {carol} {carol} {carol} ((NIL NIL \"alice\" \"example.test\")) NIL NIL NIL NIL)"
    );
    let inner_body =
        "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 10 0 NIL NIL NIL NIL)";
    let rfc822 = format!(
        "(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 132 {inner_env} {inner_body} 5 NIL NIL NIL NIL)"
    );
    let structure =
        format!("({alternative}{pdf}{rfc822} \"MIXED\" (\"BOUNDARY\" \"outer\") NIL NIL NIL)");
    let joerg = "((\"=?utf-8?q?J=C3=B6rg?=\" NIL \"joerg\" \"example.test\"))";
    let envelope = format!(
        "(\"Mon, 2 Nov 2026 10:00:00 +0100\" \"=?utf-8?q?Gr=C3=BC=C3=9Fe?= und mehr\" {joerg} {joerg} {joerg} \
         ((\"Bob\" NIL \"bob\" \"example.test\")(NIL NIL \"carol\" \"example.test\")) ((\"Team, All\" NIL \"team\" \"example.test\")) \
         NIL NIL \"<corpus-1@example.test>\")"
    );
    assert_eq!(
        lines,
        vec![format!(
            "* 1 FETCH (BODYSTRUCTURE {structure} ENVELOPE {envelope})"
        )]
    );

    // Sections, including those of the encapsulated message, and partials.
    let got = fetch_corpus(
        &s,
        &message,
        "FETCH 2 (BODY.PEEK[1.1] BODY.PEEK[3.HEADER.FIELDS (SUBJECT)] BODY.PEEK[3.TEXT] BODY.PEEK[2.MIME] BODY.PEEK[HEADER.FIELDS (Message-ID)] BODY.PEEK[2]<0.4> BODY.PEEK[9])",
    )
    .await
    .join("\n");
    assert!(got.contains("BODY[1.1] {25}\nHallö Welt\nzweite Zeile BODY[3.HEADER.FIELDS (SUBJECT)] {26}\nSubject: inner message\n\n"), "{got}");
    assert!(got.contains("BODY[3.TEXT] \"inner body\""), "{got}");
    assert!(
        got.contains("BODY[2.MIME] {171}\nContent-Type: application/pdf;"),
        "{got}"
    );
    assert!(
        got.contains("BODY[HEADER.FIELDS (Message-ID)] {39}\nMessage-ID: <corpus-1@example.test>"),
        "{got}"
    );
    assert!(got.contains("BODY[2]<0> \"JVBE\""), "{got}");
    // A part that does not exist is empty (as Dovecot and UW answer).
    assert!(got.contains("BODY[9] \"\""), "{got}");
    s.stop().await;
}
