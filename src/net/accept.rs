//! Accepting connections within limits (total and per IP), for every mail
//! protocol. A refused client gets one protocol-specific line saying why.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::screening::relay::canonical;

/// Connection counts shared by the listeners of one protocol family.
#[derive(Clone)]
pub struct Limits {
    total: Arc<Semaphore>,
    per_ip: Arc<Mutex<HashMap<IpAddr, usize>>>,
    max_per_ip: usize,
    /// Networks refused outright (failed-login screening, admins).
    blocks: crate::screening::blocks::BlockList,
}

/// Holds one connection's place; releases it when dropped.
pub struct Slot {
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
    pub fn new(
        max_total: usize,
        max_per_ip: usize,
        blocks: crate::screening::blocks::BlockList,
    ) -> Self {
        Self {
            total: Arc::new(Semaphore::new(max_total)),
            per_ip: Arc::default(),
            max_per_ip,
            blocks,
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

/// Accepts on `listener` until `shutdown`, running `serve` for each admitted
/// connection under `tracker`; `refusal` words the one line a refused
/// client gets (e.g. `421 4.7.0 ...` for SMTP).
pub async fn accept_loop<F, Fut>(
    listener: TcpListener,
    name: &'static str,
    limits: Limits,
    tracker: TaskTracker,
    shutdown: CancellationToken,
    refusal: fn(&str) -> String,
    serve: F,
) where
    F: Fn(TcpStream, SocketAddr) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.cancelled() => return,
        };
        let (tcp, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of descriptors and the like: back off instead of spinning.
                tracing::warn!(listener = name, error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if limits.blocks.is_blocked(peer.ip()) {
            // Refused before any TLS handshake or session work.
            tracing::debug!(%peer, listener = name, "connection from a blocked address refused");
            let line = refusal("Your address is blocked after repeated failed logins");
            tracker.spawn(async move {
                let mut tcp = tcp;
                let _ =
                    tokio::time::timeout(Duration::from_secs(5), tcp.write_all(line.as_bytes()))
                        .await;
            });
            continue;
        }
        let slot = match limits.admit(peer.ip()) {
            Ok(slot) => slot,
            Err(why) => {
                tracing::info!(%peer, listener = name, why, "connection refused");
                let line = refusal(why);
                tracker.spawn(async move {
                    let mut tcp = tcp;
                    let _ = tokio::time::timeout(
                        Duration::from_secs(5),
                        tcp.write_all(line.as_bytes()),
                    )
                    .await;
                });
                continue;
            }
        };
        let span = tracing::info_span!("session", %peer, listener = name);
        let session = serve(tcp, peer);
        tracker.spawn(tracing::Instrument::instrument(
            async move {
                let _slot = slot;
                session.await;
            },
            span,
        ));
    }
}
