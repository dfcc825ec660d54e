//! The POP3 session state machine: AUTHORIZATION, then TRANSACTION over a
//! snapshot of INBOX, then UPDATE at QUIT.

use std::net::SocketAddr;

use base64::Engine;

use crate::access::SessionGuard;
use crate::app::AppState;
use crate::screening::login::{LoginError, Protocol, login};
use crate::store::mailboxes::MessageRow;

#[derive(Debug, PartialEq, Eq)]
pub enum After {
    Continue,
    /// The next line is a SASL response (after `+ `).
    ExpectAuthLine,
    StartTls,
    Close,
}

struct Entry {
    row: MessageRow,
    deleted: bool,
}

struct Maildrop {
    account_id: i64,
    uidvalidity: i64,
    entries: Vec<Entry>,
    _guard: SessionGuard,
}

pub struct Session {
    state: AppState,
    peer: SocketAddr,
    tls: bool,
    user: Option<String>,
    maildrop: Option<Maildrop>,
    sasl: bool,
    errors: u32,
}

const MAX_ERRORS: u32 = 10;

fn ok(text: impl AsRef<str>) -> Vec<u8> {
    format!("+OK {}\r\n", text.as_ref()).into_bytes()
}

fn err(text: impl AsRef<str>) -> Vec<u8> {
    format!("-ERR {}\r\n", text.as_ref()).into_bytes()
}

