//! DNS for our own domains: the records each domain must publish (MX, A/AAAA,
//! SPF, DKIM, DMARC, MTA-STS, TLS-RPT, PTR) and a live check of what is
//! published, one result per record with how to fix it. The periodic check
//! in `app` emits `dns.check.failed` when something that was `ok` breaks.

use std::collections::BTreeMap;
use std::net::IpAddr;

use mail_auth::common::cache::NoCache;
use mail_auth::hickory_resolver::proto::rr::{Name, RData};
use mail_auth::spf::verify::SpfParameters;
use mail_auth::{Error as AuthError, MX, RecordSet, SpfResult};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::AppState;
use crate::store::StoreResult;

/// One record to publish.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExpectedRecord {
    /// `MX`, `A`, `AAAA`, `TXT` or `PTR`.
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub value: String,
    /// Suggested TTL, seconds.
    pub ttl: u32,
    /// What it is for, in words.
    pub why: String,
}

/// The state of one published record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    Ok,
    Missing,
    Mismatch,
    Warning,
    Error,
}

/// One check's result.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DnsCheckResult {
    /// `mx`, `a`, `ptr`, `spf`, `dkim`, `dmarc`, `mta-sts` or `tls-rpt`.
    pub check: String,
    pub name: String,
    pub status: CheckStatus,
    pub expected: String,
    pub found: String,
    /// How to fix it; empty when `ok`.
    pub fix: String,
}

fn result(
    check: &str,
    name: &str,
    status: CheckStatus,
    expected: impl Into<String>,
    found: impl Into<String>,
    fix: impl Into<String>,
) -> DnsCheckResult {
    DnsCheckResult {
        check: check.into(),
        name: name.into(),
        status,
        expected: expected.into(),
        found: found.into(),
        fix: if status == CheckStatus::Ok {
            String::new()
        } else {
            fix.into()
        },
    }
}

/// The SPF record we recommend: our public IPs (or our hostname's
/// addresses when none are configured), nothing broader, `-all`.
pub fn spf_value(state: &AppState) -> String {
    let ips = &state.config.public_ips;
    if ips.is_empty() {
        return format!("v=spf1 a:{} -all", state.config.hostname);
    }
    let mechanisms: Vec<String> = ips
        .iter()
        .map(|ip| match ip {
            IpAddr::V4(v4) => format!("ip4:{v4}"),
            IpAddr::V6(v6) => format!("ip6:{v6}"),
        })
        .collect();
    format!("v=spf1 {} -all", mechanisms.join(" "))
}

/// The DMARC record we recommend: quarantine, aggregate reports to the
/// domain's report mailbox.
pub fn dmarc_value(domain: &str) -> String {
    format!(
        "v=DMARC1; p=quarantine; rua=mailto:{}@{domain}",
        crate::dmarc_reports::REPORT_LOCAL_PART
    )
}

/// The MTA-STS policy served at `https://mta-sts.<domain>/.well-known/mta-sts.txt`.
/// `testing` to start: receivers report problems but still deliver.
pub fn mta_sts_policy(hostname: &str) -> String {
    format!("version: STSv1\r\nmode: testing\r\nmx: {hostname}\r\nmax_age: 604800\r\n")
}

