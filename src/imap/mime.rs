//! A message's MIME tree as byte ranges of the stored bytes, for IMAP's
//! BODYSTRUCTURE, ENVELOPE and `BODY[section]` (RFC 3501 6.4.5, 7.4.2).
//!
//! mail-parser finds the parts; nested `message/rfc822` bodies are parsed
//! again from their own bytes so every range here is absolute.

use std::ops::Range;

use mail_parser::{MessageParser, MimeHeaders, PartType};

/// How deep `message/rfc822` and multipart nesting is followed.
const MAX_DEPTH: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ContentInfo {
    /// Lower case, e.g. `text`, `multipart`.
    pub ctype: String,
    pub subtype: String,
    pub params: Vec<(String, String)>,
    pub id: Option<String>,
    pub description: Option<String>,
    /// As written, upper-cased; `7BIT` when absent.
    pub encoding: String,
    pub disposition: Option<(String, Vec<(String, String)>)>,
    pub language: Vec<String>,
    pub location: Option<String>,
    /// The Content-MD5 value, as written (RFC 1864).
    pub md5: Option<String>,
    /// Content-Type and Content-Disposition parameters as written (RFC
    /// 2231 `name*` kept, continuations joined), for BODYSTRUCTURE; the
    /// fields above hold mail-parser's decoded values.
    pub raw_params: Vec<(String, String)>,
    pub raw_disposition_params: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Kind {
    Leaf,
    Multipart(Vec<Part>),
    /// `message/rfc822`: the encapsulated message's root.
    Message(Box<Part>),
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Part {
    /// The part's header block, including the blank line that ends it.
    pub header: Range<usize>,
    pub body: Range<usize>,
    pub content: ContentInfo,
    pub kind: Kind,
    /// Line endings in the body (BODYSTRUCTURE's line count; Dovecot
    /// counts the same way: a last line's CRLF belongs to the boundary).
    pub lines: usize,
    /// The ENVELOPE of a message root (the whole message, or one attached).
    pub envelope: Option<EnvelopeData>,
}

/// The fields of an ENVELOPE, from one header block.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EnvelopeData {
    pub date: Option<String>,
    pub subject: Option<String>,
    pub from: Vec<AddressData>,
    pub sender: Vec<AddressData>,
    pub reply_to: Vec<AddressData>,
    pub to: Vec<AddressData>,
    pub cc: Vec<AddressData>,
    pub bcc: Vec<AddressData>,
    pub in_reply_to: Option<String>,
    pub message_id: Option<String>,
}

pub use super::address::AddressData;
use super::address::parse_list;

/// Parses a whole message into its tree. Never fails: unparsable input is
/// one text/plain leaf.
pub fn parse(raw: &[u8]) -> Part {
    build(raw, 0, 0)
}

fn default_content(ctype: &str, subtype: &str) -> ContentInfo {
    ContentInfo {
        ctype: ctype.into(),
        subtype: subtype.into(),
        params: if ctype == "text" {
            vec![("charset".into(), "us-ascii".into())]
        } else {
            Vec::new()
        },
        id: None,
        description: None,
        encoding: "7BIT".into(),
        disposition: None,
        language: Vec::new(),
        location: None,
        md5: None,
        raw_params: Vec::new(),
        raw_disposition_params: Vec::new(),
    }
}

/// The end of the header block (after the blank line), or the whole input.
pub fn header_end(raw: &[u8]) -> usize {
    if raw.starts_with(b"\r\n") {
        return 2;
    }
    if raw.starts_with(b"\n") {
        return 1;
    }
    if let Some(p) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
        return p + 4;
    }
    if let Some(p) = raw.windows(2).position(|w| w == b"\n\n") {
        return p + 2;
    }
    raw.len()
}

fn build(raw: &[u8], base: usize, depth: usize) -> Part {
    let fallback = || {
        let h = header_end(raw);
        Part {
            header: base..base + h,
            body: base + h..base + raw.len(),
            content: default_content("text", "plain"),
            kind: Kind::Leaf,
            lines: count_lines(&raw[h..]),
            envelope: None,
        }
    };
    let mut root = match MessageParser::default().parse(raw) {
        Some(message) if !message.parts.is_empty() => {
            convert(&message, 0, raw, base, depth, false).unwrap_or_else(fallback)
        }
        _ => fallback(),
    };
    let header = raw.get(root.header.start - base..root.header.end - base);
    root.envelope = Some(envelope(header.unwrap_or_default()));
    root
}

