//! SPF `check_host()` by RFC 7208, evaluated here. mail-auth's evaluator
//! matches `ip6` networks against IPv4 clients, has no void-lookup limit,
//! refuses colon domains, gets `ptr` without a domain wrong and parses
//! included records without the grammar; the openspf suite
//! (tests/spf_suite.rs) is what this is held to. mail-auth keeps the
//! result types, DMARC and Authentication-Results.
//!
//! Every record reached (the identity's, and through `include:` and
//! `redirect=`) is checked against the ABNF of section 12 first
//! (`spf_syntax`); evaluation then walks the terms in order with the
//! limits of 4.6.4 counted across the whole evaluation.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::pin::Pin;

use mail_auth::hickory_resolver::TokioResolver;
use mail_auth::hickory_resolver::proto::rr::{Name, RData, RecordType};
use mail_auth::{SpfOutput, SpfResult};

use super::spf_syntax;

/// RFC 7208 4.6.4: terms that cause DNS queries, per evaluation.
const DNS_TERM_LIMIT: u32 = 10;
/// RFC 7208 4.6.4: lookups answered with no records or NXDOMAIN.
const VOID_LOOKUP_LIMIT: u32 = 2;
/// RFC 7208 4.6.4: MX names and PTR names looked up per mechanism.
const NAME_LIMIT: usize = 10;

/// What the SMTP transaction tells about the message (RFC 7208 4.1).
pub struct Request<'a> {
    pub ip: IpAddr,
    /// The identity checked: the MAIL FROM domain, or the HELO name.
    pub domain: &'a str,
    /// `local@domain`; the local part is `postmaster` for the HELO check.
    pub sender: &'a str,
    pub helo: &'a str,
    /// Our own name, for the `%{r}` macro.
    pub receiver: &'a str,
}

/// RFC 7208 2.6: the result, and for "fail" the domain's explanation.
pub async fn check_host(resolver: &TokioResolver, request: &Request<'_>) -> SpfOutput {
    let domain = request.domain.trim_end_matches('.').to_string();
    let out = SpfOutput::new(domain.clone());
    // RFC 7208 4.3: a malformed identity is "none" without a lookup.
    if !spf_syntax::identity_is_usable(&domain) {
        return out.with_result(SpfResult::None);
    }
    let (local, sender_domain) = request
        .sender
        .rsplit_once('@')
        .map_or(("postmaster", request.sender), |(l, d)| (l, d));
    let mut eval = Eval {
        resolver,
        ip: request.ip,
        local: if local.is_empty() {
            "postmaster"
        } else {
            local
        }
        .to_string(),
        sender_domain: sender_domain.to_string(),
        helo: request.helo.to_string(),
        receiver: request.receiver.to_string(),
        dns_terms: 0,
        voids: 0,
        validated: None,
    };
    match eval.check(domain, true).await {
        Ok(Checked {
            result,
            explanation,
        }) => match explanation {
            Some(e) => out.with_result(result).with_explanation(e),
            None => out.with_result(result),
        },
        Err(abort) => out.with_result(abort),
    }
}

/// A result that ends the whole evaluation at once (permerror, temperror).
type Abort = SpfResult;

struct Checked {
    result: SpfResult,
    explanation: Option<String>,
}

struct Eval<'a> {
    resolver: &'a TokioResolver,
    ip: IpAddr,
    local: String,
    sender_domain: String,
    helo: String,
    receiver: String,
    dns_terms: u32,
    voids: u32,
    /// The client's validated PTR names, looked up once for `%{p}`.
    validated: Option<Vec<String>>,
}

