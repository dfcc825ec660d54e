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
    /// A command that names the saved search result `$` (RFC 5182), now
    /// written as [`SAVED`].
    UsesSaved,
    /// `APPEND ... UTF8 (literal8)` (RFC 6855), now a plain APPEND.
    Utf8Append,
}

/// What `$` (the saved search result, RFC 5182) is rewritten to before
/// imap-codec decodes a command; the session puts the saved set in its
/// place when the command came with [`Extra::UsesSaved`] (or a
/// [`SearchReturn`] with `uses_saved`).
pub const SAVED: u32 = u32::MAX;

/// Commands whose sequence set (right after the name) may be `$`.
const TAKES_SET: [&str; 5] = ["FETCH", "STORE", "COPY", "MOVE", "EXPUNGE"];

/// RFC 4731 result options; none given means ALL.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SearchReturn {
    pub min: bool,
    pub max: bool,
    pub all: bool,
    pub count: bool,
    /// RETURN (SAVE): keep the result as `$` (RFC 5182).
    pub save: bool,
    /// The criteria name `$`.
    pub uses_saved: bool,
}

/// LIST return options (RFC 5258 4): with a RETURN clause, child and
/// special-use attributes come only when asked for, and STATUS items after
/// each mailbox (RFC 5819).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ListReturn {
    pub children: bool,
    pub special_use: bool,
    pub status: Vec<StatusDataItemName>,
    /// RETURN (SUBSCRIBED), or implied by the SUBSCRIBED selection option:
    /// `\Subscribed` on subscribed mailboxes.
    pub subscribed: bool,
    /// Selection options (RFC 5258 3): only subscribed mailboxes; CHILDINFO
    /// for parents whose subscribed children match.
    pub select_subscribed: bool,
    pub recursive_match: bool,
    /// Patterns after the first of `LIST ref (p1 p2 ...)`, as sent.
    pub more_patterns: Vec<String>,
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
    if named(b"APPEND") {
        return Ok(match append_utf8(bytes) {
            Some(rest) => (Cow::Owned(rest), Extra::Utf8Append),
            None => (Cow::Borrowed(bytes), Extra::None),
        });
    }
    if TAKES_SET.iter().any(|c| named(c.as_bytes())) {
        return Ok(match saved_result(bytes, false) {
            Some(rest) => (Cow::Owned(rest), Extra::UsesSaved),
            None => (Cow::Borrowed(bytes), Extra::None),
        });
    }
    if named(b"SEARCH") {
        let substituted = saved_result(bytes, true);
        let uses_saved = substituted.is_some();
        let bytes = substituted.map_or(Cow::Borrowed(bytes), Cow::Owned);
        let found =
            search_return(&bytes).map(|f| f.map(|(rest, extra)| (rest.into_owned(), extra)));
        return match found {
            Some(Ok((rest, Extra::SearchReturn(mut r)))) => {
                r.uses_saved = uses_saved;
                Ok((Cow::Owned(rest), Extra::SearchReturn(r)))
            }
            Some(Err(e)) => Err(e),
            _ if uses_saved => Ok((bytes, Extra::UsesSaved)),
            _ => Ok((bytes, Extra::None)),
        };
    }
    if !named(b"LIST") {
        return Ok((Cow::Borrowed(bytes), Extra::None));
    }
    let (bytes, selection) = match list_selection(bytes) {
        Some(Ok((rest, options))) => (Cow::Owned(rest), Some(options)),
        Some(Err(e)) => return Err(e),
        None => (Cow::Borrowed(bytes), None),
    };
    let (bytes, patterns) = match list_patterns(&bytes) {
        Some(Ok((rest, patterns))) => (Cow::Owned(rest), Some(patterns)),
        Some(Err(e)) => return Err(e),
        None => (bytes, None),
    };
    let found = list_return(&bytes).map(|f| f.map(|(rest, extra)| (rest.into_owned(), extra)));
    let (bytes, returns) = match found {
        Some(Ok((rest, Extra::ListReturn(r)))) => (Cow::Owned(rest), Some(r)),
        Some(Err(e)) => return Err(e),
        _ => (bytes, None),
    };
    if selection.is_none() && patterns.is_none() && returns.is_none() {
        return Ok((bytes, Extra::None));
    }
    // LIST-EXTENDED without a RETURN clause: child attributes only when
    // asked for (as Dovecot answers); special-use ones always (RFC 6154 2).
    let mut options = returns.unwrap_or(ListReturn {
        special_use: true,
        ..Default::default()
    });
    if let Some((subscribed, recursive)) = selection {
        options.select_subscribed = subscribed;
        options.recursive_match = recursive;
        options.subscribed |= subscribed;
    }
    options.more_patterns = patterns.unwrap_or_default();
    Ok((Cow::Owned(bytes.into_owned()), Extra::ListReturn(options)))
}

