//! POP3 (RFC 1939, 2449, 2595, 5034) on `pop3` (STLS) and `pop3s`.
//!
//! [`framing`] cuts bytes into lines within RFC 2449's limits; [`session`]
//! turns command lines into replies over a snapshot of INBOX taken at
//! login; [`connection`] moves lines between a socket and a session. Deletions are applied only at QUIT (the UPDATE state).

pub mod connection;
pub mod framing;
pub mod session;
