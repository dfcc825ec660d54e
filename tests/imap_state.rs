//! IMAP state shared between sessions, over real sockets: flags changed by
//! two sessions merge, UIDVALIDITY never repeats for a name, \Recent belongs
//! to one session, and a command's own changes are reported before its
//! tagged reply.

mod common;

use common::TestServer;
use common::raw::Raw;
use tokio::net::TcpStream;

type Tls = tokio_rustls::client::TlsStream<TcpStream>;

const USER: &str = "alice@example.test";
const PASSWORD: &str = "alice password";

async fn server() -> TestServer {
    let s = TestServer::start_smtp("").await;
    s.create_domain("example.test").await;
    s.create_account(USER, PASSWORD).await;
    s
}

async fn session(s: &TestServer) -> Raw<Tls> {
    common::imap::raw_session(s, USER, PASSWORD).await
}

async fn append(c: &mut Raw<Tls>, tag: &str, mailbox: &str, body: &str) -> Vec<String> {
    c.send(format!("{tag} APPEND {mailbox} {{{}+}}\r\n{body}\r\n", body.len()).as_bytes())
        .await;
    let mut lines = Vec::new();
    loop {
        let l = c.line().await.expect("a reply");
        let done = l.starts_with(&format!("{tag} "));
        lines.push(l);
        if done {
            return lines;
        }
    }
}

