//! Command line and environment: one clap derive struct per subcommand, a doc comment per setting, turned into
//! [`Settings`] before anything else sees them.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use anyhow::Context;

use crate::geodesy::crs::Crs;
use crate::settings::*;

#[derive(Debug, Parser)]
#[command(
    name = "yizhan",
    version,
    about = "驿站 — locator for Beijing's outdoor-worker rest stations"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API and the map pages (the default when no subcommand is given).
    Serve(ServeArgs),
    /// Validate a station file (GeoJSON or CSV) exactly as an upload would be; exit 1 if it has errors.
    Validate(ValidateArgs),
    /// Replace the secret behind the hosts' confirmation links: every link and printed QR code made before stops
    /// working once the server is restarted. Print and hand out new QR codes afterwards.
    RotateConfirmSecret(DataDirArgs),
    /// Admin tokens beside YIZHAN_ADMIN_TOKEN: add (prints the secret once), list, revoke. A running server
    /// picks the change up within a second, without a restart.
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Add a token and print its secret (only its SHA-256 hash is stored: copy it now).
    Add(TokenAddArgs),
    /// List the tokens: name, scope, created, revoked (never the secrets).
    List(DataDirArgs),
    /// Revoke a token: the server refuses it (401) within a second.
    Revoke(TokenNameArgs),
}

#[derive(Debug, Clone, clap::Args)]
pub struct TokenAddArgs {
    /// The token's name: letters, digits, '.', '_' or '-'; it is the actor in the audit log.
    pub name: String,
    /// A district whose stations it may change (repeat for several); none = every district.
    #[arg(long = "district", value_name = "DISTRICT")]
    pub districts: Vec<String>,
    /// It may read the admin endpoints but change nothing.
    #[arg(long)]
    pub read_only: bool,
    #[command(flatten)]
    pub dir: DataDirArgs,
}

#[derive(Debug, Clone, clap::Args)]
pub struct TokenNameArgs {
    /// The token's name, as `yizhan token list` shows it.
    pub name: String,
    #[command(flatten)]
    pub dir: DataDirArgs,
}

#[derive(Debug, Clone, clap::Args)]
pub struct DataDirArgs {
    /// The server's data directory.
    #[arg(long, env = "YIZHAN_DATA_DIR", default_value = DEFAULT_DATA_DIR)]
    pub data_dir: PathBuf,
    /// The servers' PostgreSQL, when they share one (then the data directory is not used for this).
    #[arg(long, env = "YIZHAN_DATABASE_URL")]
    pub database_url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "YIZHAN_ADDR", default_value = DEFAULT_ADDR)]
    pub addr: SocketAddr,
    /// Directory for the durable dataset, its versions and the problem reports; seeded from the bundled sample
    /// on first start.
    #[arg(long, env = "YIZHAN_DATA_DIR", default_value = DEFAULT_DATA_DIR)]
    pub data_dir: PathBuf,
    /// PostgreSQL shared by replicas (`postgres://user:password@host:port/db`): dataset versions, station
    /// state, cases, calendar, tokens, audit and the confirmation secret live there (schema migrated on
    /// start); the data directory then only caches dataset files and this replica's demand counts.
    #[arg(long, env = "YIZHAN_DATABASE_URL")]
    pub database_url: Option<String>,
    /// File holding the admin bearer token (alternative to the YIZHAN_ADMIN_TOKEN environment variable, which is
    /// deliberately not a flag: flags show up in `ps`).
    #[arg(long, env = "YIZHAN_ADMIN_TOKEN_FILE")]
    pub admin_token_file: Option<PathBuf>,
    /// Largest accepted upload body, in MiB (after gzip decompression too).
    #[arg(long, env = "YIZHAN_MAX_UPLOAD_MB", default_value_t = DEFAULT_MAX_UPLOAD_MB)]
    pub max_upload_mb: u64,
    /// Time zone in which `open_now` is evaluated.
    #[arg(long, env = "YIZHAN_TIMEZONE", default_value = DEFAULT_TIMEZONE)]
    pub timezone: chrono_tz::Tz,
    /// Log format.
    #[arg(long, env = "YIZHAN_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Origins allowed to call the read API from browsers, comma-separated, or `*`.
    #[arg(long, env = "YIZHAN_CORS_ORIGINS", default_value = DEFAULT_CORS_ORIGINS)]
    pub cors_origins: String,
    /// Map tile URL template for the map page.
    #[arg(long, env = "YIZHAN_TILES_URL", default_value = DEFAULT_TILES_URL)]
    pub tiles_url: String,
    /// Attribution shown for the tiles.
    #[arg(long, env = "YIZHAN_TILES_ATTRIBUTION", default_value = DEFAULT_TILES_ATTRIBUTION)]
    pub tiles_attribution: String,
    /// Coordinate system of the tiles: wgs84 (OSM-style) or gcj02 (Amap-style); the page shifts markers to match.
    #[arg(long, env = "YIZHAN_TILES_CRS", value_enum, default_value_t = TilesCrs::Wgs84)]
    pub tiles_crs: TilesCrs,
    /// Seconds a request may take before it is answered 503.
    #[arg(long, env = "YIZHAN_REQUEST_TIMEOUT_SECS", default_value_t = DEFAULT_REQUEST_TIMEOUT_SECS)]
    pub request_timeout_secs: u64,
    /// Requests handled at once; more wait.
    #[arg(long, env = "YIZHAN_CONCURRENCY_LIMIT", default_value_t = DEFAULT_CONCURRENCY_LIMIT)]
    pub concurrency_limit: usize,
    /// Threads serving HTTP connections; 0 = one per CPU.
    #[arg(long, env = "YIZHAN_HTTP_THREADS", default_value_t = 0)]
    pub http_threads: usize,
    /// Problem reports accepted per client per minute.
    #[arg(long, env = "YIZHAN_REPORTS_PER_MINUTE", default_value_t = DEFAULT_REPORTS_PER_MINUTE)]
    pub reports_per_minute: u32,
    /// Behind a reverse proxy: take the client address for rate limiting from the last `X-Forwarded-For`
    /// entry (the one the proxy appended) instead of the TCP peer, which would be the proxy for everyone.
    #[arg(long, env = "YIZHAN_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: bool,
    /// The service's public address (e.g. `https://yizhan.example.cn`), the base of the hosts' confirmation
    /// links and printed QR codes; without it, the `Host` of the admin's request is used.
    #[arg(long, env = "YIZHAN_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Close a connection (HTTP/2: with GOAWAY) after this many seconds with no request in flight.
    #[arg(long, env = "YIZHAN_IDLE_TIMEOUT_SECS", default_value_t = DEFAULT_IDLE_TIMEOUT_SECS)]
    pub idle_timeout_secs: u64,
    /// Demand insights: `on` counts each nearest/along search in its H3 cell and hour (no position kept);
    /// `off` records nothing (the insights endpoints then show what was stored before).
    #[arg(long, env = "YIZHAN_INSIGHTS", value_enum, default_value_t = Switch::On)]
    pub insights: Switch,
}