/// The policy's id: changes whenever the policy does.
fn mta_sts_id(hostname: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(mta_sts_policy(hostname).as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// Everything `domain` needs in DNS.
pub async fn expected(state: &AppState, domain: &str) -> StoreResult<Vec<ExpectedRecord>> {
    let host = &state.config.hostname;
    let mut out = Vec::new();
    let mut add = |kind: &str, name: &str, value: String, ttl: u32, why: &str| {
        out.push(ExpectedRecord {
            kind: kind.into(),
            name: name.into(),
            value,
            ttl,
            why: why.into(),
        })
    };
    add(
        "MX",
        domain,
        format!("10 {host}."),
        3600,
        "Mail for the domain is delivered to this server.",
    );
    for ip in &state.config.public_ips {
        let (kind, why) = match ip {
            IpAddr::V4(_) => (
                "A",
                "The server's name resolves to its public IPv4 address.",
            ),
            IpAddr::V6(_) => (
                "AAAA",
                "The server's name resolves to its public IPv6 address.",
            ),
        };
        add(kind, host, ip.to_string(), 3600, why);
    }
    add(
        "TXT",
        domain,
        spf_value(state),
        3600,
        "SPF: only this server may send mail for the domain.",
    );
    let parsed = crate::address::Domain::parse(domain)
        .map_err(|e| crate::store::StoreError::Invalid(format!("{domain}: {e}")))?;
    // Every key we hold: the signing one, one waiting to take over
    // (rotation), and retired ones until they are deleted.
    for key in state.store.dkim_keys(&parsed).await? {
        let Some(algorithm) = crate::dkim::Algorithm::parse(&key.algorithm) else {
            continue;
        };
        add(
            "TXT",
            &crate::dkim::dns_name(&key.selector, domain),
            crate::dkim::dns_value(algorithm, &key.public_key),
            3600,
            if key.active {
                "DKIM: the public key receivers verify our signatures with."
            } else {
                "DKIM: a key not signing now (waiting to take over, or retired); keep it published until it is deleted here."
            },
        );
    }
    add(
        "TXT",
        &format!("_dmarc.{domain}"),
        dmarc_value(domain),
        3600,
        "DMARC: receivers quarantine mail that fails SPF and DKIM alignment and send aggregate reports.",
    );
    add(
        "TXT",
        &format!("_mta-sts.{domain}"),
        format!("v=STSv1; id={}", mta_sts_id(host)),
        3600,
        "MTA-STS: senders must use TLS to reach the MX; the id changes with the policy.",
    );
    for ip in &state.config.public_ips {
        let kind = if ip.is_ipv4() { "A" } else { "AAAA" };
        add(
            kind,
            &format!("mta-sts.{domain}"),
            ip.to_string(),
            3600,
            "Where senders fetch the MTA-STS policy (served by this server over HTTPS).",
        );
    }
    add(
        "TXT",
        &format!("_smtp._tls.{domain}"),
        format!("v=TLSRPTv1; rua=mailto:tls-reports@{domain}"),
        3600,
        "TLS-RPT: senders report TLS problems reaching us.",
    );
    for ip in &state.config.public_ips {
        add(
            "PTR",
            &crate::dns::reverse_name(*ip),
            format!("{host}."),
            3600,
            "Reverse DNS of the public IP names the server (set by the IP's owner, usually the hosting provider).",
        );
    }
    Ok(out)
}

/// The records as a zone-file snippet.
pub fn zone_snippet(records: &[ExpectedRecord]) -> String {
    let mut out = String::new();
    for r in records {
        let value = if r.kind == "TXT" {
            // One quoted string per 255 octets.
            r.value
                .as_bytes()
                .chunks(255)
                .map(|c| format!("\"{}\"", String::from_utf8_lossy(c).replace('"', "\\\"")))
                .collect::<Vec<_>>()
                .join(" ")
        } else {
            r.value.clone()
        };
        out.push_str(&format!(
            "; {}\n{}. {} IN {} {}\n",
            r.why, r.name, r.ttl, r.kind, value
        ));
    }
    out
}

/// TXT records at `name`, each as one string; `Ok(empty)` when there are none.
async fn txt(state: &AppState, name: &str) -> Result<Vec<String>, String> {
    let fqdn = Name::from_str_relaxed(format!("{name}.")).map_err(|e| e.to_string())?;
    match state.resolver.resolver().txt_lookup(fqdn).await {
        Ok(lookup) => Ok(lookup
            .answers()
            .iter()
            .filter_map(|r| match &r.data {
                RData::TXT(t) => Some(
                    t.txt_data
                        .iter()
                        .map(|s| String::from_utf8_lossy(s).into_owned())
                        .collect::<String>(),
                ),
                _ => None,
            })
            .collect()),
        Err(e) if e.is_no_records_found() || e.is_nx_domain() => Ok(Vec::new()),
        Err(e) => Err(e.to_string()),
    }
}

fn not_found(e: &AuthError) -> bool {
    matches!(e, AuthError::Dns(mail_auth::DnsError::RecordNotFound(_)))
}

/// Tag value from a `k=v; k=v` record.
fn tag<'a>(record: &'a str, key: &str) -> Option<&'a str> {
    record.split(';').find_map(|part| {
        let (k, v) = part.split_once('=')?;
        (k.trim().eq_ignore_ascii_case(key)).then(|| v.trim())
    })
}

