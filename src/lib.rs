//! Rampart: a headless, API-first mail server.
//!
//! Module map (one line each; keep it true):
//!
//! - [`cli`]        — the `rampart` command line: serve, migrate, token, openapi
//! - [`config`]     — TOML file + `RAMPART_*` environment, defaults, validation
//! - [`app`]        — binds listeners, serves, drains on shutdown; [`app::AppState`]
//! - [`address`]    — validated [`address::Domain`] and [`address::EmailAddress`]
//! - [`auth`]       — argon2 password hashing, API tokens (JWT)
//! - [`events`]     — event types of the append-only log
//! - [`store`]      — the [`store::Store`] over SQLite or PostgreSQL, one module per aggregate
//! - [`net`]        — TLS material and a TLS accept loop shared by the listeners
//! - [`api`]        — the REST API (axum), problem+json errors, OpenAPI, `/docs`

pub mod address;
pub mod api;
pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod events;
pub mod net;
pub mod store;