/// `on` or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    On,
    Off,
}

impl Default for ServeArgs {
    fn default() -> Self {
        // Parsing no arguments yields the documented defaults; clap cannot fail on an empty list.
        #[derive(Parser)]
        struct Wrapper {
            #[command(flatten)]
            args: ServeArgs,
        }
        Wrapper::parse_from(["yizhan"]).args
    }
}

impl ServeArgs {
    /// The settings these arguments ask for; the admin token comes from the token file or, failing that,
    /// `env_token` (`YIZHAN_ADMIN_TOKEN`, deliberately not a flag: flags show up in `ps`).
    pub fn into_settings(self, env_token: Option<String>) -> anyhow::Result<Settings> {
        let admin_token = match &self.admin_token_file {
            Some(path) => {
                let t = std::fs::read_to_string(path)
                    .with_context(|| format!("reading the admin token file {}", path.display()))?;
                anyhow::ensure!(
                    !t.trim().is_empty(),
                    "the admin token file {} is empty",
                    path.display()
                );
                Some(t)
            }
            None => env_token,
        };
        let public_url = self
            .public_url
            .map(|u| u.trim().trim_end_matches('/').to_owned())
            .filter(|u| !u.is_empty());
        if let Some(u) = &public_url {
            anyhow::ensure!(
                u.starts_with("https://") || u.starts_with("http://"),
                "--public-url must start with https:// or http://, got {u:?}"
            );
        }
        Ok(Settings {
            addr: self.addr,
            data_dir: self.data_dir,
            database_url: self.database_url.filter(|u| !u.trim().is_empty()),
            admin_token,
            timezone: self.timezone,
            max_upload_bytes: mib(self.max_upload_mb),
            tiles_url: self.tiles_url,
            tiles_attribution: self.tiles_attribution,
            tiles_crs: self.tiles_crs,
            cors_origins: self.cors_origins,
            request_timeout: std::time::Duration::from_secs(self.request_timeout_secs.max(1)),
            concurrency_limit: self.concurrency_limit.max(1),
            http_threads: self.http_threads,
            reports_per_minute: self.reports_per_minute,
            trust_forwarded_for: self.trust_forwarded_for,
            limits: crate::settings::Limits {
                idle_timeout: std::time::Duration::from_secs(self.idle_timeout_secs.max(1)),
                ..crate::settings::Limits::default()
            },
            public_url,
            insights: self.insights == Switch::On,
        })
    }
}

#[derive(Debug, Clone, clap::Args)]
pub struct ValidateArgs {
    /// The file to check: `.csv` is read as CSV, anything else as GeoJSON.
    pub file: PathBuf,
    /// Coordinate system of the file's coordinates.
    #[arg(long, default_value = "wgs84")]
    pub crs: Crs,
    /// Print the report as JSON (the body an upload would get) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// The report's language: `en`, or `zh` for Chinese messages (as the API answers `Accept-Language: zh`).
    #[arg(long, default_value = "en", value_parser = ["en", "zh"])]
    pub lang: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The command line's defaults are the settings' defaults: both come from the same constants, and this
    /// checks the conversion does not drift.
    #[test]
    fn no_arguments_give_the_default_settings() {
        let got = ServeArgs::default().into_settings(None).unwrap();
        let want = Settings::default();
        assert_eq!(got.addr, want.addr);
        assert_eq!(got.data_dir, want.data_dir);
        assert_eq!(got.timezone, want.timezone);
        assert_eq!(got.max_upload_bytes, want.max_upload_bytes);
        assert_eq!(got.request_timeout, want.request_timeout);
        assert_eq!(got.concurrency_limit, want.concurrency_limit);
        assert_eq!(got.reports_per_minute, want.reports_per_minute);
        assert_eq!(got.limits.idle_timeout, want.limits.idle_timeout);
        assert_eq!(got.insights, want.insights);
        assert_eq!(got.tiles_crs, want.tiles_crs);
        assert_eq!(got.cors_origins, want.cors_origins);
    }
}
