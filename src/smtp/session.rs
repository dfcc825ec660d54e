//! The SMTP session: one frame in, one reply out, plus what the connection
//! must do next. Policy comes from `screening`; storage from the store and
//! the group committer. No socket I/O here.

use std::net::SocketAddr;

use base64::Engine;
use smtp_proto::{MAIL_SMTPUTF8, Request};

use super::framing::Frame;
use super::message::{self, BodyProblem, Trace};
use super::{ListenerKind, Reply};
use crate::address::EmailAddress;
use crate::app::AppState;
use crate::delivery::Committer;
use crate::events::{EventType, NewEvent, payloads};
use crate::screening::hijack::{self, HijackSettings, Verdict};
use crate::screening::login::{LoginError, Protocol, login};
use crate::screening::relay::{self, IpShieldSettings, Refusal, RelaySettings, SessionFacts};
use crate::screening::sender::{self, InboundScreening, Verdict as SenderVerdict};
use crate::store::StoreError;
use crate::store::accounts::{AccountStatus, FreezeDetails};
use crate::store::delivery::{Delivery, LocalRecipient, LocalTarget};
use crate::store::screening::SendingRecord;

/// What the connection does after sending the reply.
#[derive(Debug, PartialEq, Eq)]
pub enum After {
    Continue,
    ExpectData,
    ExpectAuthLine,
    StartTls,
    Close,
}

/// TLS facts for the Received header.
#[derive(Debug, Clone)]
pub struct TlsInfo {
    pub description: String,
}

struct Authenticated {
    account_id: i64,
    address: String,
    /// Lookup keys of the addresses this account may send as.
    sendable: Vec<String>,
}

enum Rcpt {
    Local {
        address: EmailAddress,
        targets: Vec<LocalTarget>,
    },
    Remote(EmailAddress),
    /// The Reply-To of a freeze notification: unfreezes an account.
    Unfreeze {
        address: EmailAddress,
        token: String,
    },
}

struct Envelope {
    sender: Option<EmailAddress>,
    declared_size: u64,
    rcpts: Vec<Rcpt>,
}

enum SaslState {
    PlainResponse,
    LoginUser,
    LoginPassword { user: String },
}

pub struct Session {
    state: AppState,
    committer: Committer,
    kind: ListenerKind,
    peer: SocketAddr,
    tls: Option<TlsInfo>,
    helo: Option<String>,
    esmtp: bool,
    auth: Option<Authenticated>,
    relay: RelaySettings,
    shield: IpShieldSettings,
    trusted: bool,
    envelope: Option<Envelope>,
    bdat: Option<Vec<u8>>,
    bdat_too_big: bool,
    sasl: Option<SaslState>,
    errors: u32,
}