/// Live lookups of everything `domain` should publish. The sections ask
/// DNS independently, so they run at once: one resolver timeout, not one
/// per record, when the resolver does not answer.
pub async fn check(state: &AppState, domain: &str) -> StoreResult<Vec<DnsCheckResult>> {
    let host = state.config.hostname.clone();
    let (mx, addresses, spf, dkim, dmarc, policies) = tokio::join!(
        check_mx(state, domain, &host),
        check_addresses(state, domain, &host),
        check_spf(state, domain, &host),
        check_dkim(state, domain, &host),
        check_dmarc(state, domain, &host),
        check_policies(state, domain, &host),
    );
    let mut out = Vec::new();
    for part in [mx, addresses, spf, dkim, dmarc, policies] {
        out.extend(part?);
    }
    Ok(out)
}

/// MX: the domain points at us.
async fn check_mx(state: &AppState, domain: &str, host: &str) -> StoreResult<Vec<DnsCheckResult>> {
    let mut out = Vec::new();
    // MX
    match state
        .resolver
        .mx_lookup(domain, None::<&NoCache<Box<str>, RecordSet<MX>>>)
        .await
    {
        Ok(set) => {
            let names: Vec<String> = set
                .rrset
                .iter()
                .flat_map(|m| m.exchanges.iter())
                .map(|e| e.trim_end_matches('.').to_ascii_lowercase())
                .collect();
            let ours = names.iter().any(|n| n.eq_ignore_ascii_case(host));
            out.push(result(
                "mx",
                domain,
                if ours {
                    CheckStatus::Ok
                } else {
                    CheckStatus::Mismatch
                },
                host,
                names.join(", "),
                format!("Point the MX record of {domain} at {host}."),
            ));
        }
        Err(e) if not_found(&e) => out.push(result(
            "mx",
            domain,
            CheckStatus::Missing,
            host,
            "",
            format!("Publish `{domain}. MX 10 {host}.`"),
        )),
        Err(e) => out.push(result(
            "mx",
            domain,
            CheckStatus::Error,
            host,
            e.to_string(),
            "Retry; the lookup failed.",
        )),
    }

    Ok(out)
}

/// Forward and reverse DNS of every public IP.
async fn check_addresses(
    state: &AppState,
    _domain: &str,
    host: &str,
) -> StoreResult<Vec<DnsCheckResult>> {
    let mut out = Vec::new();
    // Forward and reverse DNS of every public IP (one forward lookup).
    let found: Vec<IpAddr> = if state.config.public_ips.is_empty() {
        Vec::new()
    } else {
        state
            .resolver
            .resolver()
            .lookup_ip(format!("{host}."))
            .await
            .map(|l| l.iter().collect())
            .unwrap_or_default()
    };
    for ip in &state.config.public_ips {
        out.push(result(
            "a",
            host,
            if found.contains(ip) {
                CheckStatus::Ok
            } else if found.is_empty() {
                CheckStatus::Missing
            } else {
                CheckStatus::Mismatch
            },
            ip.to_string(),
            found
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            format!(
                "Publish `{host}. {} {ip}`.",
                if ip.is_ipv4() { "A" } else { "AAAA" }
            ),
        ));
        let ptr = state
            .resolver
            .ptr_lookup(*ip, None::<&NoCache<IpAddr, RecordSet<Box<str>>>>)
            .await;
        let (status, found) = match &ptr {
            Ok(set) => {
                let names: Vec<String> = set
                    .rrset
                    .iter()
                    .map(|n| n.trim_end_matches('.').to_string())
                    .collect();
                let names_us = names.iter().any(|n| n.eq_ignore_ascii_case(host));
                // Forward-confirmed: the PTR name must resolve back to the IP.
                let confirmed = names_us && found.contains(ip);
                (
                    if confirmed {
                        CheckStatus::Ok
                    } else {
                        CheckStatus::Mismatch
                    },
                    names.join(", "),
                )
            }
            Err(e) if not_found(e) => (CheckStatus::Missing, String::new()),
            Err(e) => (CheckStatus::Error, e.to_string()),
        };
        out.push(result(
            "ptr",
            &crate::dns::reverse_name(*ip),
            status,
            format!("{host} (resolving back to {ip})"),
            found,
            format!("Ask the owner of {ip} (your hosting provider) to set its reverse DNS to {host}, and make {host} resolve to {ip}."),
        ));
    }

    Ok(out)
}

