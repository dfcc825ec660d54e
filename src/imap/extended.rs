//! Command syntax imap-codec does not parse yet, recognised in a complete
//! command's bytes and removed before decoding it: the RETURN options of
//! SEARCH (RFC 4731 ESEARCH) and of LIST (RFC 5258 LIST-EXTENDED return
//! options, with RFC 5819 STATUS). What remains is an ordinary SEARCH or
//! LIST for imap-codec; the options travel beside it to the session.

use std::borrow::Cow;

use imap_codec::CommandCodec;
use imap_codec::decode::Decoder;
use imap_codec::imap_types::command::CommandBody;
use imap_codec::imap_types::status::StatusDataItemName;

/// What was removed from a command.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub enum Extra {
    #[default]
    None,
    /// `SEARCH RETURN (...)`: answer with ESEARCH.
    SearchReturn(SearchReturn),
    /// `LIST ... RETURN (...)`.
    ListReturn(ListReturn),
}

/// RFC 4731 result options; none given means ALL.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SearchReturn {
    pub min: bool,
    pub max: bool,
    pub all: bool,
    pub count: bool,
}

/// LIST return options (RFC 5258 4): with a RETURN clause, child and
/// special-use attributes come only when asked for, and STATUS items after
/// each mailbox (RFC 5819).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ListReturn {
    pub children: bool,
    pub special_use: bool,
    pub status: Vec<StatusDataItemName>,
}

/// Splits the extension syntax off `bytes` (one complete command). Returns
/// the bytes to decode and what was removed, or an error text for BAD.
pub fn split(bytes: &[u8]) -> Result<(Cow<'_, [u8]>, Extra), &'static str> {
    // Only SEARCH and LIST are looked at (an APPEND's bytes are not copied).
    let head = bytes[..bytes.len().min(80)].to_ascii_uppercase();
    let words: Vec<&[u8]> = head.splitn(4, |b| *b == b' ').collect();
    let named = |name: &[u8]| {
        words.get(1) == Some(&name)
            || (words.get(1) == Some(&&b"UID"[..]) && words.get(2) == Some(&name))
    };
    if !named(b"SEARCH") && !named(b"LIST") {
        return Ok((Cow::Borrowed(bytes), Extra::None));
    }
    if let Some(found) = search_return(bytes) {
        return found;
    }
    if let Some(found) = list_return(bytes) {
        return found;
    }
    Ok((Cow::Borrowed(bytes), Extra::None))
}

type Found<'a> = Result<(Cow<'a, [u8]>, Extra), &'static str>;

/// `tag [UID ]SEARCH RETURN (opts) criteria`: RETURN comes first, on the
/// command's first line.
fn search_return(bytes: &[u8]) -> Option<Found<'_>> {
    // The first line holds all of it; a literal further on is never copied.
    let first_line = bytes
        .windows(2)
        .position(|w| w == b"\r\n")
        .unwrap_or(bytes.len());
    let upper = bytes[..first_line].to_ascii_uppercase();
    let tag_end = upper.iter().position(|b| *b == b' ')?;
    let mut at = tag_end + 1;
    if upper[at..].starts_with(b"UID ") {
        at += 4;
    }
    if !upper[at..].starts_with(b"SEARCH RETURN (") {
        return None;
    }
    let open = at + "SEARCH RETURN ".len();
    let close = open + upper[open..].iter().position(|b| *b == b')')?;
    let mut options = SearchReturn::default();
    for word in String::from_utf8_lossy(&upper[open + 1..close]).split_whitespace() {
        match word {
            "MIN" => options.min = true,
            "MAX" => options.max = true,
            "ALL" => options.all = true,
            "COUNT" => options.count = true,
            _ => return Some(Err("Unsupported SEARCH RETURN option")),
        }
    }
    if options == SearchReturn::default() {
        options.all = true;
    }
    // Drop "RETURN (...) " and keep the rest as a plain SEARCH.
    let mut rest = bytes[..at + "SEARCH".len()].to_vec();
    let after = bytes.get(close + 1..)?;
    rest.extend_from_slice(after);
    Some(Ok((Cow::Owned(rest), Extra::SearchReturn(options))))
}

/// `tag LIST ref pattern RETURN (opts)`: RETURN comes last, after any
/// literal, so it is looked for at the end of the command's last line.
fn list_return(bytes: &[u8]) -> Option<Found<'_>> {
    let upper = bytes.to_ascii_uppercase();
    let tag_end = upper.iter().position(|b| *b == b' ')?;
    if !upper[tag_end + 1..].starts_with(b"LIST ") {
        return None;
    }
    let body = upper.strip_suffix(b"\r\n").unwrap_or(&upper);
    if !body.ends_with(b")") {
        return None;
    }
    // The last line: after the last literal's data, if any.
    let line_start = match body.windows(3).rposition(|w| w == b"}\r\n") {
        Some(p) => {
            let open = body[..p].iter().rposition(|b| *b == b'{')?;
            let digits = String::from_utf8_lossy(&body[open + 1..p]).replace('+', "");
            p + 3 + digits.parse::<usize>().ok()?
        }
        None => 0,
    };
    let line_start = line_start.min(body.len());
    let at = find_outside_quotes(&body[line_start..], b" RETURN (")? + line_start;
    let inner = &body[at + " RETURN (".len()..body.len() - 1];
    let text = String::from_utf8_lossy(inner).into_owned();
    let options = match parse_list_options(&text) {
        Ok(o) => o,
        Err(e) => return Some(Err(e)),
    };
    let mut rest = bytes[..at].to_vec();
    rest.extend_from_slice(b"\r\n");
    Some(Ok((Cow::Owned(rest), Extra::ListReturn(options))))
}

