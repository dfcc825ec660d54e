//! Where mail for a domain goes: the smarthost if one is configured, else
//! the MX hosts in preference order (RFC 5321 5.1), else the domain's own
//! address (implicit MX); a null MX (RFC 7505) means the domain takes none.

use std::net::{IpAddr, SocketAddr};

use mail_auth::common::cache::NoCache;
use mail_auth::{
    DnsError, Error as DnsFailure, IpLookupStrategy, MX, MessageAuthenticator, RecordSet,
};

use crate::config::OutboundConfig;

/// One host to try and its addresses, in order.
#[derive(Debug, Clone)]
pub struct Hop {
    pub host: String,
    pub addrs: Vec<SocketAddr>,
}

#[derive(Debug, Clone)]
pub enum RouteError {
    /// No delivery possible, ever (null MX, domain does not exist).
    Permanent(String),
    /// Try again later (DNS timeouts, server failures).
    Temporary(String),
}

fn not_found(e: &DnsFailure) -> bool {
    matches!(e, DnsFailure::Dns(DnsError::RecordNotFound(_)))
}

async fn addresses(
    resolver: &MessageAuthenticator,
    host: &str,
    port: u16,
) -> Result<Vec<SocketAddr>, DnsFailure> {
    if let Ok(ip) = host.trim_end_matches('.').parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let name = if host.ends_with('.') {
        host.to_string()
    } else {
        format!("{host}.")
    };
    let ips = resolver
        .ip_lookup(
            &name,
            IpLookupStrategy::Ipv4thenIpv6,
            10,
            None::<&NoCache<Box<str>, RecordSet<std::net::Ipv4Addr>>>,
            None::<&NoCache<Box<str>, RecordSet<std::net::Ipv6Addr>>>,
        )
        .await?;
    Ok(ips
        .into_iter()
        .map(|ip| SocketAddr::new(ip, port))
        .collect())
}

/// The hops for `domain`, best first.
pub async fn route(
    resolver: &MessageAuthenticator,
    config: &OutboundConfig,
    domain: &str,
) -> Result<Vec<Hop>, RouteError> {
    if !config.relay_host.is_empty() {
        let (host, port) = config
            .relay_host
            .rsplit_once(':')
            .and_then(|(h, p)| {
                p.parse::<u16>()
                    .ok()
                    .map(|p| (h.trim_matches(|c| c == '[' || c == ']'), p))
            })
            .ok_or_else(|| {
                RouteError::Temporary(format!(
                    "outbound.relay_host {:?} is not host:port",
                    config.relay_host
                ))
            })?;
        let addrs = addresses(resolver, host, port)
            .await
            .map_err(|e| RouteError::Temporary(format!("cannot resolve relay host {host}: {e}")))?;
        return Ok(vec![Hop {
            host: host.to_string(),
            addrs,
        }]);
    }
    let fqdn = format!("{}.", domain.trim_end_matches('.'));
    let mx = resolver
        .mx_lookup(fqdn.as_str(), None::<&NoCache<Box<str>, RecordSet<MX>>>)
        .await;
    let hosts: Vec<String> = match mx {
        Ok(records) => {
            let hosts: Vec<String> = records
                .rrset
                .iter()
                .flat_map(|mx| mx.exchanges.iter().map(|e| e.to_string()))
                .collect();
            // RFC 7505: a single MX of "." says the domain accepts no mail.
            if hosts.len() == 1 && (hosts[0] == "." || hosts[0].is_empty()) {
                return Err(RouteError::Permanent(format!(
                    "{domain} does not accept mail (null MX)"
                )));
            }
            hosts
        }
        Err(e) if not_found(&e) => vec![fqdn.clone()],
        Err(e) => {
            return Err(RouteError::Temporary(format!(
                "MX lookup for {domain} failed: {e}"
            )));
        }
    };
    let mut hops = Vec::new();
    let mut last_error = None;
    for host in hosts {
        match addresses(resolver, &host, config.mx_port).await {
            Ok(addrs) if !addrs.is_empty() => hops.push(Hop {
                host: host.trim_end_matches('.').to_string(),
                addrs,
            }),
            Ok(_) => {}
            Err(e) => last_error = Some((not_found(&e), format!("{host}: {e}"))),
        }
    }
    if hops.is_empty() {
        return Err(match last_error {
            Some((true, why)) if why.starts_with(&fqdn) => {
                RouteError::Permanent(format!("{domain} does not exist: {why}"))
            }
            Some((_, why)) => {
                RouteError::Temporary(format!("no reachable mail host for {domain}: {why}"))
            }
            None => RouteError::Temporary(format!("no address for the mail hosts of {domain}")),
        });
    }
    Ok(hops)
}
