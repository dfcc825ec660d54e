//! The grammar of RFC 7208 that `spf` checks every record against before
//! evaluating it: the identity must be a usable domain (4.3), and a record
//! must follow the ABNF of section 12 (with 5.6 for CIDR lengths and 6 for
//! modifiers); `ip4:1.2.3.4/33`, `a:foo.123`, `redirect=` twice or a
//! modifier named `-x` are permerror.

use std::net::Ipv6Addr;

/// RFC 7208 4.3: a malformed identity (empty label, label over 63 octets,
/// name over 253) or a single label gives "none" without any lookup.
pub fn identity_is_usable(domain: &str) -> bool {
    let name = domain.strip_suffix('.').unwrap_or(domain);
    if name.is_empty() || name.len() > 253 || !name.contains('.') {
        return false;
    }
    // A domain literal (`[192.0.2.1]`) is no domain name either.
    name.split('.').all(|l| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// RFC 7208 4.5: "v=spf1" followed by a space or the end.
pub(super) fn is_spf(record: &[u8]) -> bool {
    record.len() >= 6
        && record[..6].eq_ignore_ascii_case(b"v=spf1")
        && (record.len() == 6 || record[6] == b' ')
}

/// RFC 7208 12: `record = version terms *SP`.
pub fn record_is_valid(record: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(record) else {
        return false;
    };
    // Only printable ASCII and spaces (non-ASCII and controls: permerror).
    if !text
        .bytes()
        .all(|b| b == b' ' || (0x21..=0x7e).contains(&b))
    {
        return false;
    }
    let mut redirects = 0;
    let mut explanations = 0;
    for term in text[6..].split(' ').filter(|t| !t.is_empty()) {
        let lower = term.to_ascii_lowercase();
        if let Some((name, value)) = modifier(term) {
            if !modifier_name(name) {
                return false;
            }
            match name.to_ascii_lowercase().as_str() {
                "redirect" => {
                    redirects += 1;
                    if !domain_spec(value) {
                        return false;
                    }
                }
                "exp" => {
                    explanations += 1;
                    if !domain_spec(value) {
                        return false;
                    }
                }
                _ if !macro_string(value) => return false,
                _ => {}
            }
            continue;
        }
        let mechanism = lower.trim_start_matches(['+', '-', '?', '~']);
        if mechanism.len() + 1 < lower.len() || !directive(&term[term.len() - mechanism.len()..]) {
            return false;
        }
    }
    // RFC 7208 6: each at most once.
    redirects <= 1 && explanations <= 1
}

/// `name "=" value` when the term is a modifier (a mechanism never has
/// `=` before its `:` or `/`).
pub(super) fn modifier(term: &str) -> Option<(&str, &str)> {
    let eq = term.find('=')?;
    let name = &term[..eq];
    (!name.contains([':', '/'])).then(|| (name, &term[eq + 1..]))
}

/// `name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )`.
fn modifier_name(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// One mechanism (without its qualifier), case-insensitive.
fn directive(mechanism: &str) -> bool {
    let lower = mechanism.to_ascii_lowercase();
    let (name, rest) = match lower.find([':', '/']) {
        Some(i) => (&lower[..i], &mechanism[i..]),
        None => (lower.as_str(), ""),
    };
    let arg = rest.strip_prefix(':');
    match name {
        "all" => rest.is_empty(),
        "include" | "exists" => arg.is_some_and(domain_spec),
        "ptr" => rest.is_empty() || arg.is_some_and(domain_spec),
        "a" | "mx" => {
            let (domain, cidr) = match arg {
                Some(a) => {
                    let cidr = cidr_suffix(a);
                    (Some(&a[..a.len() - cidr.len()]), cidr)
                }
                None => (None, rest),
            };
            domain.is_none_or(domain_spec) && dual_cidr(cidr)
        }
        "ip4" => arg.is_some_and(|a| {
            let (net, cidr) = a.split_once('/').map_or((a, None), |(n, c)| (n, Some(c)));
            ip4_network(net) && cidr.is_none_or(|c| cidr_length(c, 32))
        }),
        "ip6" => arg.is_some_and(|a| {
            let (net, cidr) = match a.find('/') {
                Some(i) => (&a[..i], Some(&a[i + 1..])),
                None => (a, None),
            };
            net.parse::<Ipv6Addr>().is_ok() && cidr.is_none_or(|c| cidr_length(c, 128))
        }),
        _ => false,
    }
}

/// The `dual-cidr-length` at the end of an `a:`/`mx:` argument, if any:
/// `/n`, `//n` or `/n//m` of digits. A `/` elsewhere belongs to the
/// domain-spec, which may hold any visible character (RFC 7208 7.1).
pub(super) fn cidr_suffix(arg: &str) -> &str {
    fn digits_at_end(s: &str) -> usize {
        s.len() - s.trim_end_matches(|c: char| c.is_ascii_digit()).len()
    }
    let mut cut = arg.len();
    let n = digits_at_end(&arg[..cut]);
    if n > 0 && arg[..cut - n].ends_with("//") {
        cut -= n + 2;
    }
    let n = digits_at_end(&arg[..cut]);
    if n > 0 && arg[..cut - n].ends_with('/') && !arg[..cut - n].ends_with("//") {
        cut -= n + 1;
    }
    &arg[cut..]
}

/// `dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ]`.
fn dual_cidr(text: &str) -> bool {
    if text.is_empty() {
        return true;
    }
    let Some(rest) = text.strip_prefix('/') else {
        return false;
    };
    if let Some(ip6) = rest.strip_prefix('/') {
        return cidr_length(ip6, 128);
    }
    match rest.split_once("//") {
        Some((ip4, ip6)) => cidr_length(ip4, 32) && cidr_length(ip6, 128),
        None => cidr_length(rest, 32),
    }
}

/// `"0" / %x31-39 0*nDIGIT` within `max` (RFC 7208 5.6: no leading zeros).
fn cidr_length(text: &str, max: u32) -> bool {
    let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    digits && (text == "0" || !text.starts_with('0')) && text.parse::<u32>().is_ok_and(|n| n <= max)
}

/// `ip4-network = qnum "." qnum "." qnum "." qnum`, qnum without leading zeros.
fn ip4_network(text: &str) -> bool {
    let parts: Vec<&str> = text.split('.').collect();
    parts.len() == 4
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.len() <= 3
                && p.bytes().all(|b| b.is_ascii_digit())
                && (*p == "0" || !p.starts_with('0'))
                && p.parse::<u16>().is_ok_and(|n| n <= 255)
        })
}

/// `domain-spec = macro-string domain-end`.
fn domain_spec(text: &str) -> bool {
    if text.is_empty() || !macro_string(text) {
        return false;
    }
    // domain-end: a macro-expand, or "." toplabel ["."].
    if text.ends_with('}') || text.ends_with("%%") || text.ends_with("%_") || text.ends_with("%-") {
        return true;
    }
    let name = text.strip_suffix('.').unwrap_or(text);
    let Some((_, top)) = name.rsplit_once('.') else {
        return false;
    };
    toplabel(top)
}

/// `toplabel = ( *alphanum ALPHA *alphanum ) /
///             ( 1*alphanum "-" *( alphanum / "-" ) alphanum )`: not all digits.
fn toplabel(label: &str) -> bool {
    let b = label.as_bytes();
    !b.is_empty()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().any(|c| c.is_ascii_alphabetic() || *c == b'-')
}

/// `macro-string = *( macro-expand / macro-literal )`.
fn macro_string(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'%' {
            if !(0x21..=0x7e).contains(&b[i]) {
                return false;
            }
            i += 1;
            continue;
        }
        match b.get(i + 1) {
            Some(b'%' | b'_' | b'-') => i += 2,
            Some(b'{') => {
                let Some(close) = text[i..].find('}') else {
                    return false;
                };
                if !macro_body(&text[i + 2..i + close]) {
                    return false;
                }
                i += close + 1;
            }
            _ => return false,
        }
    }
    true
}

