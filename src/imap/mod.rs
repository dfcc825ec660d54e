//! IMAP4rev1 (RFC 3501) and IMAP4rev2 (RFC 9051) with CONDSTORE/QRESYNC on
//! `imap` (STARTTLS) and `imaps`.
//!
//! [`framing`] turns bytes into commands within the limits of the session's
//! state (imap-codec's Fragmentizer underneath), [`extended`] splits off
//! the syntax imap-codec does not parse (ESEARCH, LIST-EXTENDED/STATUS,
//! SEARCHRES `$`, APPEND UTF8); [`connection`] moves them
//! between a socket and a [`session`], which answers over a mailbox
//! snapshot ([`selected`]), writing to [`out`]; [`fetch`], [`search`], [`mime`], [`address`] and [`sequence`]
//! are the pieces FETCH and SEARCH are built from; [`meta`] keeps what they
//! need precomputed per message content and [`views`] each mailbox's message
//! list, both cached per node; [`names`] and [`utf7`] convert mailbox names.

pub mod address;
pub mod connection;
pub mod extended;
pub mod fetch;
pub mod framing;
pub mod meta;
pub mod mime;
pub mod names;
pub mod out;
pub mod search;
pub mod selected;
pub mod sequence;
pub mod session;
pub mod utf7;
pub mod views;
