//! FETCH: turning a stored message into the items a client asked for
//! (RFC 3501 6.4.5, 7.4.2).

use std::num::NonZeroU32;

use chrono::{TimeZone, Timelike};
use imap_codec::imap_types::body::{
    BasicFields, Body, BodyStructure, Disposition, Language, Location, MultiPartExtensionData,
    SinglePartExtensionData, SpecificFields,
};
use imap_codec::imap_types::core::{IString, LiteralMode, NString, NString8, Vec1};
use imap_codec::imap_types::datetime::DateTime;
use imap_codec::imap_types::envelope::{Address, Envelope};
use imap_codec::imap_types::extensions::binary::Literal8;
use imap_codec::imap_types::fetch::{MessageDataItem, MessageDataItemName, Section};
use imap_codec::imap_types::flag::{Flag, FlagFetch};

use super::mime::{self, AddressData, EnvelopeData, Kind, Part};

/// What FETCH needs to know of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msg {
    pub id: i64,
    pub uid: u32,
    pub flags: Vec<String>,
    /// \Recent in this session (RFC 3501 2.3.2): not stored as a flag.
    pub recent: bool,
    /// The message's mod-sequence (CONDSTORE).
    pub modseq: i64,
    pub size: u32,
    pub blob: String,
    pub internal_date_ms: i64,
}

/// Bytes as an NString: NUL can't travel in an IMAP literal, so it is
/// replaced by a space.
pub fn nstring(bytes: &[u8]) -> NString<'static> {
    let clean: Vec<u8> = bytes
        .iter()
        .map(|b| if *b == 0 { b' ' } else { *b })
        .collect();
    NString::try_from(clean).unwrap_or(NString(None))
}

fn nstr(text: Option<&str>) -> NString<'static> {
    match text {
        Some(t) => nstring(t.as_bytes()),
        None => NString(None),
    }
}

fn istring(text: &str) -> IString<'static> {
    let clean: String = text
        .chars()
        .filter(|c| *c != '\0' && *c != '\r' && *c != '\n')
        .collect();
    IString::try_from(clean)
        .unwrap_or_else(|_| IString::try_from("").expect("empty string is valid"))
}

pub fn flags(flags: &[String], recent: bool) -> Vec<FlagFetch<'static>> {
    let mut out: Vec<FlagFetch<'static>> = flags
        .iter()
        .filter_map(|f| {
            Flag::try_from(f.as_str())
                .ok()
                .map(|f| FlagFetch::Flag(f.into_static()))
        })
        .collect();
    if recent {
        out.push(FlagFetch::Recent);
    }
    out
}

pub fn internal_date(ms: i64) -> Option<DateTime> {
    let dt = chrono::Utc
        .timestamp_millis_opt(ms)
        .single()?
        .with_nanosecond(0)?
        .fixed_offset();
    DateTime::try_from(dt).ok()
}

/// Decoded text back into 7-bit form: non-ASCII as an RFC 2047 encoded
/// word, which every client decodes, instead of raw 8-bit in a literal.
fn seven_bit(text: &str) -> String {
    if text.is_ascii() {
        text.to_string()
    } else {
        use base64::Engine;
        format!(
            "=?utf-8?b?{}?=",
            base64::engine::general_purpose::STANDARD.encode(text)
        )
    }
}

fn address(a: &AddressData) -> Address<'static> {
    Address {
        name: nstr(a.name.as_deref().map(seven_bit).as_deref()),
        adl: nstr(a.adl.as_deref()),
        mailbox: nstr(a.mailbox.as_deref()),
        host: nstr(a.host.as_deref()),
    }
}

pub fn envelope(e: &EnvelopeData) -> Envelope<'static> {
    let list = |v: &[AddressData]| v.iter().map(address).collect();
    Envelope {
        date: nstr(e.date.as_deref()),
        subject: nstr(e.subject.as_deref()),
        from: list(&e.from),
        sender: list(&e.sender),
        reply_to: list(&e.reply_to),
        to: list(&e.to),
        cc: list(&e.cc),
        bcc: list(&e.bcc),
        in_reply_to: nstr(e.in_reply_to.as_deref()),
        message_id: nstr(e.message_id.as_deref()),
    }
}