/// One mechanism, its arguments not yet expanded.
enum Mechanism<'r> {
    All,
    Include(&'r str),
    A(Option<&'r str>, u8, u8),
    Mx(Option<&'r str>, u8, u8),
    Ptr(Option<&'r str>),
    Ip4(Ipv4Addr, u8),
    Ip6(Ipv6Addr, u8),
    Exists(&'r str),
}

/// A record split into its directives and the two modifiers that act.
struct Record<'r> {
    directives: Vec<(SpfResult, Mechanism<'r>)>,
    redirect: Option<&'r str>,
    exp: Option<&'r str>,
}

/// Outcome of one DNS query: records of the type asked, or none (void).
type Lookup = Result<Vec<RData>, Abort>;

impl Eval<'_> {
    /// `check_host(ip, domain, sender)`; `top` for the identity itself
    /// (whose missing record is "none"; below it, the caller decides).
    fn check(
        &mut self,
        domain: String,
        top: bool,
    ) -> Pin<Box<dyn Future<Output = Result<Checked, Abort>> + Send + '_>> {
        Box::pin(async move {
            let Some(text) = self.record(&domain, top).await? else {
                return Ok(Checked {
                    result: SpfResult::None,
                    explanation: None,
                });
            };
            let record = parse(&text).ok_or(SpfResult::PermError)?;
            for (qualifier, mechanism) in &record.directives {
                if self.matches(mechanism, &domain).await? {
                    let explanation = match (qualifier, record.exp) {
                        (SpfResult::Fail, Some(exp)) => self.explain(exp, &domain).await,
                        _ => None,
                    };
                    return Ok(Checked {
                        result: *qualifier,
                        explanation,
                    });
                }
            }
            // RFC 7208 6.1: redirect applies when no mechanism matched and
            // the record has no "all" (which would have matched).
            if let Some(target) = record.redirect {
                self.count_term()?;
                let target = self.expand_domain(target, &domain).await?;
                if !name_is_valid(&target) {
                    return Err(SpfResult::PermError);
                }
                let checked = self.check(target, false).await?;
                if checked.result == SpfResult::None {
                    return Err(SpfResult::PermError);
                }
                return Ok(checked);
            }
            Ok(Checked {
                result: SpfResult::Neutral,
                explanation: None,
            })
        })
    }

    /// RFC 7208 4.4-4.5: the one SPF record at `domain`; none is `None`,
    /// two or a malformed one is permerror.
    async fn record(&mut self, domain: &str, top: bool) -> Result<Option<String>, Abort> {
        // A DNS error is temperror wherever it happens.
        let answers = self.query(domain, RecordType::TXT).await?;
        if answers.is_empty() && !top {
            self.void()?;
        }
        let mut records = answers.iter().filter_map(|r| match r {
            RData::TXT(txt) => {
                let bytes: Vec<u8> = txt
                    .txt_data
                    .iter()
                    .flat_map(|s| s.iter().copied())
                    .collect();
                spf_syntax::is_spf(&bytes).then_some(bytes)
            }
            _ => None,
        });
        let Some(first) = records.next() else {
            return Ok(None);
        };
        if records.next().is_some() || !spf_syntax::record_is_valid(&first) {
            return Err(SpfResult::PermError);
        }
        // record_is_valid admits printable ASCII only.
        Ok(Some(String::from_utf8_lossy(&first).into_owned()))
    }

    async fn matches(&mut self, mechanism: &Mechanism<'_>, domain: &str) -> Result<bool, Abort> {
        match *mechanism {
            Mechanism::All => Ok(true),
            Mechanism::Ip4(net, len) => Ok(match self.ip {
                IpAddr::V4(ip) => in_v4(ip, net, len),
                IpAddr::V6(_) => false,
            }),
            Mechanism::Ip6(net, len) => Ok(match self.ip {
                IpAddr::V6(ip) => in_v6(ip, net, len),
                IpAddr::V4(_) => false,
            }),
            Mechanism::Include(spec) => {
                self.count_term()?;
                let target = self.expand_domain(spec, domain).await?;
                if !name_is_valid(&target) {
                    return Err(SpfResult::PermError);
                }
                // RFC 7208 5.2: pass matches; fail, softfail and neutral do
                // not; none is permerror; errors propagate.
                match self.check(target, false).await?.result {
                    SpfResult::Pass => Ok(true),
                    SpfResult::Fail | SpfResult::SoftFail | SpfResult::Neutral => Ok(false),
                    SpfResult::None | SpfResult::PermError => Err(SpfResult::PermError),
                    SpfResult::TempError => Err(SpfResult::TempError),
                }
            }
            Mechanism::A(spec, v4, v6) => {
                self.count_term()?;
                let target = self.target(spec, domain).await?;
                if !name_is_valid(&target) {
                    return Ok(false);
                }
                let addresses = self.addresses(&target, true).await?;
                Ok(addresses.iter().any(|a| self.cidr_match(*a, v4, v6)))
            }
            Mechanism::Mx(spec, v4, v6) => {
                self.count_term()?;
                let target = self.target(spec, domain).await?;
                if !name_is_valid(&target) {
                    return Ok(false);
                }
                self.mx_matches(&target, v4, v6).await
            }
            Mechanism::Ptr(spec) => {
                self.count_term()?;
                let target = self.target(spec, domain).await?;
                let target = target.to_ascii_lowercase();
                let names = self.validated_names().await?;
                Ok(names
                    .iter()
                    .any(|n| *n == target || n.ends_with(&format!(".{target}"))))
            }
            Mechanism::Exists(spec) => {
                self.count_term()?;
                let target = self.expand_domain(spec, domain).await?;
                if !name_is_valid(&target) {
                    return Ok(false);
                }
                // RFC 7208 5.7: an A query whatever the client's family.
                let answers = self.query(&target, RecordType::A).await?;
                if answers.is_empty() {
                    self.void()?;
                }
                Ok(!answers.is_empty())
            }
        }
    }

    /// RFC 7208 5.4: the MX hosts' addresses, at most ten hosts.
    async fn mx_matches(&mut self, target: &str, v4: u8, v6: u8) -> Result<bool, Abort> {
        let answers = self.query(target, RecordType::MX).await?;
        if answers.is_empty() {
            self.void()?;
            return Ok(false);
        }
        let hosts: Vec<String> = answers
            .iter()
            .filter_map(|r| match r {
                RData::MX(mx) => Some(plain(&mx.exchange)),
                _ => None,
            })
            .collect();
        if hosts.len() > NAME_LIMIT {
            return Err(SpfResult::PermError);
        }
        for host in hosts {
            if !name_is_valid(&host) {
                continue;
            }
            let addresses = self.addresses(&host, false).await?;
            if addresses.iter().any(|a| self.cidr_match(*a, v4, v6)) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// A or AAAA records of `name`, by the client's address family.
    async fn addresses(&mut self, name: &str, counts_void: bool) -> Result<Vec<IpAddr>, Abort> {
        let kind = match self.ip {
            IpAddr::V4(_) => RecordType::A,
            IpAddr::V6(_) => RecordType::AAAA,
        };
        let answers = self.query(name, kind).await?;
        if answers.is_empty() && counts_void {
            self.void()?;
        }
        Ok(answers.iter().filter_map(address).collect())
    }

    fn cidr_match(&self, address: IpAddr, v4: u8, v6: u8) -> bool {
        match (self.ip, address) {
            (IpAddr::V4(ip), IpAddr::V4(net)) => in_v4(ip, net, v4),
            (IpAddr::V6(ip), IpAddr::V6(net)) => in_v6(ip, net, v6),
            _ => false,
        }
    }

    /// RFC 7208 5.5: the client's PTR names (at most ten) whose A/AAAA
    /// records include the client. A failed PTR lookup validates nothing.
    async fn validated_names(&mut self) -> Result<Vec<String>, Abort> {
        if let Some(names) = &self.validated {
            return Ok(names.clone());
        }
        let reverse = crate::dns::reverse_name(self.ip);
        let names: Vec<String> = match self.query(&reverse, RecordType::PTR).await {
            Ok(answers) => {
                if answers.is_empty() {
                    self.void()?;
                }
                answers
                    .iter()
                    .filter_map(|r| match r {
                        RData::PTR(p) => Some(plain(&p.0).to_ascii_lowercase()),
                        _ => None,
                    })
                    .take(NAME_LIMIT)
                    .collect()
            }
            Err(_) => Vec::new(),
        };
        let mut validated = Vec::new();
        for name in names {
            if !name_is_valid(&name) {
                continue;
            }
            // An error validating one name skips that name only.
            if let Ok(addresses) = self.addresses(&name, false).await
                && addresses.contains(&self.ip)
            {
                validated.push(name);
            }
        }
        self.validated = Some(validated.clone());
        Ok(validated)
    }

    /// RFC 7208 6.2: the explanation for "fail"; any trouble gives none.
    async fn explain(&mut self, spec: &str, domain: &str) -> Option<String> {
        let target = self.expand_domain(spec, domain).await.ok()?;
        if !name_is_valid(&target) {
            return None;
        }
        let answers = self.query(&target, RecordType::TXT).await.ok()?;
        let [RData::TXT(txt)] = answers.as_slice() else {
            return None;
        };
        let bytes: Vec<u8> = txt
            .txt_data
            .iter()
            .flat_map(|s| s.iter().copied())
            .collect();
        let text = String::from_utf8(bytes).ok()?;
        if !text.bytes().all(|b| b == b' ' || b.is_ascii_graphic()) {
            return None;
        }
        self.expand(&text, domain, true).await.ok()
    }

    fn count_term(&mut self) -> Result<(), Abort> {
        self.dns_terms += 1;
        if self.dns_terms > DNS_TERM_LIMIT {
            return Err(SpfResult::PermError);
        }
        Ok(())
    }

    fn void(&mut self) -> Result<(), Abort> {
        self.voids += 1;
        if self.voids > VOID_LOOKUP_LIMIT {
            return Err(SpfResult::PermError);
        }
        Ok(())
    }

    /// The mechanism's domain-spec expanded, or the current domain.
    async fn target(&mut self, spec: Option<&str>, domain: &str) -> Result<String, Abort> {
        match spec {
            Some(spec) => self.expand_domain(spec, domain).await,
            None => Ok(domain.to_string()),
        }
    }

    /// RFC 7208 7.3: a domain-spec expanded, then shortened from the left
    /// to at most 253 octets.
    async fn expand_domain(&mut self, spec: &str, domain: &str) -> Result<String, Abort> {
        let mut name = self.expand(spec, domain, false).await?;
        let trimmed = name.trim_end_matches('.').len();
        name.truncate(trimmed);
        while name.len() > 253 {
            match name.find('.') {
                Some(dot) => name.drain(..=dot),
                None => return Err(SpfResult::PermError),
            };
        }
        Ok(name)
    }

    /// RFC 7208 7: macro expansion. `exp` allows the c, r and t letters.
    async fn expand(&mut self, spec: &str, domain: &str, exp: bool) -> Result<String, Abort> {
        let mut out = String::with_capacity(spec.len());
        let mut rest = spec;
        while let Some(at) = rest.find('%') {
            out.push_str(&rest[..at]);
            let after = &rest[at + 1..];
            let mut chars = after.chars();
            match chars.next() {
                Some('%') => out.push('%'),
                Some('_') => out.push(' '),
                Some('-') => out.push_str("%20"),
                Some('{') => {
                    let close = after.find('}').ok_or(SpfResult::PermError)?;
                    let body = &after[1..close];
                    let value = self.macro_value(body, domain, exp).await?;
                    out.push_str(&value);
                    rest = &after[close + 1..];
                    continue;
                }
                _ => return Err(SpfResult::PermError),
            }
            rest = &after[1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// One `%{letter transformers delimiters}`.
    async fn macro_value(&mut self, body: &str, domain: &str, exp: bool) -> Result<String, Abort> {
        let mut chars = body.chars();
        let letter = chars.next().ok_or(SpfResult::PermError)?;
        let raw = match letter.to_ascii_lowercase() {
            's' => format!("{}@{}", self.local, self.sender_domain),
            'l' => self.local.clone(),
            'o' => self.sender_domain.clone(),
            'd' => domain.to_string(),
            'i' => dotted_ip(self.ip),
            'p' => self.p_macro(domain).await?,
            'v' => match self.ip {
                IpAddr::V4(_) => "in-addr".into(),
                IpAddr::V6(_) => "ip6".into(),
            },
            'h' => self.helo.clone(),
            'c' if exp => self.ip.to_string(),
            'r' if exp => self.receiver.clone(),
            't' if exp => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0)
                .to_string(),
            _ => return Err(SpfResult::PermError),
        };
        let rest: &str = chars.as_str();
        let digits_end = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let keep: Option<usize> = match &rest[..digits_end] {
            "" => None,
            n => match n.parse::<usize>() {
                Ok(0) | Err(_) => return Err(SpfResult::PermError),
                Ok(n) => Some(n),
            },
        };
        let rest = &rest[digits_end..];
        let (reverse, delimiters) = match rest.strip_prefix(['r', 'R']) {
            Some(d) => (true, d),
            None => (false, rest),
        };
        if !delimiters.chars().all(|c| ".-+,/_=".contains(c)) {
            return Err(SpfResult::PermError);
        }
        let delimiters = if delimiters.is_empty() {
            "."
        } else {
            delimiters
        };
        let mut parts: Vec<&str> = raw.split(|c| delimiters.contains(c)).collect();
        if reverse {
            parts.reverse();
        }
        if let Some(n) = keep
            && n < parts.len()
        {
            parts.drain(..parts.len() - n);
        }
        let value = parts.join(".");
        // An upper-case letter asks for URL escaping (RFC 7208 7.3).
        Ok(if letter.is_ascii_uppercase() {
            url_escape(&value)
        } else {
            value
        })
    }

    /// RFC 7208 7.3 `p`: a validated name of the client, preferring the
    /// current domain or one of its subdomains; "unknown" otherwise.
    async fn p_macro(&mut self, domain: &str) -> Result<String, Abort> {
        let names = self.validated_names().await.unwrap_or_default();
        let domain = domain.to_ascii_lowercase();
        let best = names
            .iter()
            .find(|n| **n == domain)
            .or_else(|| names.iter().find(|n| n.ends_with(&format!(".{domain}"))))
            .or(names.first());
        Ok(best.cloned().unwrap_or_else(|| "unknown".into()))
    }

    /// One query. No records and NXDOMAIN are an empty answer; any other
    /// failure is temperror (RFC 7208 2.6.6).
    async fn query(&mut self, name: &str, kind: RecordType) -> Lookup {
        // Labels as raw octets: a domain-spec may hold any visible
        // character (RFC 7208 7.1), `foo:bar/baz` and `%20` included.
        let labels = name.trim_end_matches('.').split('.').map(str::as_bytes);
        let Ok(mut fqdn) = Name::from_labels(labels) else {
            return Ok(Vec::new());
        };
        fqdn.set_fqdn(true);
        match self.resolver.lookup(fqdn, kind).await {
            Ok(lookup) => Ok(lookup
                .answers()
                .iter()
                .filter(|r| r.record_type() == kind)
                .map(|r| r.data.clone())
                .collect()),
            Err(e) if e.is_no_records_found() || e.is_nx_domain() => Ok(Vec::new()),
            Err(_) => Err(SpfResult::TempError),
        }
    }
}

/// Terms of a record that `spf_syntax::record_is_valid` accepted.
fn parse(text: &str) -> Option<Record<'_>> {
    let mut record = Record {
        directives: Vec::new(),
        redirect: None,
        exp: None,
    };
    let mut has_all = false;
    for term in text[6..].split(' ').filter(|t| !t.is_empty()) {
        if let Some((name, value)) = spf_syntax::modifier(term) {
            match name.to_ascii_lowercase().as_str() {
                "redirect" => record.redirect = Some(value),
                "exp" => record.exp = Some(value),
                // RFC 7208 6: unknown modifiers are ignored.
                _ => {}
            }
            continue;
        }
        let (qualifier, mechanism) = match term.as_bytes()[0] {
            b'+' => (SpfResult::Pass, &term[1..]),
            b'-' => (SpfResult::Fail, &term[1..]),
            b'~' => (SpfResult::SoftFail, &term[1..]),
            b'?' => (SpfResult::Neutral, &term[1..]),
            _ => (SpfResult::Pass, term),
        };
        let mechanism = mechanism_of(mechanism)?;
        has_all |= matches!(mechanism, Mechanism::All);
        record.directives.push((qualifier, mechanism));
    }
    if has_all {
        record.redirect = None;
    }
    Some(record)
}

fn mechanism_of(text: &str) -> Option<Mechanism<'_>> {
    let split = text.find([':', '/']).unwrap_or(text.len());
    let (name, rest) = text.split_at(split);
    let arg = rest.strip_prefix(':');
    Some(match name.to_ascii_lowercase().as_str() {
        "all" => Mechanism::All,
        "include" => Mechanism::Include(arg?),
        "exists" => Mechanism::Exists(arg?),
        "ptr" => Mechanism::Ptr(arg),
        "a" | "mx" => {
            let (spec, cidr) = match arg {
                Some(a) => {
                    let cut = cidr_start(a);
                    (Some(&a[..cut]), &a[cut..])
                }
                None => (None, rest),
            };
            let (v4, v6) = dual_cidr(cidr)?;
            if name.eq_ignore_ascii_case("a") {
                Mechanism::A(spec, v4, v6)
            } else {
                Mechanism::Mx(spec, v4, v6)
            }
        }
        "ip4" => {
            let a = arg?;
            let (net, len) = a.split_once('/').unwrap_or((a, "32"));
            Mechanism::Ip4(net.parse().ok()?, len.parse().ok()?)
        }
        "ip6" => {
            let a = arg?;
            let (net, len) = a.split_once('/').unwrap_or((a, "128"));
            Mechanism::Ip6(net.parse().ok()?, len.parse().ok()?)
        }
        _ => return None,
    })
}

/// Where a domain-spec's CIDR suffix starts.
fn cidr_start(spec: &str) -> usize {
    spec.len() - spf_syntax::cidr_suffix(spec).len()
}

/// `/n`, `//m` or `/n//m` into (IPv4 length, IPv6 length).
fn dual_cidr(text: &str) -> Option<(u8, u8)> {
    if text.is_empty() {
        return Some((32, 128));
    }
    let rest = text.strip_prefix('/')?;
    if let Some(v6) = rest.strip_prefix('/') {
        return Some((32, v6.parse().ok()?));
    }
    match rest.split_once("//") {
        Some((v4, v6)) => Some((v4.parse().ok()?, v6.parse().ok()?)),
        None => Some((rest.parse().ok()?, 128)),
    }
}

fn in_v4(ip: Ipv4Addr, net: Ipv4Addr, len: u8) -> bool {
    let mask = u32::MAX
        .checked_shl(32 - u32::from(len.min(32)))
        .unwrap_or(0);
    u32::from(ip) & mask == u32::from(net) & mask
}

fn in_v6(ip: Ipv6Addr, net: Ipv6Addr, len: u8) -> bool {
    let mask = u128::MAX
        .checked_shl(128 - u32::from(len.min(128)))
        .unwrap_or(0);
    u128::from(ip) & mask == u128::from(net) & mask
}

fn address(data: &RData) -> Option<IpAddr> {
    match data {
        RData::A(a) => Some(IpAddr::V4(a.0)),
        RData::AAAA(a) => Some(IpAddr::V6(a.0)),
        _ => None,
    }
}

/// A name from DNS as SPF compares it: labels unescaped (`to_ascii`
/// would write `foo\:bar`), no final dot.
fn plain(name: &Name) -> String {
    name.iter()
        .map(String::from_utf8_lossy)
        .collect::<Vec<_>>()
        .join(".")
}

/// A name that can be asked: labels of 1 to 63 octets, 253 in all. RFC
/// 7208 4.8 and 5: a target that cannot be a DNS name matches nothing.
fn name_is_valid(name: &str) -> bool {
    let name = name.trim_end_matches('.');
    !name.is_empty() && name.len() <= 253 && name.split('.').all(|l| !l.is_empty() && l.len() <= 63)
}

/// `%{i}`: dotted quad, or 32 dot-separated nibbles for IPv6.
fn dotted_ip(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => nibbles(v6).join("."),
    }
}

fn nibbles(ip: Ipv6Addr) -> Vec<String> {
    ip.octets()
        .iter()
        .flat_map(|b| [b >> 4, b & 0xf])
        .map(|n| format!("{n:x}"))
        .collect()
}

/// RFC 3986 escaping of everything but the unreserved characters.
fn url_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_match_by_family_and_length() {
        let net: Ipv4Addr = "192.0.2.0".parse().unwrap();
        assert!(in_v4("192.0.2.77".parse().unwrap(), net, 24));
        assert!(!in_v4("192.0.3.1".parse().unwrap(), net, 24));
        assert!(in_v4("10.0.0.1".parse().unwrap(), net, 0));
        let net6: Ipv6Addr = "2001:db8::".parse().unwrap();
        assert!(in_v6("2001:db8::1".parse().unwrap(), net6, 32));
        assert!(in_v6("::1".parse().unwrap(), net6, 0));
        assert!(!in_v6("2001:db9::1".parse().unwrap(), net6, 32));
    }

    #[test]
    fn record_terms() {
        let r = parse("v=spf1 a/24//64 mx:%{d/}/16 -ip4:1.2.3.4 redirect=x.test").unwrap();
        assert_eq!(r.directives.len(), 3);
        assert!(matches!(r.directives[0].1, Mechanism::A(None, 24, 64)));
        assert!(matches!(
            r.directives[1].1,
            Mechanism::Mx(Some("%{d/}"), 16, 128)
        ));
        assert_eq!(r.redirect, Some("x.test"));
        // "all" makes redirect moot.
        assert!(
            parse("v=spf1 -all redirect=x.test")
                .unwrap()
                .redirect
                .is_none()
        );
        // RFC 7208 7.1: "/" and ":" may be part of the domain.
        let r = parse("v=spf1 a:foo:bar/baz.example.com").unwrap();
        assert!(matches!(
            r.directives[0].1,
            Mechanism::A(Some("foo:bar/baz.example.com"), 32, 128)
        ));
    }

    #[test]
    fn reverse_names_and_escapes() {
        assert_eq!(
            crate::dns::reverse_name("192.0.2.1".parse().unwrap()),
            "1.2.0.192.in-addr.arpa"
        );
        assert!(crate::dns::reverse_name("2001:db8::1".parse().unwrap()).starts_with("1.0.0.0."));
        assert_eq!(url_escape("a b/c"), "a%20b%2Fc");
    }
}