/// SPF: exactly one record that lets every public IP send.
async fn check_spf(state: &AppState, domain: &str, host: &str) -> StoreResult<Vec<DnsCheckResult>> {
    let mut out = Vec::new();
    // SPF: exactly one record, and it lets every public IP send.
    let expected_spf = spf_value(state);
    match txt(state, domain).await {
        Ok(records) => {
            let spf: Vec<&String> = records
                .iter()
                .filter(|r| r.to_ascii_lowercase().starts_with("v=spf1"))
                .collect();
            match spf.len() {
                0 => out.push(result("spf", domain, CheckStatus::Missing, &expected_spf, "", format!("Publish `{domain}. TXT \"{expected_spf}\"`."))),
                1 => {
                    let record = spf[0].clone();
                    let lookups = record
                        .split_whitespace()
                        .filter(|m| {
                            let m = m.trim_start_matches(['+', '-', '~', '?']).to_ascii_lowercase();
                            ["include:", "a", "mx", "ptr", "exists:", "redirect="].iter().any(|p| m == *p || m.starts_with(p) && (p.ends_with(':') || p.ends_with('=') || m[p.len()..].starts_with([':', '/'])))
                        })
                        .count();
                    let mut failing = Vec::new();
                    for ip in &state.config.public_ips {
                        let spf_out = state
                            .resolver
                            .verify_spf(SpfParameters::verify_mail_from(*ip, host, host, &format!("postmaster@{domain}")))
                            .await;
                        if spf_out.result() != SpfResult::Pass {
                            failing.push(format!("{ip}: {:?}", spf_out.result()));
                        }
                    }
                    let (status, fix) = if !failing.is_empty() {
                        (CheckStatus::Mismatch, format!("The SPF record does not authorise {}; publish `{expected_spf}`.", failing.join(", ")))
                    } else if lookups > 10 {
                        (CheckStatus::Error, format!("The record needs {lookups} DNS lookups; SPF allows 10. Flatten includes."))
                    } else if record.contains("+all") || record.trim_end().ends_with(" all") {
                        (CheckStatus::Warning, "`+all` lets anyone send as the domain; end the record with `-all`.".to_string())
                    } else {
                        (CheckStatus::Ok, String::new())
                    };
                    out.push(result("spf", domain, status, &expected_spf, record, fix));
                }
                n => out.push(result(
                    "spf",
                    domain,
                    CheckStatus::Error,
                    &expected_spf,
                    spf.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" | "),
                    format!("{n} SPF records make SPF fail (permerror); merge them into one: `{expected_spf}`."),
                )),
            }
        }
        Err(e) => out.push(result(
            "spf",
            domain,
            CheckStatus::Error,
            &expected_spf,
            e,
            "Retry; the lookup failed.",
        )),
    }

    Ok(out)
}

/// DKIM: every key published with its public key.
async fn check_dkim(
    state: &AppState,
    domain: &str,
    _host: &str,
) -> StoreResult<Vec<DnsCheckResult>> {
    let mut out = Vec::new();
    // DKIM: each key published with the same public key.
    let parsed = crate::address::Domain::parse(domain)
        .map_err(|e| crate::store::StoreError::Invalid(format!("{domain}: {e}")))?;
    for key in state.store.dkim_keys(&parsed).await? {
        let Some(algorithm) = crate::dkim::Algorithm::parse(&key.algorithm) else {
            continue;
        };
        let name = crate::dkim::dns_name(&key.selector, domain);
        let expected_value = crate::dkim::dns_value(algorithm, &key.public_key);
        match dkim_published(state, &name, &key.public_key).await {
            Ok((status, found)) => out.push(result(
                "dkim",
                &name,
                status,
                &expected_value,
                found,
                format!("Publish `{name}. TXT \"{expected_value}\"`; receivers cannot verify our signatures otherwise."),
            )),
            Err(e) => out.push(result(
                "dkim",
                &name,
                CheckStatus::Error,
                &expected_value,
                e,
                "Retry; the lookup failed.",
            )),
        }
    }

    Ok(out)
}

