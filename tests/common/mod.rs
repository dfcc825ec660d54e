//! The test harness: a real server on loopback ports with a fresh database
//! (SQLite in a temporary directory, or a new PostgreSQL database when
//! `RAMPART_TEST_DATABASE_URL` is set), and an HTTP client.
#![allow(dead_code)]

pub mod dns;
pub mod imap;
pub mod mx;
pub mod raw;
pub mod smtp;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use rampart::app::Server;
use rampart::auth::token::Role;
use rampart::config::Config;
use serde_json::Value;
use sqlx::Connection;
use tokio_util::sync::CancellationToken;

pub struct TestServer {
    pub base: String,
    /// SMTP listeners (port 25, 587 and 465 roles), when started with SMTP.
    pub smtp: Option<SocketAddr>,
    pub submission: Option<SocketAddr>,
    pub submissions: Option<SocketAddr>,
    /// POP3 (STLS) and POP3S listeners.
    pub pop3: Option<SocketAddr>,
    pub pop3s: Option<SocketAddr>,
    /// IMAP (STARTTLS) and IMAPS listeners.
    pub imap: Option<SocketAddr>,
    pub imaps: Option<SocketAddr>,
    pub https: SocketAddr,
    pub admin: String,
    pub client: reqwest::Client,
    pub config: Config,
    pub config_path: PathBuf,
    pub state: rampart::app::AppState,
    shutdown: CancellationToken,
    handle: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    pub dir: tempfile::TempDir,
    /// Another node's database: left in place when this one stops.
    shares_database: bool,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A database URL no other test uses.
pub async fn fresh_database_url(dir: &std::path::Path) -> String {
    match std::env::var("RAMPART_TEST_DATABASE_URL") {
        Ok(base) if base.starts_with("postgres") => {
            sqlx::any::install_default_drivers();
            let name = format!(
                "rampart_t{}_{}_{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::SeqCst),
                rand::random::<u32>()
            );
            let mut conn = sqlx::AnyConnection::connect(&base)
                .await
                .expect("connect to RAMPART_TEST_DATABASE_URL");
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .expect("create test database");
            let (prefix, rest) = base.rsplit_once('/').expect("database URL has a path");
            let query = rest
                .split_once('?')
                .map(|(_, q)| format!("?{q}"))
                .unwrap_or_default();
            format!("{prefix}/{name}{query}")
        }
        _ => format!("sqlite://{}", dir.join("rampart.db").display()),
    }
}

/// A config whose listeners are disabled except HTTP and HTTPS on loopback
/// with ports the kernel picks.
pub async fn test_config(dir: &std::path::Path) -> (Config, String) {
    test_config_with(dir, "", "").await
}

/// A test config with SMTP listeners on loopback when `smtp` is
/// `"127.0.0.1:0"`, and `extra` TOML appended.
pub async fn test_config_with(dir: &std::path::Path, smtp: &str, extra: &str) -> (Config, String) {
    let db = fresh_database_url(dir).await;
    // Top-level keys in `extra` must come before the first section
    // (The first line that starts with `[`; `[` inside values is fine.)
    let section = if extra.starts_with('[') {
        Some(0)
    } else {
        extra.find("\n[").map(|i| i + 1)
    };
    let (top, extra) = match section {
        Some(i) => (&extra[..i], &extra[i..]),
        None => (extra, ""),
    };
    // Every lookup goes to a DNS server on loopback, never the machine's:
    // an empty zone unless the test brings its own.
    let own_dns;
    let extra = if extra.contains("[dns]") {
        extra
    } else {
        let dns = dns::start(dns::Zone::default()).await;
        own_dns = format!("{extra}\n[dns]\nnameservers = [\"{dns}\"]\n");
        own_dns.as_str()
    };
    let text = format!(
        r#"hostname = "mx.rampart.test"
data_dir = "{dir}"
database_url = "{db}"
{top}

[listeners]
smtp = "{smtp}"
submission = "{smtp}"
submissions = "{smtp}"
imap = "{smtp}"
imaps = "{smtp}"
pop3 = "{smtp}"
pop3s = "{smtp}"
http = "127.0.0.1:0"
https = "127.0.0.1:0"

{extra}
"#,
        dir = dir.display()
    );
    let config = Config::from_sources(&text, Vec::new()).expect("test config is valid");
    (config, text)
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with("", "").await
    }

    /// With SMTP listeners on loopback, and extra config.
    pub async fn start_smtp(extra: &str) -> Self {
        Self::start_with("127.0.0.1:0", extra).await
    }

    async fn start_with(smtp: &str, extra: &str) -> Self {
        // RAMPART_TEST_LOG=debug shows the server's log in failing tests.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_env("RAMPART_TEST_LOG"))
            .with_test_writer()
            .try_init();
        let dir = tempfile::tempdir().expect("tempdir");
        let (config, text) = test_config_with(dir.path(), smtp, extra).await;
        let config_path = dir.path().join("rampart.toml");
        std::fs::write(&config_path, text).expect("write config");
        Self::launch(config, config_path, dir, false).await
    }