/// `APPEND mailbox [flags] [date] UTF8 (~{n}...)` (RFC 6855 4): the
/// message as a plain literal8, which imap-codec reads.
fn append_utf8(bytes: &[u8]) -> Option<Vec<u8>> {
    let upper = bytes[..first_line_end(bytes)].to_ascii_uppercase();
    let at = find_outside_quotes(&upper, b" UTF8 (~{")?;
    let body = bytes.strip_suffix(b")\r\n")?;
    let mut rest = bytes[..at + 1].to_vec();
    rest.extend_from_slice(&body[at + " UTF8 (".len()..]);
    rest.extend_from_slice(b"\r\n");
    Some(rest)
}

/// The command's first line with every `$` that stands for a sequence set
/// written as [`SAVED`]; `None` when there is none. After FETCH, STORE,
/// COPY, MOVE and UID EXPUNGE only the set right after the command name is
/// one; in SEARCH a `$` is a key unless it is a string argument.
fn saved_result(bytes: &[u8], search: bool) -> Option<Vec<u8>> {
    let line = &bytes[..first_line_end(bytes)];
    // Tokens with their positions, outside quoted strings.
    let mut tokens: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < line.len() {
        match line[i] {
            b' ' => i += 1,
            b'(' | b')' => {
                tokens.push((i, i + 1));
                i += 1;
            }
            _ => {
                let n = token_len(&line[i..]).unwrap_or(line.len() - i).max(1);
                tokens.push((i, i + n));
                i += n;
            }
        }
    }
    let word =
        |k: usize| String::from_utf8_lossy(&line[tokens[k].0..tokens[k].1]).to_ascii_uppercase();
    let takes_string = [
        "SUBJECT",
        "FROM",
        "TO",
        "CC",
        "BCC",
        "BODY",
        "TEXT",
        "KEYWORD",
        "UNKEYWORD",
        "HEADER",
        "BEFORE",
        "ON",
        "SINCE",
        "SENTBEFORE",
        "SENTON",
        "SENTSINCE",
        "LARGER",
        "SMALLER",
        "MODSEQ",
        "CHARSET",
        "OLDER",
        "YOUNGER",
    ];
    let mut replace = Vec::new();
    for (k, token) in tokens.iter().enumerate() {
        if word(k) != "$" {
            continue;
        }
        let before = |n: usize| k.checked_sub(n).map(&word).unwrap_or_default();
        let is_set = match search {
            true => !takes_string.contains(&before(1).as_str()) && before(2) != "HEADER",
            false => {
                let command = before(1);
                TAKES_SET.contains(&command.as_str()) && (k == 2 || (k == 3 && before(2) == "UID"))
            }
        };
        if is_set {
            replace.push(*token);
        }
    }
    if replace.is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() + 10);
    let mut at = 0;
    for (start, end) in replace {
        out.extend_from_slice(&bytes[at..start]);
        out.extend_from_slice(SAVED.to_string().as_bytes());
        at = end;
    }
    out.extend_from_slice(&bytes[at..]);
    Some(out)
}

/// Where a command's first line ends (its CRLF, or the end of the bytes):
/// extension syntax sits there, before any literal's data.
fn first_line_end(bytes: &[u8]) -> usize {
    bytes
        .windows(2)
        .position(|w| w == b"\r\n")
        .unwrap_or(bytes.len())
}

/// A command rewritten without some syntax, and what was taken out; `None`
/// when the syntax is not there, `Err` (for BAD) when it is malformed.
type Rewrite<T> = Option<Result<(Vec<u8>, T), &'static str>>;

/// The first line of a command, and where LIST's arguments start on it.
fn list_arguments(bytes: &[u8]) -> Option<(usize, usize)> {
    let first_line = first_line_end(bytes);
    let tag_end = bytes.iter().position(|b| *b == b' ')?;
    let upper = bytes[tag_end + 1..first_line.max(tag_end + 1)].to_ascii_uppercase();
    upper
        .starts_with(b"LIST ")
        .then_some((tag_end + 1 + "LIST ".len(), first_line))
}

