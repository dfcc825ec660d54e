//! Inbound sender authentication: iprev (forward-confirmed PTR), HELO
//! sanity, SPF, DKIM, ARC and DMARC through mail-auth and the configured
//! resolver, then a score from configurable weights that decides between
//! delivering, filing in Junk, refusing and asking to try later. The SMTP
//! session and `POST /v1/tools/sender-check` both call [`check`], so the
//! tool shows exactly what SMTP would do.

use std::net::IpAddr;
use std::time::Duration;

use tokio::time::Instant;

use mail_auth::common::headers::HeaderWriter;
use mail_auth::dmarc::Policy;
use mail_auth::report::{ActionDisposition, PolicyPublished, Record, SPFDomainScope};
use mail_auth::{
    ArcOutput, AuthenticatedMessage, AuthenticationResults, DkimOutput, DkimResult, DmarcOutput,
    DmarcResult, IprevOutput, IprevResult, MessageAuthenticator, ReceivedSpf, SpfOutput, SpfResult,
    dmarc::verify::DmarcParameters,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{dkim_key, spf};
use crate::app::AppState;

pub const SETTING: &str = "inbound-screening";

/// `/v1/settings/inbound-screening`: what each finding weighs and what a
/// score leads to. Applies to sessions that are neither authenticated nor
/// from a trusted network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct InboundScreening {
    /// Off: no checks, no headers, every message delivered to INBOX.
    pub enabled: bool,
    pub weights: Weights,
    /// At or above this score the message is filed in Junk.
    #[schema(minimum = 0, maximum = 1000)]
    pub junk_score: f64,
    /// At or above this score the message is refused at the end of DATA.
    #[schema(minimum = 0, maximum = 1000)]
    pub reject_score: f64,
    /// Refuse mail from clients whose IP has no forward-confirmed PTR.
    pub reject_without_ptr: bool,
    /// Refuse (550 5.7.1) when DMARC fails and the domain's policy is `reject`.
    pub honor_dmarc_reject: bool,
    /// File in Junk when DMARC fails and the policy is `quarantine`.
    pub honor_dmarc_quarantine: bool,
    /// Answer 451 when a DNS lookup timed out or failed (SPF, DMARC or
    /// iprev `temperror`) instead of scoring the message as it is.
    pub tempfail_on_dns_error: bool,
}

impl Default for InboundScreening {
    fn default() -> Self {
        Self {
            enabled: true,
            weights: Weights::default(),
            junk_score: 5.0,
            reject_score: 12.0,
            reject_without_ptr: false,
            honor_dmarc_reject: true,
            honor_dmarc_quarantine: true,
            tempfail_on_dns_error: false,
        }
    }
}

/// Score added by each finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Weights {
    #[schema(minimum = 0, maximum = 1000)]
    pub spf_fail: f64,
    #[schema(minimum = 0, maximum = 1000)]
    pub spf_softfail: f64,
    #[schema(minimum = 0, maximum = 1000)]
    pub spf_neutral: f64,
    #[schema(minimum = 0, maximum = 1000)]
    pub spf_none: f64,
    #[schema(minimum = 0, maximum = 1000)]
    pub spf_permerror: f64,
    #[schema(minimum = 0, maximum = 1000)]
    pub spf_temperror: f64,
    /// Per failing DKIM signature (at most once per message).
    #[schema(minimum = 0, maximum = 1000)]
    pub dkim_fail: f64,
    #[schema(minimum = 0, maximum = 1000)]
    pub dkim_none: f64,
    #[schema(minimum = 0, maximum = 1000)]
    pub dmarc_fail: f64,
    /// No PTR, or a PTR whose name does not resolve back to the client IP.
    #[schema(minimum = 0, maximum = 1000)]
    pub ptr_missing: f64,
    /// HELO is our own name, or an IP literal that is not the client's.
    #[schema(minimum = 0, maximum = 1000)]
    pub helo_invalid: f64,
    #[schema(minimum = 0, maximum = 1000)]
    pub arc_fail: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Self {
            spf_fail: 5.0,
            spf_softfail: 2.0,
            spf_neutral: 0.5,
            spf_none: 1.0,
            spf_permerror: 1.0,
            spf_temperror: 0.0,
            dkim_fail: 3.0,
            dkim_none: 0.5,
            dmarc_fail: 4.0,
            ptr_missing: 2.0,
            helo_invalid: 3.0,
            arc_fail: 1.0,
        }
    }
}

