//! The [`Store`]: every durable fact, on SQLite (default) or PostgreSQL.
//!
//! One code path serves both backends through sqlx's `Any` driver; SQL is
//! written once where the dialects agree and chosen with [`Store::sql`] where
//! they don't. Migrations are per backend under `migrations/`.
//!
//! On SQLite all writes go through a single connection: SQLite has one writer
//! anyway, and funnelling writes avoids `SQLITE_BUSY` on lock upgrades. Reads
//! use a separate pool and proceed concurrently under WAL.

pub mod accounts;
pub mod aliases;
pub mod attachments;
pub mod batch;
pub mod blobs;
pub mod delivery;
pub mod dkim;
pub mod dmarc;
pub mod domains;
pub mod events;
pub mod keys;
pub mod mailboxes;
pub mod notifications;
pub mod queue;
pub mod screening;
pub mod settings;
pub mod webhooks;

use std::str::FromStr;
use std::time::Duration;

use base64::Engine;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

/// Which database sits behind the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// What can go wrong in the store, in terms callers can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("cursor is not one this server issued")]
    BadCursor,
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Local domain names and when they were read.
type DomainCache = std::sync::Arc<
    std::sync::RwLock<
        Option<(
            std::time::Instant,
            std::sync::Arc<std::collections::HashSet<String>>,
        )>,
    >,
>;

#[derive(Clone)]
pub struct Store {
    backend: Backend,
    read: AnyPool,
    write: AnyPool,
    domains: DomainCache,
    /// Settings documents as read, with when (see `Store::setting`).
    settings: SettingsCache,
}

type SettingsCache = std::sync::Arc<
    std::sync::Mutex<std::collections::HashMap<String, (std::time::Instant, Option<String>)>>,
>;

/// Schema versions, in order, as (version, SQLite text, PostgreSQL text).
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        include_str!("../../migrations/sqlite/0001_foundation.sql"),
        include_str!("../../migrations/postgres/0001_foundation.sql"),
    ),
    (
        2,
        include_str!("../../migrations/sqlite/0002_mail.sql"),
        include_str!("../../migrations/postgres/0002_mail.sql"),
    ),
    (
        3,
        include_str!("../../migrations/sqlite/0003_webhooks.sql"),
        include_str!("../../migrations/postgres/0003_webhooks.sql"),
    ),
    (
        4,
        include_str!("../../migrations/sqlite/0004_admin_notifications.sql"),
        include_str!("../../migrations/postgres/0004_admin_notifications.sql"),
    ),
    (
        5,
        include_str!("../../migrations/sqlite/0005_outbound.sql"),
        include_str!("../../migrations/postgres/0005_outbound.sql"),
    ),
    (
        6,
        include_str!("../../migrations/sqlite/0006_blobs.sql"),
        include_str!("../../migrations/postgres/0006_blobs.sql"),
    ),
    (
        7,
        include_str!("../../migrations/sqlite/0007_screening.sql"),
        include_str!("../../migrations/postgres/0007_screening.sql"),
    ),
    (
        8,
        include_str!("../../migrations/sqlite/0008_sending_counters.sql"),
        include_str!("../../migrations/postgres/0008_sending_counters.sql"),
    ),
    (
        9,
        include_str!("../../migrations/sqlite/0009_attachments.sql"),
        include_str!("../../migrations/postgres/0009_attachments.sql"),
    ),
    (
        10,
        include_str!("../../migrations/sqlite/0010_dmarc_reports.sql"),
        include_str!("../../migrations/postgres/0010_dmarc_reports.sql"),
    ),
    (
        11,
        include_str!("../../migrations/sqlite/0011_imap_state.sql"),
        include_str!("../../migrations/postgres/0011_imap_state.sql"),
    ),
    (
        12,
        include_str!("../../migrations/sqlite/0012_queue_history.sql"),
        include_str!("../../migrations/postgres/0012_queue_history.sql"),
    ),
    (
        13,
        include_str!("../../migrations/sqlite/0013_tombstone_pruning.sql"),
        include_str!("../../migrations/postgres/0013_tombstone_pruning.sql"),
    ),
    (
        14,
        include_str!("../../migrations/sqlite/0014_search_text.sql"),
        include_str!("../../migrations/postgres/0014_search_text.sql"),
    ),
];

/// A fixed key for PostgreSQL's advisory lock, so that nodes starting together
/// apply migrations one at a time.
const MIGRATION_LOCK: i64 = 0x0072_616d_7061_7274; // "rampart" in ASCII

