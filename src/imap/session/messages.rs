//! Commands on the selected mailbox's messages: SEARCH (with ESEARCH),
//! FETCH, STORE, COPY/MOVE and EXPUNGE.

use super::*;

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

/// What RETURN (SAVE) keeps (RFC 5182 2.4): the minimum and/or maximum
/// when only those were asked for besides SAVE, otherwise every match.
fn saved_result(options: SearchReturn, uids: &[u32]) -> Vec<u32> {
    if (options.min || options.max) && !(options.all || options.count) {
        let mut kept = Vec::new();
        if options.min {
            kept.extend(uids.iter().min());
        }
        if options.max {
            kept.extend(uids.iter().max());
        }
        kept.sort_unstable();
        kept.dedup();
        return kept;
    }
    uids.to_vec()
}

impl Session {
    pub(super) async fn expunge(
        &mut self,
        tag: &Tag<'_>,
        only: Option<&SequenceSet>,
        out: &mut Out,
    ) {
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

    pub(super) async fn search(
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
            // A failed SEARCH ... RETURN (SAVE) empties `$` (RFC 5182 2.1).
            if let (Some(selected), true) = (&mut self.selected, esearch.is_some_and(|o| o.save)) {
                selected.saved.clear();
            }
            return out.no(
                Some(tag),
                Some(Code::BadCharset {
                    allowed: Vec::new(),
                }),
                "Use UTF-8 or US-ASCII",
            );
        }
        // IMAP4rev2 answers every SEARCH with ESEARCH (RFC 9051 6.4.4).
        let esearch = esearch.or(self.rev2.then(|| SearchReturn {
            all: true,
            ..Default::default()
        }));
        let Some(selected) = &self.selected else {
            return;
        };
        let uids = selected.uids();
        let with_content = search::needs_content(keys);
        let with_body = search::needs_body(keys);
        // Header keys run on the precomputed facts (a chunk at a time); only
        // BODY and TEXT read each message's bytes.
        // Snapshot indices of the matches; numbers, UIDs and modseqs follow.
        let mut matched: Vec<usize> = Vec::new();
        let indices: Vec<usize> = (0..selected.msgs.len()).collect();
        for chunk in indices.chunks(FETCH_CHUNK) {
            let facts = match with_content {
                true => meta::load(&self.state, &selected.blobs(chunk)).await,
                false => Default::default(),
            };
            let texts = match with_body {
                true => meta::search_texts(&self.state, &selected.blobs(chunk)).await,
                false => Default::default(),
            };
            for &i in chunk {
                let blob = &selected.msgs[i].blob;
                let head = facts.get(blob).map(|m| &m.headers);
                let content = match (head, with_body) {
                    (None, _) => None,
                    (Some(head), false) => Some(search::Content::headers_only(head)),
                    (Some(head), true) => texts
                        .get(blob)
                        .map(|text| search::Content::with_body(head, text)),
                };
                if search::matches_all(keys, i, &selected.msgs, &uids, content.as_ref()) {
                    matched.push(i);
                }
            }
        }
        let hits: Vec<NonZeroU32> = matched
            .iter()
            .map(|&i| {
                nz(if uid {
                    selected.msgs[i].uid
                } else {
                    i as u32 + 1
                })
            })
            .collect();
        let hit_uids: Vec<u32> = matched.iter().map(|&i| selected.msgs[i].uid).collect();
        // With a MODSEQ criterion the reply names the highest mod-sequence
        // of the matches (RFC 7162 3.1.5).
        let modseq = keys
            .iter()
            .any(search::uses_modseq)
            .then(|| {
                matched
                    .iter()
                    .map(|&i| selected.msgs[i].modseq)
                    .max()
                    .and_then(|m| NonZeroU64::new(m as u64))
            })
            .flatten();
        if modseq.is_some() {
            self.condstore = true;
        }
        if let Some(options) = esearch.filter(|o| o.save)
            && let Some(selected) = &mut self.selected
        {
            selected.saved = saved_result(options, &hit_uids);
        }
        match esearch {
            // RETURN (SAVE) alone answers nothing but OK (RFC 5182 2.4).
            Some(o) if o.save && !(o.min || o.max || o.all || o.count) => {}
            Some(options) => esearch_response(tag, uid, options, &hits, modseq, out),
            None => out.data(Data::Search(hits, modseq)),
        }
        out.ok(Some(tag), None, "SEARCH completed");
    }

    pub(super) async fn fetch(
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
        let mut unknown_cte = false;
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
                unknown_cte |= fetch::unknown_cte(items, tree);
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
                // Partial BINARY items go in FETCH responses of their own,
                // which can carry their origin (see `Out::binary_partial`).
                let (partials, rendered): (Vec<_>, Vec<_>) = rendered
                    .into_iter()
                    .partition(|r| fetch::binary_origin(items, r).is_some());
                if let Ok(items) = Vec1::try_from(rendered) {
                    out.data(Data::Fetch {
                        seq: nz(i as u32 + 1),
                        items,
                    });
                }
                for item in partials {
                    let origin = fetch::binary_origin(items, &item).unwrap_or(0);
                    out.binary_partial(nz(i as u32 + 1), item, origin);
                }
            }
        }
        if unknown_cte {
            return out.no(
                Some(tag),
                Some(Code::UnknownCte),
                "A part's transfer encoding is unknown",
            );
        }
        out.ok(Some(tag), None, "FETCH completed");
    }

    pub(super) async fn store_flags(
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
    pub(super) async fn report_vanished_since(&self, set: &SequenceSet, since: i64, out: &mut Out) {
        let Some(selected) = &self.selected else {
            return;
        };
        let changes = match self
            .state
            .store
            .changes_since(selected.mailbox.id, since)
            .await
        {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "VANISHED: reading changes failed");
                return;
            }
        };
        let vanished = super::sync::vanished_within(&changes, Some(set), selected.mailbox.uidnext);
        if let Some(set) = uid_sequence(&vanished) {
            out.data(Data::Vanished {
                earlier: true,
                known_uids: set,
            });
        }
    }

    pub(super) async fn copy_or_move(
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
