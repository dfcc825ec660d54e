//! Many IMAP sessions on one mailbox at once, each checking that what the
//! server tells it is consistent with what it told it before — the checks
//! Dovecot's imaptest makes in its stress mode ("Referenced message
//! expunged", "EXPUNGE for a nonexistent message", a UID that changes under
//! a sequence number, EXISTS going down without EXPUNGE).
//!
//! Every client keeps its own view of the mailbox (the UID at each sequence
//! number, learned from FETCH responses) and applies EXISTS and EXPUNGE to
//! it as RFC 3501 7.4.1 and 7.3.1 say; every untagged response is checked
//! against that view. The clients do random APPEND, STORE, EXPUNGE, FETCH,
//! SEARCH, MOVE and NOOP. At the end every view must equal a fresh
//! session's.

mod common;

use common::TestServer;
use common::raw::Raw;
use tokio::net::TcpStream;

type Tls = tokio_rustls::client::TlsStream<TcpStream>;

const USER: &str = "stress@example.test";
const PASSWORD: &str = "stress password";
const CLIENTS: usize = 10;
const OPS: usize = 80;

/// A client's idea of the selected mailbox.
struct View {
    /// The UID at each sequence number, where a FETCH told it.
    uids: Vec<Option<u32>>,
    name: String,
}

impl View {
    fn len(&self) -> usize {
        self.uids.len()
    }

    /// Applies one untagged response; panics on anything inconsistent.
    fn apply(&mut self, line: &str) {
        let Some(rest) = line.strip_prefix("* ") else {
            return;
        };
        let mut words = rest.splitn(3, ' ');
        let (Some(first), Some(kind)) = (words.next(), words.next()) else {
            return;
        };
        let tail = words.next().unwrap_or_default();
        if first == "SEARCH" {
            for n in rest
                .split(' ')
                .skip(1)
                .filter_map(|w| w.parse::<usize>().ok())
            {
                assert!(
                    (1..=self.len()).contains(&n),
                    "{}: SEARCH names message {n} of {}: {line}",
                    self.name,
                    self.len()
                );
            }
            return;
        }
        let Ok(n) = first.parse::<usize>() else {
            return;
        };
        match kind {
            "EXISTS" => {
                assert!(
                    n >= self.len(),
                    "{}: EXISTS went down from {} to {n} without EXPUNGE",
                    self.name,
                    self.len()
                );
                self.uids.resize(n, None);
            }
            "EXPUNGE" => {
                assert!(
                    (1..=self.len()).contains(&n),
                    "{}: EXPUNGE {n} of a mailbox of {}",
                    self.name,
                    self.len()
                );
                self.uids.remove(n - 1);
            }
            "FETCH" => {
                assert!(
                    (1..=self.len()).contains(&n),
                    "{}: FETCH for message {n} of {} (referenced message expunged?): {line}",
                    self.name,
                    self.len()
                );
                if let Some(uid) = uid_in(tail) {
                    if let Some(known) = self.uids[n - 1] {
                        assert_eq!(
                            known, uid,
                            "{}: message {n} changed its UID: {line}",
                            self.name
                        );
                    }
                    self.uids[n - 1] = Some(uid);
                    self.check_order();
                }
            }
            "RECENT" => {}
            other => panic!(
                "{}: unexpected untagged response {other}: {line}",
                self.name
            ),
        }
    }

    /// UIDs strictly ascend with sequence numbers (RFC 3501 2.3.1.1).
    fn check_order(&self) {
        let known: Vec<u32> = self.uids.iter().flatten().copied().collect();
        assert!(
            known.windows(2).all(|w| w[0] < w[1]),
            "{}: UIDs out of order: {known:?}",
            self.name
        );
    }
}

