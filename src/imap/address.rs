//! RFC 5322 address lists as ENVELOPE needs them (RFC 3501 7.4.2): the
//! display name as written (comments are not part of it), the source route
//! (obsolete, but it has its own field), the local part without its quotes,
//! the domain, and group syntax as start and end markers.
//!
//! Written here because mail-parser's address parser, built for reading
//! mail, folds comments into display names, loses quoted local parts and
//! keeps routes in the local part — all of which ENVELOPE must not do (the
//! Dovecot differential test caught each).

/// One ENVELOPE address (`name`, `adl`, `mailbox`, `host`); group start
/// markers have only `mailbox` (the group's name), end markers nothing.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AddressData {
    pub name: Option<String>,
    pub adl: Option<String>,
    pub mailbox: Option<String>,
    pub host: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// An atom or a quoted string (unquoted), with whether blanks or a
    /// comment came before it.
    Word(String, bool),
    DomainLiteral(String),
    Special(char),
}

fn tokenize(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    let mut spaced = false;
    while let Some(&c) = chars.peek() {
        match c {
            ' ' | '\t' | '\r' | '\n' => {
                chars.next();
                spaced = true;
            }
            '(' => {
                // A comment, nested and with quoted pairs.
                let mut depth = 0usize;
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '(' => depth += 1,
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                spaced = true;
            }
            '"' => {
                chars.next();
                let mut word = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => word.extend(chars.next()),
                        '"' => break,
                        '\r' | '\n' => {}
                        c => word.push(c),
                    }
                }
                out.push(Token::Word(word, spaced));
                spaced = false;
            }
            '[' => {
                let mut literal = String::new();
                for c in chars.by_ref() {
                    literal.push(c);
                    if c == ']' {
                        break;
                    }
                }
                out.push(Token::DomainLiteral(literal));
                spaced = false;
            }
            '<' | '>' | '@' | ',' | ';' | ':' | '.' => {
                chars.next();
                out.push(Token::Special(c));
                spaced = false;
            }
            _ => {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    if " \t\r\n()\"[<>@,;:.".contains(c) {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
                if word.is_empty() {
                    // A stray `)` or `]`: not part of anything; skip it
                    // (found by fuzzing: it used to loop, pushing empty words).
                    chars.next();
                    continue;
                }
                out.push(Token::Word(word, spaced));
                spaced = false;
            }
        }
    }
    out
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn special(&self, c: char) -> bool {
        self.peek() == Some(&Token::Special(c))
    }

    /// Words and dots up to anything else: a phrase or a local part.
    fn words(&mut self) -> Vec<Token> {
        let mut out = Vec::new();
        while let Some(t) = self.peek() {
            match t {
                Token::Word(..) | Token::Special('.') => {
                    out.push(t.clone());
                    self.at += 1;
                }
                _ => break,
            }
        }
        out
    }

    /// `a.b` (a local part or a domain): words joined by their dots.
    fn dotted(tokens: &[Token]) -> String {
        let mut out = String::new();
        for t in tokens {
            match t {
                Token::Word(w, _) => out.push_str(w),
                Token::DomainLiteral(l) => out.push_str(l),
                Token::Special(c) => out.push(*c),
            }
        }
        out
    }

    /// A display name: words with single blanks where the header had any.
    fn phrase(tokens: &[Token]) -> Option<String> {
        let mut out = String::new();
        for t in tokens {
            match t {
                Token::Word(w, spaced) => {
                    if *spaced && !out.is_empty() {
                        out.push(' ');
                    }
                    out.push_str(w);
                }
                Token::Special(c) => out.push(*c),
                Token::DomainLiteral(l) => out.push_str(l),
            }
        }
        (!out.is_empty()).then_some(out)
    }

    fn domain(&mut self) -> String {
        let mut tokens = Vec::new();
        while let Some(t) = self.peek() {
            match t {
                Token::Word(..) | Token::Special('.') | Token::DomainLiteral(_) => {
                    tokens.push(t.clone());
                    self.at += 1;
                }
                _ => break,
            }
        }
        Self::dotted(&tokens)
    }

    /// `<[@route,@route:]local@domain>`, after the `<`.
    fn angle(&mut self, name: Option<String>) -> AddressData {
        let mut adl = None;
        if self.special('@') {
            let mut route = String::new();
            while self.special('@') || self.special(',') {
                if let Some(Token::Special(c)) = self.peek() {
                    route.push(*c);
                }
                self.at += 1;
                route.push_str(&self.domain());
            }
            if self.special(':') {
                self.at += 1;
            }
            adl = Some(route);
        }
        let local = self.words();
        let host = match self.special('@') {
            true => {
                self.at += 1;
                Some(self.domain())
            }
            false => None,
        };
        while !matches!(self.peek(), None | Some(Token::Special('>'))) {
            self.at += 1;
        }
        if self.special('>') {
            self.at += 1;
        }
        AddressData {
            name,
            adl,
            mailbox: Some(Self::dotted(&local)),
            host,
        }
    }

    /// One mailbox: `phrase <addr>`, `local@domain`, or a bare word.
    fn mailbox(&mut self, lead: Vec<Token>) -> AddressData {
        if self.special('<') {
            self.at += 1;
            return self.angle(Self::phrase(&lead));
        }
        let host = match self.special('@') {
            true => {
                self.at += 1;
                Some(self.domain())
            }
            false => None,
        };
        AddressData {
            name: None,
            adl: None,
            mailbox: Some(Self::dotted(&lead)),
            host,
        }
    }

    fn list(&mut self, out: &mut Vec<AddressData>, in_group: bool) {
        loop {
            while self.special(',') {
                self.at += 1;
            }
            match self.peek() {
                None => return,
                Some(Token::Special(';')) if in_group => {
                    self.at += 1;
                    return;
                }
                _ => {}
            }
            let lead = self.words();
            if self.special(':') && !in_group {
                self.at += 1;
                out.push(AddressData {
                    name: None,
                    adl: None,
                    mailbox: Some(Self::phrase(&lead).unwrap_or_default()),
                    host: None,
                });
                self.list(out, true);
                out.push(AddressData {
                    name: None,
                    adl: None,
                    mailbox: None,
                    host: None,
                });
                continue;
            }
            if lead.is_empty() && !self.special('<') {
                // Something that starts no address: skip it.
                self.at += 1;
                continue;
            }
            let address = self.mailbox(lead);
            if address.mailbox.as_deref().is_some_and(|m| !m.is_empty()) || address.host.is_some() {
                out.push(address);
            }
        }
    }
}

