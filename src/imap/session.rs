//! The IMAP session: one decoded command in, responses out (RFC 3501).
//! The selected mailbox is a snapshot that [`Session::sync`] brings up to
//! date, reporting what other sessions and deliveries changed.

use std::borrow::Cow;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::num::{NonZeroU32, NonZeroU64};

use imap_codec::imap_types::IntoStatic;
use imap_codec::imap_types::auth::AuthMechanism;
use imap_codec::imap_types::command::{
    Command, CommandBody, FetchModifier, SelectParameter, StoreModifier,
};
use imap_codec::imap_types::core::{AString, IString, NString, QuotedChar, Tag, Vec1};
use imap_codec::imap_types::extensions::binary::LiteralOrLiteral8;
use imap_codec::imap_types::extensions::enable::CapabilityEnable;
use imap_codec::imap_types::extensions::namespace::Namespace;
use imap_codec::imap_types::extensions::quota::{QuotaGet, Resource};
use imap_codec::imap_types::extensions::uidplus::{UidElement, UidSet};
use imap_codec::imap_types::fetch::{
    MacroOrMessageDataItemNames, MessageDataItem, MessageDataItemName,
};
use imap_codec::imap_types::flag::{Flag, FlagNameAttribute, StoreResponse, StoreType};
use imap_codec::imap_types::mailbox::{ListMailbox, Mailbox};
use imap_codec::imap_types::response::{Capability, Code, CodeOther, Data};
use imap_codec::imap_types::search::SearchKey;
use imap_codec::imap_types::sequence::SequenceSet;
use imap_codec::imap_types::status::{StatusDataItem, StatusDataItemName};

use super::extended::{Extra, ListReturn, SearchReturn};
use super::fetch::{self, Msg};
use super::meta;
pub use super::out::Out;
use super::search;
use super::selected::{Selected, modseq_nz, nz, ranges_text, report_expunged, uid_sequence};
use super::sequence::{beyond, resolve};
use super::utf7;
use super::views::{parse_flags, to_msg};
use crate::access::SessionGuard;
use crate::app::AppState;
use crate::screening::login::{LoginError, Protocol, login};
use crate::store::mailboxes::{
    FlagChanges, FlagOp, MailboxError, MailboxInfo, MessageRow, NewMessage,
};

/// What the connection does after writing the responses.
pub enum After {
    Continue,
    StartTls,
    Close,
    /// AUTHENTICATE PLAIN without an initial response: read one SASL line.
    Authenticate(Tag<'static>),
    /// IDLE: report changes as they happen until `DONE`.
    Idle(Tag<'static>),
}

struct Authed {
    id: i64,
    _guard: SessionGuard,
}

pub struct Session {
    state: AppState,
    peer: SocketAddr,
    tls: bool,
    authed: Option<Authed>,
    selected: Option<Selected>,
    /// CONDSTORE enabled (RFC 7162 3.1): MODSEQ in FETCH responses.
    condstore: bool,
    /// QRESYNC enabled: VANISHED instead of EXPUNGE.
    qresync: bool,
}

/// What FETCH's CONDSTORE/QRESYNC modifiers ask for.
#[derive(Debug, Clone, Copy)]
struct FetchScope {
    changed_since: Option<i64>,
    vanished: bool,
}

/// A STORE's form: how flags change, what is answered, and its condition.
#[derive(Debug, Clone, Copy)]
struct StoreRequest {
    kind: StoreType,
    response: StoreResponse,
    uid: bool,
    unchanged_since: Option<i64>,
}

fn other_code(name: &'static str) -> Code<'static> {
    Code::Other(CodeOther::unvalidated(name.as_bytes()))
}

/// The stored (UTF-8) name for a name on the wire (modified UTF-7); a
/// name that is not valid modified UTF-7 is taken as it is, and then names
/// no mailbox (CREATE and RENAME refuse it: [`new_mailbox_name`]).
fn mailbox_name(m: &Mailbox<'_>) -> String {
    match m {
        Mailbox::Inbox => "INBOX".to_string(),
        Mailbox::Other(o) => {
            let raw = String::from_utf8_lossy(o.as_ref());
            utf7::decode(&raw).unwrap_or_else(|| raw.into_owned())
        }
    }
}

/// A name for a mailbox to be created: valid modified UTF-7 only.
fn new_mailbox_name(m: &Mailbox<'_>) -> Option<String> {
    match m {
        Mailbox::Inbox => Some("INBOX".to_string()),
        Mailbox::Other(o) => utf7::decode(&String::from_utf8_lossy(o.as_ref())),
    }
}

fn wire_mailbox(name: &str) -> Mailbox<'static> {
    Mailbox::try_from(utf7::encode(name)).unwrap_or(Mailbox::Inbox)
}

/// A name a client may create: `/`-separated, no wildcards or controls.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name.starts_with('/')
        && !name.ends_with('/')
        && !name.contains("//")
        && !name.chars().any(|c| c.is_control() || c == '*' || c == '%')
}

fn uid_set(uids: &[u32]) -> Option<UidSet> {
    let elements: Vec<UidElement> = uids.iter().map(|u| UidElement::Single(nz(*u))).collect();
    Vec1::try_from(elements).ok().map(UidSet)
}

fn flag_text(flags: &[String]) -> String {
    flags.join(" ")
}

/// `*` matches anything, `%` anything but the delimiter (RFC 3501 6.3.8).
/// LSUB, or LIST with what its RETURN options asked for.
enum ListKind {
    Lsub,
    List(ListReturn),
}

/// The RFC 4731 answer to `SEARCH RETURN (...)`: what was asked of the
/// matches (numbers or UIDs, ascending), as one ESEARCH line.
fn esearch_response(
    tag: &Tag<'_>,
    uid: bool,
    options: SearchReturn,
    hits: &[NonZeroU32],
    modseq: Option<NonZeroU64>,
    out: &mut Out,
) {
    // A tag has no quoted-specials (RFC 3501 9), so it quotes as is.
    let mut line = format!("* ESEARCH (TAG \"{}\")", tag.as_ref());
    if uid {
        line.push_str(" UID");
    }
    let numbers: Vec<u32> = hits.iter().map(|n| n.get()).collect();
    if let (true, Some(min)) = (options.min, numbers.iter().min()) {
        line.push_str(&format!(" MIN {min}"));
    }
    if let (true, Some(max)) = (options.max, numbers.iter().max()) {
        line.push_str(&format!(" MAX {max}"));
    }
    if options.count {
        line.push_str(&format!(" COUNT {}", numbers.len()));
    }
    if options.all && !numbers.is_empty() {
        line.push_str(&format!(" ALL {}", ranges_text(&numbers)));
    }
    if let Some(modseq) = modseq {
        line.push_str(&format!(" MODSEQ {modseq}"));
    }
    line.push_str("\r\n");
    out.buf.extend_from_slice(line.as_bytes());
}

fn wildcard_match(pattern: &[char], name: &[char]) -> bool {
    match pattern.split_first() {
        None => name.is_empty(),
        Some(('*', rest)) => (0..=name.len()).any(|i| wildcard_match(rest, &name[i..])),
        Some(('%', rest)) => (0..=name.len())
            .take_while(|i| *i == 0 || name[i - 1] != '/')
            .any(|i| wildcard_match(rest, &name[i..])),
        Some((c, rest)) => name.first() == Some(c) && wildcard_match(rest, &name[1..]),
    }
}

fn attribute(name: &str) -> Option<FlagNameAttribute<'static>> {
    imap_codec::imap_types::core::Atom::try_from(name.to_string())
        .ok()
        .map(FlagNameAttribute::from)
}

/// Messages whose precomputed facts FETCH and SEARCH hold at once.
const FETCH_CHUNK: usize = 256;

impl Session {
    pub fn new(state: AppState, peer: SocketAddr, tls: bool) -> Self {
        Self {
            state,
            peer,
            tls,
            authed: None,
            selected: None,
            condstore: false,
            qresync: false,
        }
    }

    pub fn tls_started(&mut self) {
        self.tls = true;
    }