/// `LIST (selection options) ref pattern`: the options removed (RFC 5258
/// 3). SUBSCRIBED and RECURSIVEMATCH are honoured, REMOTE has nothing to
/// add here; RECURSIVEMATCH needs another option.
fn list_selection(bytes: &[u8]) -> Rewrite<(bool, bool)> {
    let (at, line_end) = list_arguments(bytes)?;
    if bytes.get(at) != Some(&b'(') {
        return None;
    }
    let close = at + bytes[at..line_end].iter().position(|b| *b == b')')?;
    let (mut subscribed, mut recursive, mut others) = (false, false, 0);
    for word in String::from_utf8_lossy(&bytes[at + 1..close]).split_whitespace() {
        match word.to_ascii_uppercase().as_str() {
            "SUBSCRIBED" => subscribed = true,
            "RECURSIVEMATCH" => recursive = true,
            "REMOTE" => others += 1,
            _ => return Some(Err("Unsupported LIST selection option")),
        }
    }
    if recursive && !subscribed && others == 0 {
        return Some(Err("RECURSIVEMATCH needs another selection option"));
    }
    let mut rest = bytes[..at].to_vec();
    let after = &bytes[close + 1..];
    rest.extend_from_slice(after.strip_prefix(b" ").unwrap_or(after));
    Some(Ok((rest, (subscribed, recursive))))
}

/// `LIST ref (p1 p2 ...)`: the first pattern stays for imap-codec, the
/// others travel beside it. Only quoted strings and atoms on the first
/// line are understood (a pattern list with literals gets BAD).
fn list_patterns(bytes: &[u8]) -> Rewrite<Vec<String>> {
    let (at, line_end) = list_arguments(bytes)?;
    let line = &bytes[..line_end];
    let reference_end = at + token_len(&line[at..])?;
    if line.get(reference_end) != Some(&b' ') || line.get(reference_end + 1) != Some(&b'(') {
        return None;
    }
    let mut i = reference_end + 2;
    let mut patterns: Vec<&[u8]> = Vec::new();
    loop {
        while line.get(i) == Some(&b' ') {
            i += 1;
        }
        match line.get(i) {
            Some(b')') => break,
            Some(_) => {
                let n = match token_len(&line[i..]) {
                    Some(n) if n > 0 => n,
                    _ => return Some(Err("Bad mailbox pattern list")),
                };
                patterns.push(&line[i..i + n]);
                i += n;
            }
            None => return Some(Err("Bad mailbox pattern list")),
        }
    }
    let (first, more) = patterns.split_first()?;
    let mut rest = bytes[..reference_end + 1].to_vec();
    rest.extend_from_slice(first);
    rest.extend_from_slice(&bytes[i + 1..]);
    let more = more.iter().map(|p| unquote(p)).collect();
    Some(Ok((rest, more)))
}

/// The length of one quoted string or atom at the start of `text`.
fn token_len(text: &[u8]) -> Option<usize> {
    if text.first() == Some(&b'"') {
        let mut escaped = false;
        for (i, b) in text.iter().enumerate().skip(1) {
            match (escaped, *b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => return Some(i + 1),
                _ => {}
            }
        }
        return None;
    }
    Some(
        text.iter()
            .position(|b| matches!(b, b' ' | b'(' | b')' | b'\r' | b'\n'))
            .unwrap_or(text.len()),
    )
}

/// A pattern as sent: a quoted string's escapes undone in one pass, an
/// atom as it is.
fn unquote(token: &[u8]) -> String {
    let text = String::from_utf8_lossy(token);
    let Some(inner) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) else {
        return text.into_owned();
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

type Found<'a> = Result<(Cow<'a, [u8]>, Extra), &'static str>;

