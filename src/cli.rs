//! The command line. `main.rs` only calls [`main`]; everything a command
//! does is a library function so tests can call it too.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use tokio_util::sync::CancellationToken;

use crate::app::{Server, shutdown_signal};
use crate::auth::token::{Role, TokenKeys};
use crate::config::{Config, LogFormat};
use crate::store::Store;

#[derive(Debug, Parser)]
#[command(name = "rampart", version, about = "A headless, API-first mail server")]
pub struct Cli {
    /// Config file (TOML). Every key is optional.
    #[arg(long, global = true, env = "RAMPART_CONFIG")]
    pub config: Option<PathBuf>,
    /// Log as JSON lines instead of human-readable text.
    #[arg(long, global = true)]
    pub log_json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run every configured listener until SIGINT/SIGTERM.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Print the OpenAPI document (the content of openapi/openapi.json).
    Openapi,
    /// Inspect the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the file and environment; exit 1 when a `RAMPART_*`
    /// variable names no config key (a typo the server would ignore).
    Check,
    /// Print the effective configuration (file, environment, defaults) as
    /// TOML, with the database password redacted.
    Show,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Print one signed API token on stdout.
    Create(TokenArgs),
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    #[arg(long, value_parser = parse_role)]
    pub role: Role,
    /// The domain of a domain-admin token.
    #[arg(long)]
    pub domain: Option<String>,
    /// The account of a user token.
    #[arg(long)]
    pub account: Option<String>,
    /// Lifetime in seconds.
    #[arg(long, default_value_t = 3600)]
    pub ttl: u64,
}

fn parse_role(s: &str) -> Result<Role, String> {
    match s {
        "admin" => Ok(Role::Admin),
        "domain-admin" => Ok(Role::DomainAdmin),
        "user" => Ok(Role::User),
        other => Err(format!(
            "unknown role {other:?}; use admin, domain-admin or user"
        )),
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Openapi = cli.command {
        print!("{}", crate::api::openapi::document_json());
        return ExitCode::SUCCESS;
    }
    let (config, ignored) = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("rampart: config error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Command::Config(what) = &cli.command {
        return config_command(what, &config, &ignored);
    }
    let json = cli.log_json || config.log_format == LogFormat::Json;
    // Logs go to stderr: stdout is for command output (the token).
    let quiet = matches!(cli.command, Command::Token(_));
    init_logging(json, quiet);
    if !ignored.is_empty() {
        tracing::warn!(
            names = %ignored.join(", "),
            "ignoring RAMPART_* environment variables that name no config key"
        );
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("rampart: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve => serve(config).await,
            Command::Migrate => migrate(&config).await,
            Command::Token(TokenCommand::Create(args)) => {
                let token = create_token(&config, &args).await?;
                println!("{token}");
                Ok(())
            }
            Command::Openapi | Command::Config(_) => Ok(()),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rampart: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn config_command(what: &ConfigCommand, config: &Config, ignored: &[String]) -> ExitCode {
    match what {
        ConfigCommand::Show => {
            print!("{}", config.to_redacted_toml());
            ExitCode::SUCCESS
        }
        ConfigCommand::Check if ignored.is_empty() => {
            println!("configuration ok");
            ExitCode::SUCCESS
        }
        ConfigCommand::Check => {
            for name in ignored {
                eprintln!("rampart: {name} names no config key (ignored by the server)");
            }
            ExitCode::FAILURE
        }
    }
}

fn init_logging(json: bool, quiet: bool) {
    use tracing_subscriber::EnvFilter;
    let default = if quiet { "warn" } else { "info" };
    let filter = EnvFilter::try_from_env("RAMPART_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let server = Server::bind(config).await?;
    let shutdown = CancellationToken::new();
    let trigger = shutdown.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        trigger.cancel();
    });
    server.run(shutdown).await
}

async fn migrate(config: &Config) -> anyhow::Result<()> {
    let store = Store::connect(&config.database_url()).await?;
    let applied = store.migrate().await?;
    store.close().await;
    eprintln!("rampart: {applied} migration(s) applied");
    Ok(())
}

/// Mints a token straight from the database's signing key: works whether or
/// not a server is running, and on any node of a cluster.
pub async fn create_token(config: &Config, args: &TokenArgs) -> anyhow::Result<String> {
    use crate::address::{Domain, EmailAddress};
    let store = Store::open(&config.database_url()).await?;
    let (domain, account) = match args.role {
        Role::Admin => (None, None),
        Role::DomainAdmin => {
            let d = args
                .domain
                .as_deref()
                .ok_or_else(|| anyhow::anyhow!("--role domain-admin needs --domain"))?;
            let d = Domain::parse(d)?;
            store.domain(&d).await?;
            (Some(d.to_string()), None)
        }
        Role::User => {
            let a = args
                .account
                .as_deref()
                .ok_or_else(|| anyhow::anyhow!("--role user needs --account"))?;
            let account = store.account(&EmailAddress::parse(a)?).await?;
            (Some(account.domain), Some(account.address))
        }
    };
    let keys = TokenKeys::from_secret(&store.signing_key().await?);
    store.close().await;
    let (token, _) = keys.mint(args.role, domain, account, args.ttl)?;
    Ok(token)
}
