//! DNS records for our domains: what to publish, the live check against a
//! DNS server the test runs (correct records, then each kind of breakage),
//! the MTA-STS policy file, and `dns.check.failed` from the periodic check.

mod common;

use std::net::Ipv4Addr;
use std::time::Duration;

use common::TestServer;
use common::dns::Zone;
use reqwest::Method;
use serde_json::{Value, json};

async fn check(s: &TestServer) -> Value {
    let r = s
        .admin(Method::POST, "/v1/domains/example.test/dns-check")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

fn status<'a>(report: &'a Value, check: &str) -> &'a str {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["check"] == check)
        .unwrap_or_else(|| panic!("no {check} result: {report}"))["status"]
        .as_str()
        .unwrap()
}

fn fix<'a>(report: &'a Value, check: &str) -> &'a str {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["check"] == check)
        .unwrap()["fix"]
        .as_str()
        .unwrap()
}

async fn failed_events(s: &TestServer) -> Vec<Value> {
    let v: Value = s
        .admin(Method::GET, "/v1/events?type=dns.check.failed")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn records_checks_and_drift_events() {
    let zone = Zone::default();
    let dns = common::dns::start(zone.clone()).await;
    let s = TestServer::start_smtp(&format!(
        "public_ips = [\"192.0.2.10\"]\n[dns]\nnameservers = [\"{dns}\"]\ntimeout_ms = 300\ncheck_interval_seconds = 1\n"
    ))
    .await;
    s.create_domain("example.test").await;
    let key: Value = s
        .admin(Method::POST, "/v1/domains/example.test/dkim-keys")
        .json(&json!({"selector": "s1", "algorithm": "ed25519"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    // What to publish.
    let records: Value = s
        .admin(Method::GET, "/v1/domains/example.test/dns-records")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let list = records["records"].as_array().unwrap();
    let has = |kind: &str, name: &str, value: &str| {
        list.iter()
            .any(|r| r["type"] == kind && r["name"] == name && r["value"] == value)
    };
    assert!(
        has("MX", "example.test", "10 mx.rampart.test."),
        "{records}"
    );
    assert!(has("A", "mx.rampart.test", "192.0.2.10"));
    assert!(has("TXT", "example.test", "v=spf1 ip4:192.0.2.10 -all"));
    assert!(has(
        "TXT",
        key["dns_name"].as_str().unwrap(),
        key["dns_value"].as_str().unwrap()
    ));
    assert!(has(
        "TXT",
        "_dmarc.example.test",
        "v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@example.test"
    ));
    assert!(has("PTR", "10.2.0.192.in-addr.arpa", "mx.rampart.test."));
    assert!(list.iter().all(|r| !r["why"].as_str().unwrap().is_empty()));
    let zone_text = s
        .admin(
            Method::GET,
            "/v1/domains/example.test/dns-records?format=zone",
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        zone_text.contains("example.test. 3600 IN MX 10 mx.rampart.test."),
        "{zone_text}"
    );
    assert!(zone_text.contains("IN TXT \"v=spf1 ip4:192.0.2.10 -all\""));

    // (Not 127.0.0.1: the resolver answers loopback PTRs itself.)
    // Published exactly as told: every check is ok.
    for r in list {
        let (name, value) = (r["name"].as_str().unwrap(), r["value"].as_str().unwrap());
        match r["type"].as_str().unwrap() {
            "MX" => zone.mx(name, 10, value.split_whitespace().nth(1).unwrap()),
            "A" => zone.a(name, value.parse().unwrap()),
            "TXT" => zone.txt(name, value),
            "PTR" => zone.ptr_name(name, value),
            other => panic!("{other}"),
        }
    }
    let report = check(&s).await;
    assert_eq!(report["status"], "ok", "{report}");
    for r in report["results"].as_array().unwrap() {
        assert_eq!(r["status"], "ok", "{r}");
        assert_eq!(r["fix"], "");
    }
    // Two periodic runs see it all ok.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(failed_events(&s).await.is_empty());

    // MTA-STS policy for our domains only.
    let policy = s
        .client
        .get(s.url("/.well-known/mta-sts.txt"))
        .header("Host", "mta-sts.example.test")
        .send()
        .await
        .unwrap();
    assert_eq!(policy.status(), 200);
    let text = policy.text().await.unwrap();
    assert!(
        text.contains("version: STSv1") && text.contains("mx: mx.rampart.test"),
        "{text}"
    );
    let other = s
        .client
        .get(s.url("/.well-known/mta-sts.txt"))
        .header("Host", "mta-sts.elsewhere.test")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404);

    // Break things: no PTR, SPF without our IP, a wrong DKIM key, no DMARC.
    zone.remove("10.2.0.192.in-addr.arpa", "PTR");
    zone.remove("example.test", "TXT");
    zone.txt("example.test", "v=spf1 ip4:192.0.2.1 -all");
    let dkim_name = key["dns_name"].as_str().unwrap();
    zone.remove(dkim_name, "TXT");
    zone.txt(
        dkim_name,
        "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
    );
    zone.remove("_dmarc.example.test", "TXT");
    let report = check(&s).await;
    assert_eq!(report["status"], "error", "{report}");
    assert_eq!(status(&report, "ptr"), "missing", "{report}");
    assert!(fix(&report, "ptr").contains("reverse DNS"));
    assert_eq!(status(&report, "spf"), "mismatch", "{report}");
    assert!(fix(&report, "spf").contains("192.0.2.10"));
    assert_eq!(status(&report, "dkim"), "mismatch", "{report}");
    assert_eq!(status(&report, "dmarc"), "missing", "{report}");
    assert_eq!(status(&report, "mx"), "ok");

    // The periodic check reports the breakage once.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let events = failed_events(&s).await;
    assert_eq!(events.len(), 1, "{events:?}");
    let failures: Vec<&str> = events[0]["data"]["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["check"].as_str().unwrap())
        .collect();
    for c in ["ptr", "spf", "dkim", "dmarc"] {
        assert!(failures.contains(&c), "{failures:?}");
    }

    // Two SPF records; a PTR that does not confirm; DMARC p=none.
    zone.txt("example.test", "v=spf1 ip4:192.0.2.10 -all");
    zone.ptr(Ipv4Addr::new(192, 0, 2, 10), "someone-else.test");
    zone.txt("_dmarc.example.test", "v=DMARC1; p=none");
    let report = check(&s).await;
    assert_eq!(status(&report, "spf"), "error", "{report}");
    assert!(fix(&report, "spf").contains("merge"));
    assert_eq!(status(&report, "ptr"), "mismatch", "{report}");
    assert_eq!(status(&report, "dmarc"), "warning", "{report}");
    // Still broken: no second event.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(failed_events(&s).await.len(), 1);
    s.stop().await;
}

async fn keys(s: &TestServer) -> Vec<(String, bool)> {
    let v: Value = s
        .admin(Method::GET, "/v1/domains/example.test/dkim-keys")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(v["next_cursor"].is_null(), "{v}");
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["selector"].as_str().unwrap().to_string(),
                k["active"].as_bool().unwrap(),
            )
        })
        .collect()
}

async fn new_key(s: &TestServer, selector: &str) -> Value {
    let r = s
        .admin(Method::POST, "/v1/domains/example.test/dkim-keys")
        .json(&json!({"selector": selector, "algorithm": "ed25519"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    r.json().await.unwrap()
}

/// DKIM rotation: a new key waits until it is published; activation is
/// refused before that; the periodic check switches by itself.
#[tokio::test]
async fn dkim_rotation_waits_for_the_published_key() {
    let zone = Zone::default();
    let dns = common::dns::start(zone.clone()).await;
    let s = TestServer::start_smtp(&format!(
        "[dns]\nnameservers = [\"{dns}\"]\ntimeout_ms = 300\ncheck_interval_seconds = 1\n"
    ))
    .await;
    s.create_domain("example.test").await;
    let first = new_key(&s, "one").await;
    assert_eq!(first["active"], true, "the first key signs at once");
    let second = new_key(&s, "two").await;
    assert_eq!(second["active"], false, "a later key waits");
    assert_eq!(
        keys(&s).await,
        vec![("one".into(), true), ("two".into(), false)]
    );
    // Both are to be published during the rotation.
    let records: Value = s
        .admin(Method::GET, "/v1/domains/example.test/dns-records")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for k in [&first, &second] {
        assert!(
            records["records"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["name"] == k["dns_name"] && r["value"] == k["dns_value"])
        );
    }
    let r = s
        .admin(
            Method::POST,
            "/v1/domains/example.test/dkim-keys/two/activate",
        )
        .send()
        .await
        .unwrap();
    common::expect_problem(r, 409).await;
    zone.txt(
        second["dns_name"].as_str().unwrap(),
        second["dns_value"].as_str().unwrap(),
    );
    let r = s
        .admin(
            Method::POST,
            "/v1/domains/example.test/dkim-keys/two/activate",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        keys(&s).await,
        vec![("one".into(), false), ("two".into(), true)]
    );

    // Without the API call: the periodic check switches once published.
    let third = new_key(&s, "three").await;
    assert_eq!(third["active"], false);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        keys(&s).await.contains(&("two".into(), true)),
        "not published yet"
    );
    zone.txt(
        third["dns_name"].as_str().unwrap(),
        third["dns_value"].as_str().unwrap(),
    );
    let mut switched = false;
    for _ in 0..40 {
        if keys(&s).await.contains(&("three".into(), true)) {
            switched = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(switched, "{:?}", keys(&s).await);
    s.stop().await;
}

/// Periodic work every node schedules is claimed by one node per period.
#[tokio::test]
async fn a_period_is_claimed_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = common::fresh_database_url(dir.path()).await;
    let a = rampart::store::Store::connect(&url).await.unwrap();
    a.migrate().await.unwrap();
    let b = rampart::store::Store::connect(&url).await.unwrap();
    assert!(a.claim_period("lease/test", 60_000).await.unwrap());
    assert!(!b.claim_period("lease/test", 60_000).await.unwrap());
    assert!(!a.claim_period("lease/test", 60_000).await.unwrap());
    tokio::time::sleep(Duration::from_millis(30)).await;
    assert!(
        b.claim_period("lease/test", 20).await.unwrap(),
        "a period later"
    );
    a.close().await;
    b.close().await;
    common::drop_database(&url).await;
}

/// The DKIM key list is paginated like every other list: `{items,
/// next_cursor}`, `limit` and `cursor`.
#[tokio::test]
async fn dkim_keys_are_listed_in_pages() {
    let s = TestServer::start().await;
    s.create_domain("example.test").await;
    for selector in ["c", "a", "b"] {
        new_key(&s, selector).await;
    }
    let page = |query: &'static str| {
        let s = &s;
        async move {
            let r = s
                .admin(
                    Method::GET,
                    &format!("/v1/domains/example.test/dkim-keys{query}"),
                )
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            r.json::<Value>().await.unwrap()
        }
    };
    let first = page("?limit=2").await;
    let names: Vec<&str> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["selector"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["a", "b"]);
    assert_eq!(first["next_cursor"], "b");
    let second = page("?limit=2&cursor=b").await;
    assert_eq!(second["items"].as_array().unwrap().len(), 1);
    assert_eq!(second["items"][0]["selector"], "c");
    assert!(second["next_cursor"].is_null());
    let r = s
        .admin(Method::GET, "/v1/domains/example.test/dkim-keys?limit=0")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    s.stop().await;
}