fn params(p: &[(String, String)]) -> Vec<(IString<'static>, IString<'static>)> {
    p.iter()
        .map(|(k, v)| (istring(&k.to_ascii_uppercase()), istring(&seven_bit(v))))
        .collect()
}

fn disposition(part: &Part) -> Disposition<'static> {
    let c = &part.content;
    Disposition {
        disposition: c.disposition.as_ref().map(|(kind, _)| {
            (
                istring(&kind.to_ascii_uppercase()),
                params(&c.raw_disposition_params),
            )
        }),
        tail: Some(Language {
            language: c.language.iter().map(|l| istring(l)).collect(),
            tail: Some(Location {
                location: nstr(c.location.as_deref()),
                extensions: Vec::new(),
            }),
        }),
    }
}

/// BODYSTRUCTURE (`extended`) or BODY of a part.
pub fn body_structure(part: &Part, extended: bool) -> BodyStructure<'static> {
    let c = &part.content;
    if let Kind::Multipart(children) = &part.kind {
        let bodies: Vec<BodyStructure<'static>> = children
            .iter()
            .map(|p| body_structure(p, extended))
            .collect();
        let bodies = Vec1::try_from(bodies).unwrap_or_else(|_| Vec1::from(leaf(part, false)));
        return BodyStructure::Multi {
            bodies,
            subtype: istring(&c.subtype.to_ascii_uppercase()),
            extension_data: extended.then(|| MultiPartExtensionData {
                parameter_list: params(&c.raw_params),
                tail: Some(disposition(part)),
            }),
        };
    }
    leaf(part, extended)
}

fn leaf(part: &Part, extended: bool) -> BodyStructure<'static> {
    let c = &part.content;
    let basic = BasicFields {
        parameter_list: params(&c.raw_params),
        id: nstr(c.id.as_deref()),
        description: nstr(c.description.as_deref()),
        content_transfer_encoding: istring(&c.encoding),
        size: part.body.len() as u32,
    };
    let specific = match &part.kind {
        Kind::Message(inner) => SpecificFields::Message {
            envelope: Box::new(envelope(&inner.envelope.clone().unwrap_or_default())),
            body_structure: Box::new(body_structure(inner, extended)),
            number_of_lines: part.lines as u32,
        },
        _ if c.ctype == "text" => SpecificFields::Text {
            subtype: istring(&c.subtype.to_ascii_uppercase()),
            number_of_lines: part.lines as u32,
        },
        _ => SpecificFields::Basic {
            r#type: istring(&c.ctype.to_ascii_uppercase()),
            subtype: istring(&c.subtype.to_ascii_uppercase()),
        },
    };
    BodyStructure::Single {
        body: Body { basic, specific },
        extension_data: extended.then(|| SinglePartExtensionData {
            md5: nstr(c.md5.as_deref()),
            tail: Some(disposition(part)),
        }),
    }
}

/// The message inside a `message/rfc822` part: HEADER, TEXT and
/// HEADER.FIELDS of a part number only mean something there (RFC 3501
/// 6.4.5); of any other part they are empty, as Dovecot and UW answer.
fn attached(part: &Part) -> Option<&Part> {
    match &part.kind {
        Kind::Message(inner) => Some(inner),
        _ => None,
    }
}