/// DMARC.
async fn check_dmarc(
    state: &AppState,
    domain: &str,
    _host: &str,
) -> StoreResult<Vec<DnsCheckResult>> {
    let mut out = Vec::new();
    // DMARC
    let dmarc_name = format!("_dmarc.{domain}");
    let expected_dmarc = dmarc_value(domain);
    match txt(state, &dmarc_name).await {
        Ok(records) => {
            let dmarc: Vec<&String> = records
                .iter()
                .filter(|r| r.to_ascii_lowercase().starts_with("v=dmarc1"))
                .collect();
            let entry = match dmarc.as_slice() {
                [] => result(
                    "dmarc",
                    &dmarc_name,
                    CheckStatus::Missing,
                    &expected_dmarc,
                    "",
                    format!("Publish `{dmarc_name}. TXT \"{expected_dmarc}\"`."),
                ),
                [record] => {
                    let policy = tag(record, "p").unwrap_or("").to_ascii_lowercase();
                    let (status, fix) = match policy.as_str() {
                        "quarantine" | "reject" if tag(record, "rua").is_some() => (CheckStatus::Ok, String::new()),
                        "quarantine" | "reject" => (CheckStatus::Warning, "Add `rua=mailto:...` to receive aggregate reports.".to_string()),
                        "none" => (CheckStatus::Warning, "`p=none` only monitors; move to `p=quarantine` once reports look clean.".to_string()),
                        _ => (CheckStatus::Error, "The record has no valid `p=` tag.".to_string()),
                    };
                    result(
                        "dmarc",
                        &dmarc_name,
                        status,
                        &expected_dmarc,
                        record.as_str(),
                        fix,
                    )
                }
                _ => result(
                    "dmarc",
                    &dmarc_name,
                    CheckStatus::Error,
                    &expected_dmarc,
                    dmarc
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(" | "),
                    "Several DMARC records are ignored by receivers; keep one.",
                ),
            };
            out.push(entry);
        }
        Err(e) => out.push(result(
            "dmarc",
            &dmarc_name,
            CheckStatus::Error,
            &expected_dmarc,
            e,
            "Retry; the lookup failed.",
        )),
    }

    Ok(out)
}

/// MTA-STS and TLS-RPT.
async fn check_policies(
    state: &AppState,
    domain: &str,
    host: &str,
) -> StoreResult<Vec<DnsCheckResult>> {
    let mut out = Vec::new();
    // MTA-STS and TLS-RPT
    let sts_name = format!("_mta-sts.{domain}");
    let expected_sts = format!("v=STSv1; id={}", mta_sts_id(host));
    match txt(state, &sts_name).await {
        Ok(records) => {
            let found = records.iter().find(|r| r.starts_with("v=STSv1")).cloned();
            let status = match &found {
                None => CheckStatus::Missing,
                Some(r) if tag(r, "id") == tag(&expected_sts, "id") => CheckStatus::Ok,
                Some(_) => CheckStatus::Mismatch,
            };
            out.push(result("mta-sts", &sts_name, status, &expected_sts, found.unwrap_or_default(), format!("Publish `{sts_name}. TXT \"{expected_sts}\"` (the id must change with the policy, whose `mx` is {host}).")));
        }
        Err(e) => out.push(result(
            "mta-sts",
            &sts_name,
            CheckStatus::Error,
            &expected_sts,
            e,
            "Retry; the lookup failed.",
        )),
    }
    let rpt_name = format!("_smtp._tls.{domain}");
    let expected_rpt = format!("v=TLSRPTv1; rua=mailto:tls-reports@{domain}");
    match txt(state, &rpt_name).await {
        Ok(records) => {
            let found = records
                .iter()
                .find(|r| r.starts_with("v=TLSRPTv1"))
                .cloned();
            out.push(result(
                "tls-rpt",
                &rpt_name,
                if found.is_some() {
                    CheckStatus::Ok
                } else {
                    CheckStatus::Warning
                },
                &expected_rpt,
                found.unwrap_or_default(),
                format!("Publish `{rpt_name}. TXT \"{expected_rpt}\"` to hear about TLS failures."),
            ));
        }
        Err(e) => out.push(result(
            "tls-rpt",
            &rpt_name,
            CheckStatus::Error,
            &expected_rpt,
            e,
            "Retry; the lookup failed.",
        )),
    }
    Ok(out)
}

