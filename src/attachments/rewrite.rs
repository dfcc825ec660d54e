//! Finding attachment parts and splicing notices in their place, by byte
//! ranges of the original: everything else (other parts, headers, the
//! structure, encodings) stays byte for byte as it was.

use std::ops::Range;

use base64::Engine;

use crate::imap::mime::{self, Kind, Part};

/// More parts than this and the message is left alone.
pub const MAX_PARTS: usize = 1000;

/// One attachment to replace.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The part's header and body in the original message.
    pub range: Range<usize>,
    pub file_name: String,
    pub content_type: String,
    /// The decoded content.
    pub bytes: Vec<u8>,
}

fn count(part: &Part) -> usize {
    match &part.kind {
        Kind::Multipart(children) => 1 + children.iter().map(count).sum::<usize>(),
        Kind::Message(inner) => 1 + count(inner),
        Kind::Leaf => 1,
    }
}

/// Attachments of at least `min_size` decoded octets. Only parts inside a
/// multipart are replaced; a message that is nothing but one file is left
/// alone, as are inline parts (images shown in the body via `cid:`).
pub fn find(raw: &[u8], min_size: usize) -> Result<Vec<Candidate>, String> {
    let root = mime::parse(raw);
    let parts = count(&root);
    if parts > MAX_PARTS {
        return Err(format!("{parts} MIME parts (more than {MAX_PARTS})"));
    }
    let mut out = Vec::new();
    if let Kind::Multipart(children) = &root.kind {
        for child in children {
            walk(child, raw, min_size, &mut out);
        }
    }
    Ok(out)
}

fn walk(part: &Part, raw: &[u8], min_size: usize, out: &mut Vec<Candidate>) {
    let c = &part.content;
    let disposition = c.disposition.as_ref().map(|(d, _)| d.as_str());
    match &part.kind {
        Kind::Multipart(children) => {
            for child in children {
                walk(child, raw, min_size, out);
            }
            return;
        }
        // An attached message is a file like any other; one shown inline is kept.
        Kind::Message(_) if disposition != Some("attachment") => return,
        _ => {}
    }
    let is_attachment = match disposition {
        Some("attachment") => true,
        Some(_) => false,
        // No disposition: a non-text part that no cid: reference points at.
        None => c.ctype != "text" && c.id.is_none(),
    };
    if !is_attachment {
        return;
    }
    let Some(body) = raw.get(part.body.clone()) else {
        return;
    };
    let Some(bytes) = decode(body, &c.encoding) else {
        return;
    };
    if bytes.len() < min_size {
        return;
    }
    out.push(Candidate {
        range: part.header.start..part.body.end,
        file_name: file_name(part),
        content_type: format!("{}/{}", c.ctype, c.subtype),
        bytes,
    });
}

fn file_name(part: &Part) -> String {
    let c = &part.content;
    let find = |params: &[(String, String)], key: &str| {
        params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.clone())
    };
    let name = c
        .disposition
        .as_ref()
        .and_then(|(_, p)| find(p, "filename"))
        .or_else(|| find(&c.params, "name"))
        .unwrap_or_else(|| {
            if c.ctype == "message" {
                "message.eml".into()
            } else {
                "attachment".into()
            }
        });
    // Only the last path segment: a name is never a path.
    name.rsplit(['/', '\\'])
        .next()
        .unwrap_or("attachment")
        .trim()
        .to_string()
}

/// The decoded content of a part, or `None` when its encoding is broken
/// (it is then left in the message untouched).
pub fn decode(body: &[u8], encoding: &str) -> Option<Vec<u8>> {
    match encoding {
        "BASE64" => {
            let clean: Vec<u8> = body
                .iter()
                .copied()
                .filter(|b| !b.is_ascii_whitespace())
                .collect();
            let engine = base64::engine::GeneralPurpose::new(
                &base64::alphabet::STANDARD,
                base64::engine::GeneralPurposeConfig::new()
                    .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
            );
            engine.decode(clean).ok()
        }
        "QUOTED-PRINTABLE" => Some(quoted_printable(body)),
        _ => Some(body.to_vec()),
    }
}

/// RFC 2045 6.7, leniently: soft breaks removed, `=XX` decoded, anything
/// malformed kept as written.
fn quoted_printable(body: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        if body[i] == b'=' {
            if body.get(i + 1) == Some(&b'\r') && body.get(i + 2) == Some(&b'\n') {
                i += 3;
                continue;
            }
            if body.get(i + 1) == Some(&b'\n') {
                i += 2;
                continue;
            }
            if let (Some(h), Some(l)) = (
                body.get(i + 1).and_then(|b| hex(*b)),
                body.get(i + 2).and_then(|b| hex(*b)),
            ) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(body[i]);
        i += 1;
    }
    out
}