fn count_lines(body: &[u8]) -> usize {
    body.iter().filter(|c| **c == b'\n').count()
}

fn convert(
    message: &mail_parser::Message<'_>,
    index: usize,
    raw: &[u8],
    base: usize,
    depth: usize,
    in_digest: bool,
) -> Option<Part> {
    let part = message.parts.get(index)?;
    let (h0, b0, e0) = (
        part.offset_header as usize,
        part.offset_body as usize,
        part.offset_end as usize,
    );
    let (h0, b0, e0) = (h0.min(raw.len()), b0.min(raw.len()), e0.min(raw.len()));
    let mut content = content_info(part);
    // Parameters go out as written (RFC 2231 `name*` included), not as
    // mail-parser decoded them (RFC 3501 7.4.2 lists them as they are).
    let header_block = raw.get(h0..b0).unwrap_or_default();
    content.raw_params =
        raw_params(header_block, "content-type").unwrap_or_else(|| content.params.clone());
    content.raw_disposition_params = match &content.disposition {
        Some((_, decoded)) => {
            raw_params(header_block, "content-disposition").unwrap_or_else(|| decoded.clone())
        }
        None => Vec::new(),
    };
    let has_charset =
        |p: &[(String, String)]| p.iter().any(|(k, _)| k.eq_ignore_ascii_case("charset"));
    if content.ctype == "text" && !has_charset(&content.raw_params) {
        // RFC 2045 5.2: text without a charset is US-ASCII.
        content
            .raw_params
            .push(("charset".into(), "us-ascii".into()));
    }
    if in_digest && part.content_type().is_none() {
        // Inside multipart/digest the default type is message/rfc822
        // (RFC 2046 5.1.5).
        content = default_content("message", "rfc822");
    }
    let kind = match &part.body {
        PartType::Multipart(ids) if depth < MAX_DEPTH => {
            let digest = content.subtype == "digest";
            let children: Vec<Part> = ids
                .iter()
                .filter_map(|id| convert(message, *id as usize, raw, base, depth + 1, digest))
                .collect();
            if children.is_empty() {
                Kind::Leaf
            } else {
                Kind::Multipart(children)
            }
        }
        _ if content.ctype == "message" && content.subtype == "rfc822" && depth < MAX_DEPTH => {
            if matches!(content.encoding.as_str(), "7BIT" | "8BIT" | "BINARY") && b0 < e0 {
                Kind::Message(Box::new(build(&raw[b0..e0], base + b0, depth + 1)))
            } else {
                Kind::Leaf
            }
        }
        _ => Kind::Leaf,
    };
    Some(Part {
        header: base + h0..base + b0,
        body: base + b0..base + e0.max(b0),
        content,
        kind,
        lines: count_lines(raw.get(b0..e0.max(b0)).unwrap_or_default()),
        envelope: None,
    })
}

