//! Mailbox names between the wire and the store: stored as UTF-8, sent as
//! modified UTF-7 (RFC 3501 5.1.3) or, once a client enabled IMAP4rev2 or
//! UTF8=ACCEPT, as UTF-8 quoted strings; and the rules a new name follows.

use imap_codec::imap_types::core::{AString, IString};
use imap_codec::imap_types::extensions::utf8::QuotedUtf8;
use imap_codec::imap_types::mailbox::Mailbox;

use super::utf7;

/// The stored (UTF-8) name for a name on the wire: modified UTF-7 (RFC
/// 3501 5.1.3), or UTF-8 as it is once the client enabled IMAP4rev2 or
/// UTF8=ACCEPT. A name that is not valid modified UTF-7 is taken as it is,
/// and then names no mailbox (CREATE and RENAME refuse it:
/// [`new_mailbox_name`]).
pub(super) fn mailbox_name(m: &Mailbox<'_>, utf8: bool) -> String {
    match m {
        Mailbox::Inbox => "INBOX".to_string(),
        Mailbox::Other(o) => from_wire(&String::from_utf8_lossy(o.as_ref()), utf8),
    }
}

/// A name (or pattern) as sent, decoded: modified UTF-7 unless in UTF-8
/// mode; text that is not valid modified UTF-7 stays as it is.
pub(super) fn from_wire(text: &str, utf8: bool) -> String {
    match utf8 {
        true => text.to_string(),
        false => utf7::decode(text).unwrap_or_else(|| text.to_string()),
    }
}

/// A name for a mailbox to be created: valid modified UTF-7 (or valid
/// UTF-8 in UTF-8 mode) only.
pub(super) fn new_mailbox_name(m: &Mailbox<'_>, utf8: bool) -> Option<String> {
    match m {
        Mailbox::Inbox => Some("INBOX".to_string()),
        Mailbox::Other(o) if utf8 => String::from_utf8(o.as_ref().to_vec()).ok(),
        Mailbox::Other(o) => utf7::decode(&String::from_utf8_lossy(o.as_ref())),
    }
}

/// A mailbox name for the wire, in the client's encoding: UTF-8 goes as a
/// quoted string (RFC 6855 3), not the literal imap-codec would choose.
pub(super) fn wire_mailbox(name: &str, utf8: bool) -> Mailbox<'static> {
    if utf8 && !name.is_ascii() {
        let quoted = QuotedUtf8::try_from(name.to_string())
            .map(|q| Mailbox::from(AString::String(IString::QuotedUtf8(q))));
        if let Ok(m) = quoted {
            return m;
        }
    }
    let text = match utf8 {
        true => name.to_string(),
        false => utf7::encode(name),
    };
    Mailbox::try_from(text).unwrap_or(Mailbox::Inbox)
}

/// A name a client may create: `/`-separated, no wildcards or controls.
pub(super) fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name.starts_with('/')
        && !name.ends_with('/')
        && !name.contains("//")
        && !name.chars().any(|c| c.is_control() || c == '*' || c == '%')
}