fn flags_of(lines: &[String]) -> String {
    lines
        .iter()
        .rfind(|l| l.starts_with("* ") && l.contains(" FETCH ("))
        .and_then(|l| l.split("FLAGS (").nth(1))
        .and_then(|f| f.split(')').next())
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn flag_changes_from_two_sessions_merge() {
    let s = server().await;
    let mut a = session(&s).await;
    append(&mut a, "p", "INBOX", "Subject: one\r\n\r\nbody\r\n").await;
    let mut b = session(&s).await;
    a.exchange("s SELECT INBOX").await;
    b.exchange("s SELECT INBOX").await;
    b.exchange("f STORE 1 +FLAGS (\\Seen)").await;
    // A's snapshot does not know of B's \Seen; adding \Answered keeps it.
    let r = a.exchange("g STORE 1 +FLAGS (\\Answered)").await;
    let text = flags_of(&r);
    let mut flags: Vec<&str> = text.split(' ').collect();
    flags.sort();
    assert_eq!(flags, ["\\Answered", "\\Recent", "\\Seen"], "{r:?}");
    // B removes \Seen without losing A's \Answered.
    let r = b.exchange("h STORE 1 -FLAGS (\\Seen)").await;
    assert_eq!(flags_of(&r), "\\Answered", "{r:?}");
    let r = a.exchange("i FETCH 1 FLAGS").await;
    let f = flags_of(&r);
    assert!(f.contains("\\Answered") && !f.contains("\\Seen"), "{r:?}");
    s.stop().await;
}

#[tokio::test]
async fn uidvalidity_is_never_reused_for_a_name() {
    let s = server().await;
    let mut c = session(&s).await;
    let mut seen = Vec::new();
    for round in 0..3 {
        let r = c.exchange(&format!("c{round} CREATE Scratch")).await;
        assert!(
            r.last().unwrap().starts_with(&format!("c{round} OK")),
            "{r:?}"
        );
        let r = append(
            &mut c,
            &format!("a{round}"),
            "Scratch",
            "Subject: x\r\n\r\ny\r\n",
        )
        .await;
        let code = r.last().unwrap().clone();
        assert!(code.contains("[APPENDUID "), "{code}");
        seen.push(code.split_whitespace().nth(3).unwrap().to_string());
        c.exchange(&format!("d{round} DELETE Scratch")).await;
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 3, "UIDVALIDITY repeated: {seen:?}");
    s.stop().await;
}

#[tokio::test]
async fn recent_belongs_to_the_first_session_that_selects() {
    let s = server().await;
    let mut a = session(&s).await;
    append(&mut a, "p", "INBOX", "Subject: one\r\n\r\nbody\r\n").await;
    let r = a.exchange("t STATUS INBOX (RECENT MESSAGES)").await;
    assert!(r[0].contains("RECENT 1"), "{r:?}");
    // EXAMINE looks without taking.
    let mut b = session(&s).await;
    let r = b.exchange("e EXAMINE INBOX").await;
    assert!(r.contains(&"* 1 RECENT".to_string()), "{r:?}");
    let r = a.exchange("s SELECT INBOX").await;
    assert!(r.contains(&"* 1 RECENT".to_string()), "{r:?}");
    let r = a.exchange("n SEARCH NEW").await;
    assert_eq!(r[0], "* SEARCH 1");
    let r = a.exchange("o SEARCH OLD").await;
    assert_eq!(r[0], "* SEARCH");
    // Another session selecting later sees it as not recent.
    let mut c = session(&s).await;
    let r = c.exchange("s SELECT INBOX").await;
    assert!(r.contains(&"* 0 RECENT".to_string()), "{r:?}");
    let r = c.exchange("f FETCH 1 FLAGS").await;
    assert!(!flags_of(&r).contains("\\Recent"), "{r:?}");
    let r = a.exchange("f FETCH 1 FLAGS").await;
    assert!(flags_of(&r).contains("\\Recent"), "{r:?}");
    s.stop().await;
}

#[tokio::test]
async fn append_and_move_report_exists_before_their_tagged_reply() {
    let s = server().await;
    let mut a = session(&s).await;
    a.exchange("s SELECT INBOX").await;
    let r = append(&mut a, "p", "INBOX", "Subject: one\r\n\r\nbody\r\n").await;
    let exists = r.iter().position(|l| l == "* 1 EXISTS");
    assert!(exists.is_some_and(|i| i < r.len() - 1), "{r:?}");
    assert!(r.last().unwrap().starts_with("p OK"));
    let r = a.exchange("c COPY 1 INBOX").await;
    assert!(r.iter().any(|l| l == "* 2 EXISTS"), "{r:?}");
    assert!(r.last().unwrap().starts_with("c OK"));
    s.stop().await;
}

#[tokio::test]
async fn new_keywords_are_announced_in_flags_before_they_are_used() {
    let s = server().await;
    let mut a = session(&s).await;
    append(&mut a, "p", "INBOX", "Subject: one\r\n\r\nbody\r\n").await;
    let mut b = session(&s).await;
    let r = a.exchange("s SELECT INBOX").await;
    assert!(
        r.iter()
            .any(|l| l == "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)"),
        "{r:?}"
    );
    b.exchange("s SELECT INBOX").await;
    let r = a.exchange("k STORE 1 +FLAGS ($Important)").await;
    let flags = r
        .iter()
        .position(|l| l.starts_with("* FLAGS") && l.contains("$Important"));
    let fetch = r.iter().position(|l| l.contains("FETCH"));
    assert!(flags.is_some() && flags < fetch, "{r:?}");
    assert!(
        r.iter().any(|l| l.starts_with("* OK [PERMANENTFLAGS")
            && l.contains("$Important")
            && l.contains("\\*")),
        "{r:?}"
    );
    // The other session learns of it at its next command, FLAGS first.
    let r = b.exchange("n NOOP").await;
    let flags = r
        .iter()
        .position(|l| l.starts_with("* FLAGS") && l.contains("$Important"));
    let fetch = r.iter().position(|l| l.contains("FETCH"));
    assert!(flags.is_some() && flags < fetch, "{r:?}");
    s.stop().await;
}

#[tokio::test]
async fn create_with_a_trailing_delimiter_and_lsub_with_percent() {
    let s = server().await;
    let mut a = session(&s).await;
    let r = a.exchange("c CREATE Projects/").await;
    assert!(r.last().unwrap().starts_with("c OK"), "{r:?}");
    let r = a.exchange("l LIST \"\" Projects").await;
    assert!(r[0].ends_with(" Projects"), "{r:?}");
    a.exchange("d CREATE Projects/2026").await;
    // CREATE does not subscribe; SUBSCRIBE does.
    let r = a.exchange("u LSUB \"\" Projects*").await;
    assert_eq!(r.len(), 1, "{r:?}");
    a.exchange("v SUBSCRIBE Projects/2026").await;
    let r = a.exchange("w LSUB \"\" %").await;
    assert!(
        r.iter()
            .any(|l| l.starts_with("* LSUB (\\Noselect)") && l.ends_with(" Projects")),
        "{r:?}"
    );
    assert!(!r.iter().any(|l| l.contains("Projects/2026")), "{r:?}");
    let r = a.exchange("x LSUB \"\" *").await;
    assert!(r.iter().any(|l| l.ends_with(" Projects/2026")), "{r:?}");
    assert!(!r.iter().any(|l| l.ends_with(" Projects")), "{r:?}");
    s.stop().await;
}

#[tokio::test]
async fn envelope_shows_group_syntax() {
    let s = server().await;
    let mut a = session(&s).await;
    append(
        &mut a,
        "p",
        "INBOX",
        "To: undisclosed-recipients:;\r\nCc: friends: b@y.test;\r\nSubject: g\r\n\r\nbody\r\n",
    )
    .await;
    a.exchange("s SELECT INBOX").await;
    let r = a.exchange("e FETCH 1 ENVELOPE").await;
    assert!(
        r[0].contains("((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL))"),
        "{r:?}"
    );
    assert!(
        r[0].contains("((NIL NIL \"friends\" NIL)(NIL NIL \"b\" \"y.test\")(NIL NIL NIL NIL))"),
        "{r:?}"
    );
    s.stop().await;
}

#[tokio::test]
async fn expunge_removes_only_what_is_deleted_now() {
    let s = server().await;
    let mut a = session(&s).await;
    for i in 0..3 {
        append(
            &mut a,
            &format!("p{i}"),
            "INBOX",
            "Subject: m\r\n\r\nbody\r\n",
        )
        .await;
    }
    let mut b = session(&s).await;
    a.exchange("s SELECT INBOX").await;
    b.exchange("s SELECT INBOX").await;
    a.exchange("d STORE 1:3 +FLAGS.SILENT (\\Deleted)").await;
    // B undeletes message 2 just before A expunges.
    b.exchange("u STORE 2 -FLAGS.SILENT (\\Deleted)").await;
    let r = a.exchange("x EXPUNGE").await;
    let expunges: Vec<&String> = r.iter().filter(|l| l.ends_with(" EXPUNGE")).collect();
    assert_eq!(expunges, ["* 3 EXPUNGE", "* 1 EXPUNGE"], "{r:?}");
    // B hears of both at its next command; one message is left.
    let r = b.exchange("n NOOP").await;
    assert_eq!(
        r.iter().filter(|l| l.ends_with(" EXPUNGE")).count(),
        2,
        "{r:?}"
    );
    let r = b.exchange("f FETCH 1:* FLAGS").await;
    assert_eq!(
        r.iter().filter(|l| l.contains(" FETCH (")).count(),
        1,
        "{r:?}"
    );
    s.stop().await;
}

#[tokio::test]
async fn mailbox_names_travel_as_modified_utf7_and_are_stored_as_utf8() {
    let s = server().await;
    let mut a = session(&s).await;
    let r = a.exchange("c CREATE Entw&APw-rfe").await;
    assert!(r.last().unwrap().starts_with("c OK"), "{r:?}");
    let r = a.exchange("l LIST \"\" Entw*").await;
    assert_eq!(r[0], "* LIST (\\HasNoChildren) \"/\" Entw&APw-rfe", "{r:?}");
    // Stored (and shown by the API) as UTF-8.
    let alice = rampart::address::EmailAddress::parse(USER).unwrap();
    let account = s.state.store.account(&alice).await.unwrap();
    let names: Vec<String> = s
        .state
        .store
        .mailboxes(account.id)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.name)
        .collect();
    assert!(names.contains(&"Entwürfe".to_string()), "{names:?}");
    // Malformed modified UTF-7 is refused.
    let r = a.exchange("d CREATE &Jjo").await;
    assert!(r.last().unwrap().starts_with("d NO"), "{r:?}");
    s.stop().await;
}

