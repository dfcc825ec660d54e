//! Validated mail names: [`Domain`] and [`EmailAddress`]. Everything past the
//! edges (API, SMTP) holds these, never raw strings, so the core never sees an
//! invalid or un-normalised address.

use std::fmt;

/// RFC 5321 4.5.3.1: local part at most 64 octets, domain at most 255, and a
/// path of 256 octets including the angle brackets leaves 254 for the address.
const MAX_LOCAL: usize = 64;
const MAX_DOMAIN: usize = 253;
const MAX_ADDRESS: usize = 254;

/// Why a name was refused, worded for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressError(pub String);

impl fmt::Display for AddressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AddressError {}

fn fail<T>(why: impl Into<String>) -> Result<T, AddressError> {
    Err(AddressError(why.into()))
}

/// A DNS domain name in lower case ASCII (internationalised names in their
/// A-label form, `xn--...`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Domain(String);

impl Domain {
    pub fn parse(input: &str) -> Result<Self, AddressError> {
        let name = input.strip_suffix('.').unwrap_or(input);
        if name.is_empty() {
            return fail("domain is empty");
        }
        if name.len() > MAX_DOMAIN {
            return fail(format!("domain is longer than {MAX_DOMAIN} octets"));
        }
        if !name.is_ascii() {
            return fail(format!(
                "domain {input:?} is not ASCII; give internationalised names in their A-label (xn--) form"
            ));
        }
        for label in name.split('.') {
            if label.is_empty() {
                return fail(format!("domain {input:?} has an empty label"));
            }
            if label.len() > 63 {
                return fail(format!(
                    "domain {input:?} has a label longer than 63 octets"
                ));
            }
            if label.starts_with('-') || label.ends_with('-') {
                return fail(format!(
                    "domain {input:?} has a label starting or ending with '-'"
                ));
            }
            if let Some(c) = label
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
            {
                return fail(format!(
                    "domain {input:?} contains {c:?}; only letters, digits, '-' and '.' are allowed"
                ));
            }
        }
        // RFC 1123 2.1: a top-level label is never all-numeric; this also keeps
        // dotted IPv4 addresses out of places meant for names.
        if name
            .rsplit('.')
            .next()
            .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
        {
            return fail(format!(
                "domain {input:?} looks like an IP address, not a name"
            ));
        }
        Ok(Self(name.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A mailbox address `local@domain`: the domain normalised to lower case, the
/// local part kept as given (RFC 5321 2.4), UTF-8 allowed there (RFC 6531).
/// Quoted local parts are refused: they are rare in real use and a common
/// vehicle for relay tricks.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress {
    local: String,
    domain: Domain,
}

/// RFC 5322 3.2.3 atext, besides letters and digits.
const ATEXT_SPECIALS: &str = "!#$%&'*+-/=?^_`{|}~";

impl EmailAddress {
    pub fn parse(input: &str) -> Result<Self, AddressError> {
        if input.len() > MAX_ADDRESS {
            return fail(format!("address is longer than {MAX_ADDRESS} octets"));
        }
        let Some((local, domain)) = input.rsplit_once('@') else {
            return fail(format!("{input:?} is not an address: it has no '@'"));
        };
        if local.is_empty() {
            return fail(format!("{input:?} has an empty local part"));
        }
        if local.len() > MAX_LOCAL {
            return fail(format!(
                "{input:?} has a local part longer than {MAX_LOCAL} octets"
            ));
        }
        if local.starts_with('"') {
            return fail(format!(
                "{input:?} has a quoted local part, which is not accepted"
            ));
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return fail(format!("{input:?} has a misplaced '.' in its local part"));
        }
        for c in local.chars() {
            let ok = c.is_ascii_alphanumeric()
                || c == '.'
                || ATEXT_SPECIALS.contains(c)
                || (!c.is_ascii() && !c.is_control() && !c.is_whitespace());
            if !ok {
                return fail(format!("{input:?} contains {c:?} in its local part"));
            }
        }
        let domain = Domain::parse(domain).map_err(|e| AddressError(format!("{input:?}: {e}")))?;
        Ok(Self {
            local: local.to_string(),
            domain,
        })
    }

    pub fn local_part(&self) -> &str {
        &self.local
    }

    pub fn domain(&self) -> &Domain {
        &self.domain
    }

    /// The form addresses are looked up by: local part folded to lower case.
    /// Local parts are case-sensitive in theory and never in practice; two
    /// accounts differing only in case would be a trap for users.
    pub fn key(&self) -> String {
        format!("{}@{}", self.local.to_lowercase(), self.domain)
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.local, self.domain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_domain_keeps_local() {
        let a = EmailAddress::parse("John.Doe@Example.TEST").unwrap();
        assert_eq!(a.to_string(), "John.Doe@example.test");
        assert_eq!(a.key(), "john.doe@example.test");
        assert_eq!(
            EmailAddress::parse("jörg@example.test")
                .unwrap()
                .local_part(),
            "jörg"
        );
    }

    #[test]
    fn refuses_malformed() {
        for bad in [
            "",
            "@example.test",
            "a@",
            "a b@example.test",
            "a@exa mple.test",
            "a\u{7}@example.test",
            "\"a@b\"@example.test",
            "a..b@example.test",
            ".a@example.test",
            "a@-x.test",
            "a@x..test",
            "a@1.2.3.4",
            "a@ex_ample.test",
            "a@exämple.test",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?} accepted");
        }
        let long_local = format!("{}@example.test", "a".repeat(65));
        assert!(EmailAddress::parse(&long_local).is_err());
        let long = format!("a@{}.test", "b".repeat(250));
        assert!(EmailAddress::parse(&long).is_err());
    }
}