impl Store {
    /// Connects to `url` (`sqlite://path` or `postgres://...`), creating the
    /// SQLite file if needed. Does not migrate.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        sqlx::any::install_default_drivers();
        if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            let path = path.split('?').next().unwrap_or(path);
            if !path.is_empty() && path != ":memory:" {
                let dir = std::path::Path::new(path).parent();
                if let Some(dir) = dir.filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        StoreError::Invalid(format!("cannot create {}: {e}", dir.display()))
                    })?;
                }
            }
            let url = if url.contains('?') {
                url.to_string()
            } else {
                format!("{url}?mode=rwc")
            };
            let options = AnyConnectOptions::from_str(&url)?;
            let pool = |max: u32| {
                AnyPoolOptions::new()
                    .max_connections(max)
                    .acquire_timeout(Duration::from_secs(30))
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            // WAL: readers never block the writer. synchronous=FULL:
                            // a commit is on disk before it returns (a 250 is a promise).
                            conn.execute(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                                 PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                    .connect_with(options.clone())
            };
            let write = pool(1).await?;
            let read = pool(8).await?;
            Ok(Self {
                backend: Backend::Sqlite,
                read,
                write,
                domains: DomainCache::default(),
                settings: SettingsCache::default(),
            })
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = AnyPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(30))
                .connect(url)
                .await?;
            Ok(Self {
                backend: Backend::Postgres,
                read: pool.clone(),
                write: pool,
                domains: DomainCache::default(),
                settings: SettingsCache::default(),
            })
        } else {
            Err(StoreError::Invalid(format!(
                "unsupported database URL {url:?}"
            )))
        }
    }

    /// Connects and applies pending migrations, then makes sure the API
    /// signing key exists.
    pub async fn open(url: &str) -> StoreResult<Self> {
        let store = Self::connect(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Picks the statement for this backend where the dialects differ.
    pub fn sql(&self, sqlite: &'static str, postgres: &'static str) -> &'static str {
        match self.backend {
            Backend::Sqlite => sqlite,
            Backend::Postgres => postgres,
        }
    }

    pub fn reader(&self) -> &AnyPool {
        &self.read
    }

    pub async fn begin(&self) -> StoreResult<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(self.write.begin().await?)
    }

    /// Applies every migration not yet applied; returns how many ran.
    pub async fn migrate(&self) -> StoreResult<usize> {
        let mut conn = self.write.acquire().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_lock($1)")
                .bind(MIGRATION_LOCK)
                .execute(&mut *conn)
                .await?;
        }
        let result = self.migrate_locked(&mut conn).await;
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(MIGRATION_LOCK)
                .execute(&mut *conn)
                .await?;
        }
        drop(conn);
        let applied = result?;
        keys::ensure_signing_key(self).await?;
        Ok(applied)
    }

    async fn migrate_locked(&self, conn: &mut sqlx::AnyConnection) -> StoreResult<usize> {
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
        )
        .await?;
        let current: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM schema_migrations")
            .fetch_one(&mut *conn)
            .await?;
        let current = current.unwrap_or(0);
        let mut applied = 0;
        for (version, sqlite, postgres) in MIGRATIONS {
            if *version <= current {
                continue;
            }
            let text = self.sql(sqlite, postgres);
            let mut tx = sqlx::Connection::begin(&mut *conn).await?;
            sqlx::raw_sql(text).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
                .bind(*version)
                .bind(now_ms())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            tracing::info!(version, "applied migration");
            applied += 1;
        }
        Ok(applied)
    }

    /// Closes both pools, waiting for connections to be returned.
    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }
}

/// Now, as Unix milliseconds: the unit of every stored time.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A stored time as a UTC date-time.
pub fn from_ms(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// Whether a database error is a unique-constraint violation.
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

/// Opaque pagination cursors: the sort key of the last item returned. An
/// id is sent as its digits (`^[0-9]{0,18}$` in the document, so any
/// value a client can form is a position); other keys as URL-safe base64
/// (`^[A-Za-z0-9_-]*$`), which also decodes whatever matches that pattern.
/// An empty cursor is no cursor.
pub fn encode_cursor(key: &str) -> String {
    if is_digits(key) {
        return key.to_string();
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key)
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// The key of a cursor over names (domains, addresses).
pub fn decode_cursor(cursor: &str) -> StoreResult<String> {
    if is_digits(cursor) {
        return Ok(cursor.to_string());
    }
    if !cursor
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(StoreError::BadCursor);
    }
    // One character past a whole number of octets carries no octet.
    let usable = if cursor.len() % 4 == 1 {
        &cursor[..cursor.len() - 1]
    } else {
        cursor
    };
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(DecodePaddingMode::RequireNone),
    );
    LENIENT
        .decode(usable)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .map_err(|_| StoreError::BadCursor)
}

/// A cursor over numeric ids (events, webhooks, queue, ...); base64 of the
/// digits, as cursors were first issued, is still read.
pub fn decode_id_cursor(cursor: &str) -> StoreResult<i64> {
    let digits = if is_digits(cursor) {
        cursor.to_string()
    } else {
        decode_cursor(cursor)?
    };
    digits.parse().map_err(|_| StoreError::BadCursor)
}

/// A page of results and the cursor for the next one.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from `limit + 1` fetched rows: the extra row, if present,
    /// only says that another page exists.
    pub fn from_rows(mut rows: Vec<T>, limit: usize, key: impl Fn(&T) -> String) -> Self {
        let next_cursor = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(|r| encode_cursor(&key(r)))
        } else {
            None
        };
        Self {
            items: rows,
            next_cursor,
        }
    }
}