fn content_info(part: &mail_parser::MessagePart<'_>) -> ContentInfo {
    let (ctype, subtype, params) = match part.content_type() {
        Some(ct) => (
            ct.ctype().to_ascii_lowercase(),
            ct.subtype()
                .map(|s| s.to_ascii_lowercase())
                .unwrap_or_default(),
            ct.attributes()
                .map(|a| {
                    a.iter()
                        .map(|attr| (attr.name.to_string(), attr.value.to_string()))
                        .collect()
                })
                .unwrap_or_default(),
        ),
        None => (
            "text".to_string(),
            "plain".to_string(),
            vec![("charset".to_string(), "us-ascii".to_string())],
        ),
    };
    let (ctype, subtype) = if subtype.is_empty() {
        if ctype == "text" {
            (ctype, "plain".to_string())
        } else {
            ("application".to_string(), "octet-stream".to_string())
        }
    } else {
        (ctype, subtype)
    };
    let encoding = part
        .content_transfer_encoding()
        .map(|e| e.trim().to_ascii_uppercase())
        .filter(|e| !e.is_empty())
        .unwrap_or_else(|| "7BIT".to_string());
    let disposition = part.content_disposition().map(|d| {
        (
            d.ctype().to_ascii_lowercase(),
            d.attributes()
                .map(|a| {
                    a.iter()
                        .map(|attr| (attr.name.to_string(), attr.value.to_string()))
                        .collect()
                })
                .unwrap_or_default(),
        )
    });
    ContentInfo {
        ctype,
        subtype,
        params,
        id: part.content_id().map(|s| format!("<{s}>")),
        description: part.content_description().map(str::to_string),
        encoding,
        disposition,
        language: part
            .content_language()
            .as_text_list()
            .map(|l| l.iter().map(|s| s.to_string()).collect())
            .unwrap_or_else(|| {
                part.content_language()
                    .as_text()
                    .map(|s| vec![s.to_string()])
                    .unwrap_or_default()
            }),
        location: part.content_location().map(str::to_string),
        raw_params: Vec::new(),
        raw_disposition_params: Vec::new(),
        md5: part
            .headers
            .iter()
            .find(|h| h.name().eq_ignore_ascii_case("Content-MD5"))
            .and_then(|h| h.value().as_text())
            .map(|v| v.trim().to_string()),
    }
}

impl Part {
    /// The part addressed by an IMAP part number (`1.2.3`), relative to this
    /// part as the message root (RFC 3501 6.4.5).
    pub fn find(&self, numbers: &[u32]) -> Option<&Part> {
        let Some((first, rest)) = numbers.split_first() else {
            return Some(self);
        };
        let idx = (*first as usize).checked_sub(1)?;
        let child = match &self.kind {
            Kind::Multipart(children) => children.get(idx)?,
            // A non-multipart message has one part: its body (number 1).
            Kind::Message(inner) => return inner.find(numbers),
            // A single-part message has part 1 only, and nothing under it.
            Kind::Leaf => {
                return (idx == 0 && rest.is_empty()).then_some(self);
            }
        };
        if rest.is_empty() {
            return Some(child);
        }
        match &child.kind {
            Kind::Message(inner) => inner.find(rest),
            Kind::Multipart(_) => child.find(rest),
            // `n.1` of a single part is the part itself, as Dovecot and UW
            // answer (RFC 3501 gives single parts just the number 1).
            Kind::Leaf => child.find(rest),
        }
    }
}

/// The parameters of a structured header field (`type/sub; a=1; b*="x"`)
/// as written: names lower-cased, values unquoted, nothing decoded.
/// `None` when the field is absent.
pub fn raw_params(header: &[u8], field: &str) -> Option<Vec<(String, String)>> {
    let (_, value) = header_fields(header)
        .into_iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(field))?;
    let mut params = Vec::new();
    let mut segments = Vec::new();
    let (mut current, mut quoted, mut escaped) = (String::new(), false, false);
    for c in value.chars() {
        match c {
            _ if escaped => {
                current.push(c);
                escaped = false;
            }
            '\\' if quoted => {
                current.push(c);
                escaped = true;
            }
            '"' => {
                current.push(c);
                quoted = !quoted;
            }
            ';' if !quoted => segments.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    segments.push(current);
    for segment in segments.into_iter().skip(1) {
        let Some((name, value)) = segment.split_once('=') else {
            continue;
        };
        let name = name.trim().to_ascii_lowercase();
        let value = value.trim();
        let value = match value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
            Some(inner) => inner.replace("\\\"", "\"").replace("\\\\", "\\"),
            None => value.to_string(),
        };
        if !name.is_empty() {
            params.push((name, value));
        }
    }
    Some(join_continuations(params))
}

