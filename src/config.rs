//! Command line and environment: one clap derive struct per subcommand, a doc comment per setting.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::crs::Crs;

pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "yizhan-data";
pub const DEFAULT_MAX_UPLOAD_MB: u64 = 128;
pub const DEFAULT_REQUEST_TIMEOUT_SECS: u64 = 60;
pub const DEFAULT_REPORTS_PER_MINUTE: u32 = 10;
pub const DEFAULT_TIMEZONE: &str = "Asia/Shanghai";
pub const DEFAULT_TILES_URL: &str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";
pub const DEFAULT_TILES_ATTRIBUTION: &str = "© OpenStreetMap contributors";

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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TilesCrs {
    Wgs84,
    Gcj02,
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
    #[arg(long, env = "YIZHAN_CORS_ORIGINS", default_value = "*")]
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
    #[arg(long, env = "YIZHAN_CONCURRENCY_LIMIT", default_value_t = 1024)]
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
}
