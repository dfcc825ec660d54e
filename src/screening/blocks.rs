//! The blocked networks in force, kept in memory for the accept loops and
//! the API (a lookup per connection must not cost a query), refreshed from
//! the store every few seconds so blocks made by other nodes apply too.

use std::net::IpAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use ipnet::IpNet;
use tokio_util::sync::CancellationToken;

use super::relay::canonical;
use crate::store::Store;

const REFRESH: Duration = Duration::from_secs(2);

#[derive(Clone, Default)]
pub struct BlockList {
    networks: Arc<RwLock<Vec<IpNet>>>,
}

impl BlockList {
    pub fn is_blocked(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.networks
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .any(|n| n.contains(&ip))
    }

    /// Re-reads the blocks in force.
    pub async fn refresh(&self, store: &Store) {
        match store.active_blocks().await {
            Ok(blocks) => {
                let nets: Vec<IpNet> = blocks
                    .iter()
                    .filter_map(|b| parse_network(&b.network))
                    .collect();
                *self.networks.write().unwrap_or_else(|e| e.into_inner()) = nets;
            }
            Err(e) => tracing::warn!(error = %e, "reading blocked networks failed"),
        }
    }

    /// Keeps the list fresh until `shutdown`.
    pub async fn run(self, store: Store, shutdown: CancellationToken) {
        loop {
            self.refresh(&store).await;
            tokio::select! {
                _ = tokio::time::sleep(REFRESH) => {}
                _ = shutdown.cancelled() => return,
            }
        }
    }
}

/// An address or CIDR network, normalised (`192.0.2.7` → `192.0.2.7/32`).
pub fn parse_network(text: &str) -> Option<IpNet> {
    text.parse::<IpNet>().ok().map(|n| n.trunc()).or_else(|| {
        text.parse::<IpAddr>()
            .ok()
            .map(|ip| IpNet::from(canonical(ip)))
    })
}
