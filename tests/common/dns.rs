//! A DNS server for tests on 127.0.0.1 (UDP), answering from a zone the
//! test can change while it runs.

use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use mail_auth::hickory_resolver::proto::op::{Message, ResponseCode};
use mail_auth::hickory_resolver::proto::rr::rdata::{A, AAAA, CNAME, MX, PTR, TXT};
use mail_auth::hickory_resolver::proto::rr::{Name, RData, Record, RecordType};

/// Answers are not cacheable: tests change the zone while they run.
const TTL: u32 = 0;

/// Records by (lower-case name without the final dot, type).
type Records = HashMap<(String, RecordType), Vec<RData>>;

#[derive(Clone, Default)]
pub struct Zone(Arc<Mutex<Records>>);

impl Zone {
    fn add(&self, name: &str, kind: RecordType, data: RData) {
        let key = (name.trim_end_matches('.').to_ascii_lowercase(), kind);
        self.0.lock().unwrap().entry(key).or_default().push(data);
    }

    pub fn mx(&self, domain: &str, preference: u16, host: &str) {
        let host = if host.ends_with('.') {
            host.to_string()
        } else {
            format!("{host}.")
        };
        self.add(
            domain,
            RecordType::MX,
            RData::MX(MX::new(preference, dns_name(&host))),
        );
    }

    pub fn a(&self, name: &str, ip: Ipv4Addr) {
        self.add(name, RecordType::A, RData::A(A(ip)));
    }

    /// Removes the records of one type (`A`, `MX`, `TXT`, `PTR`) at `name`.
    pub fn remove(&self, name: &str, kind: &str) {
        let kind = match kind {
            "A" => RecordType::A,
            "AAAA" => RecordType::AAAA,
            "MX" => RecordType::MX,
            "TXT" => RecordType::TXT,
            "PTR" => RecordType::PTR,
            other => panic!("record type {other}"),
        };
        let key = (name.trim_end_matches('.').to_ascii_lowercase(), kind);
        self.0.lock().unwrap().remove(&key);
    }

    /// The PTR record of an IPv4 address.
    pub fn ptr(&self, ip: Ipv4Addr, host: &str) {
        let o = ip.octets();
        let name = format!("{}.{}.{}.{}.in-addr.arpa", o[3], o[2], o[1], o[0]);
        let host = format!("{}.", host.trim_end_matches('.'));
        self.add(&name, RecordType::PTR, RData::PTR(PTR(dns_name(&host))));
    }

    /// Queries for `name` are never answered (the resolver times out),
    /// except those of a type `name` has records of.
    pub fn unreachable(&self, name: &str) {
        self.add(name, RecordType::ANY, RData::A(A(Ipv4Addr::UNSPECIFIED)));
    }

    pub fn aaaa(&self, name: &str, ip: Ipv6Addr) {
        self.add(name, RecordType::AAAA, RData::AAAA(AAAA(ip)));
    }

    /// A PTR record under its full reverse name (`...in-addr.arpa`).
    pub fn ptr_name(&self, name: &str, host: &str) {
        let host = format!("{}.", host.trim_end_matches('.'));
        self.add(name, RecordType::PTR, RData::PTR(PTR(dns_name(&host))));
    }

    /// An alias; queries of other types get the target's records too.
    pub fn cname(&self, name: &str, target: &str) {
        let target = format!("{}.", target.trim_end_matches('.'));
        self.add(
            name,
            RecordType::CNAME,
            RData::CNAME(CNAME(dns_name(&target))),
        );
    }

    /// A TXT record made of these character-strings.
    pub fn txt_strings(&self, name: &str, strings: Vec<String>) {
        self.add(name, RecordType::TXT, RData::TXT(TXT::new(strings)));
    }

    /// A TXT record, split into 255-octet strings as DNS requires.
    pub fn txt(&self, name: &str, value: &str) {
        let chunks = value
            .as_bytes()
            .chunks(255)
            .map(|c| String::from_utf8(c.to_vec()).unwrap())
            .collect();
        self.add(name, RecordType::TXT, RData::TXT(TXT::new(chunks)));
    }
}

/// A name from its dotted form; labels may hold any bytes (the SPF suite
/// has hosts like `foo:bar/baz`, which strict parsing refuses).
fn dns_name(dotted: &str) -> Name {
    let labels: Vec<&[u8]> = dotted
        .trim_end_matches('.')
        .split('.')
        .map(str::as_bytes)
        .collect();
    let mut name = Name::from_labels(labels).unwrap_or_else(|_| Name::root());
    name.set_fqdn(true);
    name
}

/// A name as the zone keys it: labels as they are, unescaped (`to_ascii`
/// would write `foo\:bar`), lower case, no final dot.
fn plain(name: &Name) -> String {
    name.iter()
        .map(|l| String::from_utf8_lossy(l).to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join(".")
}

/// Starts the server; it answers until the test ends.
pub async fn start(zone: Zone) -> SocketAddr {
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    tokio::spawn(async move {
        let mut buf = [0u8; 4096];
        loop {
            let Ok((n, peer)) = socket.recv_from(&mut buf).await else {
                break;
            };
            let Ok(request) = Message::from_vec(&buf[..n]) else {
                continue;
            };
            let mut response = Message::response(request.metadata.id, request.metadata.op_code);
            response.metadata.authoritative = true;
            response.metadata.recursion_desired = request.metadata.recursion_desired;
            response.metadata.recursion_available = true;
            let mut known = false;
            let mut silent = false;
            {
                let records = zone.0.lock().unwrap();
                for q in &request.queries {
                    let name = plain(q.name());
                    // Unreachable for the types the name has no records of
                    // (pyspf's TIMEOUT: records listed before it answer).
                    if records.contains_key(&(name.clone(), RecordType::ANY))
                        && !records.contains_key(&(name.clone(), q.query_type()))
                    {
                        silent = true;
                    }
                    known |= records.keys().any(|(n, _)| *n == name);
                    if q.query_type() != RecordType::CNAME
                        && let Some(aliases) = records.get(&(name.clone(), RecordType::CNAME))
                    {
                        for alias in aliases {
                            response.add_answer(Record::from_rdata(
                                q.name().clone(),
                                TTL,
                                alias.clone(),
                            ));
                            if let RData::CNAME(CNAME(target)) = alias {
                                let key = (plain(target), q.query_type());
                                for data in records.get(&key).into_iter().flatten() {
                                    response.add_answer(Record::from_rdata(
                                        target.clone(),
                                        TTL,
                                        data.clone(),
                                    ));
                                }
                            }
                        }
                    }
                    for data in records.get(&(name, q.query_type())).into_iter().flatten() {
                        response.add_answer(Record::from_rdata(
                            q.name().clone(),
                            TTL,
                            data.clone(),
                        ));
                    }
                }
            }
            if silent {
                continue;
            }
            response.add_queries(request.queries.clone());
            if !known {
                response.metadata.response_code = ResponseCode::NXDomain;
            }
            if let Ok(bytes) = response.to_vec() {
                let _ = socket.send_to(&bytes, peer).await;
            }
        }
    });
    addr
}