/// `tag [UID ]SEARCH RETURN (opts) criteria`: RETURN comes first, on the
/// command's first line.
fn search_return(bytes: &[u8]) -> Option<Found<'_>> {
    // The first line holds all of it; a literal further on is never copied.
    let upper = bytes[..first_line_end(bytes)].to_ascii_uppercase();
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
            "SAVE" => options.save = true,
            _ => return Some(Err("Unsupported SEARCH RETURN option")),
        }
    }
    if !(options.min || options.max || options.all || options.count || options.save) {
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
            "SUBSCRIBED" => options.subscribed = true,
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
        assert!(split(b"a SEARCH RETURN (PARTIAL 1:5) ALL\r\n").is_err());
        let (rest, extra) = split_text("a SEARCH SUBJECT \"RETURN (\"\r\n");
        assert_eq!(rest, "a SEARCH SUBJECT \"RETURN (\"\r\n");
        assert_eq!(extra, Extra::None);
    }

    #[test]
    fn saved_result_marks_where_a_set_goes() {
        let (rest, extra) = split_text("a FETCH $ (FLAGS)\r\n");
        assert_eq!(rest, format!("a FETCH {SAVED} (FLAGS)\r\n"));
        assert_eq!(extra, Extra::UsesSaved);
        let (rest, _) = split_text("a UID MOVE $ Trash\r\n");
        assert_eq!(rest, format!("a UID MOVE {SAVED} Trash\r\n"));
        let (rest, extra) =
            split_text("a UID SEARCH RETURN (SAVE) UID $ SUBJECT $ HEADER X-A $ $\r\n");
        assert_eq!(
            rest,
            format!("a UID SEARCH UID {SAVED} SUBJECT $ HEADER X-A $ {SAVED}\r\n")
        );
        assert!(matches!(extra, Extra::SearchReturn(r) if r.save && r.uses_saved && !r.all));
        let (_, extra) = split_text("a STORE 1 FLAGS ($)\r\n");
        assert_eq!(extra, Extra::None);
        let (_, extra) = split_text("a SEARCH SUBJECT \"$\"\r\n");
        assert_eq!(extra, Extra::None);
    }

    #[test]
    fn quoted_patterns_lose_their_escapes_once() {
        assert_eq!(unquote(br#""a\\\"b""#), "a\\\"b");
        assert_eq!(unquote(br#""x\\""#), "x\\");
        assert_eq!(unquote(br#""q\"q""#), "q\"q");
        assert_eq!(unquote(b"INBOX"), "INBOX");
    }

    #[test]
    fn append_utf8_becomes_a_literal8() {
        let (rest, extra) = split_text("a APPEND INBOX (\\Seen) UTF8 (~{6+}\r\nhällo)\r\n");
        assert_eq!(rest, "a APPEND INBOX (\\Seen) ~{6+}\r\nhällo\r\n");
        assert_eq!(extra, Extra::Utf8Append);
        let (_, extra) = split_text("a APPEND INBOX {5+}\r\nhello\r\n");
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
                status: vec![StatusDataItemName::Messages, StatusDataItemName::Unseen],
                ..Default::default()
            })
        );
        let (rest, extra) = split_text("a LIST \"\" {3}\r\nx y RETURN (STATUS (UIDNEXT))\r\n");
        assert_eq!(rest, "a LIST \"\" {3}\r\nx y\r\n");
        assert!(matches!(extra, Extra::ListReturn(_)));
        let (_, extra) = split_text("a LIST \"\" \"a RETURN (b)\"\r\n");
        assert_eq!(extra, Extra::None);
        assert!(split(b"a LIST \"\" * RETURN (MYRIGHTS)\r\n").is_err());
        // LIST-EXTENDED: selection options and several patterns.
        let (rest, extra) = split_text(
            "a LIST (SUBSCRIBED RECURSIVEMATCH) \"\" (\"INBOX\" \"a b\" %) RETURN (CHILDREN)\r\n",
        );
        assert_eq!(rest, "a LIST \"\" \"INBOX\"\r\n");
        let Extra::ListReturn(r) = extra else {
            panic!("{extra:?}")
        };
        assert!(r.select_subscribed && r.recursive_match && r.subscribed && r.children);
        assert_eq!(r.more_patterns, vec!["a b".to_string(), "%".to_string()]);
        assert!(split(b"a LIST (RECURSIVEMATCH) \"\" *\r\n").is_err());
        assert!(split(b"a LIST (BOGUS) \"\" *\r\n").is_err());
        let (rest, _) = split_text("a LIST (REMOTE) \"\" *\r\n");
        assert_eq!(rest, "a LIST \"\" *\r\n");
        // Inside a literal it is data, not syntax.
        let (_, extra) = split_text("a LIST \"\" {11}\r\n RETURN (x)\r\n");
        assert_eq!(extra, Extra::None);
    }
}