/// What the message is checked as.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SenderCheckRequest {
    #[schema(value_type = String, example = "192.0.2.10")]
    pub ip: IpAddr,
    #[schema(min_length = 1, max_length = 255, pattern = "\\S")]
    pub helo: String,
    /// Envelope sender; empty for the null reverse-path.
    #[serde(default)]
    pub mail_from: String,
    /// The message (headers and body) for DKIM, ARC and DMARC; without it
    /// only iprev, HELO and SPF are checked.
    #[serde(default)]
    pub message: Option<String>,
}

/// One check's outcome.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckResult {
    /// RFC 8601 result: `pass`, `fail`, `softfail`, `neutral`, `none`,
    /// `temperror`, `permerror`.
    pub result: String,
    /// The domain (or PTR name) the check was about, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// Why, in words.
    pub reason: String,
}

/// A score contribution.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScorePart {
    /// `spf`, `dkim`, `dmarc`, `iprev`, `helo` or `arc`.
    pub check: String,
    pub result: String,
    pub weight: f64,
}

/// What happens to the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Deliver,
    Junk,
    Reject,
    /// 451: try again later (DNS trouble with `tempfail_on_dns_error`).
    Tempfail,
}

/// Every finding, the score and the verdict.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SenderReport {
    pub iprev: CheckResult,
    pub helo: CheckResult,
    pub spf: CheckResult,
    pub dkim: Vec<CheckResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arc: Option<CheckResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dmarc: Option<CheckResult>,
    /// The DMARC policy that applied (`none`, `quarantine`, `reject`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dmarc_policy: Option<String>,
    pub score: f64,
    pub score_parts: Vec<ScorePart>,
    pub verdict: Verdict,
    /// Why the verdict, in words (the SMTP reply text for refusals).
    pub reason: String,
    /// The `Authentication-Results:`, `Received-SPF:` and score headers
    /// prepended to a delivered message.
    pub headers: String,
    /// What the message adds to the From: domain's DMARC aggregate report,
    /// when that domain asks for reports (`rua`).
    #[serde(skip)]
    pub aggregate: Option<AggregateRow>,
}

/// One message's row for a DMARC aggregate report.
#[derive(Debug, Clone)]
pub struct AggregateRow {
    pub domain: String,
    /// Report addresses, without `mailto:`.
    pub rua: Vec<String>,
    pub policy: PolicyPublished,
    pub record: Record,
}

fn check(result: &str, domain: Option<String>, reason: impl Into<String>) -> CheckResult {
    CheckResult {
        result: result.into(),
        domain,
        reason: reason.into(),
    }
}

fn spf_name(r: SpfResult) -> &'static str {
    match r {
        SpfResult::Pass => "pass",
        SpfResult::Fail => "fail",
        SpfResult::SoftFail => "softfail",
        SpfResult::Neutral => "neutral",
        SpfResult::TempError => "temperror",
        SpfResult::PermError => "permerror",
        SpfResult::None => "none",
    }
}

