//! Rampart: a headless, API-first mail server.
//!
//! Module map (one line each; keep it true):
//!
//! - [`cli`]        — the `rampart` command line: serve, migrate, token, openapi
//! - [`config`]     — TOML file + `RAMPART_*` environment, defaults, validation
//! - [`app`]        — binds listeners, serves, drains on shutdown; [`app::AppState`]
//! - [`access`]     — open IMAP/POP3 sessions per account, and mailbox-change wake-ups
//! - [`address`]    — validated [`address::Domain`] and [`address::EmailAddress`]
//! - [`attachments`]  — outbound attachment linking: find, store, replace by expiring links
//! - [`auth`]       — argon2 password hashing, API tokens (JWT)
//! - [`events`]     — event types and payloads, the webhook dispatcher, admin notification emails
//! - [`store`]      — the [`store::Store`] over SQLite or PostgreSQL, one module per aggregate
//! - [`screening`]  — policy decisions: relay control, sender rules, IP shield, inbound sender checks
//! - [`dmarc_reports`] — DMARC aggregate reports: rows per message, daily sending, received reports
//! - [`dkim`]       — DKIM key generation, the TXT record to publish, signing
//! - [`dns`]        — the resolver (hickory via mail-auth) on `[dns] nameservers`
//! - [`domain_dns`] — records our domains must publish, live checks of them, drift events
//! - [`inbound`]    — the inbound pipeline: checks, limits, staging and commit of a received message
//! - [`delivery`]   — group commit: SMTP deliveries and IMAP APPEND/STORE, many sessions per transaction
//! - [`smtp`]       — SMTP listeners: framing (bytes → commands), session state machine, I/O loop
//! - [`imap`]       — IMAP4rev1/rev2: IDLE, UIDPLUS, MOVE, CONDSTORE/QRESYNC, QUOTA, ESEARCH, LIST-EXTENDED, SEARCHRES, BINARY
//! - [`pop3`]       — POP3 over a snapshot of INBOX, deletions at QUIT
//! - [`net`]        — TLS material (per-protocol ALPN, SNI, self-signed), accept loops with limits
//! - [`api`]        — the REST API (axum), problem+json errors, OpenAPI, `/docs`

pub mod access;
pub mod address;
pub mod api;
pub mod app;
pub mod attachments;
pub mod auth;
pub mod cli;
pub mod config;
pub mod delivery;
pub mod dkim;
pub mod dmarc_reports;
pub mod dns;
pub mod domain_dns;
pub mod events;
pub mod imap;
pub mod inbound;
pub mod net;
pub mod pop3;
pub mod screening;
pub mod smtp;
pub mod store;