/// The bytes `BODY[section]` names, or `None` when the part does not exist
/// (or the section does not apply to it).
pub fn section_bytes(section: Option<&Section<'_>>, root: &Part, raw: &[u8]) -> Option<Vec<u8>> {
    let numbers = |p: &imap_codec::imap_types::fetch::Part| -> Vec<u32> {
        p.0.as_ref().iter().map(|n| n.get()).collect()
    };
    let slice = |r: &std::ops::Range<usize>| raw.get(r.clone()).map(<[u8]>::to_vec);
    match section {
        None => Some(raw.to_vec()),
        Some(Section::Part(p)) => slice(&root.find(&numbers(p))?.body),
        Some(Section::Header(p)) => {
            let part = match p {
                Some(p) => attached(root.find(&numbers(p))?)?,
                None => root,
            };
            slice(&part.header)
        }
        Some(Section::HeaderFields(p, names) | Section::HeaderFieldsNot(p, names)) => {
            let exclude = matches!(section, Some(Section::HeaderFieldsNot(..)));
            let part = match p {
                Some(p) => attached(root.find(&numbers(p))?)?,
                None => root,
            };
            let names: Vec<String> = names
                .as_ref()
                .iter()
                .map(|n| String::from_utf8_lossy(n.as_ref()).into_owned())
                .collect();
            Some(mime::header_subset(
                raw.get(part.header.clone())?,
                &names,
                exclude,
            ))
        }
        Some(Section::Text(p)) => {
            let part = match p {
                Some(p) => attached(root.find(&numbers(p))?)?,
                None => root,
            };
            slice(&part.body)
        }
        Some(Section::Mime(p)) => slice(&root.find(&numbers(p))?.header),
    }
}

/// The content of the part at `section` with its transfer encoding undone
/// (RFC 3516 BINARY): the whole message for an empty section, and inside
/// a multipart or attached message every part decoded. `None` for a part
/// that does not exist; `Err` for an encoding Rampart cannot undo.
pub fn binary_bytes(
    section: &[NonZeroU32],
    root: &Part,
    raw: &[u8],
) -> Result<Option<Vec<u8>>, UnknownCte> {
    let (part, range) = match section {
        [] => (root, 0..raw.len()),
        _ => {
            let numbers: Vec<u32> = section.iter().map(|n| n.get()).collect();
            let Some(part) = root.find(&numbers) else {
                return Ok(None);
            };
            (part, part.body.clone())
        }
    };
    if raw.get(range.clone()).is_none() {
        return Ok(None);
    }
    decoded_within(part, raw, range).map(Some)
}

/// `range` of `raw` with every leaf inside `part` decoded and, where the
/// leaf's header falls in the range, its Content-Transfer-Encoding field
/// saying `binary` (what Dovecot sends: the client asked for content
/// without transfer encodings).
fn decoded_within(
    part: &Part,
    raw: &[u8],
    range: std::ops::Range<usize>,
) -> Result<Vec<u8>, UnknownCte> {
    let mut edits = Vec::new();
    collect_decodings(part, raw, &mut edits)?;
    edits.sort_by_key(|(r, _)| r.start);
    let mut out = Vec::with_capacity(range.len());
    let mut at = range.start;
    for (r, bytes) in edits {
        if r.start < at || r.end > range.end {
            continue;
        }
        out.extend_from_slice(&raw[at..r.start]);
        out.extend_from_slice(&bytes);
        at = r.end;
    }
    out.extend_from_slice(raw.get(at..range.end).unwrap_or_default());
    Ok(out)
}

/// How a leaf's Content-Transfer-Encoding is undone.
enum Cte {
    /// 7bit, 8bit, binary (or none): the body is the content.
    Identity,
    Base64,
    QuotedPrintable,
}

/// A leaf's transfer encoding, or `Err` for one BINARY cannot undo.
fn cte(part: &Part) -> Result<Cte, UnknownCte> {
    match part.content.encoding.to_ascii_lowercase().as_str() {
        "" | "7bit" | "8bit" | "binary" => Ok(Cte::Identity),
        "base64" => Ok(Cte::Base64),
        "quoted-printable" => Ok(Cte::QuotedPrintable),
        _ => Err(UnknownCte),
    }
}

