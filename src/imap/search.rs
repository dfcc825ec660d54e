//! SEARCH (RFC 3501 6.4.4): every search key, evaluated over a mailbox
//! snapshot; message contents are read only when a key needs them.
//! Strings match case-insensitively as substrings of the decoded text
//! (charset UTF-8 or US-ASCII).

use chrono::{NaiveDate, TimeZone};
use imap_codec::imap_types::search::SearchKey;

use super::fetch::Msg;
use super::mime;
use super::sequence;

/// What header keys look at, prepared once per message content and kept
/// with the message's other precomputed facts (see `meta`).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Headers {
    /// (lower-case name, lower-case raw unfolded value), plus decoded forms.
    headers: Vec<(String, String)>,
    /// Header text, raw and decoded, lower-cased.
    header_text: String,
    sent: Option<NaiveDate>,
}

impl Headers {
    pub fn new(raw: &[u8]) -> Self {
        let end = mime::header_end(raw);
        let mut headers: Vec<(String, String)> = mime::header_fields(&raw[..end])
            .into_iter()
            .map(|(n, v)| (n.to_lowercase(), v.to_lowercase()))
            .collect();
        let parsed = mail_parser::MessageParser::default().parse_headers(&raw[..end]);
        let mut header_text = String::from_utf8_lossy(&raw[..end]).to_lowercase();
        let mut sent = None;
        if let Some(m) = &parsed {
            // Decoded forms, so that `SUBJECT grüße` finds `=?utf-8?q?gr=c3=bc=c3=9fe?=`.
            if let Some(s) = m.subject() {
                headers.push(("subject".into(), s.to_lowercase()));
                header_text.push_str(&s.to_lowercase());
            }
            for (name, addr) in [
                ("from", m.from()),
                ("to", m.to()),
                ("cc", m.cc()),
                ("bcc", m.bcc()),
            ] {
                for a in addr.iter().flat_map(|a| a.iter()) {
                    let text =
                        format!("{} <{}>", a.name().unwrap_or(""), a.address().unwrap_or(""))
                            .to_lowercase();
                    header_text.push_str(&text);
                    headers.push((name.into(), text));
                }
            }
            sent = m
                .date()
                .and_then(|d| NaiveDate::from_ymd_opt(d.year as i32, d.month as u32, d.day as u32));
        }
        Self {
            headers,
            header_text,
            sent,
        }
    }
}

/// What content keys look at: the headers (precomputed) and, when a key
/// searches the body, the body's searchable text (see [`body_text`]).
pub struct Content<'a> {
    head: &'a Headers,
    body_text: &'a str,
}

impl<'a> Content<'a> {
    /// Precomputed headers plus the body's searchable text.
    pub fn with_body(head: &'a Headers, body_text: &'a str) -> Self {
        Self { head, body_text }
    }

    /// Precomputed headers only: for keys that do not search the body.
    pub fn headers_only(head: &'a Headers) -> Self {
        Self {
            head,
            body_text: "",
        }
    }

    fn header_contains(&self, name: &str, needle: &str) -> bool {
        let name = name.to_lowercase();
        self.head
            .headers
            .iter()
            .any(|(n, v)| *n == name && v.contains(needle))
    }
}

/// The text BODY and TEXT search in a message's body, lowercased: what
/// [`searchable_body`] collects, or the raw body when that finds nothing.
/// NUL is dropped (PostgreSQL's text cannot hold it; no needle has it).
pub fn body_text(raw: &[u8]) -> String {
    let mut text = String::new();
    if let Some(m) = mail_parser::MessageParser::default().parse(raw) {
        searchable_body(&m, 0, &mut text);
    }
    if text.trim().is_empty() {
        let end = mime::header_end(raw);
        text = String::from_utf8_lossy(&raw[end..]).to_lowercase();
    }
    text.retain(|c| c != '\0');
    text
}

