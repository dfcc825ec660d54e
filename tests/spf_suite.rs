//! The openspf RFC 7208 test suite (tests/spf/rfc7208-tests.yml from the
//! pyspf sdist, converted by tests/spf/convert.py) run through
//! `POST /v1/tools/sender-check`, each scenario's zone served by a DNS
//! server on loopback. Prints the pass count; fails if fewer pass than the
//! count measured when this was written, so a regression shows.

mod common;

use common::TestServer;
use common::dns::Zone;
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};

/// Passing tests out of 203, raised as fixes land (147 with mail-auth
/// 0.13.3 alone; 182 with `screening::spf_syntax` checking the identity and
/// the published record's grammar first). What still fails: mail-auth's
/// evaluation (ip6 mechanisms matching IPv4 clients, implicit `ptr`, colon
/// domains, the void-lookup limit, records reached by include/redirect not
/// checked against the grammar) and this harness (query names the loopback
/// DNS server cannot parse time out, and it cannot time out one record
/// type only). Issue #17 asks for 203.
const MIN_PASSING: usize = 182;

#[derive(Deserialize)]
struct Scenario {
    description: String,
    zone: std::collections::BTreeMap<String, Vec<(String, Value)>>,
    tests: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    id: String,
    host: String,
    mailfrom: String,
    helo: String,
    result: Vec<String>,
}

fn zone(records: &std::collections::BTreeMap<String, Vec<(String, Value)>>) -> Zone {
    let zone = Zone::default();
    for (name, list) in records {
        for (kind, value) in list {
            match kind.as_str() {
                "A" => zone.a(name, value.as_str().unwrap().parse().unwrap()),
                "AAAA" => zone.aaaa(name, value.as_str().unwrap().parse().unwrap()),
                "TXT" => zone.txt_strings(
                    name,
                    value
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|s| s.as_str().unwrap().to_string())
                        .collect(),
                ),
                "MX" => zone.mx(
                    name,
                    value[0].as_u64().unwrap() as u16,
                    value[1].as_str().unwrap(),
                ),
                "PTR" => zone.ptr_name(name, value.as_str().unwrap()),
                "CNAME" => zone.cname(name, value.as_str().unwrap()),
                "TIMEOUT" => zone.unreachable(name),
                other => panic!("record type {other} in the suite"),
            }
        }
    }
    zone
}

#[tokio::test]
async fn openspf_rfc7208_suite() {
    let scenarios: Vec<Scenario> =
        serde_json::from_str(include_str!("spf/rfc7208-tests.json")).unwrap();
    let (mut passed, mut total) = (0, 0);
    let mut failures = Vec::new();
    for scenario in &scenarios {
        // A server per scenario: the same names carry different records in
        // different scenarios, and the resolver caches answers.
        let dns = common::dns::start(zone(&scenario.zone)).await;
        let s = TestServer::start_smtp(&format!(
            "[dns]\nnameservers = [\"{dns}\"]\ntimeout_ms = 200\n"
        ))
        .await;
        for case in &scenario.tests {
            total += 1;
            let r = s
                .admin(Method::POST, "/v1/tools/sender-check")
                .json(&json!({"ip": case.host, "helo": case.helo, "mail_from": case.mailfrom}))
                .send()
                .await
                .unwrap();
            let status = r.status();
            let body: Value = r.json().await.unwrap_or(Value::Null);
            let got = body["spf"]["result"].as_str().unwrap_or("(no result)");
            if status == 200 && case.result.iter().any(|r| r == got) {
                passed += 1;
            } else {
                failures.push(format!(
                    "{} / {}: expected {:?}, got {got} ({status})",
                    scenario.description, case.id, case.result
                ));
            }
        }
        s.stop().await;
    }
    println!("openspf RFC 7208 suite: {passed}/{total} passed");
    for f in &failures {
        println!("  {f}");
    }
    assert!(
        passed >= MIN_PASSING,
        "{passed}/{total} passed; failures:\n{}",
        failures.join("\n")
    );
}
