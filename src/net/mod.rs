//! Networking shared by every protocol: TLS material and accepting TLS
//! connections without letting one slow handshake hold up the others.

pub mod accept;
pub mod stream;
pub mod tls;
pub mod tls_listener;