/// Everything BODY and TEXT search in a message's body (RFC 3501 6.4.4):
/// every part's MIME header and decoded text (text parts and text
/// attachments, whatever their transfer encoding), and attached messages
/// with their headers, to a bounded depth.
fn searchable_body(m: &mail_parser::Message<'_>, depth: usize, out: &mut String) {
    use mail_parser::{MimeHeaders, PartType};
    let raw = m.raw_message();
    for (i, part) in m.parts.iter().enumerate() {
        if i > 0 {
            let header = raw
                .get(part.offset_header as usize..part.offset_body as usize)
                .unwrap_or_default();
            out.push_str(&String::from_utf8_lossy(header).to_lowercase());
            if let Some(name) = part.attachment_name() {
                out.push_str(&name.to_lowercase());
                out.push('\n');
            }
        }
        let textual = part
            .content_type()
            .is_some_and(|c| c.ctype().eq_ignore_ascii_case("text"));
        match &part.body {
            PartType::Text(t) | PartType::Html(t) => out.push_str(&t.to_lowercase()),
            PartType::Binary(b) | PartType::InlineBinary(b) if textual => {
                out.push_str(&String::from_utf8_lossy(b).to_lowercase())
            }
            PartType::Message(inner) if depth < 8 => {
                let inner_raw = inner.raw_message();
                let end = mime::header_end(inner_raw);
                out.push_str(&String::from_utf8_lossy(&inner_raw[..end]).to_lowercase());
                searchable_body(inner, depth + 1, out);
            }
            _ => {}
        }
        out.push('\n');
    }
}

/// Whether any key needs the message contents.
/// Whether a MODSEQ criterion appears anywhere in `key`.
pub fn uses_modseq(key: &SearchKey<'_>) -> bool {
    match key {
        SearchKey::ModSequence { .. } => true,
        SearchKey::And(keys) => keys.as_ref().iter().any(uses_modseq),
        SearchKey::Not(k) => uses_modseq(k),
        SearchKey::Or(a, b) => uses_modseq(a) || uses_modseq(b),
        _ => false,
    }
}