/// The part that takes an attachment's place: plain text naming the file,
/// its size, its expiry and its link. Base64-encoded so that the message
/// stays 7-bit whatever the file's name.
pub fn notice_part(
    file_name: &str,
    size: &str,
    expires: &str,
    url: &str,
    direction: super::Direction,
) -> Vec<u8> {
    let why = match direction {
        super::Direction::Outbound => "was too large to send",
        super::Direction::Inbound => "was kept on the mail server",
    };
    let text = format!(
        "The attachment \"{file_name}\" ({size}) {why} and is available for download:\r\n\r\n{url}\r\n\r\nThe link expires on {expires}.\r\n"
    );
    let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    let mut out =
        String::from("Content-Type: text/plain; charset=utf-8\r\nContent-Disposition: inline\r\n");
    out.push_str("Content-Transfer-Encoding: base64\r\nX-Rampart-Linked-Attachment: yes\r\n\r\n");
    for line in encoded.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push_str("\r\n");
    }
    // The CRLF before the next boundary belongs to the boundary; the part
    // ends without one of its own.
    out.truncate(out.len() - 2);
    out.into_bytes()
}

/// The message with each range replaced by its new bytes.
pub fn splice(raw: &[u8], mut replacements: Vec<(Range<usize>, Vec<u8>)>) -> Vec<u8> {
    replacements.sort_by_key(|(r, _)| r.start);
    let mut out = Vec::with_capacity(raw.len());
    let mut at = 0;
    for (range, bytes) in replacements {
        if range.start < at || range.end > raw.len() {
            continue;
        }
        out.extend_from_slice(&raw[at..range.start]);
        out.extend_from_slice(&bytes);
        at = range.end;
    }
    out.extend_from_slice(&raw[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &[u8] = b"From: a@example.test\r\nSubject: files\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n\
--b\r\nContent-Type: image/png\r\nContent-ID: <logo>\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n\
--b\r\nContent-Type: application/pdf; name=\"=?utf-8?b?w6RyZ2VyLnBkZg==?=\"\r\nContent-Disposition: attachment\r\n\
Content-Transfer-Encoding: base64\r\n\r\nSGVsbG8g\r\nd29ybGQh\r\n\
--b\r\nContent-Type: text/csv\r\nContent-Disposition: attachment; filename=\"small.csv\"\r\n\r\na,b\r\n\
--b--\r\n";

    #[test]
    fn finds_large_attachments_and_keeps_the_rest() {
        let found = find(MSG, 5).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].file_name, "\u{e4}rger.pdf");
        assert_eq!(found[0].content_type, "application/pdf");
        assert_eq!(found[0].bytes, b"Hello world!");
        let notice = notice_part(
            "\u{e4}rger.pdf",
            "12 bytes",
            "2026-12-28",
            "https://x/attachments/t",
            crate::attachments::Direction::Outbound,
        );
        let out = splice(MSG, vec![(found[0].range.clone(), notice)]);
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n--b\r\n"));
        assert!(
            text.contains("Content-ID: <logo>"),
            "the inline image stays"
        );
        assert!(
            text.contains("filename=\"small.csv\""),
            "small attachments stay"
        );
        assert!(!text.contains("SGVsbG8g"));
        let parsed = mail_parser::MessageParser::default()
            .parse(text.as_bytes())
            .unwrap();
        let notice = parsed
            .parts
            .iter()
            .find_map(|p| {
                p.text_contents()
                    .filter(|t| t.contains("https://x/attachments/t"))
            })
            .unwrap();
        assert!(notice.contains("\u{e4}rger.pdf"));
        assert_eq!(parsed.attachment_count(), 2, "the image and the small file");
    }

    #[test]
    fn quoted_printable_and_limits() {
        assert_eq!(quoted_printable(b"a=3Db=\r\nc=ZZ"), b"a=bc=ZZ");
        let parts: String = (0..1100)
            .map(|i| format!("--b\r\nContent-Type: text/plain\r\n\r\n{i}\r\n"))
            .collect();
        let big = format!("Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n{parts}--b--\r\n");
        assert!(find(big.as_bytes(), 1).is_err());
    }
}