/// A multi-line body, dot-stuffed (RFC 1939 3) and terminated.
fn push_dot_stuffed(out: &mut Vec<u8>, body: &[u8]) {
    let mut at_line_start = true;
    for &b in body {
        if at_line_start && b == b'.' {
            out.push(b'.');
        }
        out.push(b);
        at_line_start = b == b'\n';
    }
    if !at_line_start {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
}

impl Session {
    pub fn new(state: AppState, peer: SocketAddr, tls: bool) -> Self {
        Self {
            state,
            peer,
            tls,
            user: None,
            maildrop: None,
            sasl: false,
            errors: 0,
        }
    }

    pub fn greeting(&self) -> Vec<u8> {
        ok(format!("{} POP3 server ready", self.state.config.hostname))
    }

    /// The logged-in account, if any.
    pub fn account_id(&self) -> Option<i64> {
        self.maildrop.as_ref().map(|m| m.account_id)
    }

    pub fn tls_started(&mut self) {
        self.tls = true;
        self.user = None;
    }

    fn error(&mut self, text: &str) -> (Vec<u8>, After) {
        self.errors += 1;
        if self.errors >= MAX_ERRORS {
            return (err("Too many errors; closing connection"), After::Close);
        }
        (err(text), After::Continue)
    }

    pub async fn handle(&mut self, line: &str) -> (Vec<u8>, After) {
        if self.sasl {
            self.sasl = false;
            if line == "*" {
                return self.error("AUTH cancelled");
            }
            return self.auth_plain(line).await;
        }
        let mut words = line.split_whitespace();
        let command = words.next().unwrap_or("").to_ascii_uppercase();
        let args: Vec<&str> = words.collect();
        if self.maildrop.is_none() {
            self.authorization(&command, &args).await
        } else {
            self.transaction(&command, &args).await
        }
    }

    fn capabilities(&self) -> Vec<u8> {
        let mut out = b"+OK Capability list follows\r\n".to_vec();
        for cap in [
            "TOP",
            "UIDL",
            "RESP-CODES",
            "AUTH-RESP-CODE",
            "PIPELINING",
            "IMPLEMENTATION Rampart",
        ] {
            out.extend_from_slice(format!("{cap}\r\n").as_bytes());
        }
        if self.maildrop.is_none() {
            if self.tls {
                out.extend_from_slice(b"USER\r\nSASL PLAIN\r\n");
            } else {
                out.extend_from_slice(b"STLS\r\n");
            }
        }
        out.extend_from_slice(b".\r\n");
        out
    }

    async fn authorization(&mut self, command: &str, args: &[&str]) -> (Vec<u8>, After) {
        match command {
            "CAPA" => (self.capabilities(), After::Continue),
            "QUIT" => (ok("Bye"), After::Close),
            "NOOP" => (ok(""), After::Continue),
            "STLS" if self.tls => self.error("Already using TLS"),
            "STLS" => (ok("Begin TLS negotiation"), After::StartTls),
            "USER" | "PASS" | "AUTH" | "APOP" if !self.tls => {
                self.error("TLS required: use STLS first (or port 995)")
            }
            "USER" => match args.first() {
                Some(user) => {
                    self.user = Some((*user).to_string());
                    (ok("Send PASS"), After::Continue)
                }
                None => self.error("USER needs a name"),
            },
            "PASS" => {
                let Some(user) = self.user.take() else {
                    return self.error("Send USER first");
                };
                // The password is the rest of the line, spaces included (RFC 1939 7).
                let password = args.join(" ");
                self.verify(user, password).await
            }
            "AUTH" => match args.first().map(|m| m.to_ascii_uppercase()) {
                None => (b"+OK\r\nPLAIN\r\n.\r\n".to_vec(), After::Continue),
                Some(m) if m == "PLAIN" => match args.get(1) {
                    Some(initial) if *initial != "=" => self.auth_plain(initial).await,
                    _ => {
                        self.sasl = true;
                        (b"+ \r\n".to_vec(), After::ExpectAuthLine)
                    }
                },
                Some(_) => self.error("Unsupported SASL mechanism"),
            },
            "APOP" => self.error("APOP is not supported"),
            "STAT" | "LIST" | "RETR" | "DELE" | "RSET" | "TOP" | "UIDL" => {
                self.error("Log in first")
            }
            _ => self.error("Unknown command"),
        }
    }

    async fn auth_plain(&mut self, response: &str) -> (Vec<u8>, After) {
        let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(response.trim()) else {
            return self.error("Cannot decode response");
        };
        let parts: Vec<&[u8]> = decoded.split(|b| *b == 0).collect();
        let [authz, user, pass] = parts.as_slice() else {
            return self.error("Malformed PLAIN response");
        };
        let (Ok(authz), Ok(user), Ok(pass)) = (
            std::str::from_utf8(authz),
            std::str::from_utf8(user),
            std::str::from_utf8(pass),
        ) else {
            return self.error("Malformed PLAIN response");
        };
        if !authz.is_empty() && !authz.eq_ignore_ascii_case(user) {
            return self.error("[AUTH] Authentication failed");
        }
        self.verify(user.to_string(), pass.to_string()).await
    }

    async fn verify(&mut self, user: String, password: String) -> (Vec<u8>, After) {
        let account = match login(&self.state, Protocol::Pop3, self.peer.ip(), &user, password)
            .await
        {
            Ok(a) => a,
            Err(LoginError::BadCredentials) => return self.error("[AUTH] Authentication failed"),
            Err(LoginError::Frozen) => {
                return self.error("[AUTH] Account is frozen; contact your administrator");
            }
            Err(LoginError::Disabled) => return self.error("[AUTH] Account is disabled"),
            Err(LoginError::Temporary) => {
                return (
                    err("[SYS/TEMP] Temporary failure; try again"),
                    After::Continue,
                );
            }
        };
        let Some(guard) = self.state.access.open(
            account.id,
            self.state.config.access.max_sessions_per_account,
        ) else {
            return (
                err("[IN-USE] Too many sessions for this account"),
                After::Continue,
            );
        };
        let inbox = match self.state.store.mailbox(account.id, "INBOX").await {
            Ok(Some(m)) => m,
            Ok(None) => return (err("[SYS/PERM] No INBOX"), After::Close),
            Err(e) => {
                tracing::error!(error = %e, "POP3: INBOX lookup failed");
                return (
                    err("[SYS/TEMP] Temporary failure; try again"),
                    After::Continue,
                );
            }
        };
        let rows = match self.state.store.messages(inbox.id).await {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, "POP3: listing INBOX failed");
                return (
                    err("[SYS/TEMP] Temporary failure; try again"),
                    After::Continue,
                );
            }
        };
        let count = rows.len();
        self.maildrop = Some(Maildrop {
            account_id: account.id,
            uidvalidity: inbox.uidvalidity,
            entries: rows
                .into_iter()
                .map(|row| Entry {
                    row,
                    deleted: false,
                })
                .collect(),
            _guard: guard,
        });
        tracing::info!(peer = %self.peer, account = %account.address, "POP3 login");
        (ok(format!("{count} messages")), After::Continue)
    }

    /// The message numbered `arg` (1-based), unless deleted.
    fn entry(&self, arg: Option<&&str>) -> Result<(usize, &Entry), &'static str> {
        let maildrop = self.maildrop.as_ref().ok_or("Log in first")?;
        let n: usize = arg
            .and_then(|a| a.parse().ok())
            .ok_or("Give a message number")?;
        let entry = n
            .checked_sub(1)
            .and_then(|i| maildrop.entries.get(i))
            .ok_or("No such message")?;
        if entry.deleted {
            return Err("Message is deleted");
        }
        Ok((n, entry))
    }

    async fn transaction(&mut self, command: &str, args: &[&str]) -> (Vec<u8>, After) {
        match command {
            "CAPA" => (self.capabilities(), After::Continue),
            "NOOP" => (ok(""), After::Continue),
            "STAT" => {
                let (n, size) = self.live();
                (ok(format!("{n} {size}")), After::Continue)
            }
            "LIST" | "UIDL" => {
                let uidl = command == "UIDL";
                let Some(maildrop) = &self.maildrop else {
                    return self.error("Log in first");
                };
                let uidvalidity = maildrop.uidvalidity;
                let line = |n: usize, e: &Entry| {
                    if uidl {
                        // Stable across sessions: UIDs never repeat within a UIDVALIDITY.
                        format!("{n} {uidvalidity}.{}", e.row.uid)
                    } else {
                        format!("{n} {}", e.row.size)
                    }
                };
                if args.is_empty() {
                    let mut out = ok("Listing follows");
                    for (i, e) in maildrop
                        .entries
                        .iter()
                        .enumerate()
                        .filter(|(_, e)| !e.deleted)
                    {
                        out.extend_from_slice(format!("{}\r\n", line(i + 1, e)).as_bytes());
                    }
                    out.extend_from_slice(b".\r\n");
                    (out, After::Continue)
                } else {
                    match self.entry(args.first()) {
                        Ok((n, e)) => (ok(line(n, e)), After::Continue),
                        Err(why) => self.error(why),
                    }
                }
            }
            "RETR" | "TOP" => {
                let lines: Option<usize> = if command == "TOP" {
                    match args.get(1).and_then(|a| a.parse().ok()) {
                        Some(k) => Some(k),
                        None => return self.error("TOP needs a message number and a line count"),
                    }
                } else {
                    None
                };
                let blob = match self.entry(args.first()) {
                    Ok((_, e)) => e.row.blob.clone(),
                    Err(why) => return self.error(why),
                };
                let bytes = match self.state.blobs.get(&blob).await {
                    Ok(b) => b,
                    Err(e) => {
                        tracing::error!(error = %e, %blob, "POP3: message blob unreadable");
                        return (err("[SYS/TEMP] Message unavailable"), After::Continue);
                    }
                };
                let body = match lines {
                    None => &bytes[..],
                    Some(k) => top(&bytes, k),
                };
                let mut out = ok(format!("{} octets", bytes.len()));
                push_dot_stuffed(&mut out, body);
                (out, After::Continue)
            }
            "DELE" => {
                let n = match self.entry(args.first()) {
                    Ok((n, _)) => n,
                    Err(why) => return self.error(why),
                };
                if let Some(m) = &mut self.maildrop {
                    m.entries[n - 1].deleted = true;
                }
                (ok(format!("Message {n} deleted")), After::Continue)
            }
            "RSET" => {
                if let Some(m) = &mut self.maildrop {
                    for e in &mut m.entries {
                        e.deleted = false;
                    }
                }
                let (n, size) = self.live();
                (ok(format!("{n} messages ({size} octets)")), After::Continue)
            }
            "QUIT" => self.update().await,
            "USER" | "PASS" | "AUTH" | "STLS" | "APOP" => self.error("Already logged in"),
            _ => self.error("Unknown command"),
        }
    }

    fn live(&self) -> (usize, i64) {
        let Some(m) = &self.maildrop else {
            return (0, 0);
        };
        let live = m.entries.iter().filter(|e| !e.deleted);
        live.fold((0, 0), |(n, s), e| (n + 1, s + e.row.size))
    }

    /// The UPDATE state: apply deletions, then say goodbye.
    async fn update(&mut self) -> (Vec<u8>, After) {
        let Some(m) = &self.maildrop else {
            return (ok("Bye"), After::Close);
        };
        let ids: Vec<i64> = m
            .entries
            .iter()
            .filter(|e| e.deleted)
            .map(|e| e.row.id)
            .collect();
        if ids.is_empty() {
            return (ok("Bye"), After::Close);
        }
        match self.state.store.delete_messages(m.account_id, &ids).await {
            Ok(n) => {
                self.state.access.changed(m.account_id);
                (ok(format!("Bye ({n} messages deleted)")), After::Close)
            }
            Err(e) => {
                tracing::error!(error = %e, "POP3: deleting messages failed");
                (
                    err("[SYS/TEMP] Some deleted messages not removed"),
                    After::Close,
                )
            }
        }
    }
}

/// The header and the first `lines` lines of the body.
fn top(message: &[u8], lines: usize) -> &[u8] {
    let header_end = message
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4)
        .unwrap_or(message.len());
    let mut end = header_end;
    for _ in 0..lines {
        match message[end..].iter().position(|b| *b == b'\n') {
            Some(p) => end += p + 1,
            None => {
                end = message.len();
                break;
            }
        }
    }
    &message[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_stuffing_and_top() {
        let mut out = Vec::new();
        push_dot_stuffed(&mut out, b".a\r\nb\r\n..c\r\n");
        assert_eq!(out, b"..a\r\nb\r\n...c\r\n.\r\n");
        let mut out = Vec::new();
        push_dot_stuffed(&mut out, b"no newline");
        assert_eq!(out, b"no newline\r\n.\r\n");
        let m = b"A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\nl3\r\n";
        assert_eq!(top(m, 0), b"A: 1\r\nB: 2\r\n\r\n");
        assert_eq!(top(m, 2), b"A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\n");
        assert_eq!(top(m, 9), &m[..]);
    }
}