fn dkim_name(r: &DkimResult) -> (&'static str, String) {
    match r {
        DkimResult::Pass => ("pass", "signature verified".into()),
        // A body that does not match its hash is a PERMFAIL (RFC 6376
        // 6.1.3), `fail` in Authentication-Results (RFC 8601 2.7.1);
        // mail-auth calls it neutral (see also `to_header` below).
        DkimResult::Neutral(
            e @ mail_auth::Error::Dkim(mail_auth::dkim::DkimError::FailedBodyHashMatch),
        ) => ("fail", e.to_string()),
        DkimResult::Neutral(e) => ("neutral", e.to_string()),
        DkimResult::Fail(e) => ("fail", e.to_string()),
        DkimResult::PermError(e) => ("permerror", e.to_string()),
        DkimResult::TempError(e) => ("temperror", e.to_string()),
        DkimResult::None => ("none", "no signature".into()),
    }
}

fn dmarc_name(r: &DmarcResult) -> (&'static str, String) {
    match r {
        DmarcResult::Pass => ("pass", "aligned".into()),
        DmarcResult::Fail(e) => ("fail", e.to_string()),
        DmarcResult::TempError(e) => ("temperror", e.to_string()),
        DmarcResult::PermError(e) => ("permerror", e.to_string()),
        DmarcResult::None => ("none", "no DMARC record".into()),
    }
}

/// HELO sanity: not our own name, and an address literal only when it is
/// the client's own address.
fn helo_check(helo: &str, ip: IpAddr, hostname: &str) -> CheckResult {
    let name = helo.trim();
    if name.is_empty() {
        return check("fail", None, "empty HELO");
    }
    if name.eq_ignore_ascii_case(hostname) {
        return check("fail", Some(name.into()), "HELO claims to be this server");
    }
    let literal = name
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .map(|s| s.strip_prefix("IPv6:").unwrap_or(s));
    match literal.map(|l| l.parse::<IpAddr>()) {
        Some(Ok(claimed)) if claimed == ip => {
            check("pass", Some(name.into()), "client's own address literal")
        }
        Some(Ok(_)) => check("fail", Some(name.into()), "address literal of another host"),
        Some(Err(_)) => check("fail", Some(name.into()), "malformed address literal"),
        None if name.parse::<IpAddr>().is_ok() => check(
            "fail",
            Some(name.into()),
            "bare IP address instead of a name",
        ),
        None if !name.contains('.') => {
            check("fail", Some(name.into()), "not a fully qualified name")
        }
        None => check("pass", Some(name.into()), "plausible name"),
    }
}

/// A lookup's answer, or `late()` once the message's DNS budget is spent.
async fn within<T>(
    deadline: Instant,
    lookup: impl Future<Output = T>,
    late: impl FnOnce() -> T,
) -> T {
    match tokio::time::timeout_at(deadline, lookup).await {
        Ok(answer) => answer,
        Err(_) => {
            tracing::debug!("sender check: DNS budget spent");
            late()
        }
    }
}

/// A signature whose key record breaks RFC 6376's tag-list rules is a
/// `permerror`, whatever mail-auth made of the key (see `dkim_key`).
async fn key_record_check<'x>(
    resolver: &MessageAuthenticator,
    msg: &'x AuthenticatedMessage<'x>,
    out: &mut DkimOutput<'x>,
) {
    if matches!(out.result(), DkimResult::TempError(_) | DkimResult::None) {
        return;
    }
    let Some((selector, domain, b)) = out
        .signature()
        .map(|s| (s.s.clone(), s.d.clone(), s.b.clone()))
    else {
        return;
    };
    if dkim_key::record_is_valid(resolver, &selector, &domain).await {
        return;
    }
    // The signature as the message holds it, to keep header.d/header.s.
    if let Some(header) = msg.dkim_headers.iter().find(|h| h.header.b == b) {
        *out = DkimOutput::perm_err(mail_auth::Error::ParseError).with_signature(&header.header);
    }
}

fn over_budget() -> mail_auth::Error {
    mail_auth::Error::Dns(mail_auth::DnsError::Resolver(
        "the message's DNS time budget was spent".into(),
    ))
}

