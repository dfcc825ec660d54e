//! Accepting SMTP connections within the limits: total connections and
//! connections per IP, each refused with `421` and a reason.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::ListenerKind;
use crate::app::AppState;
use crate::screening::relay::canonical;

/// Connection counts shared by every SMTP listener of this node.
#[derive(Clone)]
pub struct Limits {
    total: Arc<Semaphore>,
    per_ip: Arc<Mutex<HashMap<IpAddr, usize>>>,
    max_per_ip: usize,
}

/// Holds one connection's place; releases it when dropped.
struct Slot {
    _permit: tokio::sync::OwnedSemaphorePermit,
    ip: IpAddr,
    per_ip: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut map) = self.per_ip.lock()
            && let Some(count) = map.get_mut(&self.ip)
        {
            *count -= 1;
            if *count == 0 {
                map.remove(&self.ip);
            }
        }
    }
}

impl Limits {
    pub fn new(max_total: usize, max_per_ip: usize) -> Self {
        Self {
            total: Arc::new(Semaphore::new(max_total)),
            per_ip: Arc::default(),
            max_per_ip,
        }
    }

    fn admit(&self, ip: IpAddr) -> Result<Slot, &'static str> {
        let permit = self
            .total
            .clone()
            .try_acquire_owned()
            .map_err(|_| "Too many connections; try again later")?;
        let ip = canonical(ip);
        let mut map = self.per_ip.lock().map_err(|_| "Server error")?;
        let count = map.entry(ip).or_insert(0);
        if *count >= self.max_per_ip {
            return Err("Too many connections from your address");
        }
        *count += 1;
        Ok(Slot {
            _permit: permit,
            ip,
            per_ip: self.per_ip.clone(),
        })
    }
}

/// Accepts on `listener` until `shutdown`; sessions are tracked by `tracker`.
pub async fn accept_loop(
    listener: TcpListener,
    kind: ListenerKind,
    state: AppState,
    tls: Arc<rustls::ServerConfig>,
    limits: Limits,
    tracker: TaskTracker,
    shutdown: CancellationToken,
) {
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.cancelled() => return,
        };
        let (tcp, peer): (TcpStream, SocketAddr) = match accepted {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(listener = kind.name(), error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let slot = match limits.admit(peer.ip()) {
            Ok(slot) => slot,
            Err(why) => {
                tracing::info!(%peer, listener = kind.name(), why, "connection refused");
                tracker.spawn(async move {
                    let mut tcp = tcp;
                    let _ = tokio::time::timeout(
                        Duration::from_secs(5),
                        tcp.write_all(format!("421 4.7.0 {why}\r\n").as_bytes()),
                    )
                    .await;
                });
                continue;
            }
        };
        let state = state.clone();
        let tls = tls.clone();
        let shutdown = shutdown.clone();
        let span = tracing::info_span!("smtp", %peer, listener = kind.name());
        tracker.spawn(tracing::Instrument::instrument(
            async move {
                let _slot = slot;
                super::connection::serve(tcp, peer, kind, state, tls, shutdown).await;
            },
            span,
        ));
    }
}
