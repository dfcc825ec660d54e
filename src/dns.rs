//! The DNS resolver every lookup goes through (MX for delivery, TXT for
//! DKIM, and later SPF/DMARC/PTR): hickory via mail-auth, pointed at
//! `[dns] nameservers` when configured, the system's otherwise.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use mail_auth::MessageAuthenticator;
use mail_auth::hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};

use crate::config::DnsConfig;

/// The PTR query name of an address: `4.3.2.1.in-addr.arpa`, or the 32
/// reversed nibbles under `ip6.arpa`.
pub fn reverse_name(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.{}.in-addr.arpa", o[3], o[2], o[1], o[0])
        }
        IpAddr::V6(v6) => {
            let mut labels: Vec<String> = v6
                .octets()
                .iter()
                .flat_map(|b| [b >> 4, b & 0xf])
                .map(|n| format!("{n:x}"))
                .collect();
            labels.reverse();
            format!("{}.ip6.arpa", labels.join("."))
        }
    }
}

/// Builds the resolver for delivery and our own domains' DNS checks: it
/// caches answers by their TTL and forgets "no such name" at once, so a
/// record an operator just added is seen. Must run inside tokio.
pub fn resolver(config: &DnsConfig) -> anyhow::Result<MessageAuthenticator> {
    build(config, |_| {})
}

/// Builds the resolver for inbound sender checks, where the same absent
/// SPF/DMARC/PTR names are asked for every message of a sender: negative
/// answers are kept at least `negative_min_ttl_seconds`, also when the
/// server sends no SOA (hickory would otherwise not cache them at all).
pub fn screening_resolver(config: &DnsConfig) -> anyhow::Result<MessageAuthenticator> {
    let min = Duration::from_secs(config.negative_min_ttl_seconds);
    build(config, |opts| opts.negative_min_ttl = Some(min))
}

fn build(
    config: &DnsConfig,
    tune: impl FnOnce(&mut ResolverOpts),
) -> anyhow::Result<MessageAuthenticator> {
    if config.nameservers.is_empty() {
        let (system, mut opts) = mail_auth::hickory_resolver::system_conf::read_system_conf()
            .map_err(|e| anyhow::anyhow!("system resolver: {e}"))?;
        opts.cache_size = 8192;
        tune(&mut opts);
        return MessageAuthenticator::new(system, opts)
            .map_err(|e| anyhow::anyhow!("system resolver: {e}"));
    }
    let mut servers = Vec::new();
    for ns in &config.nameservers {
        let addr: SocketAddr = match ns.parse::<SocketAddr>() {
            Ok(a) => a,
            Err(_) => SocketAddr::new(ns.parse::<IpAddr>()?, 53),
        };
        let mut udp = ConnectionConfig::udp();
        udp.port = addr.port();
        let mut tcp = ConnectionConfig::tcp();
        tcp.port = addr.port();
        servers.push(NameServerConfig::new(addr.ip(), true, vec![udp, tcp]));
    }
    let mut opts = ResolverOpts::default();
    opts.timeout = Duration::from_millis(config.timeout_ms);
    opts.attempts = 2;
    // Answers are cached per TTL (SPF, DKIM, DMARC and PTR lookups repeat
    // for every message from the same sender), bounded in entries.
    opts.cache_size = 8192;
    // Configured nameservers are the whole truth: /etc/hosts would answer
    // PTR and A queries for loopback names and skew iprev and SPF.
    opts.use_hosts_file = ResolveHosts::Never;
    tune(&mut opts);
    MessageAuthenticator::new(ResolverConfig::from_name_servers(servers), opts)
        .map_err(|e| anyhow::anyhow!("dns.nameservers: {e}"))
}