/// The (header, body) replacements that decode every leaf inside `part`.
fn collect_decodings(
    part: &Part,
    raw: &[u8],
    edits: &mut Vec<(std::ops::Range<usize>, Vec<u8>)>,
) -> Result<(), UnknownCte> {
    match &part.kind {
        Kind::Multipart(children) => children
            .iter()
            .try_for_each(|c| collect_decodings(c, raw, edits)),
        Kind::Message(inner) => collect_decodings(inner, raw, edits),
        Kind::Leaf => {
            let body = raw.get(part.body.clone()).unwrap_or_default();
            let decoded = match cte(part)? {
                Cte::Identity => return Ok(()),
                Cte::Base64 => mail_parser::decoders::base64::base64_decode(body),
                Cte::QuotedPrintable => {
                    mail_parser::decoders::quoted_printable::quoted_printable_decode(body)
                }
            };
            // A body that does not decode is given as it is rather than lost.
            let decoded = decoded.unwrap_or_else(|| body.to_vec());
            let header = raw.get(part.header.clone()).unwrap_or_default();
            edits.push((part.header.clone(), binary_header(header)));
            edits.push((part.body.clone(), decoded));
            Ok(())
        }
    }
}

/// Whether any leaf inside `part` has an encoding BINARY cannot undo.
fn has_unknown_cte(part: &Part) -> bool {
    match &part.kind {
        Kind::Multipart(children) => children.iter().any(has_unknown_cte),
        Kind::Message(inner) => has_unknown_cte(inner),
        Kind::Leaf => cte(part).is_err(),
    }
}

/// A header block with its Content-Transfer-Encoding field (and the
/// field's folded lines) replaced by `binary`.
fn binary_header(header: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(header.len());
    let mut skipping = false;
    for line in header.split_inclusive(|b| *b == b'\n') {
        let folded = matches!(line.first(), Some(b' ' | b'\t'));
        if skipping && folded {
            continue;
        }
        skipping = false;
        let name = b"content-transfer-encoding:";
        if line.len() >= name.len() && line[..name.len()].eq_ignore_ascii_case(name) {
            out.extend_from_slice(b"Content-Transfer-Encoding: binary\r\n");
            skipping = true;
            continue;
        }
        out.extend_from_slice(line);
    }
    out
}

/// A Content-Transfer-Encoding BINARY cannot undo (RFC 3516 4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownCte;

