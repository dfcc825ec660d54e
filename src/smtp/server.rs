//! The SMTP listeners: each accepted connection becomes a session.

use std::sync::Arc;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::ListenerKind;
use crate::app::AppState;
use crate::net::accept::{Limits, accept_loop as accept};

/// Accepts on one SMTP listener until `shutdown`.
pub async fn accept_loop(
    listener: TcpListener,
    kind: ListenerKind,
    state: AppState,
    tls: Arc<rustls::ServerConfig>,
    limits: Limits,
    tracker: TaskTracker,
    shutdown: CancellationToken,
) {
    let stop = shutdown.clone();
    accept(
        listener,
        kind.name(),
        limits,
        tracker,
        shutdown,
        |why| format!("421 4.7.0 {why}\r\n"),
        move |tcp, peer| {
            super::connection::serve(tcp, peer, kind, state.clone(), tls.clone(), stop.clone())
        },
    )
    .await
}
