//! Wiring: configuration → state → a listening server with graceful shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::api::{self, AdminToken, AppState, Metrics, Reports, Settings};
use crate::catalog::Catalog;
use crate::config::ServeArgs;
use crate::reports::{RateLimiter, ReportLog};
use crate::store::Store;

/// Reads the admin token from `YIZHAN_ADMIN_TOKEN` or the token file.
fn admin_token(args: &ServeArgs, env_token: Option<String>) -> anyhow::Result<AdminToken> {
    if let Some(path) = &args.admin_token_file {
        let t = std::fs::read_to_string(path)
            .with_context(|| format!("reading the admin token file {}", path.display()))?;
        anyhow::ensure!(
            !t.trim().is_empty(),
            "the admin token file {} is empty",
            path.display()
        );
        return Ok(AdminToken::new(Some(&t)));
    }
    Ok(AdminToken::new(env_token.as_deref()))
}

/// Builds the application state: opens (or seeds) the data directory and loads the dataset.
pub fn state(args: &ServeArgs, env_token: Option<String>) -> anyhow::Result<AppState> {
    let store = Store::open(&args.data_dir)
        .with_context(|| format!("opening the data directory {}", args.data_dir.display()))?;
    let catalog = Catalog::open(store, crate::BUNDLED_SAMPLE).context("loading the dataset")?;
    let reports = ReportLog::open(&args.data_dir).context("loading the problem reports")?;
    let admin = admin_token(args, env_token)?;
    if !admin.is_enabled() {
        tracing::warn!("no admin token configured: uploads are disabled (set YIZHAN_ADMIN_TOKEN or --admin-token-file)");
    }
    Ok(AppState {
        catalog: Arc::new(catalog),
        settings: Arc::new(Settings {
            timezone: args.timezone,
            max_upload_bytes: usize::try_from(args.max_upload_mb.saturating_mul(1024 * 1024))
                .unwrap_or(usize::MAX),
            tiles_url: args.tiles_url.clone(),
            tiles_attribution: args.tiles_attribution.clone(),
            tiles_crs: args.tiles_crs,
            cors_origins: args.cors_origins.clone(),
            request_timeout: Duration::from_secs(args.request_timeout_secs.max(1)),
            concurrency_limit: args.concurrency_limit.max(1),
        }),
        admin,
        metrics: Arc::new(Metrics::default()),
        reports: Arc::new(Reports {
            log: reports,
            limiter: RateLimiter::new(args.reports_per_minute),
        }),
    })
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
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
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing requests in flight");
}

/// Serves `state` on an already bound listener until `shutdown` resolves.
pub async fn serve_on(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let app = api::router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .context("serving")
}

/// `yizhan serve`.
pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let env_token = std::env::var("YIZHAN_ADMIN_TOKEN").ok();
    let state = tokio::task::spawn_blocking({
        let args = args.clone();
        move || state(&args, env_token)
    })
    .await??;
    let listener = TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("binding {}", args.addr))?;
    tracing::info!(addr = %listener.local_addr()?, stations = state.catalog.snapshot().len(), "serving: open http://{}/", listener.local_addr()?);
    serve_on(listener, state, shutdown_signal()).await
}
