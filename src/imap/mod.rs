//! IMAP4rev1 (RFC 3501) on `imap` (STARTTLS) and `imaps`.
//!
//! [`connection`] frames bytes into commands with imap-codec; [`session`]
//! answers them over a mailbox snapshot; [`fetch`], [`search`], [`mime`]
//! and [`sequence`] are the pieces FETCH and SEARCH are built from.

pub mod address;
pub mod connection;
pub mod fetch;
pub mod framing;
pub mod meta;
pub mod mime;
pub mod search;
pub mod sequence;
pub mod session;
pub mod utf7;