/// Runs every check on one message (or, without `message`, on the
/// envelope alone) and scores it.
pub async fn check_sender(
    state: &AppState,
    settings: &InboundScreening,
    ip: IpAddr,
    helo: &str,
    mail_from: &str,
    message: Option<&[u8]>,
) -> SenderReport {
    let resolver = &state.screening_resolver;
    // An IPv4 client reaching us over IPv6 (`::ffff:a.b.c.d`) is checked as
    // the IPv4 client it is (RFC 7208 5: mechanisms match by address family).
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    };
    let hostname = state.config.hostname.as_str();
    let w = &settings.weights;
    let mut parts: Vec<ScorePart> = Vec::new();
    let mut add = |check: &str, result: &str, weight: f64| {
        if weight != 0.0 {
            parts.push(ScorePart {
                check: check.into(),
                result: result.into(),
                weight,
            });
        }
    };
    let mut dns_trouble = false;

    // Every lookup that needs no other's answer runs at once, all within
    // one budget per message; what is not answered by then is temperror.
    let deadline = Instant::now() + Duration::from_millis(state.config.dns.message_budget_ms);
    let parsed = message.and_then(AuthenticatedMessage::parse);
    // The SPF identity: MAIL FROM, or postmaster@HELO for the null sender
    // (RFC 7208 2.3, 2.4).
    let (spf_scope, spf_sender) = match mail_from.rsplit_once('@') {
        Some((_, domain)) if !mail_from.is_empty() => (domain.to_string(), mail_from.to_string()),
        _ => (helo.to_string(), format!("postmaster@{helo}")),
    };
    let spf_request = spf::Request {
        ip,
        domain: &spf_scope,
        sender: &spf_sender,
        helo,
        receiver: hostname,
    };
    let (iprev_out, spf_out, dkim_out, arc_out) = tokio::join!(
        within(deadline, resolver.verify_iprev(ip), || IprevOutput {
            result: IprevResult::TempError(over_budget()),
            ptr: None,
        }),
        within(
            deadline,
            spf::check_host(resolver.resolver(), &spf_request),
            || SpfOutput::new(spf_scope.clone()).with_result(SpfResult::TempError),
        ),
        async {
            match &parsed {
                Some(msg) => {
                    within(
                        deadline,
                        async {
                            let mut outs = resolver.verify_dkim(msg).await;
                            for out in &mut outs {
                                key_record_check(resolver, msg, out).await;
                            }
                            outs
                        },
                        || {
                            // One temperror per signature that went unchecked.
                            msg.dkim_headers
                                .iter()
                                .map(|_| DkimOutput::temp_err(over_budget()))
                                .collect()
                        },
                    )
                    .await
                }
                None => Vec::new(),
            }
        },
        async {
            match &parsed {
                Some(msg) => within(deadline, resolver.verify_arc(msg), ArcOutput::default).await,
                None => ArcOutput::default(),
            }
        },
    );

    let ptr_name = iprev_out
        .ptr
        .as_ref()
        .and_then(|p| p.first())
        .map(|n| n.trim_end_matches('.').to_string());
    let iprev = match &iprev_out.result {
        IprevResult::Pass => check("pass", ptr_name.clone(), "PTR resolves back to the client"),
        IprevResult::Fail(e) => check("fail", ptr_name.clone(), format!("PTR not confirmed: {e}")),
        IprevResult::TempError(e) => {
            dns_trouble = true;
            check("temperror", None, e.to_string())
        }
        IprevResult::PermError(e) => check("permerror", None, format!("no PTR: {e}")),
        IprevResult::None => check("none", None, "no PTR"),
    };
    let ptr_confirmed = iprev.result == "pass";
    if !ptr_confirmed && iprev.result != "temperror" {
        add("iprev", &iprev.result, w.ptr_missing);
    }

    // HELO
    let helo_result = helo_check(helo, ip, hostname);
    if helo_result.result == "fail" {
        add("helo", "fail", w.helo_invalid);
    }

    // SPF on MAIL FROM, or on HELO for the null sender.
    let spf_result = spf_out.result();
    let spf_label = spf_name(spf_result);
    let spf_domain = spf_out.domain().to_string();
    let spf = check(
        spf_label,
        Some(spf_domain.clone()).filter(|d| !d.is_empty()),
        match spf_result {
            SpfResult::Pass => "client authorised by the domain's SPF record".to_string(),
            SpfResult::Fail => format!(
                "client not authorised{}",
                spf_out
                    .explanation()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default()
            ),
            SpfResult::SoftFail => "client probably not authorised (~all)".into(),
            SpfResult::Neutral => "the domain makes no assertion (?all)".into(),
            SpfResult::None => "no SPF record".into(),
            SpfResult::PermError => "the SPF record is invalid or needs too many lookups".into(),
            SpfResult::TempError => "DNS error while evaluating SPF".into(),
        },
    );
    if spf_result == SpfResult::TempError {
        dns_trouble = true;
    }
    add(
        "spf",
        spf_label,
        match spf_result {
            SpfResult::Fail => w.spf_fail,
            SpfResult::SoftFail => w.spf_softfail,
            SpfResult::Neutral => w.spf_neutral,
            SpfResult::None => w.spf_none,
            SpfResult::PermError => w.spf_permerror,
            SpfResult::TempError => w.spf_temperror,
            SpfResult::Pass => 0.0,
        },
    );

    let mut ar = AuthenticationResults::new(hostname).with_iprev_result(&iprev_out, ip);
    ar = if mail_from.is_empty() {
        ar.with_spf_ehlo_result(&spf_out, ip, helo)
    } else {
        ar.with_spf_mailfrom_result(&spf_out, ip, mail_from, helo)
    };

    let mut dkim = Vec::new();
    let mut arc = None;
    let mut dmarc = None;
    let mut dmarc_policy = None;
    let mut dmarc_verdict: Option<Verdict> = None;
    let mut aggregate: Option<AggregateRow> = None;
    if let Some(msg) = &parsed {
        let mut any_fail = false;
        for d in &dkim_out {
            let (label, reason) = dkim_name(d.result());
            // A malformed signature (neutral) scores as a failed one too.
            if matches!(label, "fail" | "permerror" | "neutral") {
                any_fail = true;
            }
            if label == "temperror" {
                dns_trouble = true;
            }
            dkim.push(check(
                label,
                d.signature().map(|s| format!("{} (s={})", s.d, s.s)),
                reason,
            ));
        }
        if dkim_out.is_empty() {
            dkim.push(check("none", None, "no signature"));
            add("dkim", "none", w.dkim_none);
        } else if any_fail && !dkim.iter().any(|d| d.result == "pass") {
            add("dkim", "fail", w.dkim_fail);
        }
        let from_domain = msg
            .from
            .first()
            .and_then(|f| f.rsplit_once('@'))
            .map(|(_, d)| d.to_string())
            .unwrap_or_default();
        ar = ar.with_dkim_results(&dkim_out, &from_domain);

        if !arc_out.sets().is_empty() {
            let (label, reason) = dkim_name(arc_out.result());
            if label == "fail" || label == "permerror" {
                add("arc", label, w.arc_fail);
            }
            arc = Some(check(label, None, reason));
            ar = ar.with_arc_result(&arc_out, ip);
        }

        let mail_from_domain = if mail_from.is_empty() {
            helo
        } else {
            mail_from.rsplit_once('@').map(|(_, d)| d).unwrap_or(helo)
        };
        let dmarc_out = within(
            deadline,
            resolver.verify_dmarc(DmarcParameters::new(
                msg,
                &dkim_out,
                mail_from_domain,
                &spf_out,
            )),
            || {
                DmarcOutput::new(from_domain.clone())
                    .with_spf_result(DmarcResult::TempError(over_budget()))
                    .with_dkim_result(DmarcResult::TempError(over_budget()))
            },
        )
        .await;
        // Pass when either aligned identifier passes.
        let result = dmarc_out.result();
        let (label, reason) = dmarc_name(&result);
        if label == "temperror" {
            dns_trouble = true;
        }
        let domain = Some(dmarc_out.domain().to_string()).filter(|d| !d.is_empty());
        if label != "none" || domain.is_some() {
            let policy = dmarc_out.policy();
            dmarc_policy = Some(
                match policy {
                    Policy::Reject => "reject",
                    Policy::Quarantine => "quarantine",
                    Policy::None | Policy::Unspecified => "none",
                }
                .to_string(),
            );
            if label == "fail" {
                add("dmarc", "fail", w.dmarc_fail);
                dmarc_verdict = match policy {
                    Policy::Reject if settings.honor_dmarc_reject => Some(Verdict::Reject),
                    Policy::Quarantine if settings.honor_dmarc_quarantine => Some(Verdict::Junk),
                    // p=reject not honoured: quarantine at least.
                    Policy::Reject if settings.honor_dmarc_quarantine => Some(Verdict::Junk),
                    _ => None,
                };
            }
            dmarc = Some(check(label, domain, reason));
        }
        if let Some(published) = dmarc_out.dmarc_record()
            && !published.rua.is_empty()
        {
            aggregate = Some(AggregateRow {
                domain: dmarc_out.domain().to_string(),
                rua: published.rua.iter().map(|u| u.uri().to_string()).collect(),
                policy: PolicyPublished::from_record(dmarc_out.domain(), published),
                record: Record::new()
                    .with_source_ip(ip)
                    .with_count(1)
                    .with_header_from(dmarc_out.domain())
                    .with_envelope_from(mail_from_domain)
                    .with_dkim_output(&dkim_out)
                    .with_spf_output(
                        &spf_out,
                        if mail_from.is_empty() {
                            SPFDomainScope::Helo
                        } else {
                            SPFDomainScope::MailFrom
                        },
                    )
                    .with_dmarc_output(&dmarc_out),
            });
        }
        ar = ar.with_dmarc_result(&dmarc_out);
    }

    // Rounded to hundredths; `+ 0.0` turns an empty sum's -0.0 into 0.
    let score = (parts.iter().map(|p| p.weight).sum::<f64>() * 100.0).round() / 100.0 + 0.0;
    let (verdict, reason) = if settings.tempfail_on_dns_error && dns_trouble {
        (
            Verdict::Tempfail,
            "Temporary DNS failure while checking the sender; try again later".to_string(),
        )
    } else if dmarc_verdict == Some(Verdict::Reject) {
        (
            Verdict::Reject,
            format!(
                "DMARC policy of {} rejects this message",
                dmarc
                    .as_ref()
                    .and_then(|d| d.domain.clone())
                    .unwrap_or_default()
            ),
        )
    } else if settings.reject_without_ptr && !ptr_confirmed {
        (
            Verdict::Reject,
            format!("No forward-confirmed PTR record for {ip}"),
        )
    } else if score >= settings.reject_score {
        (
            Verdict::Reject,
            format!("Message refused by sender checks (score {score})"),
        )
    } else if score >= settings.junk_score || dmarc_verdict == Some(Verdict::Junk) {
        (Verdict::Junk, format!("filed as junk (score {score})"))
    } else {
        (Verdict::Deliver, format!("delivered (score {score})"))
    };

    // The report says what we did, which is not always what was asked.
    if let Some(row) = &mut aggregate
        && row.record.action_disposition() != ActionDisposition::Pass
    {
        row.record = row.record.clone().with_action_disposition(match verdict {
            Verdict::Reject => ActionDisposition::Reject,
            Verdict::Junk => ActionDisposition::Quarantine,
            _ => ActionDisposition::None,
        });
    }
    // mail-auth writes a body-hash mismatch as `dkim=neutral`; RFC 6376
    // 6.1.3 and RFC 8601 2.7.1 make it `dkim=fail` (as in the report).
    let mut headers = ar.to_header().replace(
        "dkim=neutral (body hash did not verify)",
        "dkim=fail (body hash did not verify)",
    );
    headers.push_str(&ReceivedSpf::new(&spf_out, ip, helo, mail_from, hostname).to_header());
    let detail: Vec<String> = parts
        .iter()
        .map(|p| format!("{}={}:{}", p.check, p.result, p.weight))
        .collect();
    headers.push_str(&format!(
        "X-Rampart-Score: {score} ({}) {}\r\n",
        match verdict {
            Verdict::Deliver => "deliver",
            Verdict::Junk => "junk",
            Verdict::Reject => "reject",
            Verdict::Tempfail => "tempfail",
        },
        if detail.is_empty() {
            "clean".to_string()
        } else {
            detail.join(" ")
        }
    ));

    SenderReport {
        iprev,
        helo: helo_result,
        spf,
        dkim,
        arc,
        dmarc,
        dmarc_policy,
        score,
        score_parts: parts,
        verdict,
        reason,
        headers,
        aggregate,
    }
}

