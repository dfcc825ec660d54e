//! Starting and stopping the server: open the store, bind every configured
//! listener, serve until the shutdown token fires, then drain.
//!
//! Binding is separate from running so tests (and `serve`) can bind
//! `127.0.0.1:0`, learn the real ports, and only then start serving.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::access::Access;
use crate::auth::token::TokenKeys;
use crate::config::Config;
use crate::delivery::Committer;
use crate::net::tls::Protocol;
use crate::net::tls_listener::TlsListener;
use crate::smtp::ListenerKind;
use crate::store::Store;
use crate::store::blobs::BlobStore;

/// How long in-flight requests get to finish after shutdown is asked for.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// What every request handler and protocol session shares.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Store,
    pub blobs: BlobStore,
    pub committer: Committer,
    pub tokens: TokenKeys,
    pub access: Access,
    /// DNS for delivery and domain checks (`[dns] nameservers`).
    pub resolver: Arc<mail_auth::MessageAuthenticator>,
    /// DNS for inbound sender checks: the same servers, negative answers
    /// cached (`[dns] negative_min_ttl_seconds`).
    pub screening_resolver: Arc<mail_auth::MessageAuthenticator>,
    /// Networks blocked by failed-login screening or by an admin.
    pub blocks: crate::screening::blocks::BlockList,
    /// Key for hashing login attempts (same user and password count once).
    pub attempt_key: Arc<Vec<u8>>,
    /// Hijack detection's recent window counts.
    pub hijack_counts: crate::screening::hijack::Counts,
    /// Parsed message facts for IMAP FETCH and SEARCH, and mailbox views
    /// for SELECT (together bounded by `[access] imap_cache_mb`).
    pub facts: crate::imap::meta::FactsCache,
    pub views: crate::imap::views::Views,
}

/// A server whose sockets are bound but which does not serve yet.
pub struct Server {
    state: AppState,
    tls: crate::net::tls::TlsConfigs,
    http: Option<TcpListener>,
    https: Option<TlsListener>,
    smtp: Vec<(ListenerKind, TcpListener)>,
    /// POP3 listeners; `true` for implicit TLS.
    pop3: Vec<(bool, TcpListener)>,
    /// IMAP listeners; `true` for implicit TLS.
    imap: Vec<(bool, TcpListener)>,
}

async fn bind(name: &str, addr: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("listeners.{name}: cannot bind {addr}"))
}