impl Session {
    /// A new session; loads the cluster's relay settings once.
    pub async fn new(
        state: AppState,
        committer: Committer,
        kind: ListenerKind,
        peer: SocketAddr,
        tls: Option<TlsInfo>,
    ) -> Self {
        let relay: RelaySettings = state
            .store
            .setting(crate::api::v1::settings::RELAY)
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "relay settings unreadable; using defaults");
                RelaySettings::default()
            });
        let shield: IpShieldSettings = state
            .store
            .setting(crate::api::v1::settings::IP_SHIELD)
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "ip-shield settings unreadable; using defaults");
                IpShieldSettings::default()
            });
        let trusted = relay.is_trusted(peer.ip());
        Self {
            state,
            committer,
            kind,
            peer,
            tls,
            helo: None,
            esmtp: false,
            auth: None,
            relay,
            shield,
            trusted,
            envelope: None,
            bdat: None,
            bdat_too_big: false,
            sasl: None,
            errors: 0,
        }
    }

    pub fn greeting(&self) -> Reply {
        Reply::new(220, format!("{} ESMTP Rampart", self.state.config.hostname))
    }

    /// The handshake after STARTTLS finished: RFC 3207 4.2, the client
    /// starts over and nothing from before is kept.
    pub fn tls_started(&mut self, info: TlsInfo) {
        self.tls = Some(info);
        self.helo = None;
        self.esmtp = false;
        self.auth = None;
        self.reset_transaction();
    }

    fn reset_transaction(&mut self) {
        self.envelope = None;
        self.bdat = None;
        self.bdat_too_big = false;
    }

    fn facts(&self) -> SessionFacts<'_> {
        SessionFacts {
            ip: self.peer.ip(),
            authenticated_as: self.auth.as_ref().map(|a| a.sendable.as_slice()),
            trusted: self.trusted,
        }
    }

    /// Counts a client error; past the limit the session ends.
    fn error(&mut self, reply: Reply) -> (Reply, After) {
        self.errors += 1;
        if self.errors >= self.state.config.smtp.max_errors {
            return (
                Reply::enhanced(421, "4.7.0", "Too many errors; closing connection"),
                After::Close,
            );
        }
        (reply, After::Continue)
    }

    pub async fn handle(&mut self, frame: Frame) -> (Reply, After) {
        match frame {
            Frame::Command(request) => self.command(request).await,
            Frame::Invalid(e) => {
                let reply = match e {
                    smtp_proto::Error::UnknownCommand => {
                        Reply::enhanced(500, "5.5.1", "Command unrecognized")
                    }
                    smtp_proto::Error::SyntaxError { syntax } => {
                        Reply::enhanced(501, "5.5.4", format!("Syntax: {syntax}"))
                    }
                    smtp_proto::Error::InvalidSenderAddress => {
                        Reply::enhanced(501, "5.1.7", "Bad sender address syntax")
                    }
                    smtp_proto::Error::InvalidRecipientAddress => {
                        Reply::enhanced(501, "5.1.3", "Bad recipient address syntax")
                    }
                    smtp_proto::Error::InvalidParameter { param } => {
                        Reply::enhanced(501, "5.5.4", format!("Invalid {param} parameter"))
                    }
                    smtp_proto::Error::UnsupportedParameter { param } => {
                        Reply::enhanced(555, "5.5.4", format!("Unsupported parameter {param}"))
                    }
                    _ => Reply::enhanced(500, "5.5.2", "Syntax error"),
                };
                self.error(reply)
            }
            // The line was refused before its end arrived; what follows
            // cannot be told apart from commands, so the session ends.
            Frame::LineTooLong => {
                let reply = match self.sasl.take() {
                    Some(_) => {
                        Reply::enhanced(500, "5.5.6", "Authentication exchange line is too long")
                    }
                    None => Reply::enhanced(500, "5.5.2", "Line too long (512 octets at most)"),
                };
                (reply, After::Close)
            }
            Frame::Message(body) => self.message(body).await,
            Frame::MessageTooBig => {
                self.reset_transaction();
                self.reject_event("data", "message_too_big", None).await;
                (self.too_big(), After::Continue)
            }
            Frame::Chunk {
                data,
                last,
                too_big,
            } => self.chunk(data, last, too_big).await,
            Frame::AuthLine(line) => self.sasl_line(line).await,
        }
    }

    fn too_big(&self) -> Reply {
        Reply::enhanced(
            552,
            "5.3.4",
            format!(
                "Message exceeds the size limit of {} octets",
                self.state.config.smtp.max_message_size
            ),
        )
    }

    async fn command(&mut self, request: Request<String>) -> (Reply, After) {
        match request {
            Request::Ehlo { host } => self.hello(host, true),
            Request::Helo { host } => self.hello(host, false),
            Request::Lhlo { .. } => self.error(Reply::enhanced(500, "5.5.1", "LHLO is for LMTP")),
            Request::StartTls => {
                if self.tls.is_some() {
                    return self.error(Reply::enhanced(503, "5.5.1", "TLS is already active"));
                }
                (
                    Reply::enhanced(220, "2.0.0", "Ready to start TLS"),
                    After::StartTls,
                )
            }
            Request::Auth {
                mechanism,
                initial_response,
            } => self.auth_start(mechanism, initial_response).await,
            Request::Mail { from } => self.mail(from.address, from.size as u64, from.flags).await,
            Request::Rcpt { to } => self.rcpt(to.address).await,
            Request::Data => self.data(),
            Request::Bdat { .. } => {
                self.error(Reply::enhanced(503, "5.5.1", "BDAT out of sequence"))
            }
            Request::Rset => {
                self.reset_transaction();
                (Reply::enhanced(250, "2.0.0", "Reset"), After::Continue)
            }
            Request::Noop { .. } => (Reply::enhanced(250, "2.0.0", "OK"), After::Continue),
            Request::Quit => (Reply::enhanced(221, "2.0.0", "Bye"), After::Close),
            Request::Vrfy { .. } => (
                Reply::enhanced(252, "2.5.2", "Cannot VRFY; send mail and it will be tried"),
                After::Continue,
            ),
            Request::Expn { .. } => (
                Reply::enhanced(502, "5.5.1", "EXPN is not available"),
                After::Continue,
            ),
            Request::Help { .. } => (
                Reply::enhanced(214, "2.0.0", "See RFC 5321"),
                After::Continue,
            ),
            _ => self.error(Reply::enhanced(502, "5.5.1", "Command not implemented")),
        }
    }

    fn hello(&mut self, host: String, extended: bool) -> (Reply, After) {
        let host = host.trim().to_string();
        if host.is_empty() {
            return self.error(Reply::enhanced(501, "5.5.4", "Give your host name"));
        }
        self.reset_transaction();
        self.helo = Some(host.clone());
        self.esmtp = extended;
        let hostname = &self.state.config.hostname;
        if !extended {
            return (
                Reply::new(250, format!("{hostname} greets {host}")),
                After::Continue,
            );
        }
        let mut lines = vec![
            format!("{hostname} greets {host}"),
            "PIPELINING".to_string(),
            format!("SIZE {}", self.state.config.smtp.max_message_size),
            "8BITMIME".into(),
            "SMTPUTF8".into(),
            "ENHANCEDSTATUSCODES".into(),
            "CHUNKING".into(),
        ];
        if self.tls.is_none() {
            lines.push("STARTTLS".into());
        } else {
            // RFC 4954 and our contract: credentials only ever cross TLS.
            lines.push("AUTH PLAIN LOGIN".into());
        }
        (Reply::multi(250, lines), After::Continue)
    }

    async fn auth_start(&mut self, mechanism: u64, initial: String) -> (Reply, After) {
        if self.tls.is_none() {
            return self.error(Reply::enhanced(
                538,
                "5.7.11",
                "Encryption required: use STARTTLS first",
            ));
        }
        if self.helo.is_none() {
            return self.error(Reply::enhanced(503, "5.5.1", "Send EHLO first"));
        }
        if self.auth.is_some() {
            return self.error(Reply::enhanced(503, "5.5.1", "Already authenticated"));
        }
        if self.envelope.is_some() {
            return self.error(Reply::enhanced(
                503,
                "5.5.1",
                "AUTH not allowed during a mail transaction",
            ));
        }
        let initial = initial.trim();
        match mechanism {
            smtp_proto::AUTH_PLAIN if initial.is_empty() => {
                self.sasl = Some(SaslState::PlainResponse);
                (Reply::new(334, String::new()), After::ExpectAuthLine)
            }
            smtp_proto::AUTH_PLAIN => self.plain(initial).await,
            smtp_proto::AUTH_LOGIN if initial.is_empty() => {
                self.sasl = Some(SaslState::LoginUser);
                (
                    Reply::new(334, "VXNlcm5hbWU6".into()),
                    After::ExpectAuthLine,
                )
            }
            smtp_proto::AUTH_LOGIN => match decode_b64(initial) {
                Some(user) => {
                    self.sasl = Some(SaslState::LoginPassword { user });
                    (
                        Reply::new(334, "UGFzc3dvcmQ6".into()),
                        After::ExpectAuthLine,
                    )
                }
                None => self.error(Reply::enhanced(501, "5.5.2", "Cannot decode response")),
            },
            _ => self.error(Reply::enhanced(
                504,
                "5.5.4",
                "Unrecognized authentication mechanism",
            )),
        }
    }

    async fn sasl_line(&mut self, line: String) -> (Reply, After) {
        let Some(state) = self.sasl.take() else {
            return self.error(Reply::enhanced(
                503,
                "5.5.1",
                "No authentication in progress",
            ));
        };
        if line == "*" {
            return self.error(Reply::enhanced(501, "5.0.0", "Authentication cancelled"));
        }
        match state {
            SaslState::PlainResponse => self.plain(&line).await,
            SaslState::LoginUser => match decode_b64(&line) {
                Some(user) => {
                    self.sasl = Some(SaslState::LoginPassword { user });
                    (
                        Reply::new(334, "UGFzc3dvcmQ6".into()),
                        After::ExpectAuthLine,
                    )
                }
                None => self.error(Reply::enhanced(501, "5.5.2", "Cannot decode response")),
            },
            SaslState::LoginPassword { user } => match decode_b64(&line) {
                Some(password) => self.verify(user, password).await,
                None => self.error(Reply::enhanced(501, "5.5.2", "Cannot decode response")),
            },
        }
    }

    /// RFC 4616: `authzid NUL authcid NUL password`.
    async fn plain(&mut self, response: &str) -> (Reply, After) {
        let Some(decoded) = base64::engine::general_purpose::STANDARD
            .decode(response)
            .ok()
        else {
            return self.error(Reply::enhanced(501, "5.5.2", "Cannot decode response"));
        };
        let mut parts = decoded.split(|b| *b == 0);
        let (Some(authz), Some(user), Some(pass), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return self.error(Reply::enhanced(501, "5.5.2", "Malformed PLAIN response"));
        };
        let (Ok(authz), Ok(user), Ok(pass)) = (
            std::str::from_utf8(authz),
            std::str::from_utf8(user),
            std::str::from_utf8(pass),
        ) else {
            return self.error(Reply::enhanced(501, "5.5.2", "Malformed PLAIN response"));
        };
        if !authz.is_empty() && !authz.eq_ignore_ascii_case(user) {
            return self.error(Reply::enhanced(
                535,
                "5.7.8",
                "Authentication credentials invalid",
            ));
        }
        self.verify(user.to_string(), pass.to_string()).await
    }

    async fn verify(&mut self, user: String, password_text: String) -> (Reply, After) {
        let protocol = if self.kind.is_submission() {
            Protocol::Submission
        } else {
            Protocol::Smtp
        };
        let account = match login(&self.state, protocol, self.peer.ip(), &user, password_text).await
        {
            Ok(account) => account,
            Err(LoginError::BadCredentials) => {
                return self.error(Reply::enhanced(
                    535,
                    "5.7.8",
                    "Authentication credentials invalid",
                ));
            }
            Err(LoginError::Frozen) => {
                return self.error(Reply::enhanced(
                    535,
                    "5.7.1",
                    "Account is frozen; contact your administrator",
                ));
            }
            Err(LoginError::Disabled) => {
                return self.error(Reply::enhanced(535, "5.7.1", "Account is disabled"));
            }
            Err(LoginError::Temporary) => {
                return (
                    Reply::enhanced(454, "4.7.0", "Temporary authentication failure"),
                    After::Continue,
                );
            }
        };
        let sendable = match self.state.store.sendable_addresses(account.id).await {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "AUTH: alias lookup failed");
                return (
                    Reply::enhanced(454, "4.7.0", "Temporary authentication failure"),
                    After::Continue,
                );
            }
        };
        tracing::info!(peer = %self.peer, account = %account.address, "SMTP AUTH succeeded");
        self.auth = Some(Authenticated {
            account_id: account.id,
            address: account.address,
            sendable,
        });
        (
            Reply::enhanced(235, "2.7.0", "Authentication successful"),
            After::Continue,
        )
    }

    async fn mail(&mut self, from: String, declared_size: u64, flags: u64) -> (Reply, After) {
        if self.helo.is_none() {
            return self.error(Reply::enhanced(503, "5.5.1", "Send EHLO first"));
        }
        if self.envelope.is_some() {
            return self.error(Reply::enhanced(503, "5.5.1", "Nested MAIL command"));
        }
        if self.kind.is_submission() && self.auth.is_none() {
            return self.error(Reply::enhanced(530, "5.7.0", "Authentication required"));
        }
        if flags & MAIL_SMTPUTF8 != 0 && !self.esmtp {
            return self.error(Reply::enhanced(555, "5.5.4", "SMTPUTF8 needs EHLO"));
        }
        if declared_size > self.state.config.smtp.max_message_size {
            return (self.too_big(), After::Continue);
        }
        let sender = if from.is_empty() {
            None
        } else {
            match EmailAddress::parse(&from) {
                Ok(a) => Some(a),
                Err(e) => {
                    return self.error(Reply::enhanced(
                        501,
                        "5.1.7",
                        format!("Bad sender address: {e}"),
                    ));
                }
            }
        };
        let sender_is_local = match &sender {
            Some(s) => match self.state.store.is_local_domain(s.domain()).await {
                Ok(local) => local,
                Err(e) => return self.temporary(e),
            },
            None => false,
        };
        if let Err(refusal) = relay::check_sender(
            &self.facts(),
            sender.as_ref(),
            sender_is_local,
            &self.relay,
            &self.shield,
        ) {
            self.reject_event("mail", refusal.reason, Some(&from)).await;
            return self.refuse(refusal);
        }
        if let Some(reply) = self.sending_allowed(0).await {
            return reply;
        }
        self.envelope = Some(Envelope {
            sender,
            declared_size,
            rcpts: Vec::new(),
        });
        (Reply::enhanced(250, "2.1.0", "Sender OK"), After::Continue)
    }

    async fn rcpt(&mut self, to: String) -> (Reply, After) {
        let Some(envelope) = &self.envelope else {
            return self.error(Reply::enhanced(503, "5.5.1", "Need MAIL before RCPT"));
        };
        let declared_size = envelope.declared_size;
        if envelope.rcpts.len() >= self.state.config.smtp.max_recipients {
            return (
                Reply::enhanced(452, "4.5.3", "Too many recipients"),
                After::Continue,
            );
        }
        if to.is_empty() {
            return self.error(Reply::enhanced(501, "5.1.3", "Empty recipient address"));
        }
        let address = match relay::check_recipient_syntax(&to) {
            Ok(a) => a,
            Err(refusal) => {
                self.reject_event("rcpt", refusal.reason, Some(&to)).await;
                return self.refuse(refusal);
            }
        };
        if let Some(token) = unfreeze_token(&address, &self.state.config.hostname) {
            return self.unfreeze_rcpt(address, token).await;
        }
        let local = match self.state.store.is_local_domain(address.domain()).await {
            Ok(l) => l,
            Err(e) => return self.temporary(e),
        };
        let rcpt = if local {
            let targets = match self.state.store.resolve_recipient(&address).await {
                Ok(Some(t)) => t,
                Ok(None) => {
                    self.reject_event("rcpt", "unknown_recipient", Some(&to))
                        .await;
                    return self.error(Reply::enhanced(
                        550,
                        "5.1.1",
                        format!("<{address}>: no such user here"),
                    ));
                }
                Err(e) => return self.temporary(e),
            };
            if targets.iter().any(|t| over_quota(t, declared_size)) {
                return (
                    Reply::enhanced(452, "4.2.2", format!("<{address}>: mailbox full")),
                    After::Continue,
                );
            }
            Rcpt::Local { address, targets }
        } else {
            if let Err(refusal) = relay::check_relay(&self.facts(), address.domain()) {
                self.reject_event("rcpt", refusal.reason, Some(&to)).await;
                return self.refuse(refusal);
            }
            Rcpt::Remote(address)
        };
        let Some(envelope) = &mut self.envelope else {
            return self.error(Reply::enhanced(503, "5.5.1", "Need MAIL before RCPT"));
        };
        let key = match &rcpt {
            Rcpt::Local { address, .. }
            | Rcpt::Remote(address)
            | Rcpt::Unfreeze { address, .. } => address.key(),
        };
        let duplicate = envelope.rcpts.iter().any(|r| match r {
            Rcpt::Local { address, .. }
            | Rcpt::Remote(address)
            | Rcpt::Unfreeze { address, .. } => address.key() == key,
        });
        if !duplicate {
            envelope.rcpts.push(rcpt);
        }
        (
            Reply::enhanced(250, "2.1.5", "Recipient OK"),
            After::Continue,
        )
    }

    fn data(&mut self) -> (Reply, After) {
        match &self.envelope {
            None => self.error(Reply::enhanced(503, "5.5.1", "Need MAIL before DATA")),
            Some(e) if e.rcpts.is_empty() => {
                self.error(Reply::enhanced(554, "5.5.1", "No valid recipients"))
            }
            Some(_) if self.bdat.is_some() => {
                self.error(Reply::enhanced(503, "5.5.1", "DATA after BDAT"))
            }
            Some(_) => (
                Reply::new(354, "Start mail input; end with <CRLF>.<CRLF>".into()),
                After::ExpectData,
            ),
        }
    }

    async fn chunk(&mut self, data: Vec<u8>, last: bool, too_big: bool) -> (Reply, After) {
        match &self.envelope {
            None => return self.error(Reply::enhanced(503, "5.5.1", "Need MAIL before BDAT")),
            Some(e) if e.rcpts.is_empty() => {
                self.reset_transaction();
                return self.error(Reply::enhanced(554, "5.5.1", "No valid recipients"));
            }
            Some(_) => {}
        }
        let buffer = self.bdat.get_or_insert_with(Vec::new);
        if too_big || buffer.len() + data.len() > self.state.config.smtp.max_message_size as usize {
            self.bdat_too_big = true;
            buffer.clear();
        } else if !self.bdat_too_big {
            buffer.extend_from_slice(&data);
        }
        if !last {
            return (
                Reply::enhanced(250, "2.0.0", format!("{} octets received", data.len())),
                After::Continue,
            );
        }
        let body = self.bdat.take().unwrap_or_default();
        if self.bdat_too_big {
            self.reset_transaction();
            self.reject_event("data", "message_too_big", None).await;
            return (self.too_big(), After::Continue);
        }
        self.message(body).await
    }

    /// End of DATA or BDAT LAST: check, store durably, then answer.
    async fn message(&mut self, body: Vec<u8>) -> (Reply, After) {
        let Some(envelope) = self.envelope.take() else {
            return self.error(Reply::enhanced(503, "5.5.1", "No mail transaction"));
        };
        self.bdat = None;
        self.bdat_too_big = false;
        match message::check_body(&body) {
            Ok(()) => {}
            Err(BodyProblem::BareLineEnding) => {
                self.reject_event("data", "bare_line_ending", None).await;
                return (
                    Reply::enhanced(
                        554,
                        "5.6.0",
                        "Message contains a bare CR or LF; lines must end with CRLF",
                    ),
                    After::Continue,
                );
            }
            Err(BodyProblem::LineTooLong) => {
                self.reject_event("data", "line_too_long", None).await;
                return (
                    Reply::enhanced(554, "5.6.0", "Message has a line longer than 1000 octets"),
                    After::Continue,
                );
            }
        }
        if let Some(auth) = &self.auth {
            let from = message::from_addresses(&body);
            if let Err(refusal) = relay::check_from_header(&auth.sendable, &from, &self.relay) {
                self.reject_event("data", refusal.reason, None).await;
                return self.refuse(refusal);
            }
        }
        // Inbound sender authentication for strangers: refuse, delay, file
        // in Junk or deliver with the findings in headers.
        let screening = if self.auth.is_none() && !self.trusted {
            let settings: InboundScreening = self
                .state
                .store
                .setting(sender::SETTING)
                .await
                .unwrap_or_default();
            if settings.enabled {
                let mail_from = envelope
                    .sender
                    .as_ref()
                    .map(|s| s.to_string())
                    .unwrap_or_default();
                let helo = self.helo.clone().unwrap_or_default();
                let report = sender::check_sender(
                    &self.state,
                    &settings,
                    self.peer.ip(),
                    &helo,
                    &mail_from,
                    Some(&body),
                )
                .await;
                match report.verdict {
                    SenderVerdict::Reject => {
                        self.reject_event_scored("data", "sender_checks", None, Some(report.score))
                            .await;
                        return (
                            Reply::enhanced(550, "5.7.1", report.reason),
                            After::Continue,
                        );
                    }
                    SenderVerdict::Tempfail => {
                        return (
                            Reply::enhanced(451, "4.7.0", report.reason),
                            After::Continue,
                        );
                    }
                    SenderVerdict::Junk | SenderVerdict::Deliver => Some(report),
                }
            } else {
                None
            }
        } else {
            None
        };
        let body = match &screening {
            Some(report) => {
                let stripped = sender::strip_forged_results(&body, &self.state.config.hostname);
                let mut out = Vec::with_capacity(report.headers.len() + stripped.len());
                out.extend_from_slice(report.headers.as_bytes());
                out.extend_from_slice(&stripped);
                out
            }
            None => body,
        };
        let inbox = match &screening {
            Some(report) if report.verdict == SenderVerdict::Junk => "Junk",
            _ => "INBOX",
        };
        // Replies to freeze notifications unfreeze; they are not stored.
        let mut unfrozen = Vec::new();
        for rcpt in &envelope.rcpts {
            if let Rcpt::Unfreeze { token, .. } = rcpt {
                let by = self.auth.as_ref().map(|a| a.address.clone());
                match self.state.store.consume_unfreeze_token(token).await {
                    Ok(Some(address)) => {
                        if let Ok(parsed) = EmailAddress::parse(&address)
                            && let Err(e) = self
                                .state
                                .store
                                .unfreeze_account(&parsed, by.as_deref())
                                .await
                        {
                            return self.temporary(e);
                        }
                        tracing::info!(account = %address, by = ?by, "account unfrozen by a reply to its notification");
                        unfrozen.push(address);
                    }
                    Ok(None) => {}
                    Err(e) => return self.temporary(e),
                }
            }
        }
        let weight = envelope
            .rcpts
            .iter()
            .filter(|r| !matches!(r, Rcpt::Unfreeze { .. }))
            .count() as i64;
        if weight == 0 {
            let text = if unfrozen.is_empty() {
                "Nothing to do".to_string()
            } else {
                format!("Unfrozen: {}", unfrozen.join(", "))
            };
            return (Reply::enhanced(250, "2.0.0", text), After::Continue);
        }
        let hijack_weight = if self.hijack_counts_recipients().await {
            weight
        } else {
            1
        };
        if let Some(reply) = self.sending_allowed(hijack_weight).await {
            return reply;
        }
        // Opted-in senders' large attachments become download links.
        let body = match self
            .auth
            .as_ref()
            .and_then(|a| EmailAddress::parse(&a.address).ok())
        {
            Some(address) => match self.state.store.account(&address).await {
                Ok(account) => crate::attachments::link(&self.state, &account, body).await,
                Err(_) => body,
            },
            None => body,
        };
        let queue_id = new_queue_id();
        let mut local = Vec::new();
        let mut remote = Vec::new();
        for rcpt in &envelope.rcpts {
            match rcpt {
                Rcpt::Local { targets, .. } => {
                    for t in targets {
                        if !local
                            .iter()
                            .any(|l: &LocalRecipient| l.target.account_id == t.account_id)
                        {
                            local.push(LocalRecipient {
                                target: t.clone(),
                                mailbox: inbox,
                                own_blob: None,
                            });
                        }
                    }
                }
                Rcpt::Remote(address) => remote.push(address.clone()),
                Rcpt::Unfreeze { .. } => {}
            }
        }
        let size = body.len() as u64;
        for l in &local {
            if let Some(quota) = l.target.quota_bytes {
                if size as i64 > quota {
                    return (
                        Reply::enhanced(
                            552,
                            "5.2.2",
                            format!("<{}>: message exceeds the mailbox quota", l.target.address),
                        ),
                        After::Continue,
                    );
                }
                if l.target.used_bytes.saturating_add(size as i64) > quota {
                    return (
                        Reply::enhanced(
                            452,
                            "4.2.2",
                            format!("<{}>: mailbox full", l.target.address),
                        ),
                        After::Continue,
                    );
                }
            }
        }
        let sender = envelope
            .sender
            .as_ref()
            .map(|s| s.to_string())
            .unwrap_or_default();
        let single_rcpt = match envelope.rcpts.as_slice() {
            [Rcpt::Local { address, .. }] | [Rcpt::Remote(address)] => Some(address.to_string()),
            _ => None,
        };
        let protocol = match (self.esmtp, self.tls.is_some(), self.auth.is_some()) {
            (false, _, _) => "SMTP",
            (true, false, false) => "ESMTP",
            (true, true, false) => "ESMTPS",
            (true, false, true) => "ESMTPA",
            (true, true, true) => "ESMTPSA",
        };
        let received = message::received_header(&Trace {
            helo: self.helo.as_deref().unwrap_or("unknown"),
            ip: self.peer.ip(),
            hostname: &self.state.config.hostname,
            protocol,
            queue_id: &queue_id,
            tls: self.tls.as_ref().map(|t| t.description.as_str()),
            authenticated: self.auth.as_ref().map(|a| a.address.as_str()),
            recipient: single_rcpt.as_deref(),
        });
        let blobs = &self.state.blobs;
        let local_copy = |body: &[u8]| {
            let mut copy = Vec::with_capacity(body.len() + received.len() + sender.len() + 20);
            copy.extend_from_slice(format!("Return-Path: <{sender}>\r\n").as_bytes());
            copy.extend_from_slice(received.as_bytes());
            copy.extend_from_slice(body);
            copy
        };
        // Accounts that extract inbound attachments get their own copy.
        for l in &mut local {
            let Some(linking) = l.target.extract_inbound else {
                continue;
            };
            let Some(rewritten) = crate::attachments::extract_inbound(
                &self.state,
                l.target.account_id,
                &l.target.address,
                linking,
                &body,
            )
            .await
            else {
                continue;
            };
            match blobs.stage(local_copy(&rewritten)).await {
                Ok(b) => l.own_blob = Some(b),
                Err(e) => return self.storage_failure(e.to_string()),
            }
        }
        let local_blob = if local.iter().all(|l| l.own_blob.is_some()) {
            None
        } else {
            match blobs.stage(local_copy(&body)).await {
                Ok(b) => Some(b),
                Err(e) => return self.storage_failure(e.to_string()),
            }
        };
        let queue_blob = if remote.is_empty() {
            None
        } else {
            let mut copy = Vec::with_capacity(body.len() + received.len());
            copy.extend_from_slice(received.as_bytes());
            copy.extend_from_slice(&body);
            match blobs.stage(copy).await {
                Ok(b) => Some(b),
                Err(e) => return self.storage_failure(e.to_string()),
            }
        };
        let delivery = Delivery {
            queue_id: queue_id.clone(),
            sender,
            client_ip: self.peer.ip().to_string(),
            account: self.auth.as_ref().map(|a| a.address.clone()),
            local_blob,
            local,
            queue_blob,
            remote,
            sent_by: self.auth.as_ref().map(|a| SendingRecord {
                account_id: a.account_id,
                recipients: weight,
                client_ip: self.peer.ip().to_string(),
                protocol: if self.kind.is_submission() {
                    "submission"
                } else {
                    "smtp"
                }
                .into(),
            }),
            score: screening.as_ref().map(|r| r.score),
        };
        let report_mailboxes: Vec<String> = envelope
            .rcpts
            .iter()
            .filter_map(|r| match r {
                Rcpt::Local { address, .. }
                    if address
                        .local_part()
                        .eq_ignore_ascii_case(crate::dmarc_reports::REPORT_LOCAL_PART) =>
                {
                    Some(address.to_string())
                }
                _ => None,
            })
            .collect();
        let aggregate = screening.as_ref().and_then(|r| r.aggregate.clone());
        match self.committer.commit(delivery).await {
            Ok(()) => {
                if let Some(row) = &aggregate {
                    crate::dmarc_reports::record(&self.state, row).await;
                }
                for mailbox in &report_mailboxes {
                    crate::dmarc_reports::receive(&self.state, mailbox, &body).await;
                }
                if let Some(a) = &self.auth {
                    self.state.hijack_counts.add(a.account_id, hijack_weight);
                }
                (
                    Reply::enhanced(250, "2.0.0", format!("Ok: queued as {queue_id}")),
                    After::Continue,
                )
            }
            Err(e) => self.storage_failure(e),
        }
    }

    async fn hijack_settings(&self) -> HijackSettings {
        self.state
            .store
            .setting(hijack::SETTING)
            .await
            .unwrap_or_default()
    }

    async fn hijack_counts_recipients(&self) -> bool {
        self.hijack_settings().await.count_recipients
    }

    /// For an authenticated session: refuses when the account is no longer
    /// active, or when `weight` more would exceed its sending limit (which
    /// freezes it when `freeze_on_limit`). MAIL asks with weight 0 (status
    /// only: one count per message is enough); the end of data asks with
    /// the message's weight.
    async fn sending_allowed(&mut self, weight: i64) -> Option<(Reply, After)> {
        let auth = self.auth.as_ref()?;
        let address = EmailAddress::parse(&auth.address).ok()?;
        let account = match self.state.store.account(&address).await {
            Ok(a) => a,
            Err(e) => return Some(self.temporary(e)),
        };
        if account.status != AccountStatus::Active {
            return Some((
                Reply::enhanced(
                    550,
                    "5.7.1",
                    "Account is frozen; contact your administrator",
                ),
                After::Close,
            ));
        }
        if weight == 0 {
            return None;
        }
        let settings = self.hijack_settings().await;
        let verdict = match hijack::check(&self.state, &settings, &account, weight).await {
            Ok(v) => v,
            Err(e) => return Some(self.temporary(e)),
        };
        let Verdict::OverLimit { limit, count } = verdict else {
            return None;
        };
        self.reject_event("data", "sending_limit", None).await;
        let text = format!(
            "Sending limit of {} messages per {} s reached",
            limit.max, limit.window_seconds
        );
        if !settings.freeze_on_limit {
            return Some((
                Reply::enhanced(451, "4.7.1", format!("{text}; try again later")),
                After::Continue,
            ));
        }
        let details = FreezeDetails {
            max_messages: limit.max,
            window_seconds: limit.window_seconds,
            count: count + weight,
        };
        let reason = format!(
            "sending limit exceeded: {} messages in {} s",
            count + weight,
            limit.window_seconds
        );
        if let Err(e) = hijack::freeze(&self.state, &address, &reason, Some(details)).await {
            tracing::error!(error = %e, "freezing an account over its limit failed");
        }
        tracing::warn!(account = %address, count = count + weight, limit = limit.max, "sending limit exceeded; account frozen");
        Some((
            Reply::enhanced(
                550,
                "5.7.1",
                format!("{text}; the account is frozen and its administrators notified"),
            ),
            After::Close,
        ))
    }

    /// RCPT to a freeze notification's Reply-To: only an admin address,
    /// authenticated, may use it, and only while the token is valid.
    async fn unfreeze_rcpt(&mut self, address: EmailAddress, token: String) -> (Reply, After) {
        let settings: crate::api::v1::settings::NotificationSettings = self
            .state
            .store
            .setting("notifications")
            .await
            .unwrap_or_default();
        let admin = self.auth.as_ref().is_some_and(|a| {
            settings
                .admin_addresses
                .iter()
                .any(|x| x.eq_ignore_ascii_case(&a.address))
        });
        if !admin {
            tracing::warn!(peer = %self.peer, user = ?self.auth.as_ref().map(|a| &a.address), "unfreeze reply from a non-admin refused");
            self.reject_event("rcpt", "unfreeze_not_admin", Some(&address.to_string()))
                .await;
            return self.error(Reply::enhanced(
                550,
                "5.7.1",
                "Only an administrator may unfreeze accounts",
            ));
        }
        match self.state.store.unfreeze_token_account(&token).await {
            Ok(Some(_)) => {}
            Ok(None) => {
                return self.error(Reply::enhanced(
                    550,
                    "5.1.1",
                    "This unfreeze address has expired or was used",
                ));
            }
            Err(e) => return self.temporary(e),
        }
        let Some(envelope) = &mut self.envelope else {
            return self.error(Reply::enhanced(503, "5.5.1", "Need MAIL before RCPT"));
        };
        envelope.rcpts.push(Rcpt::Unfreeze { address, token });
        (
            Reply::enhanced(250, "2.1.5", "Recipient OK"),
            After::Continue,
        )
    }

    fn storage_failure(&self, error: String) -> (Reply, After) {
        tracing::error!(peer = %self.peer, %error, "could not store a message");
        (
            Reply::enhanced(451, "4.3.0", "Temporary storage failure; try again later"),
            After::Continue,
        )
    }

    fn temporary(&self, error: StoreError) -> (Reply, After) {
        tracing::error!(peer = %self.peer, %error, "database error in SMTP session");
        (
            Reply::enhanced(451, "4.3.0", "Temporary local problem; try again later"),
            After::Continue,
        )
    }

    fn refuse(&mut self, refusal: Refusal) -> (Reply, After) {
        self.error(Reply::enhanced(
            refusal.code,
            refusal.enhanced,
            refusal.text,
        ))
    }

    /// Records `message.rejected`. Failure to record is logged, never fatal.
    async fn reject_event(&self, stage: &str, reason: &str, address: Option<&str>) {
        self.reject_event_scored(stage, reason, address, None).await
    }

    async fn reject_event_scored(
        &self,
        stage: &str,
        reason: &str,
        address: Option<&str>,
        score: Option<f64>,
    ) {
        let event = NewEvent {
            kind: EventType::MessageRejected,
            account: self.auth.as_ref().map(|a| a.address.clone()),
            domain: None,
            data: payloads::to_data(&payloads::MessageRejected {
                stage: stage.into(),
                reason: reason.into(),
                address: address.map(str::to_string),
                client_ip: self.peer.ip().to_string(),
                listener: self.kind.name().into(),
                authenticated: self.auth.is_some(),
                score,
            }),
        };
        if let Err(e) = self.state.store.record_event(&event).await {
            tracing::warn!(error = %e, "could not record message.rejected");
        }
    }
}

/// Already at or over quota, or over it with the size MAIL FROM declared.
fn over_quota(target: &LocalTarget, declared_size: u64) -> bool {
    match target.quota_bytes {
        Some(quota) => {
            target.used_bytes >= quota
                || target.used_bytes.saturating_add(declared_size as i64) > quota
        }
        None => false,
    }
}

fn decode_b64(text: &str) -> Option<String> {
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
}

fn new_queue_id() -> String {
    format!("{:016X}", rand::random::<u64>())
}

/// `unfreeze+TOKEN@<hostname>`: the token, when `address` is one.
fn unfreeze_token(address: &EmailAddress, hostname: &str) -> Option<String> {
    if !address.domain().as_str().eq_ignore_ascii_case(hostname) {
        return None;
    }
    let token = address.local_part().strip_prefix("unfreeze+")?;
    (!token.is_empty() && token.chars().all(|c| c.is_ascii_alphanumeric()))
        .then(|| token.to_string())
}
