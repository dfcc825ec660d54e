//! Checks on a received message and the trace headers we add.

/// RFC 5322 2.1.1: a line is at most 998 octets plus CRLF.
pub const MAX_TEXT_LINE: usize = 1000;

/// Why a message body is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum BodyProblem {
    /// A CR not followed by LF, or an LF not preceded by CR. Refused rather
    /// than normalised: these are what SMTP smuggling is made of.
    BareLineEnding,
    LineTooLong,
}

/// Checks line endings and line lengths in one pass.
pub fn check_body(body: &[u8]) -> Result<(), BodyProblem> {
    let mut line_len = 0usize;
    let mut prev = 0u8;
    for (i, &b) in body.iter().enumerate() {
        match b {
            b'\n' => {
                if prev != b'\r' {
                    return Err(BodyProblem::BareLineEnding);
                }
                line_len = 0;
            }
            b'\r' => {
                if body.get(i + 1) != Some(&b'\n') {
                    return Err(BodyProblem::BareLineEnding);
                }
                line_len += 1;
            }
            _ => {
                line_len += 1;
                if line_len > MAX_TEXT_LINE - 2 {
                    return Err(BodyProblem::LineTooLong);
                }
            }
        }
        prev = b;
    }
    Ok(())
}

/// The addresses in the `From:` header.
pub fn from_addresses(body: &[u8]) -> Vec<String> {
    let Some(message) = mail_parser::MessageParser::default().parse(body) else {
        return Vec::new();
    };
    match message.from() {
        Some(from) => from
            .iter()
            .filter_map(|a| a.address().map(str::to_string))
            .collect(),
        None => Vec::new(),
    }
}

/// What the `Received:` header records about the session (RFC 5321 4.4).
pub struct Trace<'a> {
    pub helo: &'a str,
    pub ip: std::net::IpAddr,
    pub hostname: &'a str,
    /// `SMTP`, `ESMTP`, `ESMTPS`, `ESMTPA` or `ESMTPSA` (RFC 3848).
    pub protocol: &'a str,
    pub queue_id: &'a str,
    pub tls: Option<&'a str>,
    pub authenticated: Option<&'a str>,
    /// Named only when there is exactly one, so lists of recipients don't leak.
    pub recipient: Option<&'a str>,
}

pub fn received_header(t: &Trace<'_>) -> String {
    let mut h = format!(
        "Received: from {} ([{}])\r\n\tby {} (Rampart) with {} id {}",
        t.helo, t.ip, t.hostname, t.protocol, t.queue_id
    );
    if let Some(tls) = t.tls {
        h.push_str(&format!("\r\n\t({tls})"));
    }
    if let Some(account) = t.authenticated {
        h.push_str(&format!("\r\n\t(authenticated as {account})"));
    }
    if let Some(rcpt) = t.recipient {
        h.push_str(&format!("\r\n\tfor <{rcpt}>"));
    }
    h.push_str(&format!(";\r\n\t{}\r\n", chrono::Utc::now().to_rfc2822()));
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_checks() {
        assert_eq!(check_body(b"a\r\nb\r\n"), Ok(()));
        assert_eq!(check_body(b"a\nb\r\n"), Err(BodyProblem::BareLineEnding));
        assert_eq!(check_body(b"a\rb\r\n"), Err(BodyProblem::BareLineEnding));
        assert_eq!(check_body(b"a\r"), Err(BodyProblem::BareLineEnding));
        let ok = [vec![b'x'; 998], b"\r\n".to_vec()].concat();
        assert_eq!(check_body(&ok), Ok(()));
        let long = [vec![b'x'; 999], b"\r\n".to_vec()].concat();
        assert_eq!(check_body(&long), Err(BodyProblem::LineTooLong));
    }

    #[test]
    fn from_header() {
        let m = b"From: Alice <alice@example.test>, bob@example.test\r\nSubject: x\r\n\r\nhi\r\n";
        assert_eq!(
            from_addresses(m),
            vec!["alice@example.test", "bob@example.test"]
        );
        assert!(from_addresses(b"Subject: none\r\n\r\n").is_empty());
    }
}