/// Whether the TXT record at `name` carries `public_key`: the status and
/// what was found.
pub async fn dkim_published(
    state: &AppState,
    name: &str,
    public_key: &str,
) -> Result<(CheckStatus, String), String> {
    let records = txt(state, name).await?;
    Ok(match records.iter().find(|r| tag(r, "p").is_some()) {
        None => (CheckStatus::Missing, String::new()),
        Some(r) => {
            let published = tag(r, "p").map(|p| p.replace(char::is_whitespace, ""));
            let status = if published.as_deref() == Some(public_key) {
                CheckStatus::Ok
            } else {
                CheckStatus::Mismatch
            };
            (status, r.clone())
        }
    })
}

/// The setting name holding a domain's last check, for drift detection.
fn last_key(domain: &str) -> String {
    format!("dns-check/{domain}")
}

/// Rotation: a key newer than the signing one takes over once its record
/// checks `ok`.
async fn rotate_dkim(
    state: &AppState,
    domain: &str,
    results: &[DnsCheckResult],
) -> StoreResult<()> {
    let parsed = crate::address::Domain::parse(domain)
        .map_err(|e| crate::store::StoreError::Invalid(format!("{domain}: {e}")))?;
    let keys = state.store.dkim_keys(&parsed).await?;
    let signing_since = keys
        .iter()
        .filter(|k| k.active)
        .map(|k| k.created_at_ms)
        .max();
    let newest_ready = keys
        .iter()
        .filter(|k| !k.active && signing_since.is_none_or(|t| k.created_at_ms > t))
        .filter(|k| {
            let name = crate::dkim::dns_name(&k.selector, domain);
            results
                .iter()
                .any(|r| r.check == "dkim" && r.name == name && r.status == CheckStatus::Ok)
        })
        .max_by_key(|k| k.created_at_ms);
    if let Some(key) = newest_ready {
        state
            .store
            .activate_dkim_key(&parsed, &key.selector)
            .await?;
        tracing::info!(%domain, selector = %key.selector, "DKIM key published and checked; it signs from now on");
    }
    Ok(())
}

/// Checks every domain; emits `dns.check.failed` for a domain whose
/// results include a record that was `ok` last time and is not now.
pub async fn periodic_check(state: &AppState) -> anyhow::Result<()> {
    let domains = state.store.local_domain_names().await?;
    for domain in domains {
        let results = check(state, &domain).await?;
        rotate_dkim(state, &domain, &results).await?;
        let previous: BTreeMap<String, CheckStatus> = state
            .store
            .setting(&last_key(&domain))
            .await
            .unwrap_or_default();
        let broken: Vec<DnsCheckResult> = results
            .iter()
            .filter(|r| {
                r.status != CheckStatus::Ok
                    && previous.get(&format!("{}:{}", r.check, r.name)) == Some(&CheckStatus::Ok)
            })
            .cloned()
            .collect();
        let now: BTreeMap<String, CheckStatus> = results
            .iter()
            .map(|r| (format!("{}:{}", r.check, r.name), r.status))
            .collect();
        state.store.put_setting(&last_key(&domain), &now).await?;
        if !broken.is_empty() {
            tracing::warn!(%domain, broken = broken.len(), "DNS records broke");
            state
                .store
                .record_event(&crate::events::NewEvent {
                    kind: crate::events::EventType::DnsCheckFailed,
                    account: None,
                    domain: Some(domain.clone()),
                    data: crate::events::payloads::to_data(
                        &crate::events::payloads::DnsCheckFailed {
                            domain: domain.clone(),
                            failures: broken,
                        },
                    ),
                })
                .await?;
        }
    }
    Ok(())
}
