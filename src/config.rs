//! Configuration: embedded defaults, then the TOML file, then `RAMPART_*`
//! environment overrides, then validation that names the bad key and why.
//!
//! Only per-node facts live here (addresses to bind, paths, the database);
//! settings that every node of a cluster must share live in the database.

use std::collections::BTreeSet;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The whole configuration. Every key is optional (CONTRACT.md).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Greeting, HELO name, Received headers, notification sender, TLS certificate name.
    pub hostname: String,
    /// SQLite file, message blobs, generated keys and certificates.
    pub data_dir: PathBuf,
    /// `sqlite://...` or `postgres://...`; absent: `sqlite://<data_dir>/rampart.db`.
    pub database_url: Option<String>,
    /// Base of attachment links and the docs page; absent: `https://<hostname>:<https port>`.
    pub public_url: Option<String>,
    /// Addresses the world sees this server send from (PTR and SPF checks).
    pub public_ips: Vec<IpAddr>,
    /// `human` (default) or `json` log lines.
    pub log_format: LogFormat,
    /// Where message bodies live: `database` (default) or `files`.
    pub blob_storage: BlobStorage,
    pub listeners: Listeners,
    pub tls: TlsConfig,
    pub dns: DnsConfig,
    pub outbound: OutboundConfig,
    pub webhooks: WebhooksConfig,
    pub smtp: SmtpConfig,
    pub access: AccessConfig,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BlobStorage {
    /// In the database, committed with the rows that reference them.
    #[default]
    Database,
    /// Files under `data_dir/blobs`.
    Files,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Human,
    Json,
}

/// `"host:port"` per listener; an empty string disables it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Listeners {
    pub smtp: String,
    pub submission: String,
    pub submissions: String,
    pub imap: String,
    pub imaps: String,
    pub pop3: String,
    pub pop3s: String,
    pub http: String,
    pub https: String,
}

impl Default for Listeners {
    fn default() -> Self {
        Self {
            smtp: "0.0.0.0:25".into(),
            submission: "0.0.0.0:587".into(),
            submissions: "0.0.0.0:465".into(),
            imap: "0.0.0.0:143".into(),
            imaps: "0.0.0.0:993".into(),
            pop3: "0.0.0.0:110".into(),
            pop3s: "0.0.0.0:995".into(),
            http: "0.0.0.0:8080".into(),
            https: "0.0.0.0:8443".into(),
        }
    }
}

