//! The `rampart` binary: config errors, migrate, token create while the
//! server runs, and a clean exit on SIGTERM.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_rampart");

fn rampart(config: &std::path::Path) -> Command {
    let mut c = Command::new(BIN);
    c.arg("--config").arg(config);
    // Keep the developer's own overrides out of the test.
    for (k, _) in std::env::vars() {
        if k.starts_with("RAMPART_") {
            c.env_remove(k);
        }
    }
    c
}

#[test]
fn bad_config_names_the_key_and_fails() {
    let out = Command::new(BIN)
        .args(["migrate"])
        .env("RAMPART_LISTENERS__SMTP", "0.0.0.0:99999")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(r#"listeners.smtp: "0.0.0.0:99999" is not a socket address"#),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "[dns]\ntimeout_ms = \"soon\"\n").unwrap();
    let out = rampart(&path).arg("migrate").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("dns.timeout_ms"), "{stderr}");

    let out = rampart(&dir.path().join("missing.toml"))
        .arg("migrate")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read config file"));
}

#[tokio::test]
async fn migrate_token_serve_and_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let (_, text) = common::test_config(dir.path()).await;
    let path = dir.path().join("rampart.toml");
    std::fs::write(&path, text).unwrap();

    let out = rampart(&path).arg("migrate").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Twice is fine: nothing left to apply.
    assert!(
        rampart(&path)
            .arg("migrate")
            .output()
            .unwrap()
            .status
            .success()
    );

    // A token minted while the server is stopped...
    let out = rampart(&path)
        .args(["token", "create", "--role", "admin", "--ttl", "600"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let before = stdout.trim_end().to_string();
    assert_eq!(
        stdout.lines().count(),
        1,
        "only the token on stdout: {stdout:?}"
    );
    assert_eq!(before.split('.').count(), 3, "a JWT");

    let mut child = rampart(&path)
        .args(["--log-json", "serve"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let http = loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("server logs its address");
        let v: serde_json::Value = serde_json::from_str(&line).expect("JSON log line");
        if v["fields"]["message"] == "http listening" {
            break v["fields"]["addr"].as_str().unwrap().to_string();
        }
    };

    // ...and one minted while it runs both work against it.
    let out = rampart(&path)
        .args(["token", "create", "--role", "admin"])
        .output()
        .unwrap();
    let during = String::from_utf8(out.stdout)
        .unwrap()
        .trim_end()
        .to_string();
    let client = reqwest::Client::new();
    for token in [&before, &during] {
        let r = client
            .get(format!("http://{http}/v1/domains"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let code = loop {
        if let Some(code) = child.try_wait().unwrap() {
            break code;
        }
        assert!(Instant::now() < deadline, "server did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(code.success(), "exit status {code:?}");
}

#[test]
fn unknown_environment_names_warn_and_config_check_catches_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.toml");
    std::fs::write(
        &path,
        format!(
            "hostname = \"mx.example.test\"\ndata_dir = \"{}\"\ndatabase_url = \"postgres://u:secret@127.0.0.1/db\"\n",
            dir.path().display()
        ),
    )
    .unwrap();
    // A name of another program, and a typo of a real key: ignored, named.
    let out = rampart(&path)
        .args(["config", "check"])
        .env("RAMPART_CHECKOUT", "/src")
        .env("RAMPART_SMTP__MAX_ERORS", "3")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("RAMPART_CHECKOUT") && stderr.contains("RAMPART_SMTP__MAX_ERORS"),
        "{stderr}"
    );
    // Real keys apply; show redacts the database password.
    let out = rampart(&path)
        .args(["config", "show"])
        .env("RAMPART_SMTP__MAX_ERRORS", "7")
        .env("RAMPART_CHECKOUT", "/src")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("max_errors = 7"), "{shown}");
    assert!(
        shown.contains("postgres://u:***@127.0.0.1/db") && !shown.contains("secret"),
        "{shown}"
    );
    let out = rampart(&path).args(["config", "check"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    // Unknown keys in the file stay errors.
    std::fs::write(&path, "bogus = 1\n").unwrap();
    let out = rampart(&path).args(["config", "check"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown field `bogus`"));
}