/// The addresses of an address-list header value, for ENVELOPE.
pub fn parse_list(value: &str) -> Vec<AddressData> {
    let mut parser = Parser {
        tokens: tokenize(value),
        at: 0,
    };
    let mut out = Vec::new();
    parser.list(&mut out, false);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(name: Option<&str>, adl: Option<&str>, mailbox: &str, host: &str) -> AddressData {
        AddressData {
            name: name.map(str::to_string),
            adl: adl.map(str::to_string),
            mailbox: Some(mailbox.into()),
            host: Some(host.into()),
        }
    }

    #[test]
    fn comments_quotes_routes_and_groups() {
        assert_eq!(
            parse_list("Henry  <henry@example.test> (Henry the Eighth)"),
            [a(Some("Henry"), None, "henry", "example.test")]
        );
        assert_eq!(
            parse_list("\"quoted.local\"@example.test, route <@relay.test:ivan@example.test>"),
            [
                a(None, None, "quoted.local", "example.test"),
                a(Some("route"), Some("@relay.test"), "ivan", "example.test")
            ]
        );
        assert_eq!(
            parse_list("\"Doe, John\" <john.doe@example.test>, =?utf-8?q?J=C3=B6rg?= <j@x.test>"),
            [
                a(Some("Doe, John"), None, "john.doe", "example.test"),
                a(Some("=?utf-8?q?J=C3=B6rg?="), None, "j", "x.test")
            ]
        );
        // Stray closing brackets are skipped (this input made the tokenizer
        // loop forever, found by the mime_rewrite fuzz target).
        assert_eq!(
            parse_list("Jörg <joerg@exa)ple.test>, ) x@y.test"),
            [
                a(Some("Jörg"), None, "joerg", "exaple.test"),
                a(None, None, "x", "y.test")
            ]
        );
        let group = parse_list("friends: b@y.test, c@z.test;, undisclosed-recipients:;");
        assert_eq!(group.len(), 6);
        assert_eq!(group[0].mailbox.as_deref(), Some("friends"));
        assert_eq!(group[0].host, None);
        assert_eq!(group[3].mailbox, None);
        assert_eq!(group[4].mailbox.as_deref(), Some("undisclosed-recipients"));
    }
}
