//! CONDSTORE and QRESYNC (RFC 7162) over real sockets: mod-sequences in
//! SELECT, STATUS, FETCH and SEARCH; CHANGEDSINCE and UNCHANGEDSINCE;
//! resynchronisation with SELECT (QRESYNC ...) and VANISHED.

mod common;

use common::TestServer;
use common::raw::Raw;
use tokio::net::TcpStream;

type Tls = tokio_rustls::client::TlsStream<TcpStream>;

async fn session(s: &TestServer) -> Raw<Tls> {
    common::imap::raw_session(s, "alice@example.test", "alice password").await
}

/// The number after `key` in `line` (e.g. "HIGHESTMODSEQ 12").
fn number_after(line: &str, key: &str) -> u64 {
    let rest = line
        .split(key)
        .nth(1)
        .unwrap_or_else(|| panic!("{key} in {line}"));
    rest.trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap()
}

fn find<'a>(lines: &'a [String], needle: &str) -> &'a String {
    lines
        .iter()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle} in {lines:?}"))
}

async fn setup() -> (TestServer, Raw<Tls>) {
    let s = TestServer::start_smtp("").await;
    s.create_domain("example.test").await;
    s.create_account("alice@example.test", "alice password")
        .await;
    let mut c = session(&s).await;
    for i in 1..=4 {
        let body = format!("Subject: m{i}\r\n\r\nbody {i}\r\n");
        c.send(format!("a{i} APPEND INBOX {{{}+}}\r\n{body}\r\n", body.len()).as_bytes())
            .await;
        c.until(&format!("a{i} OK")).await;
    }
    (s, c)
}

#[tokio::test]
async fn condstore_mod_sequences_and_conditional_store() {
    let (s, mut c) = setup().await;
    let caps = c.exchange("c CAPABILITY").await;
    assert!(
        caps[0].contains(" CONDSTORE") && caps[0].contains(" QRESYNC"),
        "{caps:?}"
    );
    let r = c.exchange("s SELECT INBOX (CONDSTORE)").await;
    let highest = number_after(find(&r, "[HIGHESTMODSEQ"), "HIGHESTMODSEQ");
    let r = c.exchange("t STATUS INBOX (HIGHESTMODSEQ)").await;
    assert_eq!(number_after(&r[0], "HIGHESTMODSEQ"), highest, "{r:?}");
    // Every message has a MODSEQ; the last appended has the highest.
    let r = c.exchange("f FETCH 1:* (MODSEQ)").await;
    let seqs: Vec<u64> = r
        .iter()
        .filter(|l| l.contains("MODSEQ ("))
        .map(|l| number_after(l, "MODSEQ ("))
        .collect();
    assert_eq!(seqs.len(), 4);
    assert_eq!(*seqs.iter().max().unwrap(), highest);
    // A store raises the message's MODSEQ above the old highest.
    let r = c.exchange("g STORE 2 +FLAGS (\\Flagged)").await;
    let m2 = number_after(find(&r, "* 2 FETCH"), "MODSEQ (");
    assert!(m2 > highest, "{r:?}");
    // CHANGEDSINCE: only message 2 changed after the old highest.
    let r = c
        .exchange(&format!("h FETCH 1:* (FLAGS) (CHANGEDSINCE {highest})"))
        .await;
    let fetches: Vec<&String> = r.iter().filter(|l| l.contains(" FETCH (")).collect();
    assert_eq!(fetches.len(), 1, "{r:?}");
    assert!(
        fetches[0].starts_with("* 2 FETCH") && fetches[0].contains("MODSEQ"),
        "{r:?}"
    );
    // UNCHANGEDSINCE: message 2 changed after `highest`, so it is refused
    // (MODIFIED); message 3 did not, so it is stored.
    let r = c
        .exchange(&format!(
            "i STORE 2:3 (UNCHANGEDSINCE {highest}) +FLAGS (\\Seen)"
        ))
        .await;
    assert!(r.last().unwrap().starts_with("i OK [MODIFIED 2]"), "{r:?}");
    assert!(find(&r, "* 3 FETCH").contains("\\Seen"), "{r:?}");
    let r = c.exchange("j FETCH 2 (FLAGS)").await;
    assert!(!find(&r, "* 2 FETCH").contains("\\Seen"), "{r:?}");
    // SEARCH MODSEQ answers with the highest mod-sequence of the matches.
    let r = c
        .exchange(&format!("k SEARCH MODSEQ {}", highest + 1))
        .await;
    assert!(r[0].starts_with("* SEARCH 2 3 (MODSEQ "), "{r:?}");
    s.stop().await;
}

