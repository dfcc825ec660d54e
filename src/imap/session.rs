//! The IMAP session: one decoded command in, responses out (RFC 3501).
//! The selected mailbox is a snapshot that [`Session::sync`] brings up to
//! date, reporting what other sessions and deliveries changed.
//!
//! Here: the session's state, the dispatch of commands, login. Beside it:
//! `mailboxes` (LIST, STATUS, SELECT, APPEND, QUOTA), `messages` (SEARCH,
//! FETCH, STORE, COPY/MOVE, EXPUNGE) and `sync` (the snapshot kept in step).

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
use super::names::{from_wire, mailbox_name, new_mailbox_name, valid_name, wire_mailbox};
pub use super::out::Out;
use super::search;
use super::selected::{
    Selected, modseq_nz, nz, put_saved, ranges_text, report_expunged, uid_sequence,
};
use super::sequence::{beyond, resolve};
use super::views::{parse_flags, to_msg};
use crate::access::SessionGuard;
use crate::app::AppState;
use crate::screening::login::{LoginError, Protocol, login};
use crate::store::mailboxes::{
    Changes, FlagChanges, FlagOp, MailboxError, MailboxInfo, MessageRow, NewMessage,
};

mod mailboxes;
mod messages;
mod sync;

use mailboxes::ListKind;

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
    /// IMAP4rev2 enabled (RFC 9051): no \Recent, SEARCH answered with
    /// ESEARCH, LIST in SELECT's answer, UTF-8 mailbox names.
    rev2: bool,
    /// Mailbox names as UTF-8 (IMAP4rev2 or UTF8=ACCEPT enabled).
    utf8: bool,
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

fn uid_set(uids: &[u32]) -> Option<UidSet> {
    let elements: Vec<UidElement> = uids.iter().map(|u| UidElement::Single(nz(*u))).collect();
    Vec1::try_from(elements).ok().map(UidSet)
}

fn flag_text(flags: &[String]) -> String {
    flags.join(" ")
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
            rev2: false,
            utf8: false,
        }
    }

    pub fn tls_started(&mut self) {
        self.tls = true;
    }

    pub fn capabilities(&self) -> Vec<Capability<'static>> {
        let mut caps = vec![Capability::Imap4Rev1];
        caps.extend(Capability::try_from("IMAP4rev2").ok());
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
            Capability::Binary,
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
            "LIST-EXTENDED",
            "SEARCHRES",
            "UTF8=ACCEPT",
            "STATUS=SIZE",
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
        let mut body = command.body;
        let uses_saved = match &extra {
            Extra::UsesSaved => true,
            Extra::SearchReturn(r) => r.uses_saved,
            _ => false,
        };
        if uses_saved {
            match &self.selected {
                Some(selected) => put_saved(&mut body, &selected.saved),
                None => {
                    out.bad(Some(&tag), None, "No mailbox selected");
                    return After::Continue;
                }
            }
        }
        // RFC 3501 7.4.1: no EXPUNGE while answering FETCH, STORE or SEARCH.
        // Nor before COPY/MOVE by sequence number: the numbers are the
        // client's, as of before this command; an EXPUNGE sent first would
        // shift them under it (imaptest's stress finds exactly that).
        let allow_expunge = !matches!(
            body,
            CommandBody::Fetch { .. }
                | CommandBody::Store { .. }
                | CommandBody::Search { .. }
                | CommandBody::Copy { uid: false, .. }
                | CommandBody::Move { uid: false, .. }
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
                self.select(
                    tag,
                    &mailbox_name(&mailbox, self.utf8),
                    false,
                    &parameters,
                    out,
                )
                .await
            }
            CommandBody::Examine {
                mailbox,
                parameters,
            } => {
                self.select(
                    tag,
                    &mailbox_name(&mailbox, self.utf8),
                    true,
                    &parameters,
                    out,
                )
                .await
            }
            CommandBody::Create { mailbox } => {
                // A trailing delimiter only declares that names will be
                // created under this one (RFC 3501 6.3.3).
                let name = new_mailbox_name(&mailbox, self.utf8).unwrap_or_default();
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
                let name = mailbox_name(&mailbox, self.utf8);
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
                    mailbox_name(&from, self.utf8),
                    new_mailbox_name(&to, self.utf8).unwrap_or_default(),
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
                self.subscribe(tag, &mailbox_name(&mailbox, self.utf8), true, out)
                    .await
            }
            CommandBody::Unsubscribe { mailbox } => {
                self.subscribe(tag, &mailbox_name(&mailbox, self.utf8), false, out)
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
                        ..Default::default()
                    },
                };
                self.list(
                    tag,
                    &mailbox_name(&reference, self.utf8),
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
                    &mailbox_name(&reference, self.utf8),
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
                self.status(tag, &mailbox_name(&mailbox, self.utf8), &item_names, out)
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
                self.append(
                    tag,
                    &mailbox_name(&mailbox, self.utf8),
                    &flags,
                    date_ms,
                    bytes,
                    out,
                )
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
                    // RFC 9051 6.3.1: IMAP4rev2 changes responses from here
                    // on; RFC 6855 3: so does UTF8=ACCEPT, for names.
                    if name == "IMAP4REV2" && !self.rev2 {
                        self.rev2 = true;
                        self.utf8 = true;
                        enabled.extend(CapabilityEnable::try_from("IMAP4rev2").ok());
                    }
                    if name == "UTF8=ACCEPT"
                        && !enabled.iter().any(|e| e.to_string() == "UTF8=ACCEPT")
                    {
                        self.utf8 = true;
                        enabled.extend(CapabilityEnable::try_from("UTF8=ACCEPT").ok());
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
                self.copy_or_move(
                    tag,
                    &sequence_set,
                    &mailbox_name(&mailbox, self.utf8),
                    uid,
                    false,
                    out,
                )
                .await
            }
            CommandBody::Move {
                sequence_set,
                mailbox,
                uid,
            } => {
                self.copy_or_move(
                    tag,
                    &sequence_set,
                    &mailbox_name(&mailbox, self.utf8),
                    uid,
                    true,
                    out,
                )
                .await
            }
            _ => out.bad(Some(tag), None, "Command not supported"),
        }
    }
}
