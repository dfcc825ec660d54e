//! A server state for session fuzzing: a SQLite store in a temporary
//! directory, no listeners bound, DNS pointed at a closed loopback port
//! (lookups fail at once; nothing leaves the machine), one account. The
//! sessions run on a current-thread runtime, driven by `block_on`, which
//! also runs the group committer between steps.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::OnceLock;

use rampart::app::{AppState, Server};
use rampart::config::Config;
use tokio::runtime::Runtime;

pub struct Harness {
    pub rt: Runtime,
    pub state: AppState,
    // Keeps the server (and its committer) alive; it never serves.
    _server: Server,
    _dir: std::path::PathBuf,
}

pub const USER: &str = "fuzz@example.test";
pub const PASSWORD: &str = "fuzz password";

pub fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("rampart-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let text = format!(
            r#"hostname = "mx.example.test"
data_dir = "{dir}"
database_url = "sqlite://{dir}/rampart.db"

[listeners]
smtp = ""
submission = ""
submissions = ""
imap = ""
imaps = ""
pop3 = ""
pop3s = ""
http = ""
https = ""

[dns]
nameservers = ["127.0.0.1:9"]
timeout_ms = 50
"#,
            dir = dir.display()
        );
        let config = Config::from_sources(&text, Vec::new()).expect("fuzz config");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let server = rt.block_on(Server::bind(config)).expect("server");
        let state = server.state().clone();
        rt.block_on(async {
            use rampart::address::{Domain, EmailAddress};
            use rampart::store::accounts::NewAccount;
            let hash = rampart::auth::password::hash(PASSWORD.into())
                .await
                .expect("hash");
            let domain = Domain::parse("example.test").expect("domain");
            state.store.create_domain(&domain).await.expect("domain");
            state
                .store
                .create_account(NewAccount {
                    address: EmailAddress::parse(USER).expect("address"),
                    password_hash: hash,
                    display_name: None,
                    quota_bytes: Some(1 << 20),
                    sending_limit: None,
                    attachment_linking: Default::default(),
                })
                .await
                .expect("account");
        });
        Harness {
            rt,
            state,
            _server: server,
            _dir: dir,
        }
    })
}

/// A loopback peer address picked by the input, so that failed logins of
/// one run do not block the addresses of all the others.
pub fn peer(byte: u8) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, 0, 1, byte)), 40000)
}