#[tokio::test]
async fn other_sessions_changes_carry_modseq_and_qresync_resynchronises() {
    let (s, mut c) = setup().await;
    let r = c.exchange("e ENABLE QRESYNC").await;
    assert!(
        r[0].contains("QRESYNC") && r[0].contains("CONDSTORE"),
        "{r:?}"
    );
    let r = c.exchange("s SELECT INBOX").await;
    let validity = number_after(find(&r, "[UIDVALIDITY"), "UIDVALIDITY");
    let before = number_after(find(&r, "[HIGHESTMODSEQ"), "HIGHESTMODSEQ");
    // Another session changes flags and expunges while this one watches.
    let mut other = session(&s).await;
    other.exchange("s SELECT INBOX").await;
    other.exchange("f STORE 1 +FLAGS.SILENT (\\Answered)").await;
    other.exchange("d STORE 3 +FLAGS.SILENT (\\Deleted)").await;
    other.exchange("x EXPUNGE").await;
    let r = c.exchange("n NOOP").await;
    assert!(r.iter().any(|l| l == "* VANISHED 3"), "{r:?}");
    assert!(find(&r, "* 1 FETCH").contains("MODSEQ"), "{r:?}");
    c.exchange("u UNSELECT").await;
    // Resynchronise from `before`: message 3 vanished, message 1 changed.
    let r = c
        .exchange(&format!(
            "q SELECT INBOX (QRESYNC ({validity} {before} 1:4))"
        ))
        .await;
    assert!(r.iter().any(|l| l == "* VANISHED (EARLIER) 3"), "{r:?}");
    let changed: Vec<&String> = r.iter().filter(|l| l.contains(" FETCH (")).collect();
    assert_eq!(changed.len(), 1, "{r:?}");
    assert!(
        changed[0].contains("UID 1 ") && changed[0].contains("\\Answered"),
        "{r:?}"
    );
    // UID FETCH with VANISHED reports the same expunge.
    let r = c
        .exchange(&format!(
            "v UID FETCH 1:* (FLAGS) (CHANGEDSINCE {before} VANISHED)"
        ))
        .await;
    assert!(r.iter().any(|l| l == "* VANISHED (EARLIER) 3"), "{r:?}");
    // Selecting another mailbox closes this one with [CLOSED].
    let r = c.exchange("w SELECT Sent").await;
    assert!(r[0].starts_with("* OK [CLOSED]"), "{r:?}");
    s.stop().await;
}

/// Tombstones are pruned after `[access] imap_tombstone_days`; a client that
/// resynchronises from before the prune is still told what vanished — every
/// UID it may know of that is not there (RFC 7162 3.2.10) — and the flags of
/// every message, instead of nothing.
#[tokio::test]
async fn qresync_after_tombstones_were_pruned_reports_what_is_gone() {
    let (s, mut c) = setup().await;
    c.exchange("e ENABLE QRESYNC").await;
    c.exchange("s SELECT INBOX").await;
    c.exchange("d STORE 2 +FLAGS.SILENT (\\Deleted)").await;
    c.exchange("x EXPUNGE").await;
    let r = c.exchange("s SELECT INBOX").await;
    let validity = number_after(find(&r, "[UIDVALIDITY"), "UIDVALIDITY");
    let before = number_after(find(&r, "[HIGHESTMODSEQ"), "HIGHESTMODSEQ");
    // UID 3 goes after the client's last look; UID 2 went before it.
    c.exchange("d STORE 2 +FLAGS.SILENT (\\Deleted)").await;
    c.exchange("x EXPUNGE").await;
    let resync = format!("q SELECT INBOX (QRESYNC ({validity} {before}))");
    let r = c.exchange(&resync).await;
    assert!(r.iter().any(|l| l == "* VANISHED (EARLIER) 3"), "{r:?}");
    drop(c);

    // Housekeeping runs at start; with 0 days it prunes every tombstone.
    let mut s = s;
    s.config.access.imap_tombstone_days = 0;
    let s = s.restart().await;
    for _ in 0..50 {
        let mut c = session(&s).await;
        c.exchange("e ENABLE QRESYNC").await;
        let r = c.exchange(&resync).await;
        if r.iter().any(|l| l == "* VANISHED (EARLIER) 2:3") {
            let fetched: Vec<&String> = r.iter().filter(|l| l.contains(" FETCH (")).collect();
            assert_eq!(fetched.len(), 2, "every message's flags: {r:?}");
            let r = c
                .exchange(&format!(
                    "v UID FETCH 1:* (FLAGS) (CHANGEDSINCE {before} VANISHED)"
                ))
                .await;
            assert!(r.iter().any(|l| l == "* VANISHED (EARLIER) 2:3"), "{r:?}");
            s.stop().await;
            return;
        }
        assert!(r.iter().any(|l| l == "* VANISHED (EARLIER) 3"), "{r:?}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("tombstones were not pruned");
}
