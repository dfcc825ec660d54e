//! Relay control, sender rules and the IP shield (RFC 5321 3.6, 7.1).
//!
//! Nothing is trusted by default: mail for other domains is accepted only
//! from authenticated sessions and `trusted_networks`; outsiders can't claim
//! our domains; authenticated users send only as themselves.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::address::{Domain, EmailAddress};

/// `/v1/settings/relay`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RelaySettings {
    /// Networks (CIDR or single addresses) allowed to relay without AUTH.
    #[schema(value_type = Vec<String>, example = json!(["192.0.2.0/24"]))]
    pub trusted_networks: Vec<IpNet>,
    /// Refuse unauthenticated sessions whose MAIL FROM claims a local domain.
    pub require_auth_for_local_senders: bool,
    /// Authenticated senders may use only their own address or aliases, as
    /// envelope sender and in `From:`.
    pub sender_must_match_auth: bool,
}

impl Default for RelaySettings {
    fn default() -> Self {
        Self {
            trusted_networks: Vec::new(),
            require_auth_for_local_senders: true,
            sender_must_match_auth: true,
        }
    }
}

impl RelaySettings {
    pub fn is_trusted(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.trusted_networks.iter().any(|n| n.contains(&ip))
    }
}

/// `/v1/settings/ip-shield`: domains whose mail may only come from listed networks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IpShieldSettings {
    pub enabled: bool,
    pub entries: Vec<IpShieldEntry>,
}

impl Default for IpShieldSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            entries: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IpShieldEntry {
    pub domain: String,
    #[schema(value_type = Vec<String>, example = json!(["192.0.2.0/24"]))]
    pub networks: Vec<IpNet>,
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// A refusal: SMTP code, enhanced code, text for the client, and a short
/// machine reason for the event log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: u16,
    pub enhanced: &'static str,
    pub text: String,
    pub reason: &'static str,
}

impl Refusal {
    fn new(
        code: u16,
        enhanced: &'static str,
        reason: &'static str,
        text: impl Into<String>,
    ) -> Self {
        Self {
            code,
            enhanced,
            text: text.into(),
            reason,
        }
    }
}

/// What the policy knows about the session.
#[derive(Debug, Clone)]
pub struct SessionFacts<'a> {
    pub ip: IpAddr,
    /// Addresses the authenticated account may send as (itself and its aliases).
    pub authenticated_as: Option<&'a [String]>,
    pub trusted: bool,
}

/// MAIL FROM. `sender` is `None` for the null reverse-path.
pub fn check_sender(
    facts: &SessionFacts<'_>,
    sender: Option<&EmailAddress>,
    sender_domain_is_local: bool,
    relay: &RelaySettings,
    shield: &IpShieldSettings,
) -> Result<(), Refusal> {
    if let Some(own) = facts.authenticated_as {
        if !relay.sender_must_match_auth {
            return Ok(());
        }
        return match sender {
            Some(s) if own.iter().any(|a| a.eq_ignore_ascii_case(&s.key())) => Ok(()),
            _ => Err(Refusal::new(
                550,
                "5.7.1",
                "sender_mismatch",
                "Sender address does not belong to the authenticated account",
            )),
        };
    }
    if facts.trusted {
        return Ok(());
    }
    let Some(sender) = sender else {
        return Ok(());
    };
    if sender_domain_is_local && relay.require_auth_for_local_senders {
        return Err(Refusal::new(
            530,
            "5.7.0",
            "local_sender_unauthenticated",
            format!("Authentication required to send as {}", sender.domain()),
        ));
    }
    if shield.enabled {
        let ip = canonical(facts.ip);
        for entry in &shield.entries {
            if entry.domain.eq_ignore_ascii_case(sender.domain().as_str())
                && !entry.networks.iter().any(|n| n.contains(&ip))
            {
                return Err(Refusal::new(
                    550,
                    "5.7.1",
                    "ip_shield",
                    format!("{} mail is not accepted from {ip}", sender.domain()),
                ));
            }
        }
    }
    Ok(())
}