impl Server {
    /// Opens and migrates the store, loads TLS and binds the listeners.
    pub async fn bind(config: Config) -> anyhow::Result<Self> {
        let store = Store::open(&config.database_url())
            .await
            .with_context(|| format!("opening the database {}", redact(&config.database_url())))?;
        let signing_key = store.signing_key().await?;
        let tokens = TokenKeys::from_secret(&signing_key);
        let tls = crate::net::tls::server_configs(&config)?;
        let blobs = BlobStore::for_config(&config, store.clone()).with_context(|| {
            format!(
                "creating the blob store under {}",
                config.data_dir.display()
            )
        })?;
        let mut smtp = Vec::new();
        for kind in [
            ListenerKind::Mx,
            ListenerKind::Submission,
            ListenerKind::Submissions,
        ] {
            if let Some(addr) = config.listeners.addr(kind.name()) {
                smtp.push((kind, bind(kind.name(), addr).await?));
            }
        }
        let mut imap = Vec::new();
        for (name, implicit) in [("imap", false), ("imaps", true)] {
            if let Some(addr) = config.listeners.addr(name) {
                imap.push((implicit, bind(name, addr).await?));
            }
        }
        let mut pop3 = Vec::new();
        for (name, implicit) in [("pop3", false), ("pop3s", true)] {
            if let Some(addr) = config.listeners.addr(name) {
                pop3.push((implicit, bind(name, addr).await?));
            }
        }
        let http = match config.listeners.addr("http") {
            Some(addr) => Some(bind("http", addr).await?),
            None => None,
        };
        let https = match config.listeners.addr("https") {
            Some(addr) => Some(TlsListener::new(
                bind("https", addr).await?,
                tls.get(Protocol::Https),
            )?),
            None => None,
        };
        let access = Access::new();
        let resolver = Arc::new(crate::dns::resolver(&config.dns)?);
        let screening_resolver = Arc::new(crate::dns::screening_resolver(&config.dns)?);
        let committer = Committer::start(store.clone(), blobs.clone(), access.clone());
        let cache_bytes = config.access.imap_cache_mb << 20;
        let facts = crate::imap::meta::FactsCache::new(cache_bytes / 4 * 3);
        let views = crate::imap::views::Views::new(cache_bytes / 4);
        let state = AppState {
            config: Arc::new(config),
            store,
            blobs,
            committer,
            tokens,
            access,
            resolver,
            screening_resolver,
            blocks: crate::screening::blocks::BlockList::default(),
            attempt_key: Arc::new(signing_key),
            hijack_counts: crate::screening::hijack::Counts::default(),
            facts,
            views,
        };
        Ok(Self {
            state,
            tls,
            http,
            https,
            smtp,
            pop3,
            imap,
        })
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn http_addr(&self) -> Option<SocketAddr> {
        self.http.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// The bound address of an SMTP listener (`smtp`, `submission`, `submissions`).
    pub fn smtp_addr(&self, kind: ListenerKind) -> Option<SocketAddr> {
        self.smtp
            .iter()
            .find(|(k, _)| *k == kind)
            .and_then(|(_, l)| l.local_addr().ok())
    }

    /// The bound address of the IMAP listener (`implicit_tls`: imaps).
    pub fn imap_addr(&self, implicit_tls: bool) -> Option<SocketAddr> {
        self.imap
            .iter()
            .find(|(t, _)| *t == implicit_tls)
            .and_then(|(_, l)| l.local_addr().ok())
    }

    /// The bound address of the POP3 listener (`implicit_tls`: pop3s).
    pub fn pop3_addr(&self, implicit_tls: bool) -> Option<SocketAddr> {
        self.pop3
            .iter()
            .find(|(t, _)| *t == implicit_tls)
            .and_then(|(_, l)| l.local_addr().ok())
    }

    pub fn https_addr(&self) -> Option<SocketAddr> {
        use axum::serve::Listener;
        self.https.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// Serves until `shutdown` is cancelled, then lets in-flight requests
    /// finish (up to a deadline) and closes the store.
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let router = crate::api::router(self.state.clone());
        let mut tasks = tokio::task::JoinSet::new();
        let sessions = tokio_util::task::TaskTracker::new();
        let smtp_limits = crate::net::accept::Limits::new(
            self.state.config.smtp.max_connections,
            self.state.config.smtp.max_connections_per_ip,
            self.state.blocks.clone(),
        );
        let access_limits = crate::net::accept::Limits::new(
            self.state.config.access.max_connections,
            self.state.config.access.max_connections_per_ip,
            self.state.blocks.clone(),
        );
        for (implicit, listener) in self.imap {
            let name = if implicit { "imaps" } else { "imap" };
            tracing::info!(listener = name, addr = %listener.local_addr()?, "imap listening");
            let (state, tls, stop) = (
                self.state.clone(),
                self.tls.get(Protocol::Imap),
                shutdown.clone(),
            );
            let accept = crate::net::accept::accept_loop(
                listener,
                name,
                access_limits.clone(),
                sessions.clone(),
                shutdown.clone(),
                |why| format!("* BYE {why}\r\n"),
                move |tcp, peer| {
                    crate::imap::connection::serve(
                        tcp,
                        peer,
                        implicit,
                        state.clone(),
                        tls.clone(),
                        stop.clone(),
                    )
                },
            );
            tasks.spawn(async move {
                accept.await;
                Ok(())
            });
        }
        for (implicit, listener) in self.pop3 {
            let name = if implicit { "pop3s" } else { "pop3" };
            tracing::info!(listener = name, addr = %listener.local_addr()?, "pop3 listening");
            let (state, tls, stop) = (
                self.state.clone(),
                self.tls.get(Protocol::Pop3),
                shutdown.clone(),
            );
            let accept = crate::net::accept::accept_loop(
                listener,
                name,
                access_limits.clone(),
                sessions.clone(),
                shutdown.clone(),
                |why| format!("-ERR [SYS/TEMP] {why}\r\n"),
                move |tcp, peer| {
                    crate::pop3::connection::serve(
                        tcp,
                        peer,
                        implicit,
                        state.clone(),
                        tls.clone(),
                        stop.clone(),
                    )
                },
            );
            tasks.spawn(async move {
                accept.await;
                Ok(())
            });
        }
        for (kind, listener) in self.smtp {
            tracing::info!(listener = kind.name(), addr = %listener.local_addr()?, "smtp listening");
            let accept = crate::smtp::server::accept_loop(
                listener,
                kind,
                self.state.clone(),
                self.tls.get(Protocol::Smtp),
                smtp_limits.clone(),
                sessions.clone(),
                shutdown.clone(),
            );
            tasks.spawn(async move {
                accept.await;
                Ok(())
            });
        }
        if let Some(listener) = self.http {
            let addr = listener.local_addr()?;
            tracing::info!(%addr, "http listening");
            let app = router
                .clone()
                .into_make_service_with_connect_info::<crate::net::tls_listener::PeerAddr>();
            let stop = shutdown.clone();
            tasks.spawn(async move {
                axum::serve(listener, app)
                    .with_graceful_shutdown(stop.cancelled_owned())
                    .await
            });
        }
        if let Some(listener) = self.https {
            use axum::serve::Listener;
            tracing::info!(addr = %listener.local_addr()?, "https listening");
            let app =
                router.into_make_service_with_connect_info::<crate::net::tls_listener::PeerAddr>();
            let stop = shutdown.clone();
            tasks.spawn(async move {
                axum::serve(listener, app)
                    .with_graceful_shutdown(stop.cancelled_owned())
                    .await
            });
        }
        {
            let dispatcher = crate::events::webhooks::run(self.state.clone(), shutdown.clone());
            tasks.spawn(async move {
                dispatcher.await;
                Ok(())
            });
            let outbound = crate::smtp::outbound::run(self.state.clone(), shutdown.clone());
            tasks.spawn(async move {
                outbound.await;
                Ok(())
            });
            let blocks = self
                .state
                .blocks
                .clone()
                .run(self.state.store.clone(), shutdown.clone());
            tasks.spawn(async move {
                blocks.await;
                Ok(())
            });
            let maintenance = maintenance(self.state.clone(), shutdown.clone());
            tasks.spawn(async move {
                maintenance.await;
                Ok(())
            });
            let checks = dns_checks(self.state.clone(), shutdown.clone());
            tasks.spawn(async move {
                checks.await;
                Ok(())
            });
            let notifier = crate::events::notify::run(self.state.clone(), shutdown.clone());
            tasks.spawn(async move {
                notifier.await;
                Ok(())
            });
        }
        shutdown.cancelled().await;
        tracing::info!("shutting down: draining connections");
        sessions.close();
        let drained = tokio::time::timeout(DRAIN_TIMEOUT, async {
            sessions.wait().await;
            while let Some(result) = tasks.join_next().await {
                match result {
                    Ok(Err(e)) => tracing::warn!(error = %e, "listener ended with an error"),
                    Err(e) => tracing::warn!(error = %e, "listener task failed"),
                    Ok(Ok(())) => {}
                }
            }
        })
        .await;
        if drained.is_err() {
            tracing::warn!("drain deadline passed; closing remaining connections");
            tasks.abort_all();
        }
        self.state.store.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Hourly housekeeping: failed logins, sending records and unfreeze tokens
/// older than 30 days are pruned, so the tables stay bounded, and expired
/// attachment links are deleted with the files no other link uses, and
/// finished queue entries older than `[outbound] history_days` go.
/// Re-checks every domain's DNS records on `[dns] check_interval_seconds`,
/// starting one interval after start-up.
async fn dns_checks(state: AppState, shutdown: CancellationToken) {
    let every = state.config.dns.check_interval_seconds;
    if every == 0 {
        return;
    }
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(every)) => {}
            _ = shutdown.cancelled() => return,
        }
        // One node per period does it (the claim leaves a tenth of the
        // period for nodes whose timers drift).
        let period_ms = (every * 1000 * 9 / 10) as i64;
        match state.store.claim_period("lease/dns-check", period_ms).await {
            Ok(true) => {
                if let Err(e) = crate::domain_dns::periodic_check(&state).await {
                    tracing::warn!(error = %e, "periodic DNS check failed");
                }
            }
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "claiming the periodic DNS check failed"),
        }
    }
}