    pub fn capabilities(&self) -> Vec<Capability<'static>> {
        let mut caps = vec![Capability::Imap4Rev1];
        if self.authed.is_none() {
            if self.tls {
                caps.push(Capability::Auth(AuthMechanism::Plain));
                caps.push(Capability::SaslIr);
            } else {
                caps.push(Capability::StartTls);
                caps.push(Capability::LoginDisabled);
            }
        }
        caps.extend([
            Capability::Idle,
            Capability::UidPlus,
            Capability::Move,
            Capability::Namespace,
            Capability::LiteralPlus,
            Capability::Enable,
            Capability::Id,
            Capability::Unselect,
        ]);
        for extra in [
            "CHILDREN",
            "SPECIAL-USE",
            "CONDSTORE",
            "QRESYNC",
            "QUOTA",
            "QUOTA=RES-STORAGE",
            "ESEARCH",
            "LIST-STATUS",
        ] {
            if let Ok(c) = Capability::try_from(extra) {
                caps.push(c.into_static());
            }
        }
        caps
    }

    pub fn greeting(&self, out: &mut Out) {
        let caps = Vec1::try_from(self.capabilities())
            .ok()
            .map(Code::Capability);
        out.ok(
            None,
            caps,
            &format!("{} IMAP4rev1 Rampart ready", self.state.config.hostname),
        );
    }

    /// Runs one command, writing its responses to `out`.
    pub async fn handle(&mut self, command: Command<'static>, out: &mut Out) -> After {
        self.handle_extended(command, Extra::None, out).await
    }

    /// A command with the extension syntax split off it (see `extended`).
    pub async fn handle_extended(
        &mut self,
        command: Command<'static>,
        extra: Extra,
        out: &mut Out,
    ) -> After {
        let tag = command.tag.clone();
        let name = command.body.name();
        let body = command.body;
        // RFC 3501 7.4.1: no EXPUNGE while answering FETCH, STORE or SEARCH.
        let allow_expunge = !matches!(
            body,
            CommandBody::Fetch { .. } | CommandBody::Store { .. } | CommandBody::Search { .. }
        );
        // What other sessions changed is reported before this command's own
        // responses, so they never show a stale snapshot.
        let syncs_itself = matches!(
            name,
            "NOOP" | "CHECK" | "SELECT" | "EXAMINE" | "LOGOUT" | "CLOSE" | "UNSELECT" | "IDLE"
        );
        if self.selected.is_some() && !syncs_itself {
            self.sync(out, allow_expunge).await;
        }
        match body {
            CommandBody::Capability => {
                if let Ok(caps) = Vec1::try_from(self.capabilities()) {
                    out.data(Data::Capability(caps));
                }
                out.ok(Some(&tag), None, "CAPABILITY completed");
                After::Continue
            }
            CommandBody::Noop | CommandBody::Check => {
                self.sync(out, true).await;
                out.ok(Some(&tag), None, &format!("{name} completed"));
                After::Continue
            }
            CommandBody::Logout => {
                out.bye("Logging out");
                out.ok(Some(&tag), None, "LOGOUT completed");
                After::Close
            }
            CommandBody::StartTLS => {
                if self.tls {
                    out.bad(Some(&tag), None, "TLS is already active");
                    After::Continue
                } else {
                    out.ok(Some(&tag), None, "Begin TLS negotiation now");
                    After::StartTls
                }
            }
            CommandBody::Id { .. } => {
                let params = vec![
                    (
                        IString::try_from("name").expect("ascii"),
                        NString::try_from("Rampart").expect("ascii"),
                    ),
                    (
                        IString::try_from("version").expect("ascii"),
                        NString::try_from(env!("CARGO_PKG_VERSION")).expect("ascii"),
                    ),
                ];
                out.data(Data::Id {
                    parameters: Some(params),
                });
                out.ok(Some(&tag), None, "ID completed");
                After::Continue
            }
            CommandBody::Login { username, password } => {
                let user = String::from_utf8_lossy(username.as_ref()).into_owned();
                let pass = String::from_utf8_lossy(password.declassify().as_ref()).into_owned();
                self.login(&tag, user, pass, out).await;
                After::Continue
            }
            CommandBody::Authenticate {
                mechanism,
                initial_response,
            } => {
                if self.authed.is_some() {
                    out.bad(Some(&tag), None, "Already authenticated");
                    After::Continue
                } else if !self.tls {
                    out.no(
                        Some(&tag),
                        Some(other_code("PRIVACYREQUIRED")),
                        "Use STARTTLS first",
                    );
                    After::Continue
                } else if mechanism != AuthMechanism::Plain {
                    out.no(
                        Some(&tag),
                        Some(other_code("CANNOT")),
                        "Only AUTHENTICATE PLAIN is supported",
                    );
                    After::Continue
                } else if let Some(initial) = initial_response {
                    self.authenticate_plain(&tag, initial.declassify(), out)
                        .await;
                    After::Continue
                } else {
                    out.continuation_empty();
                    After::Authenticate(tag.clone())
                }
            }
            other => {
                if self.authed.is_none() {
                    out.bad(Some(&tag), None, "Log in first");
                    return After::Continue;
                }
                self.authenticated(&tag, other, extra, out).await
            }
        }
    }

    /// The SASL PLAIN response after `+ `.
    pub async fn authenticate_data(
        &mut self,
        tag: &Tag<'static>,
        data: Option<&[u8]>,
        out: &mut Out,
    ) {
        match data {
            Some(d) => self.authenticate_plain(tag, d, out).await,
            None => out.bad(Some(tag), None, "AUTHENTICATE cancelled"),
        }
    }

    async fn authenticate_plain(&mut self, tag: &Tag<'_>, response: &[u8], out: &mut Out) {
        let parts: Vec<&[u8]> = response.split(|b| *b == 0).collect();
        let [authz, user, pass] = parts.as_slice() else {
            out.bad(Some(tag), None, "Malformed PLAIN response");
            return;
        };
        let (user, pass) = (
            String::from_utf8_lossy(user).into_owned(),
            String::from_utf8_lossy(pass).into_owned(),
        );
        if !authz.is_empty() && !String::from_utf8_lossy(authz).eq_ignore_ascii_case(&user) {
            out.no(
                Some(tag),
                Some(other_code("AUTHORIZATIONFAILED")),
                "Cannot act as another user",
            );
            return;
        }
        self.login(tag, user, pass, out).await;
    }

    async fn login(&mut self, tag: &Tag<'_>, user: String, pass: String, out: &mut Out) {
        if self.authed.is_some() {
            out.bad(Some(tag), None, "Already authenticated");
            return;
        }
        if !self.tls {
            out.no(
                Some(tag),
                Some(other_code("PRIVACYREQUIRED")),
                "LOGIN is disabled until STARTTLS",
            );
            return;
        }
        let account = match login(&self.state, Protocol::Imap, self.peer.ip(), &user, pass).await {
            Ok(a) => a,
            Err(LoginError::BadCredentials) => {
                out.no(
                    Some(tag),
                    Some(other_code("AUTHENTICATIONFAILED")),
                    "Invalid credentials",
                );
                return;
            }
            Err(LoginError::Frozen) => {
                out.no(
                    Some(tag),
                    Some(other_code("CONTACTADMIN")),
                    "Account is frozen; contact your administrator",
                );
                return;
            }
            Err(LoginError::Disabled) => {
                out.no(
                    Some(tag),
                    Some(other_code("AUTHORIZATIONFAILED")),
                    "Account is disabled",
                );
                return;
            }
            Err(LoginError::Temporary) => {
                out.no(
                    Some(tag),
                    Some(other_code("UNAVAILABLE")),
                    "Temporary failure; try again",
                );
                return;
            }
        };
        let Some(guard) = self.state.access.open(
            account.id,
            self.state.config.access.max_sessions_per_account,
        ) else {
            out.no(
                Some(tag),
                Some(other_code("LIMIT")),
                "Too many sessions for this account",
            );
            return;
        };
        tracing::info!(peer = %self.peer, account = %account.address, "IMAP login");
        self.authed = Some(Authed {
            id: account.id,
            _guard: guard,
        });
        let caps = Vec1::try_from(self.capabilities())
            .ok()
            .map(Code::Capability);
        out.ok(Some(tag), caps, "Logged in");
    }

    fn account_id(&self) -> i64 {
        self.authed.as_ref().map(|a| a.id).unwrap_or_default()
    }

    /// The mailbox of the logged-in account named `name`; when there is
    /// none (or the store fails) the reply is written and `None` returned.
    async fn mailbox_or_reply(
        &self,
        tag: &Tag<'_>,
        name: &str,
        missing: Code<'static>,
        out: &mut Out,
    ) -> Option<MailboxInfo> {
        match self.state.store.mailbox(self.account_id(), name).await {
            Ok(Some(m)) => Some(m),
            Ok(None) => {
                out.no(Some(tag), Some(missing), "No such mailbox");
                None
            }
            Err(e) => {
                self.failed(out, tag, e);
                None
            }
        }
    }

    /// QUOTA (RFC 9208): one quota root, "", holding every mailbox of the
    /// account, with the STORAGE resource in units of 1024 octets. An
    /// account without a quota has no root.
    async fn quota(&self, tag: &Tag<'_>, mailbox: Option<&Mailbox<'_>>, out: &mut Out) {
        let (quota, used) = match self.state.store.quota_usage(self.account_id()).await {
            Ok(q) => q,
            Err(e) => return self.failed(out, tag, e),
        };
        let root = AString::try_from("").expect("empty astring");
        if let Some(mailbox) = mailbox {
            let name = mailbox_name(mailbox);
            let nonexistent = other_code("NONEXISTENT");
            if self
                .mailbox_or_reply(tag, &name, nonexistent, out)
                .await
                .is_none()
            {
                return;
            }
            out.data(Data::QuotaRoot {
                mailbox: wire_mailbox(&name),
                roots: quota.map(|_| root.clone()).into_iter().collect(),
            });
        } else if quota.is_none() {
            return out.no(Some(tag), Some(other_code("NONEXISTENT")), "No quota");
        }
        if let Some(limit) = quota {
            let kib = |bytes: i64| (bytes.max(0) as u64).div_ceil(1024);
            let storage = QuotaGet::new(Resource::Storage, kib(used), kib(limit));
            out.data(Data::Quota {
                root,
                quotas: Vec1::from(storage),
            });
        }
        out.ok(
            Some(tag),
            None,
            if mailbox.is_some() {
                "GETQUOTAROOT completed"
            } else {
                "GETQUOTA completed"
            },
        );
    }

    /// Takes flags just written (id, flags, modseq) into the snapshot.
    fn update_flags(&mut self, changes: &FlagChanges) {
        let Some(selected) = &mut self.selected else {
            return;
        };
        let by_id: HashMap<i64, (&String, i64)> = changes
            .now
            .iter()
            .map(|(id, f, modseq)| (*id, (f, *modseq)))
            .collect();
        for m in &mut selected.msgs {
            if let Some((flags, modseq)) = by_id.get(&m.id) {
                m.flags = parse_flags(flags);
                m.modseq = *modseq;
            }
        }
    }

    /// Bytes the logged-in account may still store (`None`: no quota, not
    /// logged in, or unknown right now; APPEND checks again anyway).
    pub async fn quota_room(&self) -> Option<u64> {
        let id = self.account_id_if_authed()?;
        match self.state.store.quota_room(id).await {
            Ok(room) => room.map(|r| r as u64),
            Err(e) => {
                tracing::warn!(error = %e, "reading the quota failed");
                None
            }
        }
    }

    pub fn account_id_if_authed(&self) -> Option<i64> {
        self.authed.as_ref().map(|a| a.id)
    }

    /// A store failure: logged, reported as a temporary NO.
    fn failed(&self, out: &mut Out, tag: &Tag<'_>, error: impl std::fmt::Display) {
        tracing::error!(peer = %self.peer, %error, "IMAP store error");
        out.no(
            Some(tag),
            Some(other_code("SERVERBUG")),
            "Temporary server failure",
        );
    }

    async fn authenticated(
        &mut self,
        tag: &Tag<'static>,
        body: CommandBody<'static>,
        extra: Extra,
        out: &mut Out,
    ) -> After {
        let account_id = self.account_id();
        match body {
            CommandBody::Select {
                mailbox,
                parameters,
            } => {
                self.select(tag, &mailbox_name(&mailbox), false, &parameters, out)
                    .await
            }
            CommandBody::Examine {
                mailbox,
                parameters,
            } => {
                self.select(tag, &mailbox_name(&mailbox), true, &parameters, out)
                    .await
            }
            CommandBody::Create { mailbox } => {
                // A trailing delimiter only declares that names will be
                // created under this one (RFC 3501 6.3.3).
                let name = new_mailbox_name(&mailbox).unwrap_or_default();
                let name = match name.strip_suffix('/') {
                    Some(n) if !n.is_empty() => n.to_string(),
                    _ => name,
                };
                if name == "INBOX" || !valid_name(&name) {
                    out.no(
                        Some(tag),
                        Some(other_code("CANNOT")),
                        "Invalid mailbox name",
                    );
                } else {
                    // Create missing parents too (RFC 3501 6.3.3).
                    let mut path = String::new();
                    let mut result = Ok(Ok(()));
                    for (i, segment) in name.split('/').enumerate() {
                        if i > 0 {
                            path.push('/');
                        }
                        path.push_str(segment);
                        let last = path.len() == name.len();
                        match self.state.store.create_mailbox(account_id, &path).await {
                            Ok(Ok(_)) => {}
                            Ok(Err(MailboxError::AlreadyExists)) if !last => {}
                            Ok(Err(e)) => {
                                result = Ok(Err(e));
                                break;
                            }
                            Err(e) => {
                                result = Err(e);
                                break;
                            }
                        }
                    }
                    match result {
                        Ok(Ok(())) => out.ok(Some(tag), None, "CREATE completed"),
                        Ok(Err(_)) => out.no(
                            Some(tag),
                            Some(other_code("ALREADYEXISTS")),
                            "Mailbox already exists",
                        ),
                        Err(e) => self.failed(out, tag, e),
                    }
                }
            }
            CommandBody::Delete { mailbox } => {
                let name = mailbox_name(&mailbox);
                match self.state.store.delete_mailbox(account_id, &name).await {
                    Ok(Ok(())) => {
                        if self
                            .selected
                            .as_ref()
                            .is_some_and(|s| s.mailbox.name == name)
                        {
                            self.selected = None;
                        }
                        self.state.access.changed(account_id);
                        out.ok(Some(tag), None, "DELETE completed")
                    }
                    Ok(Err(MailboxError::NotFound)) => out.no(
                        Some(tag),
                        Some(other_code("NONEXISTENT")),
                        "No such mailbox",
                    ),
                    Ok(Err(MailboxError::NotAllowed(why))) => {
                        out.no(Some(tag), Some(other_code("CANNOT")), why)
                    }
                    Ok(Err(_)) => out.no(Some(tag), None, "DELETE failed"),
                    Err(e) => self.failed(out, tag, e),
                }
            }
            CommandBody::Rename { from, to } => {
                let (from, to) = (
                    mailbox_name(&from),
                    new_mailbox_name(&to).unwrap_or_default(),
                );
                if !valid_name(&to) || to == "INBOX" {
                    out.no(
                        Some(tag),
                        Some(other_code("CANNOT")),
                        "Invalid mailbox name",
                    );
                } else {
                    match self
                        .state
                        .store
                        .rename_mailbox(account_id, &from, &to)
                        .await
                    {
                        Ok(Ok(())) => out.ok(Some(tag), None, "RENAME completed"),
                        Ok(Err(MailboxError::NotFound)) => out.no(
                            Some(tag),
                            Some(other_code("NONEXISTENT")),
                            "No such mailbox",
                        ),
                        Ok(Err(MailboxError::AlreadyExists)) => out.no(
                            Some(tag),
                            Some(other_code("ALREADYEXISTS")),
                            "Target mailbox exists",
                        ),
                        Ok(Err(_)) => out.no(Some(tag), None, "RENAME failed"),
                        Err(e) => self.failed(out, tag, e),
                    }
                }
            }
            CommandBody::Subscribe { mailbox } => {
                self.subscribe(tag, &mailbox_name(&mailbox), true, out)
                    .await
            }
            CommandBody::Unsubscribe { mailbox } => {
                self.subscribe(tag, &mailbox_name(&mailbox), false, out)
                    .await
            }
            CommandBody::List {
                reference,
                mailbox_wildcard,
            } => {
                let returns = match extra {
                    Extra::ListReturn(r) => r,
                    // No RETURN clause: every attribute we know.
                    _ => ListReturn {
                        children: true,
                        special_use: true,
                        status: Vec::new(),
                    },
                };
                self.list(
                    tag,
                    &mailbox_name(&reference),
                    &mailbox_wildcard,
                    ListKind::List(returns),
                    out,
                )
                .await
            }
            CommandBody::Lsub {
                reference,
                mailbox_wildcard,
            } => {
                self.list(
                    tag,
                    &mailbox_name(&reference),
                    &mailbox_wildcard,
                    ListKind::Lsub,
                    out,
                )
                .await
            }
            CommandBody::Status {
                mailbox,
                item_names,
            } => {
                self.status(tag, &mailbox_name(&mailbox), &item_names, out)
                    .await
            }
            CommandBody::Append {
                mailbox,
                flags,
                date,
                message,
            } => {
                let bytes = match &message {
                    LiteralOrLiteral8::Literal(l) => l.data().to_vec(),
                    LiteralOrLiteral8::Literal8(l) => l.data.to_vec(),
                };
                let date_ms = date.map(|d| d.as_ref().timestamp_millis());
                self.append(tag, &mailbox_name(&mailbox), &flags, date_ms, bytes, out)
                    .await
            }
            CommandBody::Namespace => {
                let personal = vec![Namespace::new(
                    IString::try_from("").expect("empty"),
                    QuotedChar::try_from('/').ok(),
                )];
                out.data(Data::Namespace {
                    personal,
                    other: Vec::new(),
                    shared: Vec::new(),
                });
                out.ok(Some(tag), None, "NAMESPACE completed");
            }
            CommandBody::Enable { capabilities } => {
                let mut enabled = Vec::new();
                for c in capabilities.as_ref() {
                    let name = c.to_string().to_ascii_uppercase();
                    // QRESYNC implies CONDSTORE (RFC 7162 3.2.3).
                    if name == "CONDSTORE" || name == "QRESYNC" {
                        if !self.condstore {
                            self.condstore = true;
                            enabled.push(CapabilityEnable::CondStore);
                        }
                        if name == "QRESYNC" && !self.qresync {
                            self.qresync = true;
                            enabled.extend(CapabilityEnable::try_from("QRESYNC").ok());
                        }
                    }
                }
                out.data(Data::Enabled {
                    capabilities: enabled.into_iter().map(|c| c.into_static()).collect(),
                });
                out.ok(Some(tag), None, "ENABLE completed");
            }
            CommandBody::Idle => {
                out.continuation("idling");
                return After::Idle(tag.clone());
            }
            CommandBody::GetQuotaRoot { mailbox } => {
                self.quota(tag, Some(&mailbox), out).await;
            }
            CommandBody::GetQuota { root } => {
                if !root.as_ref().is_empty() {
                    out.no(
                        Some(tag),
                        Some(other_code("NONEXISTENT")),
                        "No such quota root",
                    );
                } else {
                    self.quota(tag, None, out).await;
                }
            }
            CommandBody::SetQuota { .. } => {
                // Quotas are set by the administrator over the REST API.
                out.no(
                    Some(tag),
                    Some(other_code("NOPERM")),
                    "Quotas are set by the administrator",
                );
            }
            body => {
                if self.selected.is_none() {
                    out.bad(Some(tag), None, "Select a mailbox first");
                    return After::Continue;
                }
                self.selected_command(tag, body, extra, out).await;
            }
        }
        After::Continue
    }

    async fn subscribe(&mut self, tag: &Tag<'_>, name: &str, on: bool, out: &mut Out) {
        match self
            .state
            .store
            .set_subscribed(self.account_id(), name, on)
            .await
        {
            Ok(true) => out.ok(
                Some(tag),
                None,
                if on {
                    "SUBSCRIBE completed"
                } else {
                    "UNSUBSCRIBE completed"
                },
            ),
            Ok(false) => out.no(
                Some(tag),
                Some(other_code("NONEXISTENT")),
                "No such mailbox",
            ),
            Err(e) => self.failed(out, tag, e),
        }
    }

    async fn list(
        &mut self,
        tag: &Tag<'_>,
        reference: &str,
        wildcard: &ListMailbox<'_>,
        kind: ListKind,
        out: &mut Out,
    ) {
        let (lsub, returns) = match kind {
            ListKind::Lsub => (true, ListReturn::default()),
            ListKind::List(returns) => (false, returns),
        };
        let status = returns.status;
        let pattern = match wildcard {
            ListMailbox::Token(t) => String::from_utf8_lossy(t.as_ref()).into_owned(),
            ListMailbox::String(s) => String::from_utf8_lossy(s.as_ref()).into_owned(),
        };
        let delimiter = QuotedChar::try_from('/').ok();
        if pattern.is_empty() && !lsub {
            // The hierarchy delimiter query (RFC 3501 6.3.8).
            out.data(Data::List {
                items: vec![FlagNameAttribute::Noselect],
                delimiter,
                mailbox: Mailbox::try_from("").unwrap_or(Mailbox::Inbox),
            });
            out.ok(Some(tag), None, "LIST completed");
            return;
        }
        let mailboxes = match self.state.store.mailboxes(self.account_id()).await {
            Ok(m) => m,
            Err(e) => return self.failed(out, tag, e),
        };
        let wire = format!("{reference}{pattern}");
        let full: Vec<char> = utf7::decode(&wire).unwrap_or(wire).chars().collect();
        let matches = |name: &str| {
            let candidate: Vec<char> = name.chars().collect();
            let upper: Vec<char> = full.iter().map(|c| c.to_ascii_uppercase()).collect();
            wildcard_match(&full, &candidate)
                || (name == "INBOX" && wildcard_match(&upper, &candidate))
        };
        let listed: Vec<&MailboxInfo> =
            mailboxes.iter().filter(|m| !lsub || m.subscribed).collect();
        // Names that are not listed themselves but have listed names below
        // them: `%` shows them as \Noselect (RFC 3501 6.3.8, 6.3.9).
        let mut phantoms: Vec<String> = Vec::new();
        for m in listed.iter().filter(|m| !matches(&m.name)) {
            let mut prefix = String::new();
            for segment in m
                .name
                .split('/')
                .collect::<Vec<_>>()
                .iter()
                .rev()
                .skip(1)
                .rev()
            {
                if !prefix.is_empty() {
                    prefix.push('/');
                }
                prefix.push_str(segment);
                let exists = listed.iter().any(|o| o.name == prefix);
                if !exists && !phantoms.contains(&prefix) && matches(&prefix) {
                    phantoms.push(prefix.clone());
                }
            }
        }
        let respond = |name: &str, items: Vec<FlagNameAttribute<'static>>, out: &mut Out| {
            out.data(match lsub {
                true => Data::Lsub {
                    items,
                    delimiter,
                    mailbox: wire_mailbox(name),
                },
                false => Data::List {
                    items,
                    delimiter,
                    mailbox: wire_mailbox(name),
                },
            });
        };
        for m in &listed {
            if !matches(&m.name) {
                continue;
            }
            let mut items = Vec::new();
            if returns.children {
                let prefix = format!("{}/", m.name);
                let children = mailboxes.iter().any(|o| o.name.starts_with(&prefix));
                items.extend(attribute(if children {
                    "HasChildren"
                } else {
                    "HasNoChildren"
                }));
            }
            if returns.special_use
                && let Some(special) = &m.special_use
            {
                items.extend(attribute(special.trim_start_matches('\\')));
            }
            respond(&m.name, items, out);
            // LIST-STATUS: the mailbox's STATUS right after its LIST line.
            if !status.is_empty() {
                match self.status_data(m, &status).await {
                    Ok(items) => out.data(Data::Status {
                        mailbox: wire_mailbox(&m.name),
                        items: Cow::Owned(items),
                    }),
                    Err(e) => return self.failed(out, tag, e),
                }
            }
        }
        for name in &phantoms {
            let mut items = vec![FlagNameAttribute::Noselect];
            if returns.children {
                items.extend(attribute("HasChildren"));
            }
            respond(name, items, out);
        }
        out.ok(
            Some(tag),
            None,
            if lsub {
                "LSUB completed"
            } else {
                "LIST completed"
            },
        );
    }

    /// The STATUS items of a mailbox, from this node's view of it.
    async fn status_data(
        &self,
        mailbox: &MailboxInfo,
        items: &[StatusDataItemName],
    ) -> crate::store::StoreResult<Vec<StatusDataItem>> {
        let msgs = self
            .state
            .views
            .messages(&self.state.store, mailbox)
            .await?;
        let has = |m: &Msg, flag: &str| m.flags.iter().any(|f| f == flag);
        let unseen = msgs.iter().filter(|m| !has(m, "\\Seen")).count() as u32;
        let deleted = msgs.iter().filter(|m| has(m, "\\Deleted")).count() as u32;
        let mut data = Vec::new();
        for item in items {
            data.push(match item {
                StatusDataItemName::Messages => StatusDataItem::Messages(msgs.len() as u32),
                StatusDataItemName::HighestModSeq => {
                    StatusDataItem::HighestModSeq(mailbox.highestmodseq as u64)
                }
                StatusDataItemName::Recent => StatusDataItem::Recent(
                    msgs.iter()
                        .filter(|m| i64::from(m.uid) > mailbox.recent_uid)
                        .count() as u32,
                ),
                StatusDataItemName::UidNext => StatusDataItem::UidNext(nz(mailbox.uidnext as u32)),
                StatusDataItemName::UidValidity => {
                    StatusDataItem::UidValidity(nz(mailbox.uidvalidity as u32))
                }
                StatusDataItemName::Unseen => StatusDataItem::Unseen(unseen),
                StatusDataItemName::Deleted => StatusDataItem::Deleted(deleted),
                StatusDataItemName::DeletedStorage => StatusDataItem::DeletedStorage(
                    msgs.iter()
                        .filter(|m| has(m, "\\Deleted"))
                        .map(|m| u64::from(m.size))
                        .sum(),
                ),
            });
        }
        Ok(data)
    }

    async fn status(
        &mut self,
        tag: &Tag<'_>,
        name: &str,
        items: &[StatusDataItemName],
        out: &mut Out,
    ) {
        let nonexistent = other_code("NONEXISTENT");
        let Some(mailbox) = self.mailbox_or_reply(tag, name, nonexistent, out).await else {
            return;
        };
        let data = match self.status_data(&mailbox, items).await {
            Ok(d) => d,
            Err(e) => return self.failed(out, tag, e),
        };
        out.data(Data::Status {
            mailbox: wire_mailbox(&mailbox.name),
            items: Cow::Owned(data),
        });
        out.ok(Some(tag), None, "STATUS completed");
    }

    async fn append(
        &mut self,
        tag: &Tag<'_>,
        name: &str,
        flags: &[Flag<'_>],
        date_ms: Option<i64>,
        bytes: Vec<u8>,
        out: &mut Out,
    ) {
        if bytes.len() as u64 > self.state.config.smtp.max_message_size {
            return out.no(
                Some(tag),
                Some(Code::TooBig),
                "Message exceeds the size limit",
            );
        }
        if flags.iter().any(|f| matches!(f, Flag::Extension(_))) {
            return out.bad(Some(tag), None, "Unknown system flag");
        }
        let account_id = self.account_id();
        let Some(mailbox) = self.mailbox_or_reply(tag, name, Code::TryCreate, out).await else {
            return;
        };
        let size = bytes.len() as i64;
        let flags: Vec<String> = flags
            .iter()
            .map(|f| f.to_string())
            .filter(|f| f != "\\Recent")
            .collect();
        // The facts FETCH and SEARCH need are computed now and stored with
        // the message, in the transaction that stores the message.
        let (blob, facts) = match meta::stage_new(&self.state, bytes).await {
            Ok(staged) => staged,
            Err(e) => return self.failed(out, tag, e),
        };
        let message = NewMessage {
            blob: blob.blob.hash,
            size,
            flags: flag_text(&flags),
            internal_date_ms: date_ms.unwrap_or_else(crate::store::now_ms),
            bytes: blob.bytes,
            facts: Some(facts),
        };
        match self
            .state
            .committer
            .append(account_id, mailbox.id, vec![message])
            .await
        {
            Ok(Ok(uids)) => {
                self.state.access.changed(account_id);
                let code = Code::AppendUid {
                    uid_validity: nz(mailbox.uidvalidity as u32),
                    uid: nz(uids[0] as u32),
                };
                // Into the selected mailbox: EXISTS before the tagged reply.
                self.sync(out, true).await;
                out.ok(Some(tag), Some(code), "APPEND completed");
            }
            Ok(Err(MailboxError::OverQuota)) => {
                out.no(Some(tag), Some(Code::OverQuota), "Mailbox quota exceeded")
            }
            Ok(Err(_)) => out.no(Some(tag), None, "APPEND failed"),
            Err(e) => self.failed(out, tag, e),
        }
    }

    async fn select(
        &mut self,
        tag: &Tag<'_>,
        name: &str,
        read_only: bool,
        parameters: &[SelectParameter],
        out: &mut Out,
    ) {
        let mut qresync = None;
        for p in parameters {
            match p {
                SelectParameter::CondStore => self.condstore = true,
                SelectParameter::QResync {
                    uid_validity,
                    mod_sequence_value,
                    known_uids,
                    ..
                } => {
                    if !self.qresync {
                        return out.bad(Some(tag), None, "ENABLE QRESYNC first");
                    }
                    qresync = Some((*uid_validity, *mod_sequence_value, known_uids.clone()));
                }
            }
        }
        if self.selected.take().is_some() {
            // The responses before this belong to the mailbox just closed
            // (RFC 7162 3.2.11).
            out.ok(None, Some(Code::Closed), "Previous mailbox closed");
        }
        let nonexistent = other_code("NONEXISTENT");
        let Some(mailbox) = self.mailbox_or_reply(tag, name, nonexistent, out).await else {
            return;
        };
        let mut msgs = match self.state.views.messages(&self.state.store, &mailbox).await {
            Ok(m) => m,
            Err(e) => return self.failed(out, tag, e),
        };
        // The first session to select the mailbox takes its \Recent
        // messages; EXAMINE only looks.
        // The mark only moves up, so nothing above it to claim means no write.
        let recent_above = match (read_only, msgs.last()) {
            (true, _) | (false, None) => mailbox.recent_uid,
            (false, Some(last)) if i64::from(last.uid) <= mailbox.recent_uid => mailbox.recent_uid,
            (false, Some(last)) => match self
                .state
                .committer
                .claim_recent(mailbox.id, i64::from(last.uid))
                .await
            {
                Ok(before) => before,
                Err(e) => return self.failed(out, tag, e),
            },
        };
        for m in &mut msgs {
            m.recent = i64::from(m.uid) > recent_above;
        }
        let recent = msgs.iter().filter(|m| m.recent).count() as u32;
        let first_unseen = msgs
            .iter()
            .position(|m| !m.flags.iter().any(|f| f == "\\Seen"));
        let total = msgs.len() as u32;
        let mut selected = Selected {
            mailbox: mailbox.clone(),
            read_only,
            msgs,
            keywords: Vec::new(),
            highestmodseq: mailbox.highestmodseq,
            pending_expunge: Vec::new(),
        };
        selected.announce_flags(out, true);
        out.data(Data::Exists(total));
        out.data(Data::Recent(recent));
        if let Some(first_unseen) = first_unseen {
            out.ok(
                None,
                Some(Code::Unseen(nz(first_unseen as u32 + 1))),
                "First unseen",
            );
        }
        out.ok(
            None,
            Some(Code::UidValidity(nz(mailbox.uidvalidity as u32))),
            "UIDs valid",
        );
        let uidnext = selected
            .msgs
            .last()
            .map(|m| m.uid as i64 + 1)
            .unwrap_or(1)
            .max(mailbox.uidnext);
        out.ok(
            None,
            Some(Code::UidNext(nz(uidnext as u32))),
            "Predicted next UID",
        );
        out.ok(
            None,
            Some(Code::HighestModSeq(modseq_nz(selected.highestmodseq))),
            "Highest",
        );
        if let Some((validity, since, known)) = qresync
            && i64::from(validity.get()) == mailbox.uidvalidity
        {
            self.qresync_report(&mut selected, since.get() as i64, known.as_ref(), out)
                .await;
        }
        let code = if read_only {
            Code::ReadOnly
        } else {
            Code::ReadWrite
        };
        out.ok(
            Some(tag),
            Some(code),
            if read_only {
                "EXAMINE completed"
            } else {
                "SELECT completed"
            },
        );
        self.selected = Some(selected);
    }

    /// Brings the snapshot up to date and reports the differences:
    /// EXPUNGE (when allowed), FETCH FLAGS, EXISTS.
    pub async fn sync(&mut self, out: &mut Out, allow_expunge: bool) {
        let (condstore, qresync) = (self.condstore, self.qresync);
        let Some(selected) = &mut self.selected else {
            return;
        };
        // One small read answers "anything new?" for the common case.
        let highest = match self.state.store.highest_modseq(selected.mailbox.id).await {
            Ok(Some(h)) => h,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "IMAP sync failed");
                return;
            }
        };
        let mut rows = Vec::new();
        if highest != selected.highestmodseq {
            let (changed, gone) = match self
                .state
                .store
                .changes_since(selected.mailbox.id, selected.highestmodseq)
                .await
            {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "IMAP sync failed");
                    return;
                }
            };
            for uid in gone {
                let uid = uid as u32;
                if selected.msgs.iter().any(|m| m.uid == uid)
                    && !selected.pending_expunge.contains(&uid)
                {
                    selected.pending_expunge.push(uid);
                }
            }
            selected.highestmodseq = highest;
            rows = changed;
        }
        if allow_expunge && !selected.pending_expunge.is_empty() {
            let gone = std::mem::take(&mut selected.pending_expunge);
            report_expunged(selected, &gone, qresync, out);
        }
        let by_uid: HashMap<u32, &MessageRow> = rows.iter().map(|r| (r.uid as u32, r)).collect();
        let mut changed = Vec::new();
        for (i, m) in selected.msgs.iter_mut().enumerate() {
            if let Some(row) = by_uid.get(&m.uid) {
                let flags = parse_flags(&row.flags);
                let modseq_moved = condstore && row.modseq != m.modseq;
                m.modseq = row.modseq;
                if flags != m.flags || modseq_moved {
                    m.flags = flags;
                    changed.push(i);
                }
            }
        }
        selected.announce_flags(out, false);
        for i in changed {
            let m = &selected.msgs[i];
            let mut items = vec![
                MessageDataItem::Uid(nz(m.uid)),
                MessageDataItem::Flags(fetch::flags(&m.flags, m.recent)),
            ];
            if condstore {
                items.push(MessageDataItem::ModSeq(modseq_nz(m.modseq)));
            }
            if let Ok(items) = Vec1::try_from(items) {
                out.data(Data::Fetch {
                    seq: nz(i as u32 + 1),
                    items,
                });
            }
        }
        let last = selected.msgs.last().map(|m| m.uid).unwrap_or(0);
        let before = selected.msgs.len();
        selected
            .msgs
            .extend(rows.iter().filter(|r| r.uid as u32 > last).map(to_msg));
        if selected.msgs.len() != before {
            selected.announce_flags(out, false);
            out.data(Data::Exists(selected.msgs.len() as u32));
            // New arrivals are \Recent here if no other session took them.
            let newest = selected.msgs.last().map(|m| i64::from(m.uid)).unwrap_or(0);
            let recent_above = match selected.read_only {
                true => Ok(selected.mailbox.recent_uid),
                false => {
                    self.state
                        .committer
                        .claim_recent(selected.mailbox.id, newest)
                        .await
                }
            };
            match recent_above {
                Ok(above) => {
                    for m in &mut selected.msgs[before..] {
                        m.recent = i64::from(m.uid) > above;
                    }
                }
                Err(e) => tracing::warn!(error = %e, "claiming \\Recent failed"),
            }
            let recent = selected.msgs.iter().filter(|m| m.recent).count() as u32;
            out.data(Data::Recent(recent));
        }
    }

    /// SELECT with QRESYNC (RFC 7162 3.2.5): what the client's cache is
    /// missing since `since`: the UIDs expunged (VANISHED (EARLIER), within
    /// `known` when given) and the messages changed (FETCH with MODSEQ).
    async fn qresync_report(
        &self,
        selected: &mut Selected,
        since: i64,
        known: Option<&SequenceSet>,
        out: &mut Out,
    ) {
        let (changed, gone) = match self
            .state
            .store
            .changes_since(selected.mailbox.id, since)
            .await
        {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "QRESYNC: reading changes failed");
                return;
            }
        };
        let max_uid = gone.iter().copied().max().unwrap_or(0).max(1) as u32;
        let mut vanished: Vec<u32> = gone.iter().map(|u| *u as u32).collect();
        if let Some(known) = known {
            let all: Vec<u32> = (1..=max_uid).collect();
            let allowed: Vec<u32> = resolve(known, &all, true)
                .into_iter()
                .map(|i| all[i])
                .collect();
            vanished.retain(|u| allowed.contains(u));
        }
        vanished.sort_unstable();
        vanished.dedup();
        if let Some(set) = uid_sequence(&vanished) {
            out.data(Data::Vanished {
                earlier: true,
                known_uids: set,
            });
        }
        let changed: std::collections::HashSet<u32> =
            changed.iter().map(|r| r.uid as u32).collect();
        for (i, m) in selected.msgs.iter().enumerate() {
            if !changed.contains(&m.uid) {
                continue;
            }
            let items = vec![
                MessageDataItem::Uid(nz(m.uid)),
                MessageDataItem::Flags(fetch::flags(&m.flags, m.recent)),
                MessageDataItem::ModSeq(modseq_nz(m.modseq)),
            ];
            if let Ok(items) = Vec1::try_from(items) {
                out.data(Data::Fetch {
                    seq: nz(i as u32 + 1),
                    items,
                });
            }
        }
    }

    async fn selected_command(
        &mut self,
        tag: &Tag<'_>,
        body: CommandBody<'static>,
        extra: Extra,
        out: &mut Out,
    ) {
        match body {
            CommandBody::Close | CommandBody::Unselect => {
                let expunge = matches!(body, CommandBody::Close);
                if expunge && self.selected.as_ref().is_some_and(|s| !s.read_only) {
                    let ids: Vec<i64> = self
                        .selected
                        .as_ref()
                        .map(|s| {
                            s.msgs
                                .iter()
                                .filter(|m| m.flags.iter().any(|f| f == "\\Deleted"))
                                .map(|m| m.id)
                                .collect()
                        })
                        .unwrap_or_default();
                    if !ids.is_empty() {
                        if let Err(e) = self
                            .state
                            .store
                            .expunge_messages(self.account_id(), &ids)
                            .await
                        {
                            return self.failed(out, tag, e);
                        }
                        self.state.access.changed(self.account_id());
                    }
                }
                self.selected = None;
                out.ok(
                    Some(tag),
                    None,
                    if expunge {
                        "CLOSE completed"
                    } else {
                        "UNSELECT completed"
                    },
                );
            }
            CommandBody::Expunge => self.expunge(tag, None, out).await,
            CommandBody::ExpungeUid { sequence_set } => {
                self.expunge(tag, Some(&sequence_set), out).await
            }
            CommandBody::Search {
                charset,
                criteria,
                uid,
            } => {
                let esearch = match extra {
                    Extra::SearchReturn(r) => Some(r),
                    _ => None,
                };
                self.search(
                    tag,
                    charset.as_ref().map(|c| c.as_ref().to_string()),
                    criteria.as_ref(),
                    (uid, esearch),
                    out,
                )
                .await
            }
            CommandBody::Fetch {
                sequence_set,
                macro_or_item_names,
                uid,
                modifiers,
            } => {
                let mut items: Vec<MessageDataItemName<'static>> = match macro_or_item_names {
                    MacroOrMessageDataItemNames::Macro(m) => {
                        m.expand().into_iter().map(|i| i.into_static()).collect()
                    }
                    MacroOrMessageDataItemNames::MessageDataItemNames(items) => items,
                };
                let mut changed_since = None;
                let mut vanished = false;
                for m in &modifiers {
                    match m {
                        FetchModifier::ChangedSince(n) => changed_since = Some(n.get() as i64),
                        FetchModifier::Vanished => vanished = true,
                    }
                }
                if vanished && (!uid || !self.qresync || changed_since.is_none()) {
                    return out.bad(
                        Some(tag),
                        None,
                        "VANISHED needs UID FETCH, CHANGEDSINCE and ENABLE QRESYNC",
                    );
                }
                // Asking for MODSEQ or CHANGEDSINCE enables CONDSTORE (RFC 7162 3.1).
                if changed_since.is_some() || items.contains(&MessageDataItemName::ModSeq) {
                    self.condstore = true;
                }
                if self.condstore
                    && !items.contains(&MessageDataItemName::ModSeq)
                    && changed_since.is_some()
                {
                    items.push(MessageDataItemName::ModSeq);
                }
                let scope = FetchScope {
                    changed_since,
                    vanished,
                };
                self.fetch(tag, &sequence_set, &items, uid, scope, out)
                    .await
            }
            CommandBody::Store {
                sequence_set,
                kind,
                response,
                flags,
                uid,
                modifiers,
            } => {
                let unchanged_since = modifiers
                    .iter()
                    .map(|m| match m {
                        StoreModifier::UnchangedSince(n) => *n as i64,
                    })
                    .next();
                if unchanged_since.is_some() {
                    self.condstore = true;
                }
                let request = StoreRequest {
                    kind,
                    response,
                    uid,
                    unchanged_since,
                };
                self.store_flags(tag, &sequence_set, request, &flags, out)
                    .await
            }
            CommandBody::Copy {
                sequence_set,
                mailbox,
                uid,
            } => {
                self.copy_or_move(tag, &sequence_set, &mailbox_name(&mailbox), uid, false, out)
                    .await
            }
            CommandBody::Move {
                sequence_set,
                mailbox,
                uid,
            } => {
                self.copy_or_move(tag, &sequence_set, &mailbox_name(&mailbox), uid, true, out)
                    .await
            }
            _ => out.bad(Some(tag), None, "Command not supported"),
        }
    }

    async fn expunge(&mut self, tag: &Tag<'_>, only: Option<&SequenceSet>, out: &mut Out) {
        let Some(selected) = &self.selected else {
            return;
        };
        if selected.read_only {
            return out.no(Some(tag), Some(Code::ReadOnly), "Mailbox is read-only");
        }
        let in_set: Option<Vec<usize>> = only.map(|set| resolve(set, &selected.uids(), true));
        let targets: Vec<usize> = (0..selected.msgs.len())
            .filter(|i| selected.msgs[*i].flags.iter().any(|f| f == "\\Deleted"))
            .filter(|i| in_set.as_ref().is_none_or(|s| s.contains(i)))
            .collect();
        let ids: Vec<i64> = targets.iter().map(|i| selected.msgs[*i].id).collect();
        let mut gone = Vec::new();
        if !ids.is_empty() {
            gone = match self
                .state
                .store
                .expunge_messages(self.account_id(), &ids)
                .await
            {
                Ok(gone) => gone,
                Err(e) => return self.failed(out, tag, e),
            };
            self.state.access.changed(self.account_id());
        }
        let qresync = self.qresync;
        if let Some(selected) = &mut self.selected {
            let uids: Vec<u32> = targets
                .iter()
                .map(|i| &selected.msgs[*i])
                .filter(|m| gone.contains(&m.id))
                .map(|m| m.uid)
                .collect();
            report_expunged(selected, &uids, qresync, out);
        }
        out.ok(Some(tag), None, "EXPUNGE completed");
    }

    async fn search(
        &mut self,
        tag: &Tag<'_>,
        charset: Option<String>,
        keys: &[SearchKey<'_>],
        (uid, esearch): (bool, Option<SearchReturn>),
        out: &mut Out,
    ) {
        if let Some(c) = &charset
            && !c.eq_ignore_ascii_case("UTF-8")
            && !c.eq_ignore_ascii_case("US-ASCII")
        {
            return out.no(
                Some(tag),
                Some(Code::BadCharset {
                    allowed: Vec::new(),
                }),
                "Use UTF-8 or US-ASCII",
            );
        }
        let Some(selected) = &self.selected else {
            return;
        };
        let uids = selected.uids();
        let with_content = search::needs_content(keys);
        let with_body = search::needs_body(keys);
        // Header keys run on the precomputed facts (a chunk at a time); only
        // BODY and TEXT read each message's bytes.
        let mut hits = Vec::new();
        let mut hits_modseq = Vec::new();
        let indices: Vec<usize> = (0..selected.msgs.len()).collect();
        for chunk in indices.chunks(FETCH_CHUNK) {
            let facts = match with_content {
                true => meta::load(&self.state, &selected.blobs(chunk)).await,
                false => Default::default(),
            };
            for &i in chunk {
                let head = facts.get(&selected.msgs[i].blob).map(|m| &m.headers);
                let content = match (head, with_body) {
                    (None, _) => None,
                    (Some(head), false) => Some(search::Content::headers_only(head)),
                    (Some(head), true) => {
                        match self.state.blobs.get(&selected.msgs[i].blob).await {
                            Ok(raw) => Some(search::Content::with_body(head, &raw)),
                            Err(e) => {
                                tracing::warn!(error = %e, "SEARCH: blob unreadable");
                                None
                            }
                        }
                    }
                };
                if search::matches_all(keys, i, &selected.msgs, &uids, content.as_ref()) {
                    hits_modseq.push(selected.msgs[i].modseq);
                    hits.push(nz(if uid {
                        selected.msgs[i].uid
                    } else {
                        i as u32 + 1
                    }));
                }
            }
        }
        // With a MODSEQ criterion the reply names the highest mod-sequence
        // of the matches (RFC 7162 3.1.5).
        let modseq = keys
            .iter()
            .any(search::uses_modseq)
            .then(|| {
                hits_modseq
                    .iter()
                    .copied()
                    .max()
                    .and_then(|m| NonZeroU64::new(m as u64))
            })
            .flatten();
        if modseq.is_some() {
            self.condstore = true;
        }
        match esearch {
            Some(options) => esearch_response(tag, uid, options, &hits, modseq, out),
            None => out.data(Data::Search(hits, modseq)),
        }
        out.ok(Some(tag), None, "SEARCH completed");
    }

    async fn fetch(
        &mut self,
        tag: &Tag<'_>,
        set: &SequenceSet,
        items: &[MessageDataItemName<'_>],
        uid: bool,
        scope: FetchScope,
        out: &mut Out,
    ) {
        let Some(selected) = &mut self.selected else {
            return;
        };
        if !uid && beyond(set, selected.msgs.len()) {
            return out.bad(Some(tag), None, "No such message");
        }
        let mut targets = resolve(set, &selected.uids(), uid);
        if let Some(since) = scope.changed_since {
            targets.retain(|i| selected.msgs[*i].modseq > since);
            if scope.vanished {
                self.report_vanished_since(set, since, out).await;
            }
        }
        let Some(selected) = &mut self.selected else {
            return;
        };
        // Reading a body marks it \Seen (RFC 3501 6.4.5), unless read-only.
        let mark_seen = fetch::sets_seen(items) && !selected.read_only;
        let unseen: Vec<i64> = match mark_seen {
            true => targets
                .iter()
                .map(|i| &selected.msgs[*i])
                .filter(|m| !m.flags.iter().any(|f| f == "\\Seen"))
                .map(|m| m.id)
                .collect(),
            false => Vec::new(),
        };
        if !unseen.is_empty() {
            let seen = ["\\Seen".to_string()];
            match self
                .state
                .committer
                .change_flags(unseen.clone(), FlagOp::Add, seen.to_vec(), None)
                .await
            {
                Ok(now) => self.update_flags(&now),
                Err(e) => return self.failed(out, tag, e),
            }
            self.state.access.changed(self.account_id());
        }
        let needs_content = fetch::needs_content(items);
        let needs_bytes = fetch::needs_bytes(items);
        let Some(selected) = &self.selected else {
            return;
        };
        // Structures in bulk from the precomputed facts, a chunk at a time so
        // that memory stays bounded on large mailboxes; bytes only when a
        // body section is asked for.
        for chunk in targets.chunks(FETCH_CHUNK) {
            let metas = match needs_content {
                true => meta::load(&self.state, &selected.blobs(chunk)).await,
                false => Default::default(),
            };
            for &i in chunk {
                let msg = &selected.msgs[i];
                let raw = if needs_bytes {
                    match self.state.blobs.get(&msg.blob).await {
                        Ok(r) => Some(r),
                        Err(e) => {
                            tracing::error!(error = %e, blob = %msg.blob, "FETCH: blob unreadable");
                            None
                        }
                    }
                } else {
                    None
                };
                let tree = metas.get(&msg.blob).map(|m| &m.tree);
                let mut rendered = fetch::render(items, msg, raw.as_deref(), tree, uid);
                if unseen.contains(&msg.id)
                    && !items
                        .iter()
                        .any(|i| matches!(i, MessageDataItemName::Flags))
                {
                    rendered.push(MessageDataItem::Flags(fetch::flags(&msg.flags, msg.recent)));
                }
                // Under CONDSTORE every FETCH with FLAGS carries MODSEQ (RFC 7162 3.1.4).
                let has_flags = rendered
                    .iter()
                    .any(|r| matches!(r, MessageDataItem::Flags(_)));
                let has_modseq = rendered
                    .iter()
                    .any(|r| matches!(r, MessageDataItem::ModSeq(_)));
                if self.condstore && has_flags && !has_modseq {
                    rendered.push(MessageDataItem::ModSeq(modseq_nz(msg.modseq)));
                }
                if let Ok(items) = Vec1::try_from(rendered) {
                    out.data(Data::Fetch {
                        seq: nz(i as u32 + 1),
                        items,
                    });
                }
            }
        }
        out.ok(Some(tag), None, "FETCH completed");
    }

    async fn store_flags(
        &mut self,
        tag: &Tag<'_>,
        set: &SequenceSet,
        request: StoreRequest,
        flags: &[Flag<'_>],
        out: &mut Out,
    ) {
        let StoreRequest {
            kind,
            response,
            uid,
            unchanged_since,
        } = request;
        let Some(selected) = &mut self.selected else {
            return;
        };
        if selected.read_only {
            return out.no(Some(tag), Some(Code::ReadOnly), "Mailbox is read-only");
        }
        // Only the system flags may start with a backslash (RFC 3501 9,
        // flag-extension is reserved).
        if flags.iter().any(|f| matches!(f, Flag::Extension(_))) {
            return out.bad(Some(tag), None, "Unknown system flag");
        }
        let given: Vec<String> = flags
            .iter()
            .map(|f| f.to_string())
            .filter(|f| f != "\\Recent")
            .collect();
        if !uid && beyond(set, selected.msgs.len()) {
            return out.bad(Some(tag), None, "No such message");
        }
        let targets = resolve(set, &selected.uids(), uid);
        let ids: Vec<i64> = targets.iter().map(|i| selected.msgs[*i].id).collect();
        let op = match kind {
            StoreType::Replace => FlagOp::Replace,
            StoreType::Add => FlagOp::Add,
            StoreType::Remove => FlagOp::Remove,
        };
        let mut modified = Vec::new();
        if !ids.is_empty() {
            match self
                .state
                .committer
                .change_flags(ids, op, given, unchanged_since)
                .await
            {
                Ok(changes) => {
                    self.update_flags(&changes);
                    modified = changes.modified;
                }
                Err(e) => return self.failed(out, tag, e),
            }
            self.state.access.changed(self.account_id());
        }
        let condstore = self.condstore;
        let Some(selected) = &mut self.selected else {
            return;
        };
        selected.announce_flags(out, false);
        for i in &targets {
            let m = &selected.msgs[*i];
            let silent = matches!(response, StoreResponse::Silent);
            // .SILENT drops FLAGS, but under UNCHANGEDSINCE the new MODSEQ
            // is still sent for what was stored (RFC 7162 3.1.3).
            if modified.contains(&m.id) || (silent && unchanged_since.is_none()) {
                continue;
            }
            let mut items = Vec::new();
            if uid {
                items.push(MessageDataItem::Uid(nz(m.uid)));
            }
            if !silent {
                items.push(MessageDataItem::Flags(fetch::flags(&m.flags, m.recent)));
            }
            if condstore {
                items.push(MessageDataItem::ModSeq(modseq_nz(m.modseq)));
            }
            if let Ok(items) = Vec1::try_from(items) {
                out.data(Data::Fetch {
                    seq: nz(*i as u32 + 1),
                    items,
                });
            }
        }
        let failed: Vec<u32> = targets
            .iter()
            .map(|i| &selected.msgs[*i])
            .filter(|m| modified.contains(&m.id))
            .map(|m| match uid {
                true => m.uid,
                false => selected.msgs.iter().position(|x| x.id == m.id).unwrap_or(0) as u32 + 1,
            })
            .collect();
        match uid_sequence(&failed) {
            Some(set) => out.ok(
                Some(tag),
                Some(Code::Modified(set)),
                "Conditional STORE failed",
            ),
            None => out.ok(Some(tag), None, "STORE completed"),
        }
    }

    /// UID FETCH ... (CHANGEDSINCE n VANISHED): the UIDs in `set` expunged
    /// after `since` (RFC 7162 3.2.6).
    async fn report_vanished_since(&self, set: &SequenceSet, since: i64, out: &mut Out) {
        let Some(selected) = &self.selected else {
            return;
        };
        let gone = match self
            .state
            .store
            .changes_since(selected.mailbox.id, since)
            .await
        {
            Ok((_, gone)) => gone,
            Err(e) => {
                tracing::warn!(error = %e, "VANISHED: reading changes failed");
                return;
            }
        };
        let gone: Vec<u32> = gone.iter().map(|u| *u as u32).collect();
        let max = gone.iter().copied().max().unwrap_or(0);
        let all: Vec<u32> = (1..=max).collect();
        let in_set: Vec<u32> = resolve(set, &all, true)
            .into_iter()
            .map(|i| all[i])
            .collect();
        let vanished: Vec<u32> = gone.into_iter().filter(|u| in_set.contains(u)).collect();
        if let Some(set) = uid_sequence(&vanished) {
            out.data(Data::Vanished {
                earlier: true,
                known_uids: set,
            });
        }
    }

    async fn copy_or_move(
        &mut self,
        tag: &Tag<'_>,
        set: &SequenceSet,
        target: &str,
        uid: bool,
        is_move: bool,
        out: &mut Out,
    ) {
        let account_id = self.account_id();
        let Some(selected) = &self.selected else {
            return;
        };
        if is_move && selected.read_only {
            return out.no(Some(tag), Some(Code::ReadOnly), "Mailbox is read-only");
        }
        if !uid && beyond(set, selected.msgs.len()) {
            return out.bad(Some(tag), None, "No such message");
        }
        let Some(destination) = self
            .mailbox_or_reply(tag, target, Code::TryCreate, out)
            .await
        else {
            return;
        };
        let targets = resolve(set, &selected.uids(), uid);
        if targets.is_empty() {
            return out.ok(Some(tag), None, "Nothing to do");
        }
        let source_uids: Vec<u32> = targets.iter().map(|i| selected.msgs[*i].uid).collect();
        let new_uids: Vec<i64> = if is_move {
            let ids: Vec<i64> = targets.iter().map(|i| selected.msgs[*i].id).collect();
            match self.state.store.move_messages(&ids, destination.id).await {
                Ok(u) => u,
                Err(e) => return self.failed(out, tag, e),
            }
        } else {
            let copies: Vec<NewMessage> = targets
                .iter()
                .map(|i| {
                    let m = &selected.msgs[*i];
                    NewMessage {
                        blob: m.blob.clone(),
                        size: m.size as i64,
                        flags: flag_text(&m.flags),
                        internal_date_ms: m.internal_date_ms,
                        bytes: None,
                        facts: None,
                    }
                })
                .collect();
            match self
                .state
                .committer
                .append(account_id, destination.id, copies)
                .await
            {
                Ok(Ok(u)) => u,
                Ok(Err(MailboxError::OverQuota)) => {
                    return out.no(Some(tag), Some(Code::OverQuota), "Mailbox quota exceeded");
                }
                Ok(Err(_)) => return out.no(Some(tag), None, "COPY failed"),
                Err(e) => return self.failed(out, tag, e),
            }
        };
        self.state.access.changed(account_id);
        let new_uids: Vec<u32> = new_uids.into_iter().map(|u| u as u32).collect();
        let code = match (uid_set(&source_uids), uid_set(&new_uids)) {
            (Some(source), Some(destination_set)) => Some(Code::CopyUid {
                uid_validity: nz(destination.uidvalidity as u32),
                source,
                destination: destination_set,
            }),
            _ => None,
        };
        if is_move {
            out.ok(None, code, "Moved");
            let qresync = self.qresync;
            if let Some(selected) = &mut self.selected {
                let uids: Vec<u32> = targets.iter().map(|i| selected.msgs[*i].uid).collect();
                report_expunged(selected, &uids, qresync, out);
            }
            // Within the selected mailbox: the moved copies' EXISTS too.
            self.sync(out, true).await;
            out.ok(Some(tag), None, "MOVE completed");
        } else {
            self.sync(out, true).await;
            out.ok(Some(tag), code, "COPY completed");
        }
    }
}