/// The last position of `needle` in `line` that is not inside a quoted
/// string.
fn find_outside_quotes(line: &[u8], needle: &[u8]) -> Option<usize> {
    let mut quoted = false;
    let mut escaped = false;
    let mut found = None;
    for (i, b) in line.iter().enumerate() {
        if quoted {
            match (escaped, *b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => quoted = false,
                _ => {}
            }
            continue;
        }
        if *b == b'"' {
            quoted = true;
        } else if line[i..].starts_with(needle) {
            found = Some(i);
        }
    }
    found
}

fn parse_list_options(text: &str) -> Result<ListReturn, &'static str> {
    let mut options = ListReturn::default();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let word_end = rest.find([' ', '(']).unwrap_or(rest.len());
        let word = &rest[..word_end];
        rest = rest[word_end..].trim_start();
        match word {
            "CHILDREN" => options.children = true,
            "SPECIAL-USE" => options.special_use = true,
            "STATUS" => {
                let close = rest.find(')').ok_or("Unbalanced STATUS items")?;
                options.status = status_items(&rest[..=close])?;
                rest = rest[close + 1..].trim_start();
            }
            _ => return Err("Unsupported LIST RETURN option"),
        }
    }
    Ok(options)
}

/// STATUS item names, parsed by imap-codec as part of a STATUS command.
fn status_items(list: &str) -> Result<Vec<StatusDataItemName>, &'static str> {
    let command = format!("x STATUS INBOX {list}\r\n");
    match CommandCodec::default().decode(command.as_bytes()) {
        Ok((_, c)) => match c.body {
            CommandBody::Status { item_names, .. } => Ok(item_names.into_owned()),
            _ => Err("Bad STATUS items"),
        },
        Err(_) => Err("Bad STATUS items"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split_text(s: &str) -> (String, Extra) {
        let (bytes, extra) = split(s.as_bytes()).unwrap();
        (String::from_utf8(bytes.into_owned()).unwrap(), extra)
    }

    #[test]
    fn search_return_is_removed_and_kept() {
        let (rest, extra) = split_text("a UID SEARCH RETURN (MIN COUNT) FROM \"x\"\r\n");
        assert_eq!(rest, "a UID SEARCH FROM \"x\"\r\n");
        assert_eq!(
            extra,
            Extra::SearchReturn(SearchReturn {
                min: true,
                count: true,
                ..Default::default()
            })
        );
        let (_, extra) = split_text("a search return () all\r\n");
        assert!(matches!(extra, Extra::SearchReturn(r) if r.all && !r.min));
        assert!(split(b"a SEARCH RETURN (SAVE) ALL\r\n").is_err());
        let (rest, extra) = split_text("a SEARCH SUBJECT \"RETURN (\"\r\n");
        assert_eq!(rest, "a SEARCH SUBJECT \"RETURN (\"\r\n");
        assert_eq!(extra, Extra::None);
    }

    #[test]
    fn list_return_status_is_removed_and_kept() {
        let (rest, extra) =
            split_text("a LIST \"\" \"*\" RETURN (CHILDREN STATUS (MESSAGES UNSEEN))\r\n");
        assert_eq!(rest, "a LIST \"\" \"*\"\r\n");
        assert_eq!(
            extra,
            Extra::ListReturn(ListReturn {
                children: true,
                special_use: false,
                status: vec![StatusDataItemName::Messages, StatusDataItemName::Unseen]
            })
        );
        let (rest, extra) = split_text("a LIST \"\" {3}\r\nx y RETURN (STATUS (UIDNEXT))\r\n");
        assert_eq!(rest, "a LIST \"\" {3}\r\nx y\r\n");
        assert!(matches!(extra, Extra::ListReturn(_)));
        let (_, extra) = split_text("a LIST \"\" \"a RETURN (b)\"\r\n");
        assert_eq!(extra, Extra::None);
        assert!(split(b"a LIST \"\" * RETURN (SUBSCRIBED)\r\n").is_err());
        // Inside a literal it is data, not syntax.
        let (_, extra) = split_text("a LIST \"\" {11}\r\n RETURN (x)\r\n");
        assert_eq!(extra, Extra::None);
    }
}