/// RFC 2231 3: `name*0*=a; name*1=b` is one parameter `name*=ab` (or
/// `name=ab` when no section is extended), in section order; Dovecot
/// answers the same.
fn join_continuations(params: Vec<(String, String)>) -> Vec<(String, String)> {
    let section = |name: &str| -> Option<(String, u32, bool)> {
        let (base, rest) = name.split_once('*')?;
        let (digits, extended) = match rest.strip_suffix('*') {
            Some(d) => (d, true),
            None => (rest, false),
        };
        let n: u32 = digits.parse().ok()?;
        Some((base.to_string(), n, extended))
    };
    let mut out: Vec<(String, String)> = Vec::new();
    // Per base name: its sections as (number, extended, value).
    type Sections = Vec<(u32, bool, String)>;
    let mut joined: Vec<(String, Sections)> = Vec::new();
    for (name, value) in params {
        match section(&name) {
            Some((base, n, extended)) => match joined.iter_mut().find(|(b, _)| *b == base) {
                Some((_, parts)) => parts.push((n, extended, value)),
                None => {
                    // Keep the parameter's place among the others.
                    out.push((format!("\u{0}{base}"), String::new()));
                    joined.push((base, vec![(n, extended, value)]));
                }
            },
            None => out.push((name, value)),
        }
    }
    for (base, mut parts) in joined {
        parts.sort_by_key(|(n, _, _)| *n);
        let extended = parts.first().is_some_and(|(_, e, _)| *e);
        let value: String = parts.into_iter().map(|(_, _, v)| v).collect();
        let name = if extended {
            format!("{base}*")
        } else {
            base.clone()
        };
        if let Some(slot) = out.iter_mut().find(|(n, _)| *n == format!("\u{0}{base}")) {
            *slot = (name, value);
        }
    }
    out
}

/// Unfolded header fields of a header block, in order, as (name, raw value).
pub fn header_fields(header: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(header);
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            if let Some((_, value)) = fields.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            fields.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    fields
}

