//! Policy: decisions about who may do what, returned as values that each
//! protocol turns into its own reply. Protocol code never decides policy.

pub mod auth_failures;
pub mod blocks;
pub mod dkim_key;
pub mod hijack;
pub mod login;
pub mod relay;
pub mod sender;
pub mod spf;
pub mod spf_syntax;