/// A recipient's form, judged before any lookup: the tricks that made old
/// servers into open relays (RFC 5321 3.6, RFC 2505 3.1).
pub fn check_recipient_syntax(raw: &str) -> Result<EmailAddress, Refusal> {
    let trick = |what: &str| {
        Err(Refusal::new(
            550,
            "5.7.1",
            "relay_trick",
            format!("Recipient address not accepted: {what}"),
        ))
    };
    if raw.starts_with('@') {
        return trick("source routes are not accepted");
    }
    let Some((local, domain)) = raw.rsplit_once('@') else {
        return Err(Refusal::new(
            501,
            "5.1.3",
            "bad_address",
            "Recipient address must be local@domain",
        ));
    };
    if local.contains('@') {
        return trick("more than one '@'");
    }
    if local.contains('%') {
        return trick("'%' routing is not accepted");
    }
    if local.contains('!') {
        return trick("'!' paths are not accepted");
    }
    if domain.starts_with('[') {
        return trick("address literals are not accepted");
    }
    EmailAddress::parse(raw).map_err(|e| {
        Refusal::new(
            501,
            "5.1.3",
            "bad_address",
            format!("Bad recipient address: {e}"),
        )
    })
}

/// Whether the session may send to a non-local domain.
pub fn check_relay(facts: &SessionFacts<'_>, domain: &Domain) -> Result<(), Refusal> {
    if facts.authenticated_as.is_some() || facts.trusted {
        return Ok(());
    }
    Err(Refusal::new(
        554,
        "5.7.1",
        "relay_denied",
        format!("Relaying to {domain} denied; authenticate first"),
    ))
}

/// The `From:` header addresses of an authenticated submission.
pub fn check_from_header(
    own: &[String],
    from: &[String],
    relay: &RelaySettings,
) -> Result<(), Refusal> {
    if !relay.sender_must_match_auth {
        return Ok(());
    }
    let belongs = |addr: &str| {
        EmailAddress::parse(addr)
            .is_ok_and(|a| own.iter().any(|o| o.eq_ignore_ascii_case(&a.key())))
    };
    if from.is_empty() || !from.iter().all(|f| belongs(f)) {
        return Err(Refusal::new(
            550,
            "5.7.1",
            "from_mismatch",
            "From: header does not match the authenticated account",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_tricks_are_refused() {
        for raw in [
            "@a.test:b@c.test",
            "b%c.test@ours.test",
            "c.test!b@ours.test",
            "a@b@ours.test",
            "\"a@b\"@ours.test",
            "a@[192.0.2.1]",
        ] {
            let r = check_recipient_syntax(raw).unwrap_err();
            assert_eq!((r.code, r.reason), (550, "relay_trick"), "{raw}");
        }
        assert!(check_recipient_syntax("alice@ours.test").is_ok());
        assert_eq!(check_recipient_syntax("nobody").unwrap_err().code, 501);
    }

    #[test]
    fn sender_rules() {
        let relay = RelaySettings::default();
        let shield = IpShieldSettings {
            enabled: true,
            entries: vec![IpShieldEntry {
                domain: "bank.test".into(),
                networks: vec!["192.0.2.0/24".parse().unwrap()],
            }],
        };
        let outsider = SessionFacts {
            ip: "198.51.100.7".parse().unwrap(),
            authenticated_as: None,
            trusted: false,
        };
        let ours = EmailAddress::parse("alice@ours.test").unwrap();
        assert_eq!(
            check_sender(&outsider, Some(&ours), true, &relay, &shield)
                .unwrap_err()
                .code,
            530
        );
        let bank = EmailAddress::parse("x@bank.test").unwrap();
        assert_eq!(
            check_sender(&outsider, Some(&bank), false, &relay, &shield)
                .unwrap_err()
                .reason,
            "ip_shield"
        );
        let inside = SessionFacts {
            ip: "::ffff:192.0.2.9".parse().unwrap(),
            ..outsider.clone()
        };
        assert!(check_sender(&inside, Some(&bank), false, &relay, &shield).is_ok());
        let own = vec!["alice@ours.test".to_string()];
        let authed = SessionFacts {
            authenticated_as: Some(&own),
            ..outsider.clone()
        };
        assert!(check_sender(&authed, Some(&ours), true, &relay, &shield).is_ok());
        let other = EmailAddress::parse("bob@ours.test").unwrap();
        assert_eq!(
            check_sender(&authed, Some(&other), true, &relay, &shield)
                .unwrap_err()
                .reason,
            "sender_mismatch"
        );
        assert!(check_from_header(&own, &["Alice@ours.test".into()], &relay).is_ok());
        assert!(check_from_header(&own, &["bob@ours.test".into()], &relay).is_err());
        assert!(check_from_header(&own, &[], &relay).is_err());
    }
}