/// `macro-letter transformers *delimiter`.
fn macro_body(body: &str) -> bool {
    let mut chars = body.chars();
    let Some(letter) = chars.next() else {
        return false;
    };
    // c, r and t are for explanation text only (RFC 7208 7.1), which is
    // fetched by exp=, never part of the record.
    if !"slodiphv".contains(letter.to_ascii_lowercase()) {
        return false;
    }
    let rest: String = chars.collect();
    let after_digits = rest.trim_start_matches(|c: char| c.is_ascii_digit());
    let after_r = after_digits
        .strip_prefix(['r', 'R'])
        .unwrap_or(after_digits);
    after_r.chars().all(|c| ".-+,/_=".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grammar_of_section_12() {
        for good in [
            "v=spf1",
            "v=spf1 -all",
            "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a mx/24 ptr ~all",
            "v=spf1 a:example.com/24//64 mx:%{d}",
            "v=spf1 a:foo:bar/baz.example.com mx:foo/bar.example.com//64",
            "v=spf1 include:_spf.example.com exists:%{ir}.%{v}._spf.%{d2} -all",
            "v=spf1 redirect=_spf.example.com",
            "v=spf1 moo.cow-far_out=man:dog/cat ?all",
            "V=SPF1 IP4:1.2.3.4 -ALL",
        ] {
            assert!(record_is_valid(good.as_bytes()), "{good}");
        }
        for bad in [
            "v=spf1 ip4:1.2.3.4/33",
            "v=spf1 ip4:1.2.3.4/032",
            "v=spf1 ip4:1.2.3",
            "v=spf1 ip6::/129",
            "v=spf1 a:foo.123",
            "v=spf1 a/33",
            "v=spf1 mx//129",
            "v=spf1 a:example.-",
            "v=spf1 redirect=a.example redirect=b.example",
            "v=spf1 =novalue",
            "v=spf1 -x=1",
            "v=spf1 exp=",
            "v=spf1 foo:bar",
            "v=spf1 a:%{x}.example.com",
            "v=spf1 -all exp=%{r}.example.com",
            "v=spf1 -all\u{7f}",
            "v=spf1 a:ex\u{e4}mple.com",
        ] {
            assert!(!record_is_valid(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn identities() {
        assert!(identity_is_usable("example.com"));
        assert!(!identity_is_usable("example"));
        assert!(!identity_is_usable("[192.0.2.1]"));
        assert!(!identity_is_usable("a..example.com"));
        assert!(!identity_is_usable(&format!("{}.com", "a".repeat(64))));
    }
}