impl Listeners {
    /// Every listener by its config name, in a fixed order.
    pub fn entries(&self) -> [(&'static str, &str); 9] {
        [
            ("smtp", &self.smtp),
            ("submission", &self.submission),
            ("submissions", &self.submissions),
            ("imap", &self.imap),
            ("imaps", &self.imaps),
            ("pop3", &self.pop3),
            ("pop3s", &self.pop3s),
            ("http", &self.http),
            ("https", &self.https),
        ]
    }

    /// The parsed address of one listener; `None` when disabled. Validation
    /// has already rejected unparsable values, so an error here is a bug
    /// surfaced as `None` plus a log line rather than a panic.
    pub fn addr(&self, name: &str) -> Option<SocketAddr> {
        let value = self.entries().into_iter().find(|(n, _)| *n == name)?.1;
        if value.is_empty() {
            return None;
        }
        value.parse().ok()
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct TlsConfig {
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DnsConfig {
    /// Absent or empty: the system resolver.
    pub nameservers: Vec<String>,
    pub timeout_ms: u64,
    /// How often every domain's DNS records are re-checked (0: never).
    pub check_interval_seconds: u64,
    /// All DNS lookups of one inbound message's sender checks (PTR, SPF,
    /// DKIM keys, DMARC) share this budget; what is unanswered then is
    /// `temperror`.
    pub message_budget_ms: u64,
    /// Sender checks remember "no such name/record" at least this long,
    /// also when the answer carries no SOA to take a TTL from.
    pub negative_min_ttl_seconds: u64,
}

impl Default for DnsConfig {
    fn default() -> Self {
        Self {
            nameservers: Vec::new(),
            timeout_ms: 2000,
            check_interval_seconds: 21_600,
            message_budget_ms: 4000,
            negative_min_ttl_seconds: 60,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutboundConfig {
    pub relay_host: String,
    pub mx_port: u16,
    pub retry_delays_seconds: Vec<u64>,
    pub max_queue_seconds: u64,
    /// Days a delivered, bounced or expired recipient stays visible in the
    /// queue API (`?status=`) before it is purged.
    pub history_days: u64,
}

impl Default for OutboundConfig {
    fn default() -> Self {
        Self {
            relay_host: String::new(),
            mx_port: 25,
            retry_delays_seconds: vec![60, 300, 900, 1800, 3600, 7200],
            max_queue_seconds: 432_000,
            history_days: 7,
        }
    }
}

/// Per-node limits of mailbox access (IMAP and POP3).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct AccessConfig {
    /// Simultaneous IMAP and POP3 sessions of one account on this node.
    pub max_sessions_per_account: usize,
    /// Simultaneous IMAP/POP3 connections from one IP address.
    pub max_connections_per_ip: usize,
    /// Simultaneous IMAP/POP3 connections in all.
    pub max_connections: usize,
    /// IMAP autologout (RFC 3501 5.4: at least 30 minutes); IDLE re-arms it.
    pub imap_idle_timeout_seconds: u64,
    /// POP3 autologout (RFC 1939 3: at least 10 minutes).
    pub pop3_idle_timeout_seconds: u64,
    /// Memory for parsed message facts (envelopes, structures, searchable
    /// headers) shared by this node's IMAP sessions, in MiB.
    pub imap_cache_mb: u64,
    /// How long QRESYNC keeps the UIDs of removed messages. A client that
    /// resynchronises after longer is told every UID it may know of that
    /// is not there, instead of exactly what went.
    pub imap_tombstone_days: u64,
}

impl Default for AccessConfig {
    fn default() -> Self {
        Self {
            max_sessions_per_account: 20,
            max_connections_per_ip: 50,
            max_connections: 2000,
            imap_idle_timeout_seconds: 1800,
            pop3_idle_timeout_seconds: 600,
            imap_cache_mb: 64,
            imap_tombstone_days: 90,
        }
    }
}

/// Per-node limits of the SMTP listeners. Each has its own reply when hit.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpConfig {
    /// Largest message accepted (advertised as SIZE), in octets.
    pub max_message_size: u64,
    /// Recipients per message; more get `452 4.5.3`.
    pub max_recipients: usize,
    /// Protocol errors in one session before it is closed with `421`.
    pub max_errors: u32,
    /// Seconds without a complete command or data before `421 4.4.2`.
    pub idle_timeout_seconds: u64,
    /// Simultaneous SMTP connections from one IP address.
    pub max_connections_per_ip: usize,
    /// Simultaneous SMTP connections in all.
    pub max_connections: usize,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        Self {
            max_message_size: 50 * 1024 * 1024,
            max_recipients: 100,
            max_errors: 10,
            idle_timeout_seconds: 300,
            max_connections_per_ip: 50,
            max_connections: 2000,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhooksConfig {
    pub allow_private_targets: bool,
    pub retry_delays_seconds: Vec<u64>,
}

impl Default for WebhooksConfig {
    fn default() -> Self {
        Self {
            allow_private_targets: false,
            retry_delays_seconds: vec![5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400],
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            hostname: "localhost".into(),
            data_dir: PathBuf::from("./data"),
            database_url: None,
            public_url: None,
            public_ips: Vec::new(),
            log_format: LogFormat::Human,
            blob_storage: BlobStorage::Database,
            listeners: Listeners::default(),
            tls: TlsConfig::default(),
            dns: DnsConfig::default(),
            outbound: OutboundConfig::default(),
            webhooks: WebhooksConfig::default(),
            smtp: SmtpConfig::default(),
            access: AccessConfig::default(),
        }
    }
}

/// A configuration problem, worded for the operator: `key: what is wrong`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// Environment variables with the `RAMPART_` prefix that are not config keys.
const RESERVED_ENV: &[&str] = &["CONFIG", "LOG"];
const RESERVED_ENV_PREFIXES: &[&str] = &["TEST_"];

impl Config {
    /// Loads the file (if any), applies the process environment and validates.
    /// Also returns the `RAMPART_*` variables that name no config key (they
    /// are ignored; the caller warns about them).
    pub fn load(path: Option<&Path>) -> Result<(Self, Vec<String>), ConfigError> {
        let text = match path {
            Some(p) => std::fs::read_to_string(p).map_err(|e| {
                ConfigError(format!("cannot read config file {}: {e}", p.display()))
            })?,
            None => String::new(),
        };
        Self::from_sources_checked(&text, std::env::vars())
    }

    /// Builds a configuration from TOML text and `(name, value)` environment
    /// pairs; separated from [`Config::load`] so tests need no process state.
    pub fn from_sources(
        toml_text: &str,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        Self::from_sources_checked(toml_text, env).map(|(config, _)| config)
    }

    /// As [`Config::from_sources`], also returning the `RAMPART_*` names
    /// that are not config keys. Unknown keys in the file stay errors: a
    /// file is written for this server, while the environment is shared
    /// with other programs (and with test harnesses).
    pub fn from_sources_checked(
        toml_text: &str,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<(Self, Vec<String>), ConfigError> {
        let file: toml::Table = toml::from_str(toml_text)
            .map_err(|e| ConfigError(format!("config file: {}", e.message().trim())))?;
        let unknown_field = |table: &toml::Table| match deserialize(table) {
            Err(e) if e.inner().to_string().starts_with("unknown field") => Some(e.to_string()),
            _ => None,
        };
        let file_unknown = unknown_field(&file);
        let mut root = file.clone();
        let mut from_env = BTreeSet::new();
        let mut ignored = Vec::new();
        for (name, value) in env {
            let Some(rest) = name.strip_prefix("RAMPART_") else {
                continue;
            };
            if RESERVED_ENV.contains(&rest)
                || RESERVED_ENV_PREFIXES.iter().any(|p| rest.starts_with(p))
            {
                continue;
            }
            let path: Vec<String> = rest.split("__").map(|s| s.to_ascii_lowercase()).collect();
            let mut alone = file.clone();
            let names_a_key = !path.iter().any(|p| p.is_empty())
                && set_path(&mut alone, &path, env_value(&value)).is_ok()
                && unknown_field(&alone) == file_unknown;
            if !names_a_key {
                ignored.push(name);
                continue;
            }
            set_path(&mut root, &path, env_value(&value))
                .map_err(|why| ConfigError(format!("{name}: {why}")))?;
            from_env.insert(path.join("."));
        }
        let config: Config = deserialize(&root).map_err(|e| {
            let key = e.path().to_string();
            let source = if from_env.contains(&key) {
                format!(
                    " (from RAMPART_{})",
                    key.to_ascii_uppercase().replace('.', "__")
                )
            } else {
                String::new()
            };
            ConfigError(format!("{key}: {}{source}", e.inner()))
        })?;
        config.validate()?;
        ignored.sort();
        Ok((config, ignored))
    }

    /// The effective configuration as TOML, with the database password
    /// replaced by `***` (for `rampart config show`).
    pub fn to_redacted_toml(&self) -> String {
        let mut copy = self.clone();
        if let Some(url) = copy.database_url.as_ref() {
            copy.database_url = Some(crate::app::redact(url));
        }
        toml::to_string_pretty(&copy).unwrap_or_else(|e| format!("# cannot show: {e}\n"))
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let err = |key: &str, why: String| Err(ConfigError(format!("{key}: {why}")));
        if crate::address::Domain::parse(&self.hostname).is_err() {
            return err(
                "hostname",
                format!("{:?} is not a valid host name", self.hostname),
            );
        }
        for (name, value) in self.listeners.entries() {
            if !value.is_empty() && value.parse::<SocketAddr>().is_err() {
                return err(
                    &format!("listeners.{name}"),
                    format!(
                        "{value:?} is not a socket address (expected \"host:port\", e.g. \"0.0.0.0:25\")"
                    ),
                );
            }
        }
        if let Some(url) = &self.database_url
            && !(url.starts_with("sqlite:")
                || url.starts_with("postgres://")
                || url.starts_with("postgresql://"))
        {
            return err(
                "database_url",
                format!("{url:?} is neither sqlite:... nor postgres://..."),
            );
        }
        if let Some(url) = &self.public_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            return err(
                "public_url",
                format!("{url:?} must start with https:// or http://"),
            );
        }
        match (&self.tls.cert, &self.tls.key) {
            (Some(_), None) => return err("tls.key", "must be set when tls.cert is".into()),
            (None, Some(_)) => return err("tls.cert", "must be set when tls.key is".into()),
            _ => {}
        }
        for (i, ns) in self.dns.nameservers.iter().enumerate() {
            if ns.parse::<SocketAddr>().is_err() && ns.parse::<IpAddr>().is_err() {
                return err(
                    &format!("dns.nameservers[{i}]"),
                    format!("{ns:?} is not an IP address or \"ip:port\""),
                );
            }
        }
        if self.dns.timeout_ms == 0 {
            return err("dns.timeout_ms", "must be greater than 0".into());
        }
        if !self.outbound.relay_host.is_empty() && !self.outbound.relay_host.contains(':') {
            return err(
                "outbound.relay_host",
                format!("{:?} must be \"host:port\"", self.outbound.relay_host),
            );
        }
        if self.outbound.mx_port == 0 {
            return err(
                "outbound.mx_port",
                "must be a port number from 1 to 65535".into(),
            );
        }
        if self.outbound.retry_delays_seconds.is_empty() {
            return err(
                "outbound.retry_delays_seconds",
                "must list at least one delay".into(),
            );
        }
        let smtp = &self.smtp;
        if smtp.max_message_size < 1024 {
            return err(
                "smtp.max_message_size",
                "must be at least 1024 octets".into(),
            );
        }
        for (key, value) in [
            ("smtp.max_recipients", smtp.max_recipients as u64),
            ("smtp.max_errors", u64::from(smtp.max_errors)),
            ("smtp.idle_timeout_seconds", smtp.idle_timeout_seconds),
            (
                "smtp.max_connections_per_ip",
                smtp.max_connections_per_ip as u64,
            ),
            ("smtp.max_connections", smtp.max_connections as u64),
            (
                "access.max_sessions_per_account",
                self.access.max_sessions_per_account as u64,
            ),
            (
                "access.max_connections_per_ip",
                self.access.max_connections_per_ip as u64,
            ),
            ("access.max_connections", self.access.max_connections as u64),
            (
                "access.imap_idle_timeout_seconds",
                self.access.imap_idle_timeout_seconds,
            ),
            (
                "access.pop3_idle_timeout_seconds",
                self.access.pop3_idle_timeout_seconds,
            ),
        ] {
            if value == 0 {
                return err(key, "must be greater than 0".into());
            }
        }
        if self.webhooks.retry_delays_seconds.is_empty() {
            return err(
                "webhooks.retry_delays_seconds",
                "must list at least one delay".into(),
            );
        }
        Ok(())
    }

    /// The database URL in effect.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.data_dir.join("rampart.db").display()),
        }
    }

    /// The public base URL in effect, without a trailing slash.
    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => {
                let port = self
                    .listeners
                    .addr("https")
                    .map(|a| a.port())
                    .unwrap_or(443);
                if port == 443 {
                    format!("https://{}", self.hostname)
                } else {
                    format!("https://{}:{port}", self.hostname)
                }
            }
        }
    }
}

fn deserialize(table: &toml::Table) -> Result<Config, serde_path_to_error::Error<toml::de::Error>> {
    serde_path_to_error::deserialize(toml::Value::Table(table.clone()))
}

/// An environment value as TOML when it parses as a TOML value (numbers,
/// booleans, arrays), otherwise as a plain string (`0.0.0.0:25`, host names).
fn env_value(raw: &str) -> toml::Value {
    let doc = format!("v = {raw}");
    match toml::from_str::<toml::Table>(&doc) {
        Ok(mut t) => t
            .remove("v")
            .unwrap_or_else(|| toml::Value::String(raw.to_string())),
        Err(_) => toml::Value::String(raw.to_string()),
    }
}

fn set_path(root: &mut toml::Table, path: &[String], value: toml::Value) -> Result<(), String> {
    let (last, parents) = path.split_last().ok_or("empty key")?;
    let mut table = root;
    for part in parents {
        let entry = table
            .entry(part.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        table = match entry {
            toml::Value::Table(t) => t,
            _ => return Err(format!("`{part}` is not a section")),
        };
    }
    table.insert(last.clone(), value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_follow_the_contract() {
        let c = Config::from_sources("", Vec::new()).unwrap();
        assert_eq!(c.listeners.smtp, "0.0.0.0:25");
        assert_eq!(c.outbound.max_queue_seconds, 432_000);
        assert_eq!(c.database_url(), "sqlite://./data/rampart.db");
        assert_eq!(c.public_url(), "https://localhost:8443");
    }

    #[test]
    fn environment_overrides_file() {
        let c = Config::from_sources(
            "hostname = \"a.example\"\n[listeners]\nsmtp = \"127.0.0.1:2525\"\n",
            env(&[
                ("RAMPART_LISTENERS__SMTP", "127.0.0.1:2626"),
                ("RAMPART_OUTBOUND__MX_PORT", "2527"),
                ("RAMPART_DNS__NAMESERVERS", "[\"127.0.0.1:5353\"]"),
                ("RAMPART_CONFIG", "ignored"),
                ("RAMPART_TEST_DATABASE_URL", "ignored"),
                ("OTHER", "x"),
            ]),
        )
        .unwrap();
        assert_eq!(c.hostname, "a.example");
        assert_eq!(c.listeners.smtp, "127.0.0.1:2626");
        assert_eq!(c.outbound.mx_port, 2527);
        assert_eq!(c.dns.nameservers, vec!["127.0.0.1:5353".to_string()]);
    }

    #[test]
    fn bad_values_name_the_key() {
        let e = Config::from_sources("[listeners]\nsmtp = \"0.0.0.0:99999\"\n", Vec::new())
            .unwrap_err();
        assert!(
            e.0.starts_with("listeners.smtp: \"0.0.0.0:99999\" is not a socket address"),
            "{e}"
        );
        let e =
            Config::from_sources("", env(&[("RAMPART_OUTBOUND__MX_PORT", "\"x\"")])).unwrap_err();
        assert!(
            e.0.starts_with("outbound.mx_port:") && e.0.contains("RAMPART_OUTBOUND__MX_PORT"),
            "{e}"
        );
        let e = Config::from_sources("[listeners]\nsmpt = \"x\"\n", Vec::new()).unwrap_err();
        assert!(e.0.contains("smpt"), "{e}");
        let e = Config::from_sources("hostname = [", Vec::new()).unwrap_err();
        assert!(e.0.starts_with("config file:"), "{e}");
        let e = Config::from_sources("[tls]\ncert = \"/x\"\n", Vec::new()).unwrap_err();
        assert!(e.0.starts_with("tls.key:"), "{e}");
    }
}