async fn maintenance(state: AppState, shutdown: CancellationToken) {
    const KEEP_MS: i64 = 30 * 24 * 3600 * 1000;
    loop {
        if let Err(e) = state
            .store
            .prune_screening(crate::store::now_ms() - KEEP_MS)
            .await
        {
            tracing::warn!(error = %e, "pruning screening records failed");
        }
        match state.store.purge_expired_attachments().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                links = n,
                "expired attachment links and their files deleted"
            ),
            Err(e) => tracing::warn!(error = %e, "purging expired attachments failed"),
        }
        let history_ms = state.config.outbound.history_days as i64 * 24 * 3600 * 1000;
        match state
            .store
            .purge_queue_history(crate::store::now_ms() - history_ms)
            .await
        {
            Ok(0) => {}
            Ok(n) => tracing::info!(recipients = n, "finished queue entries purged"),
            Err(e) => tracing::warn!(error = %e, "purging queue history failed"),
        }
        let tombstone_ms = state.config.access.imap_tombstone_days as i64 * 24 * 3600 * 1000;
        match state
            .store
            .prune_tombstones(crate::store::now_ms() - tombstone_ms)
            .await
        {
            Ok(0) => {}
            Ok(n) => tracing::info!(tombstones = n, "QRESYNC tombstones pruned"),
            Err(e) => tracing::warn!(error = %e, "pruning QRESYNC tombstones failed"),
        }
        // Daily DMARC aggregate reports: everything before today (UTC).
        if let Err(e) =
            crate::dmarc_reports::send_pending(&state, crate::dmarc_reports::start_of_day_ms())
                .await
        {
            tracing::warn!(error = %e, "sending DMARC aggregate reports failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(3600)) => {}
            _ = shutdown.cancelled() => return,
        }
    }
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Resolves when the process receives SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
