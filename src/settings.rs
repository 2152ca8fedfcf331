//! Everything the service can be told, with its documented defaults declared once: the command line (`cli`)
//! fills these in, tests build them directly.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "yizhan-data";
pub const DEFAULT_MAX_UPLOAD_MB: u64 = 128;
pub const DEFAULT_TIMEZONE: &str = "Asia/Shanghai";
pub const DEFAULT_TILES_URL: &str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";
pub const DEFAULT_TILES_ATTRIBUTION: &str = "© OpenStreetMap contributors";
pub const DEFAULT_CORS_ORIGINS: &str = "*";
pub const DEFAULT_REQUEST_TIMEOUT_SECS: u64 = 60;
pub const DEFAULT_CONCURRENCY_LIMIT: usize = 1024;
pub const DEFAULT_REPORTS_PER_MINUTE: u32 = 10;
pub const DEFAULT_IDLE_TIMEOUT_SECS: u64 = 60;

/// The coordinate system of the map tiles; the page shifts markers to match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TilesCrs {
    Wgs84,
    Gcj02,
}

impl TilesCrs {
    pub fn as_str(self) -> &'static str {
        match self {
            TilesCrs::Wgs84 => "wgs84",
            TilesCrs::Gcj02 => "gcj02",
        }
    }
}

/// The service's settings. No `Debug`: it holds the admin token.
#[derive(Clone)]
pub struct Settings {
    pub addr: SocketAddr,
    /// The durable dataset, its versions and the problem reports; seeded from the bundled sample if empty.
    pub data_dir: PathBuf,
    /// PostgreSQL shared by replicas; `None`: the data directory is the store.
    pub database_url: Option<String>,
    /// The admin bearer token; `None` disables the admin endpoints.
    pub admin_token: Option<String>,
    /// Where `open_now` is evaluated.
    pub timezone: chrono_tz::Tz,
    /// Largest accepted upload body, after gzip decompression too.
    pub max_upload_bytes: usize,
    pub tiles_url: String,
    pub tiles_attribution: String,
    pub tiles_crs: TilesCrs,
    /// Origins allowed to call the read API from browsers, comma-separated, or `*`.
    pub cors_origins: String,
    pub request_timeout: Duration,
    /// Requests handled at once; more wait.
    pub concurrency_limit: usize,
    /// Threads serving HTTP connections; 0 = one per CPU.
    pub http_threads: usize,
    /// Problem reports accepted per client per minute.
    pub reports_per_minute: u32,
    /// Take the client address for rate limiting from the last `X-Forwarded-For` entry.
    pub trust_forwarded_for: bool,
    /// What one client may hold, and the bounded pools (issue 19).
    pub limits: Limits,
    /// The public address of the service (`https://yizhan.example.cn`), the base of the hosts' confirmation
    /// links and QR codes; `None`: taken from each request's `Host` header.
    pub public_url: Option<String>,
    /// Count searches per H3 cell and hour for the planners' insights (issue 18); off: nothing is recorded.
    pub insights: bool,
}

/// Caps that keep slow or heavy clients from starving the others. Not on the command line yet: the defaults
/// are sized for the 2-core deployment.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Open connections per client address; more are closed at once.
    pub connections_per_client: usize,
    /// Requests in flight per client address (all its connections and HTTP/2 streams); more get 503.
    pub in_flight_per_client: usize,
    /// A body of up to 64 KiB must arrive whole within this; else 408.
    pub small_body_timeout: Duration,
    /// A larger (or chunked) body may pause at most this long between chunks; else 408.
    pub body_idle_timeout: Duration,
    /// Heavy queries (along, text search) and gzip decoding run at most this many at once; 0 = one per CPU.
    pub heavy_slots: usize,
    /// How long a heavy request waits for a slot before 503 + Retry-After.
    pub heavy_wait: Duration,
    /// Dataset downloads streaming at once; more get 503 + Retry-After.
    pub downloads: usize,
    /// HTTP/2: streams per connection.
    pub h2_max_streams: u32,
    /// A connection with no request in flight for this long is closed (HTTP/2: GOAWAY), even if it answers
    /// pings: idle connections would otherwise hold their descriptors and per-address slots for ever.
    pub idle_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            connections_per_client: 64,
            in_flight_per_client: 64,
            small_body_timeout: Duration::from_secs(10),
            body_idle_timeout: Duration::from_secs(5),
            heavy_slots: 0,
            heavy_wait: Duration::from_secs(2),
            downloads: 4,
            h2_max_streams: 32,
            idle_timeout: Duration::from_secs(DEFAULT_IDLE_TIMEOUT_SECS),
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from(DEFAULT_DATA_DIR),
            database_url: None,
            admin_token: None,
            timezone: chrono_tz::Asia::Shanghai,
            max_upload_bytes: mib(DEFAULT_MAX_UPLOAD_MB),
            tiles_url: DEFAULT_TILES_URL.to_owned(),
            tiles_attribution: DEFAULT_TILES_ATTRIBUTION.to_owned(),
            tiles_crs: TilesCrs::Wgs84,
            cors_origins: DEFAULT_CORS_ORIGINS.to_owned(),
            request_timeout: Duration::from_secs(DEFAULT_REQUEST_TIMEOUT_SECS),
            concurrency_limit: DEFAULT_CONCURRENCY_LIMIT,
            http_threads: 0,
            reports_per_minute: DEFAULT_REPORTS_PER_MINUTE,
            trust_forwarded_for: false,
            limits: Limits::default(),
            public_url: None,
            insights: true,
        }
    }
}

impl Settings {
    /// The HTTP threads to start: the setting, or one per CPU.
    pub fn http_threads(&self) -> usize {
        or_per_cpu(self.http_threads)
    }
}

/// A count setting where 0 means one per CPU (2 when the CPUs cannot be counted).
pub fn or_per_cpu(n: usize) -> usize {
    match n {
        0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
        n => n,
    }
}

/// MiB in bytes, saturating on 32-bit targets.
pub fn mib(n: u64) -> usize {
    usize::try_from(n.saturating_mul(1024 * 1024)).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_agree_with_their_constants() {
        let s = Settings::default();
        assert_eq!(s.addr.to_string(), DEFAULT_ADDR);
        assert_eq!(s.timezone.name(), DEFAULT_TIMEZONE);
    }
}