/// Whether a BINARY item of `items` names a part whose encoding is unknown.
pub fn unknown_cte(items: &[MessageDataItemName<'_>], root: Option<&Part>) -> bool {
    let Some(root) = root else {
        return false;
    };
    items.iter().any(|i| match i {
        MessageDataItemName::Binary { section, .. }
        | MessageDataItemName::BinarySize { section } => {
            let numbers: Vec<u32> = section.iter().map(|n| n.get()).collect();
            root.find(&numbers).is_some_and(has_unknown_cte)
        }
        _ => false,
    })
}

/// The origin of a rendered BINARY item that answers a partial request.
pub fn binary_origin(
    requested: &[MessageDataItemName<'_>],
    item: &MessageDataItem<'_>,
) -> Option<u32> {
    let MessageDataItem::Binary { section, .. } = item else {
        return None;
    };
    requested.iter().find_map(|r| match r {
        MessageDataItemName::Binary {
            section: s,
            partial: Some((offset, _)),
            ..
        } if s == section => Some(*offset),
        _ => None,
    })
}

/// Binary content as the protocol carries it: a literal8 when it holds a
/// NUL (RFC 3516 4.2), otherwise a string.
fn nstring8(bytes: &[u8]) -> NString8<'static> {
    if bytes.contains(&0) {
        NString8::Literal8(Literal8 {
            data: std::borrow::Cow::Owned(bytes.to_vec()),
            mode: LiteralMode::Sync,
        })
    } else {
        NString8::NString(nstring(bytes))
    }
}

/// Whether rendering these items needs the message's bytes.
pub fn needs_content(items: &[MessageDataItemName<'_>]) -> bool {
    items.iter().any(|i| {
        !matches!(
            i,
            MessageDataItemName::Uid
                | MessageDataItemName::Flags
                | MessageDataItemName::InternalDate
                | MessageDataItemName::Rfc822Size
        )
    })
}

/// Whether rendering these items needs the message's bytes themselves
/// (body sections, RFC822.*); ENVELOPE and BODYSTRUCTURE come from the
/// precomputed facts (`meta`).
pub fn needs_bytes(items: &[MessageDataItemName<'_>]) -> bool {
    items.iter().any(|i| {
        matches!(
            i,
            MessageDataItemName::BodyExt { .. }
                | MessageDataItemName::Rfc822
                | MessageDataItemName::Rfc822Header
                | MessageDataItemName::Rfc822Text
                | MessageDataItemName::Binary { .. }
                | MessageDataItemName::BinarySize { .. }
        )
    })
}

/// Whether these items mark the message `\Seen` (BODY[...] without PEEK,
/// RFC822, RFC822.TEXT).
pub fn sets_seen(items: &[MessageDataItemName<'_>]) -> bool {
    items.iter().any(|i| {
        matches!(
            i,
            MessageDataItemName::BodyExt { peek: false, .. }
                | MessageDataItemName::Binary { peek: false, .. }
                | MessageDataItemName::Rfc822
                | MessageDataItemName::Rfc822Text
        )
    })
}

/// The FETCH items for one message. `raw` is present when
/// [`needs_content`] said so. UID is always included for UID FETCH.
pub fn render(
    items: &[MessageDataItemName<'_>],
    msg: &Msg,
    raw: Option<&[u8]>,
    tree: Option<&Part>,
    with_uid: bool,
) -> Vec<MessageDataItem<'static>> {
    let mut out = Vec::with_capacity(items.len() + 1);
    // The structure comes ready (see `meta`) or is parsed from the bytes.
    let parsed;
    let tree = match (tree, raw) {
        (Some(t), _) => Some(t),
        (None, Some(r)) => {
            parsed = mime::parse(r);
            Some(&parsed)
        }
        (None, None) => None,
    };
    let raw_bytes = raw.unwrap_or_default();
    let uid = NonZeroU32::new(msg.uid).unwrap_or(NonZeroU32::MIN);
    if with_uid && !items.iter().any(|i| matches!(i, MessageDataItemName::Uid)) {
        out.push(MessageDataItem::Uid(uid));
    }
    for item in items {
        let rendered = match item {
            MessageDataItemName::Uid => Some(MessageDataItem::Uid(uid)),
            MessageDataItemName::Flags => {
                Some(MessageDataItem::Flags(flags(&msg.flags, msg.recent)))
            }
            MessageDataItemName::InternalDate => {
                internal_date(msg.internal_date_ms).map(MessageDataItem::InternalDate)
            }
            MessageDataItemName::Rfc822Size => Some(MessageDataItem::Rfc822Size(msg.size)),
            MessageDataItemName::Envelope => tree.map(|t| {
                MessageDataItem::Envelope(envelope(&t.envelope.clone().unwrap_or_default()))
            }),
            MessageDataItemName::BodyStructure => {
                tree.map(|t| MessageDataItem::BodyStructure(body_structure(t, true)))
            }
            MessageDataItemName::Body => {
                tree.map(|t| MessageDataItem::Body(body_structure(t, false)))
            }
            MessageDataItemName::BodyExt {
                section, partial, ..
            } => tree.as_ref().map(|t| {
                let bytes = section_bytes(section.as_ref(), t, raw_bytes);
                let (data, origin) = match (bytes, partial) {
                    // A section that does not exist is empty, not NIL: what
                    // Dovecot and UW send, and what clients expect.
                    (None, _) => (nstring(b""), partial.map(|(o, _)| o)),
                    (Some(b), None) => (nstring(&b), None),
                    (Some(b), Some((offset, len))) => {
                        let start = (*offset as usize).min(b.len());
                        let end = start.saturating_add(len.get() as usize).min(b.len());
                        (nstring(&b[start..end]), Some(*offset))
                    }
                };
                MessageDataItem::BodyExt {
                    section: section.clone().map(|s| s.into_static()),
                    origin,
                    data,
                }
            }),
            MessageDataItemName::Binary {
                section, partial, ..
            } => tree.and_then(|t| {
                let bytes = binary_bytes(section, t, raw_bytes)
                    .ok()?
                    .unwrap_or_default();
                let bytes = match partial {
                    Some((offset, len)) => {
                        let start = (*offset as usize).min(bytes.len());
                        let end = start.saturating_add(len.get() as usize).min(bytes.len());
                        bytes[start..end].to_vec()
                    }
                    None => bytes,
                };
                Some(MessageDataItem::Binary {
                    section: section.clone(),
                    value: nstring8(&bytes),
                })
            }),
            MessageDataItemName::BinarySize { section } => tree.and_then(|t| {
                let bytes = binary_bytes(section, t, raw_bytes)
                    .ok()?
                    .unwrap_or_default();
                Some(MessageDataItem::BinarySize {
                    section: section.clone(),
                    size: bytes.len() as u32,
                })
            }),
            MessageDataItemName::Rfc822 => raw.map(|r| MessageDataItem::Rfc822(nstring(r))),
            MessageDataItemName::Rfc822Header => tree
                .as_ref()
                .map(|t| MessageDataItem::Rfc822Header(nstring(&raw_bytes[t.header.clone()]))),
            MessageDataItemName::Rfc822Text => tree
                .as_ref()
                .map(|t| MessageDataItem::Rfc822Text(nstring(&raw_bytes[t.body.clone()]))),
            MessageDataItemName::ModSeq => Some(MessageDataItem::ModSeq(
                std::num::NonZeroU64::new(msg.modseq.max(1) as u64)
                    .unwrap_or(std::num::NonZeroU64::MIN),
            )),
        };
        out.extend(rendered);
    }
    out
}

use imap_codec::imap_types::IntoStatic;

#[cfg(test)]
mod section_tests {
    use super::*;
    use imap_codec::imap_types::fetch::Part as PartNumbers;
    use std::num::NonZeroU32;

    const MSG: &[u8] = b"Subject: outer\r\nContent-Type: multipart/mixed; boundary=\"o\"\r\n\r\n\
--o\r\nContent-Type: text/plain\r\n\r\nhello\r\n\
--o\r\nContent-Type: message/rfc822\r\nContent-Description: fwd\r\n\r\n\
Subject: inner\r\nContent-Type: multipart/alternative; boundary=\"i\"\r\n\r\n\
--i\r\nContent-Type: text/plain\r\n\r\na\r\n\
--i\r\nContent-Type: text/html\r\n\r\n<b>\r\n\
--i--\r\n\
\r\n--o--\r\n";

    fn p(n: &[u32]) -> PartNumbers {
        PartNumbers(
            n.iter()
                .map(|x| NonZeroU32::new(*x).unwrap())
                .collect::<Vec<_>>()
                .try_into()
                .unwrap(),
        )
    }

    fn get(section: Section<'_>) -> Option<String> {
        let root = mime::parse(MSG);
        section_bytes(Some(&section), &root, MSG).map(|b| String::from_utf8(b).unwrap())
    }

    #[test]
    fn sections_inside_an_attached_message() {
        let inner_start = "Subject: inner\r\n";
        let whole = get(Section::Part(p(&[2]))).unwrap();
        assert!(whole.starts_with(inner_start), "{whole:?}");
        assert!(whole.ends_with("--i--\r\n"), "{whole:?}");
        assert_eq!(
            get(Section::Header(Some(p(&[2])))).unwrap(),
            "Subject: inner\r\nContent-Type: multipart/alternative; boundary=\"i\"\r\n\r\n"
        );
        assert_eq!(
            get(Section::Mime(p(&[2]))).unwrap(),
            "Content-Type: message/rfc822\r\nContent-Description: fwd\r\n\r\n"
        );
        assert_eq!(get(Section::Part(p(&[2, 1]))).unwrap(), "a");
        assert_eq!(get(Section::Part(p(&[2, 2]))).unwrap(), "<b>");
        assert_eq!(
            get(Section::Mime(p(&[2, 1]))).unwrap(),
            "Content-Type: text/plain\r\n\r\n"
        );
        assert!(
            get(Section::Text(Some(p(&[2]))))
                .unwrap()
                .starts_with("--i\r\n")
        );
        assert_eq!(get(Section::Part(p(&[1]))).unwrap(), "hello");
    }
}