fn uid_in(fetch: &str) -> Option<u32> {
    let after = fetch.split("UID ").nth(1)?;
    after
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// A small deterministic generator, so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

struct Client {
    raw: Raw<Tls>,
    view: View,
    tags: usize,
    /// The last lines of the conversation, shown when a check fails.
    log: std::collections::VecDeque<String>,
}

impl Client {
    /// Runs one command; applies and checks every untagged response; returns
    /// the tagged reply's status word.
    async fn run(&mut self, command: &str) -> String {
        self.tags += 1;
        let tag = format!("t{}", self.tags);
        self.raw
            .send(format!("{tag} {command}\r\n").as_bytes())
            .await;
        self.finish(&tag, command).await
    }

    async fn finish(&mut self, tag: &str, command: &str) -> String {
        self.remember(format!("C: {tag} {command}"));
        loop {
            let line = self.raw.line().await.expect("a reply");
            self.remember(format!("S: {line}"));
            if let Some(status) = line.strip_prefix(&format!("{tag} ")) {
                let word = status.split(' ').next().unwrap_or_default().to_string();
                assert_ne!(
                    word,
                    "BAD",
                    "{}: {command} → {line}; conversation:\n{}",
                    self.view.name,
                    self.conversation()
                );
                return word;
            }
            if line.starts_with("+ ") {
                continue;
            }
            let view = &mut self.view;
            let applied =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| view.apply(&line)));
            if let Err(e) = applied {
                let why = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                panic!("{why}; conversation:\n{}", self.conversation());
            }
        }
    }

    fn remember(&mut self, line: String) {
        if self.log.len() == 60 {
            self.log.pop_front();
        }
        self.log.push_back(line);
    }

    fn conversation(&self) -> String {
        self.log.iter().cloned().collect::<Vec<_>>().join("\n")
    }

    async fn append(&mut self, n: usize) -> String {
        let body = format!("Subject: stress {n}\r\nFrom: a@example.test\r\n\r\nbody {n}\r\n");
        self.tags += 1;
        let tag = format!("t{}", self.tags);
        self.raw
            .send(format!("{tag} APPEND INBOX {{{}+}}\r\n{body}\r\n", body.len()).as_bytes())
            .await;
        self.finish(&tag, "APPEND").await
    }

    /// Learns every UID, and checks that a FETCH of 1:* answers for every
    /// message the client knows of.
    async fn fetch_all(&mut self) {
        if self.view.len() == 0 {
            self.run("NOOP").await;
            return;
        }
        let status = self.run("FETCH 1:* (UID FLAGS)").await;
        assert_eq!(status, "OK", "{}", self.view.name);
        assert!(
            self.view.uids.iter().all(Option::is_some),
            "{}: FETCH 1:* left messages without a UID: {:?}",
            self.view.name,
            self.view.uids
        );
    }

    async fn step(&mut self, rng: &mut Rng, op: usize) {
        let len = self.view.len();
        match rng.below(10) {
            0 | 1 => {
                self.append(op).await;
            }
            2 | 3 if len > 0 => {
                let n = rng.below(len) + 1;
                let flag = ["\\Deleted", "\\Flagged", "\\Seen", "$Stress"][rng.below(4)];
                let sign = if rng.below(2) == 0 { '+' } else { '-' };
                self.run(&format!("STORE {n} {sign}FLAGS ({flag})")).await;
            }
            4 => {
                self.run("EXPUNGE").await;
            }
            5 | 6 => self.fetch_all().await,
            7 => {
                self.run("SEARCH FLAGGED").await;
            }
            8 if len > 0 => {
                let n = rng.below(len) + 1;
                self.run(&format!("MOVE {n} Archive")).await;
            }
            _ => {
                self.run("NOOP").await;
            }
        }
    }
}

#[tokio::test]
async fn ten_sessions_on_one_mailbox_always_agree_with_themselves() {
    let s = TestServer::start_smtp("").await;
    s.create_domain("example.test").await;
    s.create_account(USER, PASSWORD).await;

    let mut clients = Vec::new();
    for i in 0..CLIENTS {
        let raw = common::imap::raw_session(&s, USER, PASSWORD).await;
        let mut c = Client {
            raw,
            view: View {
                uids: Vec::new(),
                name: format!("client {i}"),
            },
            tags: 0,
            log: Default::default(),
        };
        if i == 0 {
            c.run("CREATE Archive").await;
            for n in 0..20 {
                c.append(n).await;
            }
        }
        clients.push(c);
    }
    for c in &mut clients {
        assert_eq!(c.run("SELECT INBOX").await, "OK");
    }

    let mut tasks = tokio::task::JoinSet::new();
    for (i, mut c) in clients.into_iter().enumerate() {
        tasks.spawn(async move {
            let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ ((i as u64 + 1) * 0x1000_0001));
            for op in 0..OPS {
                c.step(&mut rng, op).await;
            }
            c
        });
    }
    let mut clients = Vec::new();
    while let Some(done) = tasks.join_next().await {
        clients.push(done.expect("a client task panicked: see its message above"));
    }

    // Quiet now: every client's view, brought up to date, is the mailbox.
    let mut fresh = Client {
        raw: common::imap::raw_session(&s, USER, PASSWORD).await,
        view: View {
            uids: Vec::new(),
            name: "fresh".into(),
        },
        tags: 0,
        log: Default::default(),
    };
    fresh.run("EXAMINE INBOX").await;
    fresh.fetch_all().await;
    let truth: Vec<Option<u32>> = fresh.view.uids.clone();
    for c in &mut clients {
        // NOOP reports what others expunged (FETCH may not: RFC 3501 7.4.1).
        c.run("NOOP").await;
        c.fetch_all().await;
        assert_eq!(
            c.view.uids, truth,
            "{} disagrees with a fresh session",
            c.view.name
        );
    }
    s.stop().await;
}