#[tokio::test]
async fn quota_reports_the_accounts_storage() {
    let s = server().await;
    let mut a = session(&s).await;
    let caps = a.exchange("c CAPABILITY").await;
    assert!(
        caps[0].contains(" QUOTA ") && caps[0].contains("QUOTA=RES-STORAGE"),
        "{caps:?}"
    );
    // No quota: no root.
    let r = a.exchange("q GETQUOTAROOT INBOX").await;
    assert_eq!(r[0], "* QUOTAROOT INBOX", "{r:?}");
    let r = s
        .admin(reqwest::Method::PATCH, &format!("/v1/accounts/{USER}"))
        .json(&serde_json::json!({ "quota_bytes": 10 * 1024 * 1024 }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    append(
        &mut a,
        "p",
        "INBOX",
        &format!("Subject: big\r\n\r\n{}\r\n", "x".repeat(3000)),
    )
    .await;
    let r = a.exchange("r GETQUOTAROOT INBOX").await;
    assert_eq!(r[0], "* QUOTAROOT INBOX \"\"", "{r:?}");
    assert_eq!(r[1], "* QUOTA \"\" (STORAGE 3 10240)", "{r:?}");
    let r = a.exchange("g GETQUOTA \"\"").await;
    assert_eq!(r[0], "* QUOTA \"\" (STORAGE 3 10240)", "{r:?}");
    let r = a.exchange("s SETQUOTA \"\" (STORAGE 1)").await;
    assert!(r.last().unwrap().starts_with("s NO"), "{r:?}");
    s.stop().await;
}

/// SELECT starts from a per-node cached view of the mailbox: one taken on
/// another node, or before other sessions changed the mailbox, must be
/// brought up to date (expunges, flag changes, arrivals) before it is used.
#[tokio::test]
async fn select_sees_changes_made_since_a_node_cached_the_mailbox() {
    let s = server().await;
    let node2 = s.second_node().await;
    let mut a = session(&s).await;
    for i in 1..=3 {
        append(
            &mut a,
            "p",
            "INBOX",
            &format!("Subject: m{i}\r\n\r\nbody\r\n"),
        )
        .await;
    }
    // Both nodes cache the three-message view.
    for node in [&s, &node2] {
        let mut b = session(node).await;
        let r = b.exchange("s SELECT INBOX").await;
        assert!(r.iter().any(|l| l == "* 3 EXISTS"), "{r:?}");
        b.exchange("z LOGOUT").await;
    }
    a.exchange("s SELECT INBOX").await;
    a.exchange("d STORE 1 +FLAGS (\\Deleted)").await;
    let r = a.exchange("e EXPUNGE").await;
    assert!(r.iter().any(|l| l == "* 1 EXPUNGE"), "{r:?}");
    a.exchange("f UID STORE 3 +FLAGS (\\Flagged)").await;
    append(&mut a, "p", "INBOX", "Subject: m4\r\n\r\nbody\r\n").await;
    for node in [&s, &node2] {
        let mut c = session(node).await;
        let r = c.exchange("s SELECT INBOX").await;
        assert!(r.iter().any(|l| l == "* 3 EXISTS"), "{r:?}");
        let r = c.exchange("f FETCH 1:* (UID FLAGS)").await;
        let fetched: Vec<&String> = r.iter().filter(|l| l.contains(" FETCH (")).collect();
        assert_eq!(fetched.len(), 3, "{r:?}");
        assert!(
            fetched[0].contains("UID 2 ") && !fetched[0].contains("\\Flagged"),
            "{r:?}"
        );
        assert!(
            fetched[1].contains("UID 3 ") && fetched[1].contains("\\Flagged"),
            "{r:?}"
        );
        assert!(fetched[2].contains("UID 4 "), "{r:?}");
    }
    node2.stop().await;
    s.stop().await;
}

/// ESEARCH (RFC 4731) answers `SEARCH RETURN (...)` in one line, and
/// LIST-STATUS (RFC 5819) follows each LIST line with the mailbox's STATUS.
#[tokio::test]
async fn esearch_and_list_status() {
    let s = server().await;
    let mut a = session(&s).await;
    for i in 1..=5 {
        append(
            &mut a,
            "p",
            "INBOX",
            &format!("Subject: m{i}\r\n\r\nbody\r\n"),
        )
        .await;
    }
    a.exchange("s SELECT INBOX").await;
    a.exchange("f STORE 2,3,5 +FLAGS (\\Flagged)").await;
    let r = a
        .exchange("e1 SEARCH RETURN (MIN MAX COUNT ALL) FLAGGED")
        .await;
    assert!(
        r.iter()
            .any(|l| l == "* ESEARCH (TAG \"e1\") MIN 2 MAX 5 COUNT 3 ALL 2:3,5"),
        "{r:?}"
    );
    assert!(!r.iter().any(|l| l.starts_with("* SEARCH")), "{r:?}");
    let r = a.exchange("e2 UID SEARCH RETURN () UNFLAGGED").await;
    assert!(
        r.iter().any(|l| l == "* ESEARCH (TAG \"e2\") UID ALL 1,4"),
        "{r:?}"
    );
    let r = a.exchange("e3 SEARCH RETURN (COUNT MIN) DELETED").await;
    assert!(
        r.iter().any(|l| l == "* ESEARCH (TAG \"e3\") COUNT 0"),
        "{r:?}"
    );
    // SAVE alone answers only OK (RFC 5182 2.4); unknown options are BAD.
    let r = a.exchange("e4 SEARCH RETURN (SAVE) ALL").await;
    assert_eq!(r, ["e4 OK SEARCH completed"], "{r:?}");
    let r = a.exchange("e5 SEARCH RETURN (PARTIAL 1:5) ALL").await;
    assert!(r.last().unwrap().starts_with("e5 BAD"), "{r:?}");
    a.exchange("c CREATE Later").await;
    let r = a
        .exchange("l LIST \"\" \"*\" RETURN (STATUS (MESSAGES UNSEEN))")
        .await;
    let inbox = r
        .iter()
        .position(|l| l.starts_with("* LIST") && l.ends_with("INBOX"));
    let inbox = inbox.unwrap_or_else(|| panic!("{r:?}"));
    assert_eq!(
        r[inbox + 1],
        "* STATUS INBOX (MESSAGES 5 UNSEEN 5)",
        "{r:?}"
    );
    assert!(
        r.iter()
            .any(|l| l == "* STATUS Later (MESSAGES 0 UNSEEN 0)"),
        "{r:?}"
    );
    assert!(r.last().unwrap().starts_with("l OK"), "{r:?}");
    let r = a.exchange("k CAPABILITY").await;
    assert!(
        r[0].contains(" ESEARCH") && r[0].contains(" LIST-STATUS"),
        "{r:?}"
    );
    s.stop().await;
}

/// BINARY (RFC 3516): a part with its transfer encoding undone, as a
/// literal8 when it holds NUL; BINARY.SIZE; NO [UNKNOWN-CTE]; STATUS SIZE.
#[tokio::test]
async fn binary_fetch_decodes_parts_and_status_reports_size() {
    let s = server().await;
    let mut c = session(&s).await;
    let caps = c.exchange("c CAPABILITY").await;
    assert!(
        caps[0].contains(" BINARY") && caps[0].contains(" STATUS=SIZE"),
        "{caps:?}"
    );
    let body = "Subject: bin\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
--b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nsoft=\r\nbreak =3D\r\n\
--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC\r\n\
--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nbegin\r\n\
--b--\r\n";
    append(&mut c, "a", "INBOX", body).await;
    let r = c.exchange("t STATUS INBOX (MESSAGES SIZE)").await;
    assert!(
        r[0].contains(&format!("SIZE {}", body.len())),
        "{r:?} (size {})",
        body.len()
    );
    c.exchange("s SELECT INBOX").await;
    let r = c
        .exchange("f FETCH 1 (BINARY.PEEK[1] BINARY.SIZE[1])")
        .await;
    let all = r.join("\n");
    assert!(all.contains("softbreak ="), "{r:?}");
    assert!(all.contains("BINARY.SIZE[1] 11"), "{r:?}");
    c.send(b"g FETCH 1 BINARY.PEEK[2]\r\n").await;
    let first = c.line().await.unwrap();
    assert!(first.ends_with("BINARY[2] ~{3}"), "a literal8: {first}");
    let rest = c.until("g ").await;
    assert!(rest.starts_with("g OK"), "{rest}");
    let r = c.exchange("h FETCH 1 BINARY.PEEK[3]").await;
    assert!(r.last().unwrap().starts_with("h NO [UNKNOWN-CTE]"), "{r:?}");
    let r = c.exchange("p FETCH 1 BINARY.PEEK[1]<4.5>").await;
    assert!(r[0].contains("BINARY[1]<4> \"break\""), "{r:?}");
    s.stop().await;
}

/// IMAP4rev2 (RFC 9051) once enabled: UTF-8 mailbox names, no \Recent,
/// ESEARCH for every SEARCH, LIST in SELECT's answer; a rev1 session keeps
/// modified UTF-7 and \Recent. UTF8=ACCEPT (RFC 6855): UTF-8 names and
/// APPEND's UTF8 data item.
#[tokio::test]
async fn imap4rev2_and_utf8_accept_once_enabled() {
    let s = server().await;
    let mut old = session(&s).await;
    append(&mut old, "a", "INBOX", "Subject: one\r\n\r\nbody\r\n").await;
    let mut c = session(&s).await;
    let caps = c.exchange("c CAPABILITY").await;
    for cap in [
        " IMAP4REV1",
        " IMAP4REV2",
        " UTF8=ACCEPT",
        " SEARCHRES",
        " LIST-EXTENDED",
    ] {
        assert!(
            caps[0].to_ascii_uppercase().contains(cap),
            "{cap} in {caps:?}"
        );
    }
    let r = c.exchange("e ENABLE IMAP4rev2").await;
    assert_eq!(r[0], "* ENABLED IMAP4rev2", "{r:?}");
    let r = c.exchange("m CREATE \"Grüße/Ärger\"").await;
    assert!(r.last().unwrap().starts_with("m OK"), "{r:?}");
    let r = c.exchange("l LIST \"\" \"Gr*\"").await;
    assert!(r.iter().any(|l| l.contains("\"Grüße/Ärger\"")), "{r:?}");
    let r = old.exchange("l LIST \"\" \"Gr*\"").await;
    assert!(
        r.iter().any(|l| l.contains("Gr&APwA3w-e/&AMQ-rger")),
        "{r:?}"
    );

    let r = c.exchange("s SELECT INBOX").await;
    assert!(
        r.iter()
            .any(|l| l.starts_with("* LIST (") && l.ends_with("INBOX")),
        "{r:?}"
    );
    assert!(
        !r.iter()
            .any(|l| l.contains("RECENT") || l.contains("[UNSEEN")),
        "{r:?}"
    );
    let r = c.exchange("f FETCH 1 FLAGS").await;
    assert!(!r[0].contains("\\Recent"), "{r:?}");
    let r = c.exchange("x SEARCH ALL").await;
    assert_eq!(r[0], "* ESEARCH (TAG \"x\") ALL 1", "{r:?}");
    let r = c.exchange("y UID SEARCH SUBJECT nothing-like-this").await;
    assert_eq!(r[0], "* ESEARCH (TAG \"y\") UID", "{r:?}");
    // The rev1 session still sees \Recent where it took it.
    let r = old.exchange("s SELECT INBOX").await;
    assert!(r.iter().any(|l| l == "* 1 RECENT"), "{r:?}");

    // UTF8=ACCEPT alone: UTF-8 names, and APPEND's UTF8 (literal8) item.
    let mut u = session(&s).await;
    let r = u.exchange("e ENABLE UTF8=ACCEPT").await;
    assert_eq!(r[0], "* ENABLED UTF8=ACCEPT", "{r:?}");
    let message = "Subject: Grüße\r\n\r\nHallö\r\n";
    u.send(
        format!(
            "a APPEND \"Grüße/Ärger\" UTF8 (~{{{}+}}\r\n{message})\r\n",
            message.len()
        )
        .as_bytes(),
    )
    .await;
    let done = u.until("a ").await;
    assert!(done.starts_with("a OK"), "{done}");
    let r = u.exchange("t STATUS \"Grüße/Ärger\" (MESSAGES)").await;
    assert!(r[0].contains("MESSAGES 1"), "{r:?}");
    s.stop().await;
}