/// The raw lines of a header block whose field names are (or, with
/// `exclude`, are not) in `names`, plus the blank line (RFC 3501 6.4.5).
pub fn header_subset(header: &[u8], names: &[String], exclude: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut keep = false;
    for line in header.split_inclusive(|b| *b == b'\n') {
        if line == b"\r\n" || line == b"\n" {
            break;
        }
        if !(line.starts_with(b" ") || line.starts_with(b"\t")) {
            let name = line
                .split(|b| *b == b':')
                .next()
                .map(|n| String::from_utf8_lossy(n).trim().to_string())
                .unwrap_or_default();
            let listed = names.iter().any(|n| n.eq_ignore_ascii_case(&name));
            keep = listed != exclude;
        }
        if keep {
            out.extend_from_slice(line);
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// The ENVELOPE of a message whose header block is `header`.
pub fn envelope(header: &[u8]) -> EnvelopeData {
    let fields = header_fields(header);
    let get = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let list = |name: &str| get(name).map(|v| parse_list(&v)).unwrap_or_default();
    let (from, sender, reply_to, to, cc, bcc) = (
        list("From"),
        list("Sender"),
        list("Reply-To"),
        list("To"),
        list("Cc"),
        list("Bcc"),
    );
    // RFC 3501 7.4.2: sender and reply-to default to from.
    let sender = if sender.is_empty() {
        from.clone()
    } else {
        sender
    };
    let reply_to = if reply_to.is_empty() {
        from.clone()
    } else {
        reply_to
    };
    EnvelopeData {
        date: get("Date"),
        subject: get("Subject"),
        from,
        sender,
        reply_to,
        to,
        cc,
        bcc,
        in_reply_to: get("In-Reply-To"),
        message_id: get("Message-ID"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NESTED: &[u8] = b"From: Alice <alice@example.test>\r\nTo: bob@example.test\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"outer\"\r\n\r\npreamble\r\n--outer\r\n\
Content-Type: multipart/alternative; boundary=\"inner\"\r\n\r\n--inner\r\nContent-Type: text/plain; charset=utf-8\r\n\
Content-Transfer-Encoding: 8bit\r\n\r\nHall\xc3\xb6\r\nzwei\r\n--inner\r\nContent-Type: text/html\r\n\r\n<p>Hi</p>\r\n--inner--\r\n\
--outer\r\nContent-Type: application/pdf; name=\"=?utf-8?b?w6RyZ2VyLnBkZg==?=\"\r\nContent-Disposition: attachment; filename*=utf-8''%C3%A4rger.pdf\r\n\
Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--outer\r\nContent-Type: message/rfc822\r\n\r\nFrom: carol@example.test\r\nSubject: inner\r\n\r\ninner body\r\n\
--outer--\r\n";

    #[test]
    fn nested_tree_and_sections() {
        let root = parse(NESTED);
        let Kind::Multipart(parts) = &root.kind else {
            panic!("{root:?}")
        };
        assert_eq!(parts.len(), 3);
        assert_eq!(
            (root.content.ctype.as_str(), root.content.subtype.as_str()),
            ("multipart", "mixed")
        );
        let text = root.find(&[1, 1]).unwrap();
        // The CRLF before a boundary belongs to the boundary (RFC 2046 5.1.1).
        assert_eq!(&NESTED[text.body.clone()], "Hall\u{f6}\r\nzwei".as_bytes());
        assert_eq!(text.content.encoding, "8BIT");
        // Line endings counted: the last line's CRLF belongs to the boundary.
        assert_eq!(text.lines, 1);
        let html = root.find(&[1, 2]).unwrap();
        assert_eq!(html.content.subtype, "html");
        let pdf = root.find(&[2]).unwrap();
        assert_eq!(&NESTED[pdf.body.clone()], b"JVBERi0=");
        assert_eq!(
            pdf.content.params,
            vec![("name".to_string(), "\u{e4}rger.pdf".to_string())]
        );
        let (disposition, params) = pdf.content.disposition.clone().unwrap();
        assert_eq!(disposition, "attachment");
        assert_eq!(params[0].1, "\u{e4}rger.pdf");
        let message = root.find(&[3]).unwrap();
        let Kind::Message(inner) = &message.kind else {
            panic!("{message:?}")
        };
        assert_eq!(
            &NESTED[inner.header.clone()],
            b"From: carol@example.test\r\nSubject: inner\r\n\r\n"
        );
        assert_eq!(&NESTED[inner.body.clone()], b"inner body");
        assert_eq!(root.find(&[3, 1]).unwrap().body, inner.body);
        assert!(root.find(&[4]).is_none());
        let env = envelope(&NESTED[root.header.clone()]);
        assert_eq!(env.subject.as_deref(), Some("=?utf-8?q?Gr=C3=BC=C3=9Fe?="));
        assert_eq!(
            env.from[0],
            AddressData {
                name: Some("Alice".into()),
                adl: None,
                mailbox: Some("alice".into()),
                host: Some("example.test".into())
            }
        );
        assert_eq!(env.sender, env.from);
        assert_eq!(env.to[0].mailbox.as_deref(), Some("bob"));
    }

    #[test]
    fn envelope_keeps_group_syntax() {
        let env = envelope(
            b"To: undisclosed-recipients:;\r\nCc: a@x.test, friends: b@y.test, c@z.test;\r\n\r\n",
        );
        let marker = |m: Option<&str>| AddressData {
            name: None,
            adl: None,
            mailbox: m.map(str::to_string),
            host: None,
        };
        let addr = |m: &str, h: &str| AddressData {
            name: None,
            adl: None,
            mailbox: Some(m.into()),
            host: Some(h.into()),
        };
        assert_eq!(
            env.to,
            [marker(Some("undisclosed-recipients")), marker(None)]
        );
        assert_eq!(
            env.cc,
            [
                addr("a", "x.test"),
                marker(Some("friends")),
                addr("b", "y.test"),
                addr("c", "z.test"),
                marker(None)
            ]
        );
    }

    #[test]
    fn header_subsets() {
        let h = b"From: a\r\nSubject: b\r\n  continued\r\nTo: c\r\n\r\n";
        assert_eq!(
            header_subset(h, &["subject".into()], false),
            b"Subject: b\r\n  continued\r\n\r\n"
        );
        assert_eq!(
            header_subset(h, &["subject".into()], true),
            b"From: a\r\nTo: c\r\n\r\n"
        );
    }

    #[test]
    fn simple_message_part_one_is_the_body() {
        let raw = b"Subject: x\r\n\r\nbody\r\n";
        let root = parse(raw);
        assert_eq!(root.kind, Kind::Leaf);
        assert_eq!(&raw[root.find(&[1]).unwrap().body.clone()], b"body\r\n");
    }
}
