//! The SMTP session: one frame in, one reply out, plus what the connection
//! must do next. Policy comes from `screening`; storage from the store and
//! the group committer. No socket I/O here.

use std::net::SocketAddr;

use base64::Engine;
use smtp_proto::{MAIL_SMTPUTF8, Request};

use super::framing::Frame;
use super::{ListenerKind, Reply};
use crate::address::EmailAddress;
use crate::app::AppState;
use crate::delivery::Committer;
use crate::inbound::{self, Context, Envelope, Outcome, Rcpt, Sender};
use crate::screening::hijack::{self, HijackSettings};
use crate::screening::login::{LoginError, Protocol, login};
use crate::screening::relay::{self, IpShieldSettings, Refusal, RelaySettings, SessionFacts};
use crate::screening::sender::{self, InboundScreening};
use crate::store::StoreError;
use crate::store::delivery::LocalTarget;

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
    auth: Option<Sender>,
    relay: RelaySettings,
    shield: IpShieldSettings,
    /// Inbound sender checks and sending limits, as of the session's start.
    screening: InboundScreening,
    hijack: HijackSettings,
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
        // The rest of the settings a message needs, read once per session.
        let screening: InboundScreening = state
            .store
            .setting(sender::SETTING)
            .await
            .unwrap_or_default();
        let hijack: HijackSettings = state
            .store
            .setting(hijack::SETTING)
            .await
            .unwrap_or_default();
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
            screening,
            hijack,
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
        self.auth = Some(Sender {
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
        // A frozen account may not start a transaction (weight 0: status
        // only; the limit is counted at the end of data).
        let ctx = self.context();
        let gate = inbound::limits::account_gate(&ctx, 0).await;
        if let Err(outcome) = gate {
            return self.answer(outcome);
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
        let key = rcpt.address().key();
        let duplicate = envelope.rcpts.iter().any(|r| r.address().key() == key);
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

    /// End of DATA or BDAT LAST: the inbound pipeline decides (see
    /// [`crate::inbound`]); a 250 only once the message is stored durably.
    async fn message(&mut self, body: Vec<u8>) -> (Reply, After) {
        let Some(envelope) = self.envelope.take() else {
            return self.error(Reply::enhanced(503, "5.5.1", "No mail transaction"));
        };
        self.bdat = None;
        self.bdat_too_big = false;
        let outcome = inbound::receive(&self.context(), envelope, body).await;
        self.answer(outcome)
    }

    /// The session as the pipeline sees it.
    fn context(&self) -> Context<'_> {
        Context {
            state: &self.state,
            committer: &self.committer,
            kind: self.kind,
            peer: self.peer,
            helo: self.helo.as_deref(),
            esmtp: self.esmtp,
            tls: self.tls.as_ref().map(|t| t.description.as_str()),
            auth: self.auth.as_ref(),
            relay: &self.relay,
            screening: &self.screening,
            hijack: &self.hijack,
            trusted: self.trusted,
        }
    }

    /// The reply for a pipeline outcome.
    fn answer(&mut self, outcome: Outcome) -> (Reply, After) {
        match outcome {
            Outcome::Accept(text) => (Reply::enhanced(250, "2.0.0", text), After::Continue),
            Outcome::Refuse {
                reply, close: true, ..
            } => (reply, After::Close),
            Outcome::Refuse {
                reply,
                client_error: true,
                ..
            } => self.error(reply),
            Outcome::Refuse { reply, .. } | Outcome::Tempfail(reply) => (reply, After::Continue),
        }
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

    fn temporary(&mut self, error: StoreError) -> (Reply, After) {
        let outcome = Outcome::local_problem(&self.context(), error);
        self.answer(outcome)
    }

    fn refuse(&mut self, refusal: Refusal) -> (Reply, After) {
        self.answer(Outcome::from(refusal))
    }

    /// Records `message.rejected`. Failure to record is logged, never fatal.
    async fn reject_event(&self, stage: &str, reason: &str, address: Option<&str>) {
        inbound::record_rejection(&self.context(), stage, reason, address, None).await
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

/// `unfreeze+TOKEN@<hostname>`: the token, when `address` is one.
fn unfreeze_token(address: &EmailAddress, hostname: &str) -> Option<String> {
    if !address.domain().as_str().eq_ignore_ascii_case(hostname) {
        return None;
    }
    let token = address.local_part().strip_prefix("unfreeze+")?;
    (!token.is_empty() && token.chars().all(|c| c.is_ascii_alphanumeric()))
        .then(|| token.to_string())
}