/// Removes `Authentication-Results:` headers that claim to come from us
/// (`authserv-id` = our hostname): only we may write those, so any that
/// arrive are forged. Headers are only looked at up to the first empty line.
/// Field names and authserv-ids are read as leniently as the most lenient
/// reader downstream would (blanks inside the name, comments before the
/// id), so no reader sees a forged header that this let through.
pub fn strip_forged_results(message: &[u8], hostname: &str) -> Vec<u8> {
    let header_end = if message.starts_with(b"\r\n") {
        // An empty line first: there is no header section at all.
        0
    } else {
        message
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map(|p| p + 2)
            .unwrap_or(message.len())
    };
    let mut out = Vec::with_capacity(message.len());
    let mut at = 0;
    while at < header_end {
        // One header field: its first line plus continuation lines.
        let mut end = at;
        loop {
            match message[end..header_end]
                .windows(2)
                .position(|w| w == b"\r\n")
            {
                Some(p) => end += p + 2,
                None => {
                    end = header_end;
                    break;
                }
            }
            if end >= header_end || !matches!(message[end], b' ' | b'\t') {
                break;
            }
        }
        let field = &message[at..end];
        if !claims_our_authserv_id(field, hostname) {
            out.extend_from_slice(field);
        }
        at = end;
    }
    out.extend_from_slice(&message[header_end..]);
    out
}

