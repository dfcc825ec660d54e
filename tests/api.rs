//! The provisioning API over real HTTP: domains, accounts, aliases, tokens,
//! settings, events, and every kind of bad input.

mod common;

use common::{TestServer, expect_problem};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn health_openapi_and_docs_need_no_token() {
    let s = TestServer::start().await;
    let r = s.client.get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "ok");
    let doc: Value = s
        .client
        .get(s.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/v1/accounts/{address}/freeze"]["post"].is_object());
    let page = s
        .client
        .get(s.url("/docs"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("/docs/redoc.standalone.js") && !page.contains("https://"),
        "docs page must not load from a CDN"
    );
    let js = s
        .client
        .get(s.url("/docs/redoc.standalone.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(js.status(), 200);
    assert!(js.bytes().await.unwrap().len() > 100_000);
    s.stop().await;
}

#[tokio::test]
async fn https_serves_the_same_api() {
    let s = TestServer::start().await;
    let client = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    let url = format!("https://{}/v1/domains", s.https);
    let r = client.get(&url).bearer_auth(&s.admin).send().await.unwrap();
    assert_eq!(r.status(), 200);
    // The generated certificate is kept in data_dir and reused.
    assert!(s.dir.path().join("tls/self-signed-cert.pem").exists());
    s.stop().await;
}

#[tokio::test]
async fn domain_and_account_lifecycle() {
    let s = TestServer::start().await;
    s.create_domain("Example.TEST").await;
    let d: Value = s
        .admin(Method::GET, "/v1/domains/example.test")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(d["name"], "example.test");
    assert_eq!(d["account_count"], 0);

    let a = s
        .create_account("John.Doe@EXAMPLE.test", "correct horse")
        .await;
    assert_eq!(
        a["address"], "John.Doe@example.test",
        "domain lower-cased, local part kept"
    );
    assert_eq!(a["status"], "active");
    assert_eq!(a["quota_bytes"], Value::Null);
    assert_eq!(a["sending_limit"], Value::Null);
    assert_eq!(
        a["attachment_linking"],
        json!({"enabled": false, "min_size_bytes": 1048576, "expires_after_days": 30, "extract_inbound": false})
    );
    assert!(a.get("password").is_none() && a.get("password_hash").is_none());

    // Lookups ignore the case of the local part; a case variant is a duplicate.
    let r = s
        .admin(Method::GET, "/v1/accounts/john.doe@example.test")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = s
        .admin(Method::POST, "/v1/accounts")
        .json(&json!({"address": "JOHN.DOE@example.test", "password": "another one"}))
        .send()
        .await
        .unwrap();
    expect_problem(r, 409).await;

    let r = s
        .admin(Method::PATCH, "/v1/accounts/John.Doe@example.test")
        .json(&json!({
            "display_name": "John Doe", "quota_bytes": 1000000,
            "sending_limit": {"max_messages": 10, "window_seconds": 60},
            "attachment_linking": {"enabled": true, "min_size_bytes": 500000, "expires_after_days": 7}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let a: Value = r.json().await.unwrap();
    assert_eq!(a["display_name"], "John Doe");
    assert_eq!(a["quota_bytes"], 1000000);
    assert_eq!(
        a["sending_limit"],
        json!({"max_messages": 10, "window_seconds": 60})
    );
    assert_eq!(a["attachment_linking"]["enabled"], true);

    // null clears; absent keeps.
    let a: Value = s
        .admin(Method::PATCH, "/v1/accounts/John.Doe@example.test")
        .json(&json!({"sending_limit": null, "quota_bytes": null}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(a["sending_limit"], Value::Null);
    assert_eq!(a["quota_bytes"], Value::Null);
    assert_eq!(a["display_name"], "John Doe");

    // Freeze and unfreeze set the status and record events.
    let a: Value = s
        .admin(Method::POST, "/v1/accounts/John.Doe@example.test/freeze")
        .json(&json!({"reason": "sent 500 messages in 2 minutes"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(a["status"], "frozen");
    assert_eq!(a["frozen_reason"], "sent 500 messages in 2 minutes");
    assert!(a["frozen_at"].is_string());
    let a: Value = s
        .admin(Method::POST, "/v1/accounts/John.Doe@example.test/unfreeze")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(a["status"], "active");
    assert_eq!(a["frozen_at"], Value::Null);
    // Freeze without a body works too.
    let r = s
        .admin(Method::POST, "/v1/accounts/John.Doe@example.test/freeze")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let r = s
        .admin(Method::DELETE, "/v1/accounts/John.Doe@example.test")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = s
        .admin(Method::GET, "/v1/accounts/John.Doe@example.test")
        .send()
        .await
        .unwrap();
    expect_problem(r, 404).await;

    let events: Value = s
        .admin(Method::GET, "/v1/events")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let types: Vec<&str> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "account.created",
            "account.frozen",
            "account.unfrozen",
            "account.frozen",
            "account.deleted"
        ]
    );
    assert_eq!(events["items"][0]["account"], "John.Doe@example.test");
    assert_eq!(
        events["items"][1]["data"]["reason"],
        "sent 500 messages in 2 minutes"
    );
    s.stop().await;
}

#[tokio::test]
async fn pagination_walks_every_item_once() {
    let s = TestServer::start().await;
    s.create_domain("page.test").await;
    for i in 0..5 {
        s.create_account(&format!("user{i}@page.test"), "correct horse")
            .await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = "/v1/accounts?domain=page.test&limit=2".to_string();
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page: Value = s
            .admin(Method::GET, &path)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for item in page["items"].as_array().unwrap() {
            seen.push(item["address"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(
        seen,
        (0..5)
            .map(|i| format!("user{i}@page.test"))
            .collect::<Vec<_>>()
    );

    let r = s
        .admin(Method::GET, "/v1/accounts?limit=0")
        .send()
        .await
        .unwrap();
    expect_problem(r, 400).await;
    let r = s
        .admin(Method::GET, "/v1/accounts?limit=501")
        .send()
        .await
        .unwrap();
    expect_problem(r, 400).await;
    let r = s
        .admin(Method::GET, "/v1/accounts?cursor=%%%")
        .send()
        .await
        .unwrap();
    expect_problem(r, 400).await;
    let r = s
        .admin(Method::GET, "/v1/events?limit=2")
        .send()
        .await
        .unwrap();
    let page: Value = r.json().await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert!(page["next_cursor"].is_string());
    s.stop().await;
}

#[tokio::test]
async fn deleting_a_domain_with_accounts_needs_force() {
    let s = TestServer::start().await;
    s.create_domain("gone.test").await;
    s.create_account("a@gone.test", "correct horse").await;
    s.create_account("b@gone.test", "correct horse").await;
    let r = s
        .admin(Method::DELETE, "/v1/domains/gone.test")
        .send()
        .await
        .unwrap();
    let detail = expect_problem(r, 409).await;
    assert!(detail.contains("force=true"), "{detail}");
    let r = s
        .admin(Method::DELETE, "/v1/domains/gone.test?force=true")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = s
        .admin(Method::GET, "/v1/accounts/a@gone.test")
        .send()
        .await
        .unwrap();
    expect_problem(r, 404).await;
    let r = s
        .admin(Method::GET, "/v1/domains/gone.test")
        .send()
        .await
        .unwrap();
    expect_problem(r, 404).await;
    let events: Value = s
        .admin(Method::GET, "/v1/events?type=account.deleted")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(events["items"].as_array().unwrap().len(), 2);
    // An empty domain goes without force.
    s.create_domain("empty.test").await;
    let r = s
        .admin(Method::DELETE, "/v1/domains/empty.test")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    s.stop().await;
}

#[tokio::test]
async fn aliases_resolve_to_accounts() {
    let s = TestServer::start().await;
    s.create_domain("alias.test").await;
    s.create_domain("other.test").await;
    s.create_account("alice@alias.test", "correct horse").await;
    s.create_account("bob@alias.test", "correct horse").await;
    let r = s
        .admin(Method::POST, "/v1/aliases")
        .json(&json!({"address": "Sales@Alias.test", "targets": ["bob@alias.test", "alice@alias.test", "Alice@alias.test"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let a: Value = r.json().await.unwrap();
    assert_eq!(a["address"], "Sales@alias.test");
    assert_eq!(a["targets"], json!(["alice@alias.test", "bob@alias.test"]));

    for (body, status) in [
        (
            json!({"address": "alice@alias.test", "targets": ["bob@alias.test"]}),
            409,
        ), // an account already
        (
            json!({"address": "sales@alias.test", "targets": ["bob@alias.test"]}),
            409,
        ), // exists
        (
            json!({"address": "x@alias.test", "targets": ["nobody@alias.test"]}),
            422,
        ),
        (json!({"address": "x@alias.test", "targets": []}), 422),
        (
            json!({"address": "x@nowhere.test", "targets": ["bob@alias.test"]}),
            422,
        ),
        (
            json!({"address": "x y@alias.test", "targets": ["bob@alias.test"]}),
            422,
        ),
    ] {
        let r = s
            .admin(Method::POST, "/v1/aliases")
            .json(&body)
            .send()
            .await
            .unwrap();
        expect_problem(r, status).await;
    }
    // An account can't take an alias's address.
    let r = s
        .admin(Method::POST, "/v1/accounts")
        .json(&json!({"address": "sales@alias.test", "password": "correct horse"}))
        .send()
        .await
        .unwrap();
    expect_problem(r, 409).await;

    let list: Value = s
        .admin(Method::GET, "/v1/aliases?domain=alias.test")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    // Deleting a target shrinks the alias; deleting the last removes it.
    s.admin(Method::DELETE, "/v1/accounts/bob@alias.test")
        .send()
        .await
        .unwrap();
    let a: Value = s
        .admin(Method::GET, "/v1/aliases/sales@alias.test")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(a["targets"], json!(["alice@alias.test"]));
    s.admin(Method::DELETE, "/v1/accounts/alice@alias.test")
        .send()
        .await
        .unwrap();
    let r = s
        .admin(Method::GET, "/v1/aliases/sales@alias.test")
        .send()
        .await
        .unwrap();
    expect_problem(r, 404).await;
    let r = s
        .admin(Method::DELETE, "/v1/aliases/sales@alias.test")
        .send()
        .await
        .unwrap();
    expect_problem(r, 404).await;
    s.stop().await;
}

#[tokio::test]
async fn bad_input_gets_problem_documents() {
    let s = TestServer::start().await;
    s.create_domain("bad.test").await;
    let post = |body: &'static str| {
        s.admin(Method::POST, "/v1/accounts")
            .header("content-type", "application/json")
            .body(body)
    };
    // Wrong types and unknown fields: 422.
    expect_problem(
        post(r#"{"address": 5, "password": "correct horse"}"#)
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;
    expect_problem(
        post(r#"{"address": "a@bad.test", "password": "correct horse", "admin": true}"#)
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;
    expect_problem(
        post(r#"{"address": "a@bad.test"}"#).send().await.unwrap(),
        422,
    )
    .await;
    // Malformed JSON: 400. No JSON content type: 415.
    expect_problem(post(r#"{"address": "#).send().await.unwrap(), 400).await;
    let r = s
        .admin(Method::POST, "/v1/accounts")
        .body(r#"{"address":"a@bad.test","password":"correct horse"}"#)
        .send()
        .await
        .unwrap();
    expect_problem(r, 415).await;
    // Malformed addresses: 422 naming the problem.
    for address in [
        "no-at-sign",
        "a b@bad.test",
        "a@bad..test",
        "\u{7}a@bad.test",
        "\"q@x\"@bad.test",
        "a@b@bad.test",
    ] {
        let r = s
            .admin(Method::POST, "/v1/accounts")
            .json(&json!({"address": address, "password": "correct horse"}))
            .send()
            .await
            .unwrap();
        expect_problem(r, 422).await;
    }
    let long = format!("{}@bad.test", "a".repeat(65));
    let r = s
        .admin(Method::POST, "/v1/accounts")
        .json(&json!({"address": long, "password": "correct horse"}))
        .send()
        .await
        .unwrap();
    expect_problem(r, 422).await;
    // Unknown domain, weak password, nonsense limits.
    let r = s
        .admin(Method::POST, "/v1/accounts")
        .json(&json!({"address": "a@nowhere.test", "password": "correct horse"}))
        .send()
        .await
        .unwrap();
    let detail = expect_problem(r, 422).await;
    assert!(detail.contains("not a local domain"), "{detail}");
    let r = s
        .admin(Method::POST, "/v1/accounts")
        .json(&json!({"address": "a@bad.test", "password": "short"}))
        .send()
        .await
        .unwrap();
    expect_problem(r, 422).await;
    let r = s
        .admin(Method::POST, "/v1/accounts")
        .json(&json!({"address": "a@bad.test", "password": "correct horse", "sending_limit": {"max_messages": 0, "window_seconds": 60}}))
        .send()
        .await
        .unwrap();
    expect_problem(r, 422).await;
    // Bad domain names.
    for name in ["", "-x.test", "a..b", "1.2.3.4", "ex ample.test"] {
        let r = s
            .admin(Method::POST, "/v1/domains")
            .json(&json!({"name": name}))
            .send()
            .await
            .unwrap();
        expect_problem(r, 422).await;
    }
    // Duplicates: 409.
    let r = s
        .admin(Method::POST, "/v1/domains")
        .json(&json!({"name": "BAD.test"}))
        .send()
        .await
        .unwrap();
    expect_problem(r, 409).await;
    // Unknown resources and routes: 404; wrong method: 405.
    expect_problem(
        s.admin(Method::GET, "/v1/accounts/ghost@bad.test")
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    expect_problem(
        s.admin(Method::GET, "/v1/domains/ghost.test")
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    expect_problem(
        s.admin(Method::GET, "/v1/nothing-here")
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    expect_problem(
        s.admin(Method::PUT, "/v1/domains").send().await.unwrap(),
        405,
    )
    .await;
    // Oversize body: 413.
    let big = format!(
        r#"{{"address": "a@bad.test", "password": "{}"}}"#,
        "x".repeat(1024 * 1024 + 10)
    );
    let r = s
        .admin(Method::POST, "/v1/accounts")
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    expect_problem(r, 413).await;
    // Bad query values: 400.
    expect_problem(
        s.admin(Method::GET, "/v1/events?type=no.such.type")
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    expect_problem(
        s.admin(Method::GET, "/v1/events?since=yesterday")
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    expect_problem(
        s.admin(Method::GET, "/v1/accounts?limit=ten")
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    // The server still serves after all that.
    assert_eq!(
        s.client
            .get(s.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    s.stop().await;
}

#[tokio::test]
async fn tokens_are_checked() {
    let s = TestServer::start().await;
    // Missing, malformed, forged and expired tokens: 401.
    let r = s.client.get(s.url("/v1/domains")).send().await.unwrap();
    assert!(r.headers().contains_key("www-authenticate"));
    expect_problem(r, 401).await;
    let r = s
        .client
        .get(s.url("/v1/domains"))
        .header("authorization", "Basic YTpi")
        .send()
        .await
        .unwrap();
    expect_problem(r, 401).await;
    let forger = rampart::auth::token::TokenKeys::from_secret(b"not the cluster's key, at all!!!");
    let (forged, _) = forger
        .mint(rampart::auth::token::Role::Admin, None, None, 3600)
        .unwrap();
    expect_problem(
        s.with_token(&forged, Method::GET, "/v1/domains")
            .send()
            .await
            .unwrap(),
        401,
    )
    .await;
    let (expired, _) = s
        .state
        .tokens
        .mint(rampart::auth::token::Role::Admin, None, None, 0)
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let detail = expect_problem(
        s.with_token(&expired, Method::GET, "/v1/domains")
            .send()
            .await
            .unwrap(),
        401,
    )
    .await;
    assert!(detail.contains("expired"), "{detail}");
    let mut tampered = s.admin.clone();
    tampered.pop();
    tampered.push('A');
    if tampered == s.admin {
        tampered.pop();
        tampered.push('B');
    }
    expect_problem(
        s.with_token(&tampered, Method::GET, "/v1/domains")
            .send()
            .await
            .unwrap(),
        401,
    )
    .await;

    // TTL bounds.
    let r = s
        .admin(Method::POST, "/v1/tokens")
        .json(&json!({"role": "admin", "ttl_seconds": 0}))
        .send()
        .await
        .unwrap();
    expect_problem(r, 422).await;
    let r = s
        .admin(Method::POST, "/v1/tokens")
        .json(&json!({"role": "root"}))
        .send()
        .await
        .unwrap();
    expect_problem(r, 422).await;
    let r = s
        .admin(Method::POST, "/v1/tokens")
        .json(&json!({"role": "admin", "ttl_seconds": 60}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let t: Value = r.json().await.unwrap();
    assert!(t["expires_at"].is_string());
    let r = s
        .with_token(t["token"].as_str().unwrap(), Method::GET, "/v1/domains")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    s.stop().await;
}

#[tokio::test]
async fn roles_are_scoped() {
    let s = TestServer::start().await;
    s.create_domain("one.test").await;
    s.create_domain("two.test").await;
    s.create_account("alice@one.test", "correct horse").await;
    s.create_account("bob@two.test", "correct horse").await;

    let da = s
        .token(json!({"role": "domain-admin", "domain": "one.test"}))
        .await;
    let r = s
        .with_token(&da, Method::POST, "/v1/accounts")
        .json(&json!({"address": "carol@one.test", "password": "correct horse"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = s
        .with_token(&da, Method::POST, "/v1/accounts")
        .json(&json!({"address": "dave@two.test", "password": "correct horse"}))
        .send()
        .await
        .unwrap();
    expect_problem(r, 403).await;
    expect_problem(
        s.with_token(&da, Method::POST, "/v1/domains")
            .json(&json!({"name": "three.test"}))
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
    expect_problem(
        s.with_token(&da, Method::GET, "/v1/accounts/bob@two.test")
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
    expect_problem(
        s.with_token(&da, Method::GET, "/v1/accounts?domain=two.test")
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
    expect_problem(
        s.with_token(&da, Method::GET, "/v1/settings/notifications")
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
    let mine: Value = s
        .with_token(&da, Method::GET, "/v1/accounts")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        mine["items"].as_array().unwrap().len(),
        2,
        "only one.test accounts"
    );
    let domains: Value = s
        .with_token(&da, Method::GET, "/v1/domains")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(domains["items"].as_array().unwrap().len(), 1);
    let events: Value = s
        .with_token(&da, Method::GET, "/v1/events")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        events["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["domain"] == "one.test")
    );
    // A domain admin can't mint wider tokens, nor targets in other domains.
    expect_problem(
        s.with_token(&da, Method::POST, "/v1/tokens")
            .json(&json!({"role": "admin"}))
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
    expect_problem(
        s.with_token(&da, Method::POST, "/v1/tokens")
            .json(&json!({"role": "domain-admin", "domain": "two.test"}))
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
    let r = s
        .with_token(&da, Method::POST, "/v1/aliases")
        .json(&json!({"address": "x@one.test", "targets": ["bob@two.test"]}))
        .send()
        .await
        .unwrap();
    expect_problem(r, 403).await;

    let user = s
        .token(json!({"role": "user", "account": "alice@one.test"}))
        .await;
    assert_eq!(
        s.with_token(&user, Method::GET, "/v1/accounts/alice@one.test")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    expect_problem(
        s.with_token(&user, Method::GET, "/v1/accounts/carol@one.test")
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
    expect_problem(
        s.with_token(&user, Method::GET, "/v1/accounts")
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
    expect_problem(
        s.with_token(&user, Method::DELETE, "/v1/domains/one.test")
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
    let r = s
        .with_token(&user, Method::PATCH, "/v1/accounts/alice@one.test")
        .json(&json!({"password": "a new secret"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = s
        .with_token(&user, Method::PATCH, "/v1/accounts/alice@one.test")
        .json(&json!({"quota_bytes": 1}))
        .send()
        .await
        .unwrap();
    expect_problem(r, 403).await;
    expect_problem(
        s.with_token(&user, Method::POST, "/v1/accounts/alice@one.test/unfreeze")
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
    let events: Value = s
        .with_token(&user, Method::GET, "/v1/events")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        events["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["account"] == "alice@one.test")
    );
    assert!(!events["items"].as_array().unwrap().is_empty());

    // A frozen account's token stops working; unfreezing restores it.
    s.admin(Method::POST, "/v1/accounts/alice@one.test/freeze")
        .send()
        .await
        .unwrap();
    let detail = expect_problem(
        s.with_token(&user, Method::GET, "/v1/accounts/alice@one.test")
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
    assert!(detail.contains("frozen"), "{detail}");
    s.admin(Method::POST, "/v1/accounts/alice@one.test/unfreeze")
        .send()
        .await
        .unwrap();
    assert_eq!(
        s.with_token(&user, Method::GET, "/v1/accounts/alice@one.test")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // A deleted account's token is no longer valid.
    s.admin(Method::DELETE, "/v1/accounts/alice@one.test")
        .send()
        .await
        .unwrap();
    expect_problem(
        s.with_token(&user, Method::GET, "/v1/accounts/alice@one.test")
            .send()
            .await
            .unwrap(),
        401,
    )
    .await;
    s.stop().await;
}

#[tokio::test]
async fn notification_settings_round_trip() {
    let s = TestServer::start().await;
    let v: Value = s
        .admin(Method::GET, "/v1/settings/notifications")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v, json!({"admin_addresses": []}));
    let r = s
        .admin(Method::PUT, "/v1/settings/notifications")
        .json(&json!({"admin_addresses": ["ops@Example.TEST", "ops@example.test", "sec@example.test"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = s
        .admin(Method::GET, "/v1/settings/notifications")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        v,
        json!({"admin_addresses": ["ops@example.test", "sec@example.test"]})
    );
    let r = s
        .admin(Method::PUT, "/v1/settings/notifications")
        .json(&json!({"admin_addresses": ["not an address"]}))
        .send()
        .await
        .unwrap();
    expect_problem(r, 422).await;
    let r = s
        .admin(Method::PUT, "/v1/settings/notifications")
        .json(&json!({"admin_addresses": "ops@example.test"}))
        .send()
        .await
        .unwrap();
    expect_problem(r, 422).await;
    s.stop().await;
}

#[tokio::test]
async fn events_filter_by_type_account_and_time() {
    let s = TestServer::start().await;
    s.create_domain("ev.test").await;
    s.create_account("a@ev.test", "correct horse").await;
    let before_b = chrono::Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    s.create_account("b@ev.test", "correct horse").await;
    s.admin(Method::POST, "/v1/accounts/a@ev.test/freeze")
        .send()
        .await
        .unwrap();

    let get = |q: String| {
        let s = &s;
        async move {
            let v: Value = s
                .admin(Method::GET, &format!("/v1/events?{q}"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| {
                    (
                        e["type"].as_str().unwrap().to_string(),
                        e["account"].as_str().unwrap().to_string(),
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        get("type=account.frozen".into()).await,
        [("account.frozen".to_string(), "a@ev.test".to_string())]
    );
    assert_eq!(get("account=a@ev.test".into()).await.len(), 2);
    let since = before_b.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let after: Vec<_> = get(format!("since={}", urlencode(&since))).await;
    assert_eq!(
        after,
        [
            ("account.created".to_string(), "b@ev.test".to_string()),
            ("account.frozen".to_string(), "a@ev.test".to_string())
        ]
    );
    s.stop().await;
}

fn urlencode(s: &str) -> String {
    s.replace(':', "%3A").replace('+', "%2B")
}