    /// A second node on this one's database (its own ports and caches), as
    /// behind a load balancer.
    pub async fn second_node(&self) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        Self::launch(self.config.clone(), self.config_path.clone(), dir, true).await
    }

    async fn launch(
        config: Config,
        config_path: PathBuf,
        dir: tempfile::TempDir,
        shares_database: bool,
    ) -> Self {
        let server = Server::bind(config.clone()).await.expect("server binds");
        let http = server.http_addr().expect("http bound");
        let https = server.https_addr().expect("https bound");
        use rampart::smtp::ListenerKind;
        let (smtp, submission, submissions) = (
            server.smtp_addr(ListenerKind::Mx),
            server.smtp_addr(ListenerKind::Submission),
            server.smtp_addr(ListenerKind::Submissions),
        );
        let (pop3, pop3s) = (server.pop3_addr(false), server.pop3_addr(true));
        let (imap, imaps) = (server.imap_addr(false), server.imap_addr(true));
        let state = server.state().clone();
        let (admin, _) = state
            .tokens
            .mint(Role::Admin, None, None, 3600)
            .expect("mint");
        let shutdown = CancellationToken::new();
        let handle = tokio::spawn(server.run(shutdown.clone()));
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        Self {
            base: format!("http://{http}"),
            smtp,
            submission,
            submissions,
            pop3,
            pop3s,
            imap,
            imaps,
            https,
            admin,
            client,
            config,
            config_path,
            state,
            shutdown,
            handle: Some(handle),
            dir,
            shares_database,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request with the admin token.
    pub fn admin(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(&self.admin)
    }

    pub fn with_token(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
    ) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(token)
    }

    pub async fn create_domain(&self, name: &str) {
        let r = self
            .admin(reqwest::Method::POST, "/v1/domains")
            .json(&serde_json::json!({ "name": name }))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            201,
            "create domain {name}: {}",
            r.text().await.unwrap()
        );
    }

    pub async fn create_account(&self, address: &str, password: &str) -> Value {
        let r = self
            .admin(reqwest::Method::POST, "/v1/accounts")
            .json(&serde_json::json!({ "address": address, "password": password }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "create account {address}");
        r.json().await.unwrap()
    }

    /// Mints a scoped token through the API.
    pub async fn token(&self, body: Value) -> String {
        let r = self
            .admin(reqwest::Method::POST, "/v1/tokens")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "mint token {body}");
        let v: Value = r.json().await.unwrap();
        v["token"].as_str().unwrap().to_string()
    }

    pub async fn stop(mut self) {
        self.halt().await;
        if !self.shares_database {
            drop_database(&self.config.database_url()).await;
        }
    }

    async fn halt(&mut self) {
        self.shutdown.cancel();
        if let Some(h) = self.handle.take() {
            h.await.expect("server task").expect("server stops cleanly");
        }
    }

    /// Stops the server and starts a new one on the same data directory
    /// and database (new ports).
    pub async fn restart(mut self) -> Self {
        self.halt().await;
        let server = Server::bind(self.config.clone())
            .await
            .expect("server binds again");
        self.base = format!("http://{}", server.http_addr().expect("http"));
        self.https = server.https_addr().expect("https");
        use rampart::smtp::ListenerKind;
        self.smtp = server.smtp_addr(ListenerKind::Mx);
        self.submission = server.smtp_addr(ListenerKind::Submission);
        self.submissions = server.smtp_addr(ListenerKind::Submissions);
        (self.pop3, self.pop3s) = (server.pop3_addr(false), server.pop3_addr(true));
        (self.imap, self.imaps) = (server.imap_addr(false), server.imap_addr(true));
        self.state = server.state().clone();
        self.shutdown = CancellationToken::new();
        self.handle = Some(tokio::spawn(server.run(self.shutdown.clone())));
        self
    }
}

/// Asserts a problem+json answer with `status`, returning its detail.
pub async fn expect_problem(response: reqwest::Response, status: u16) -> String {
    assert_eq!(response.status().as_u16(), status, "unexpected status");
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string());
    assert_eq!(content_type.as_deref(), Some("application/problem+json"));
    let body: Value = response.json().await.expect("problem body is JSON");
    assert_eq!(body["status"], status);
    assert!(
        body["type"]
            .as_str()
            .unwrap()
            .starts_with("urn:rampart:problem:")
    );
    assert!(body["title"].is_string());
    body["detail"].as_str().expect("detail").to_string()
}

/// Drops a per-test PostgreSQL database once its server has stopped.
pub async fn drop_database(url: &str) {
    let (Ok(base), true) = (
        std::env::var("RAMPART_TEST_DATABASE_URL"),
        url.starts_with("postgres"),
    ) else {
        return;
    };
    let name = url
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .split('?')
        .next()
        .unwrap_or_default();
    if let Ok(mut conn) = sqlx::AnyConnection::connect(&base).await {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut conn)
        .await;
    }
}