fn claims_our_authserv_id(field: &[u8], hostname: &str) -> bool {
    // The name as lenient parsers read it (mail-parser among them): the
    // non-blank octets before the first colon that follows one, so that
    // "Authentication-Result s:" and ": Authentication-Results:" count. A
    // line that ends before any colon names nothing, and such parsers start
    // the name afresh on the next line even when it is a continuation line.
    let mut name = Vec::new();
    let mut colon = None;
    for (i, &b) in field.iter().enumerate() {
        match b {
            b':' if !name.is_empty() => {
                colon = Some(i);
                break;
            }
            b':' => {}
            b'\n' => name.clear(),
            b if b.is_ascii_whitespace() => {}
            b => name.push(b.to_ascii_lowercase()),
        }
    }
    let Some(colon) = colon else {
        return false;
    };
    if name != b"authentication-results" {
        return false;
    }
    let value = String::from_utf8_lossy(&field[colon + 1..]);
    authserv_id(&value).eq_ignore_ascii_case(hostname)
}

/// RFC 8601 2.2: `authres-header-field = [CFWS] authserv-id [CFWS
/// authres-version] ...`: the first value, comments aside, before `;`,
/// a token or a quoted string.
fn authserv_id(value: &str) -> String {
    let mut text = String::with_capacity(value.len());
    let mut depth = 0usize;
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' if depth > 0 => {
                chars.next();
            }
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            _ if depth > 0 => {}
            ';' => break,
            c => text.push(c),
        }
    }
    let id = text.split_whitespace().next().unwrap_or_default();
    id.trim_matches('"').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forged_results_in_lenient_spellings_are_removed_too() {
        // Found by fuzz/fuzz_targets/auth_results.rs: mail-parser reads a
        // name with a blank inside as Authentication-Results.
        for forged in [
            "Authentication-Result s:mx.example.net; spf=pass\r\n",
            ": Authentication-Results: mx.example.net; spf=pass\r\n",
            "Authentication-Results: (ours) mx.example.net; dkim=pass\r\n",
            "Authentication-Results: \"mx.example.net\" 1; dmarc=pass\r\n",
            // A line without a colon names nothing; mail-parser starts the
            // name again on the next line, continuation or not.
            "x\r\n Authentication-Results: mx.example.net; spf=pass\r\n",
        ] {
            let msg = format!("Subject: x\r\n{forged}To: y@example.net\r\n\r\nbody\r\n");
            let out = strip_forged_results(msg.as_bytes(), "mx.example.net");
            assert_eq!(
                out, b"Subject: x\r\nTo: y@example.net\r\n\r\nbody\r\n",
                "{forged:?}"
            );
        }
        // An empty header section: the body is not headers, on any pass.
        let msg = b"\r\nAuthentication-Results: mx.example.net; spf=pass\r\n\r\n";
        assert_eq!(strip_forged_results(msg, "mx.example.net"), msg);
    }

    /// What fuzz/fuzz_targets/auth_results.rs asserts, on the input it
    /// found (also a seed in fuzz/corpus/auth_results): mail-parser must
    /// see no header claiming our authserv-id after stripping.
    #[test]
    fn no_forged_header_survives_for_mail_parser() {
        // The fuzz target makes every line end CRLF first, as SMTP does.
        let raw = include_bytes!(
            "../../fuzz/corpus/auth_results/regression-continuation-after-colonless-line"
        );
        let mut message = Vec::new();
        for &b in raw.iter().filter(|b| **b != b'\r') {
            if b == b'\n' {
                message.push(b'\r');
            }
            message.push(b);
        }
        let message = message.as_slice();
        let claims = |m: &[u8]| {
            mail_parser::MessageParser::new()
                .parse_headers(m)
                .is_some_and(|p| {
                    p.headers()
                        .iter()
                        .any(|h| h.name().eq_ignore_ascii_case("Authentication-Results"))
                })
        };
        assert!(claims(message), "mail-parser reads the forged header");
        let once = strip_forged_results(message, "mx.example.com");
        assert_eq!(strip_forged_results(&once, "mx.example.com"), once);
        assert!(!claims(&once), "{:?}", String::from_utf8_lossy(&once));
    }

    #[test]
    fn forged_results_are_removed_and_others_kept() {
        let msg = b"Authentication-Results: mx.example.net; spf=pass\r\nAuthentication-Results: other.example;\r\n spf=fail\r\nauthentication-results:   MX.example.net 1;\r\n\tdkim=pass\r\nSubject: hi\r\n\r\nAuthentication-Results: mx.example.net; body stays\r\n";
        let out = String::from_utf8(strip_forged_results(msg, "mx.example.net")).unwrap();
        assert_eq!(
            out,
            "Authentication-Results: other.example;\r\n spf=fail\r\nSubject: hi\r\n\r\nAuthentication-Results: mx.example.net; body stays\r\n"
        );
    }

    #[test]
    fn helo_sanity() {
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        assert_eq!(
            helo_check("mail.example.org", ip, "mx.local").result,
            "pass"
        );
        assert_eq!(helo_check("MX.local", ip, "mx.local").result, "fail");
        assert_eq!(helo_check("[192.0.2.1]", ip, "mx.local").result, "pass");
        assert_eq!(helo_check("[192.0.2.9]", ip, "mx.local").result, "fail");
        assert_eq!(helo_check("192.0.2.1", ip, "mx.local").result, "fail");
        assert_eq!(helo_check("localhost", ip, "mx.local").result, "fail");
    }
}
