//! Crash safety: a 250 is a promise. Concurrent sessions deliver while the
//! server process is killed with SIGKILL; after a restart every message
//! that got its 250 is in the mailbox, exactly once.

mod common;

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rampart::address::EmailAddress;

const BIN: &str = env!("CARGO_BIN_EXE_rampart");

fn spawn(config: &std::path::Path) -> std::process::Child {
    let mut c = Command::new(BIN);
    c.arg("--config")
        .arg(config)
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, _) in std::env::vars() {
        if k.starts_with("RAMPART_") {
            c.env_remove(k);
        }
    }
    c.spawn().expect("start rampart")
}

async fn wait_port(addr: std::net::SocketAddr) {
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("server never listened on {addr}");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn every_acknowledged_message_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let db = common::fresh_database_url(dir.path()).await;
    let (smtp, http) = (free_port(), free_port());
    let config = dir.path().join("crash.toml");
    std::fs::write(
        &config,
        format!(
            "hostname = \"mx.rampart.test\"\ndata_dir = \"{}\"\ndatabase_url = \"{db}\"\n[listeners]\nsmtp = \"127.0.0.1:{smtp}\"\n\
             submission = \"\"\nsubmissions = \"\"\nimap = \"\"\nimaps = \"\"\npop3 = \"\"\npop3s = \"\"\nhttp = \"127.0.0.1:{http}\"\nhttps = \"\"\n",
            dir.path().display()
        ),
    )
    .unwrap();
    // Provision through the store directly (the server is not up yet).
    {
        let store = rampart::store::Store::open(&db).await.unwrap();
        store
            .create_domain(&rampart::address::Domain::parse("example.test").unwrap())
            .await
            .unwrap();
        let hash = rampart::auth::password::hash("crash password".into())
            .await
            .unwrap();
        store
            .create_account(rampart::store::accounts::NewAccount {
                address: EmailAddress::parse("box@example.test").unwrap(),
                password_hash: hash,
                display_name: None,
                quota_bytes: None,
                sending_limit: None,
                attachment_linking: Default::default(),
            })
            .await
            .unwrap();
        store.close().await;
    }
    let addr: std::net::SocketAddr = format!("127.0.0.1:{smtp}").parse().unwrap();
    let mut child = spawn(&config);
    wait_port(addr).await;

    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let started = Instant::now();
    let mut sessions = Vec::new();
    for s in 0..8 {
        let acked = acked.clone();
        sessions.push(tokio::spawn(async move {
            let Ok(tcp) = tokio::net::TcpStream::connect(addr).await else {
                return;
            };
            let mut c = common::smtp::SmtpClient::from_stream(tcp);
            if c.reply().await.code != 220 || c.cmd("EHLO crash.test").await.code != 250 {
                return;
            }
            for i in 0.. {
                let id = format!("s{s}-m{i}");
                if c.cmd("MAIL FROM:<load@sender.test>").await.code != 250 {
                    return;
                }
                if c.cmd("RCPT TO:<box@example.test>").await.code != 250
                    || c.cmd("DATA").await.code != 354
                {
                    return;
                }
                c.send(
                    format!(
                        "Subject: {id}\r\n\r\n{}.\r\n",
                        format!("{}\r\n", "x".repeat(98)).repeat(20)
                    )
                    .as_bytes(),
                )
                .await;
                // A closed connection (code 0) is no acknowledgement.
                if c.reply().await.code == 250 {
                    acked.lock().unwrap().push(id);
                } else {
                    return;
                }
            }
        }));
    }
    // Let the load run, then kill without warning.
    while acked.lock().unwrap().len() < 40 && started.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(150)).await;
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
    for s in sessions {
        let _ = s.await;
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 40,
        "the load did run ({} acknowledged)",
        acked.len()
    );

    // Restart (recovers the database), then look at the mailbox.
    let mut child = spawn(&config);
    wait_port(addr).await;
    child.kill().unwrap();
    child.wait().unwrap();
    let store = rampart::store::Store::open(&db).await.unwrap();
    let (loaded, _) = rampart::config::Config::load(Some(&config)).unwrap();
    let blobs = rampart::store::blobs::BlobStore::for_config(&loaded, store.clone()).unwrap();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for m in store
        .mailbox_messages(&EmailAddress::parse("box@example.test").unwrap(), "INBOX")
        .await
        .unwrap()
    {
        let raw = blobs
            .get(&m.blob)
            .await
            .expect("every stored row has its blob");
        let text = String::from_utf8_lossy(&raw);
        let subject = text
            .lines()
            .find_map(|l| l.strip_prefix("Subject: "))
            .expect("subject")
            .to_string();
        *seen.entry(subject).or_default() += 1;
    }
    store.close().await;
    let missing: Vec<&String> = acked.iter().filter(|id| !seen.contains_key(*id)).collect();
    assert!(missing.is_empty(), "acknowledged but lost: {missing:?}");
    let duplicates: Vec<(&String, &usize)> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(duplicates.is_empty(), "stored twice: {duplicates:?}");
    eprintln!(
        "acknowledged {}, stored {} (unacknowledged but stored: {})",
        acked.len(),
        seen.len(),
        seen.len() - acked.len()
    );
    common::drop_database(&db).await;
}
