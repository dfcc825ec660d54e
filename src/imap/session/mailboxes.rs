//! Commands on mailboxes: LIST/LSUB (with LIST-STATUS), STATUS, SELECT,
//! APPEND, SUBSCRIBE and QUOTA.

use super::*;

/// `*` matches anything, `%` anything but the delimiter (RFC 3501 6.3.8).
/// LSUB, or LIST with what its RETURN options asked for.
pub(super) enum ListKind {
    Lsub,
    List(ListReturn),
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

impl Session {
    pub(super) async fn subscribe(&mut self, tag: &Tag<'_>, name: &str, on: bool, out: &mut Out) {
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

    pub(super) async fn list(
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
        let status = returns.status.clone();
        let pattern = match wildcard {
            ListMailbox::Token(t) => String::from_utf8_lossy(t.as_ref()).into_owned(),
            ListMailbox::String(s) => String::from_utf8_lossy(s.as_ref()).into_owned(),
        };
        // LIST-EXTENDED: several patterns, one answer for their union.
        let patterns: Vec<String> = std::iter::once(pattern.clone())
            .chain(returns.more_patterns.iter().cloned())
            .collect();
        let delimiter = QuotedChar::try_from('/').ok();
        if pattern.is_empty() && patterns.len() == 1 && !lsub {
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
        let fulls: Vec<Vec<char>> = patterns
            .iter()
            .map(|p| {
                from_wire(&format!("{reference}{p}"), self.utf8)
                    .chars()
                    .collect()
            })
            .collect();
        let matches = |name: &str| {
            let candidate: Vec<char> = name.chars().collect();
            fulls.iter().any(|full| {
                let upper: Vec<char> = full.iter().map(|c| c.to_ascii_uppercase()).collect();
                wildcard_match(full, &candidate)
                    || (name == "INBOX" && wildcard_match(&upper, &candidate))
            })
        };
        let only_subscribed = lsub || returns.select_subscribed;
        let listed: Vec<&MailboxInfo> = mailboxes
            .iter()
            .filter(|m| !only_subscribed || m.subscribed)
            .collect();
        // RECURSIVEMATCH (RFC 5258 3.5): a matching name whose subscribed
        // descendants do not match gets CHILDINFO ("SUBSCRIBED").
        let child_info = |name: &str| {
            returns.recursive_match && {
                let prefix = format!("{name}/");
                listed
                    .iter()
                    .any(|o| o.name.starts_with(&prefix) && !matches(&o.name))
            }
        };
        let recursive_parents: Vec<&MailboxInfo> = match returns.recursive_match {
            true => mailboxes
                .iter()
                .filter(|m| !m.subscribed && matches(&m.name) && child_info(&m.name))
                .collect(),
            false => Vec::new(),
        };
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
                let exists = listed.iter().any(|o| o.name == prefix)
                    || recursive_parents.iter().any(|o| o.name == prefix);
                if !exists && !phantoms.contains(&prefix) && matches(&prefix) {
                    phantoms.push(prefix.clone());
                }
            }
        }
        let respond = |name: &str, items: Vec<FlagNameAttribute<'static>>, out: &mut Out| {
            let data = match lsub {
                true => Data::Lsub {
                    items,
                    delimiter,
                    mailbox: wire_mailbox(name, self.utf8),
                },
                false => Data::List {
                    items,
                    delimiter,
                    mailbox: wire_mailbox(name, self.utf8),
                },
            };
            match child_info(name) {
                true => out.with_extended_data(data, "(\"CHILDINFO\" (\"SUBSCRIBED\"))"),
                false => out.data(data),
            }
        };
        let mut in_order: Vec<&MailboxInfo> = listed.clone();
        in_order.extend(recursive_parents.iter().copied());
        in_order.sort_by(|a, b| a.name.cmp(&b.name));
        for m in in_order {
            if !matches(&m.name) {
                continue;
            }
            let mut items = Vec::new();
            if returns.subscribed && m.subscribed {
                items.extend(attribute("Subscribed"));
            }
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
                        mailbox: wire_mailbox(&m.name, self.utf8),
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
    pub(super) async fn status_data(
        &self,
        mailbox: &MailboxInfo,
        items: &[StatusDataItemName],
    ) -> crate::store::StoreResult<Vec<StatusDataItem>> {
        let msgs = self.state.views.shared(&self.state.store, mailbox).await?;
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
                // RFC 8438: the mailbox's size in octets.
                StatusDataItemName::Size => {
                    StatusDataItem::Size(msgs.iter().map(|m| u64::from(m.size)).sum())
                }
            });
        }
        Ok(data)
    }

    pub(super) async fn status(
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
            mailbox: wire_mailbox(&mailbox.name, self.utf8),
            items: Cow::Owned(data),
        });
        out.ok(Some(tag), None, "STATUS completed");
    }

    pub(super) async fn append(
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

    pub(super) async fn select(
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
        // IMAP4rev2 has no \Recent (RFC 9051 E.1): such a session neither
        // takes nor shows it.
        let recent_above = match (read_only || self.rev2, msgs.last()) {
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
            m.recent = !self.rev2 && i64::from(m.uid) > recent_above;
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
            saved: Vec::new(),
        };
        selected.announce_flags(out, true);
        out.data(Data::Exists(total));
        if self.rev2 {
            // RFC 9051 6.3.2: SELECT answers with the mailbox's LIST line;
            // RECENT and the UNSEEN code are gone.
            out.data(Data::List {
                items: mailbox
                    .special_use
                    .as_deref()
                    .and_then(|s| attribute(s.trim_start_matches('\\')))
                    .into_iter()
                    .collect(),
                delimiter: QuotedChar::try_from('/').ok(),
                mailbox: wire_mailbox(&mailbox.name, self.utf8),
            });
        } else {
            out.data(Data::Recent(recent));
        }
        if let Some(first_unseen) = first_unseen.filter(|_| !self.rev2) {
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

    /// QUOTA (RFC 9208): one quota root, "", holding every mailbox of the
    /// account, with the STORAGE resource in units of 1024 octets. An
    /// account without a quota has no root.
    pub(super) async fn quota(&self, tag: &Tag<'_>, mailbox: Option<&Mailbox<'_>>, out: &mut Out) {
        let (quota, used) = match self.state.store.quota_usage(self.account_id()).await {
            Ok(q) => q,
            Err(e) => return self.failed(out, tag, e),
        };
        let root = AString::try_from("").expect("empty astring");
        if let Some(mailbox) = mailbox {
            let name = mailbox_name(mailbox, self.utf8);
            let nonexistent = other_code("NONEXISTENT");
            if self
                .mailbox_or_reply(tag, &name, nonexistent, out)
                .await
                .is_none()
            {
                return;
            }
            out.data(Data::QuotaRoot {
                mailbox: wire_mailbox(&name, self.utf8),
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
}