pub fn needs_content(keys: &[SearchKey<'_>]) -> bool {
    keys.iter().any(key_needs_content)
}

/// Whether any key searches the body (BODY, TEXT): the message's bytes are
/// needed, not just its precomputed headers.
pub fn needs_body(keys: &[SearchKey<'_>]) -> bool {
    fn body(key: &SearchKey<'_>) -> bool {
        match key {
            SearchKey::And(keys) => keys.as_ref().iter().any(body),
            SearchKey::Not(k) => body(k),
            SearchKey::Or(a, b) => body(a) || body(b),
            SearchKey::Body(_) | SearchKey::Text(_) => true,
            _ => false,
        }
    }
    keys.iter().any(body)
}

fn key_needs_content(key: &SearchKey<'_>) -> bool {
    match key {
        SearchKey::And(keys) => keys.as_ref().iter().any(key_needs_content),
        SearchKey::Not(k) => key_needs_content(k),
        SearchKey::Or(a, b) => key_needs_content(a) || key_needs_content(b),
        SearchKey::Bcc(_)
        | SearchKey::Body(_)
        | SearchKey::Cc(_)
        | SearchKey::From(_)
        | SearchKey::Header(..)
        | SearchKey::SentBefore(_)
        | SearchKey::SentOn(_)
        | SearchKey::SentSince(_)
        | SearchKey::Subject(_)
        | SearchKey::Text(_)
        | SearchKey::To(_) => true,
        _ => false,
    }
}

fn text(s: &impl AsRef<[u8]>) -> String {
    String::from_utf8_lossy(s.as_ref()).to_lowercase()
}

fn date_of(ms: i64) -> NaiveDate {
    chrono::Utc
        .timestamp_millis_opt(ms)
        .single()
        .map(|d| d.date_naive())
        .unwrap_or_default()
}

fn has(msg: &Msg, flag: &str) -> bool {
    msg.flags.iter().any(|f| f.eq_ignore_ascii_case(flag))
}

/// Whether message `index` (0-based) of the snapshot matches every key.
pub fn matches_all(
    keys: &[SearchKey<'_>],
    index: usize,
    msgs: &[Msg],
    uids: &[u32],
    content: Option<&Content<'_>>,
) -> bool {
    keys.iter().all(|k| matches(k, index, msgs, uids, content))
}

fn matches(
    key: &SearchKey<'_>,
    index: usize,
    msgs: &[Msg],
    uids: &[u32],
    content: Option<&Content<'_>>,
) -> bool {
    let msg = &msgs[index];
    let c = |f: &dyn Fn(&Content<'_>) -> bool| content.is_some_and(f);
    match key {
        SearchKey::And(keys) => keys
            .as_ref()
            .iter()
            .all(|k| matches(k, index, msgs, uids, content)),
        SearchKey::Not(k) => !matches(k, index, msgs, uids, content),
        SearchKey::Or(a, b) => {
            matches(a, index, msgs, uids, content) || matches(b, index, msgs, uids, content)
        }
        SearchKey::SequenceSet(set) => sequence::contains(set, index as u32 + 1, uids.len() as u32),
        SearchKey::Uid(set) => {
            sequence::contains(set, uids[index], uids.last().copied().unwrap_or(0))
        }
        SearchKey::All => true,
        SearchKey::Answered => has(msg, "\\Answered"),
        SearchKey::Unanswered => !has(msg, "\\Answered"),
        SearchKey::Deleted => has(msg, "\\Deleted"),
        SearchKey::Undeleted => !has(msg, "\\Deleted"),
        SearchKey::Draft => has(msg, "\\Draft"),
        SearchKey::Undraft => !has(msg, "\\Draft"),
        SearchKey::Flagged => has(msg, "\\Flagged"),
        SearchKey::Unflagged => !has(msg, "\\Flagged"),
        SearchKey::Seen => has(msg, "\\Seen"),
        SearchKey::Unseen => !has(msg, "\\Seen"),
        SearchKey::ModSequence { modseq, .. } => msg.modseq >= *modseq as i64,
        SearchKey::Recent => msg.recent,
        SearchKey::New => msg.recent && !has(msg, "\\Seen"),
        SearchKey::Old => !msg.recent,
        SearchKey::Keyword(k) => has(msg, k.as_ref()),
        SearchKey::Unkeyword(k) => !has(msg, k.as_ref()),
        SearchKey::Larger(n) => msg.size > *n,
        SearchKey::Smaller(n) => msg.size < *n,
        SearchKey::Before(d) => date_of(msg.internal_date_ms) < *d.as_ref(),
        SearchKey::On(d) => date_of(msg.internal_date_ms) == *d.as_ref(),
        SearchKey::Since(d) => date_of(msg.internal_date_ms) >= *d.as_ref(),
        SearchKey::SentBefore(d) => c(&|c| c.head.sent.is_some_and(|s| s < *d.as_ref())),
        SearchKey::SentOn(d) => c(&|c| c.head.sent.is_some_and(|s| s == *d.as_ref())),
        SearchKey::SentSince(d) => c(&|c| c.head.sent.is_some_and(|s| s >= *d.as_ref())),
        SearchKey::Bcc(s) => c(&|c| c.header_contains("bcc", &text(s))),
        SearchKey::Cc(s) => c(&|c| c.header_contains("cc", &text(s))),
        SearchKey::From(s) => c(&|c| c.header_contains("from", &text(s))),
        SearchKey::To(s) => c(&|c| c.header_contains("to", &text(s))),
        SearchKey::Subject(s) => c(&|c| c.header_contains("subject", &text(s))),
        SearchKey::Header(name, value) => c(&|c| c.header_contains(&text(name), &text(value))),
        SearchKey::Body(s) => c(&|c| c.body_text.contains(&text(s))),
        SearchKey::Text(s) => c(&|c| {
            let t = text(s);
            c.head.header_text.contains(&t) || c.body_text.contains(&t)
        }),
    }
}
