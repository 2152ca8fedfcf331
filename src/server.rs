//! Wiring: configuration → state → a listening server with graceful shutdown.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::api::{self, AdminToken, App, AppState, Metrics, ReportLimiter, Reports, Settings};
use crate::catalog::Catalog;
use crate::config::ServeArgs;
use crate::reports::ReportLog;
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
    let catalog = Arc::new(catalog);
    Ok(AppState::new(App {
        metrics: Arc::new(Metrics::new(catalog.clone())),
        catalog,
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
            http_threads: match args.http_threads {
                0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
                n => n,
            },
        }),
        admin,
        reports: Arc::new(Reports {
            log: reports,
            limiter: ReportLimiter::per_minute(args.reports_per_minute),
            trust_forwarded_for: args.trust_forwarded_for,
        }),
    }))
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

/// How long a client may take to send its request headers: slow-loris clients are cut off after this.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long in-flight requests get to finish after SIGTERM before the process exits anyway.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// The threads that serve connections: one current-thread runtime each, and a connection stays on the thread
/// it was given (its socket registered with that thread's reactor). Why not the multi-thread runtime: on a
/// 2-core machine it spent about a third of its time waking and switching threads (perf under wrk:
/// `finish_task_switch`, spin-unlocks of the wake-ups, work stealing), for requests that take microseconds.
/// Anything slow (upload parsing, file I/O) already runs on the blocking pool, so no connection waits behind
/// another's long request.
struct Workers {
    handles: Vec<tokio::runtime::Handle>,
    /// Dropping these ends the threads (and any connection still on them).
    _stops: Vec<tokio::sync::oneshot::Sender<()>>,
    next: usize,
}

impl Workers {
    fn start(n: usize) -> anyhow::Result<Workers> {
        let mut handles = Vec::with_capacity(n);
        let mut stops = Vec::with_capacity(n);
        for i in 0..n.max(1) {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("starting an HTTP thread's runtime")?;
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            handles.push(rt.handle().clone());
            stops.push(stop);
            std::thread::Builder::new()
                .name(format!("yizhan-http-{i}"))
                .spawn(move || {
                    rt.block_on(async {
                        let _ = stopped.await;
                    })
                })
                .context("starting an HTTP thread")?;
        }
        Ok(Workers {
            handles,
            _stops: stops,
            next: 0,
        })
    }

    /// Round robin: connections are long-lived (keep-alive) and cost about the same.
    fn spawn(&mut self, f: impl std::future::Future<Output = ()> + Send + 'static) {
        let h = &self.handles[self.next % self.handles.len()];
        self.next = self.next.wrapping_add(1);
        h.spawn(f);
    }
}

/// Serves `state` on an already bound listener until `shutdown` resolves, then lets requests in flight finish.
///
/// A hand-written accept loop over hyper rather than `axum::serve`, because `axum::serve` exposes neither the
/// header-read timeout (slow clients) nor keep-alive settings.
pub async fn serve_on(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use tower::ServiceExt;

    let mut workers = Workers::start(state.settings.http_threads)?;
    let app = api::router(state);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(Duration::from_secs(30)));
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            conn = listener.accept() => match conn {
                Ok(c) => c,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        // Moved to the worker's reactor below; `into_std` leaves the socket non-blocking.
        let stream = match stream.into_std() {
            Ok(s) => s,
            Err(e) => {
                tracing::debug!(error = %e, %peer, "could not hand a connection over");
                continue;
            }
        };
        let app = app.clone();
        let svc = tower::service_fn(move |mut req: axum::http::Request<hyper::body::Incoming>| {
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo(peer));
            app.clone().oneshot(req)
        });
        let (builder, watcher) = (builder.clone(), graceful.watcher());
        workers.spawn(async move {
            let stream = match tokio::net::TcpStream::from_std(stream) {
                Ok(s) => s,
                Err(e) => {
                    tracing::debug!(error = %e, %peer, "could not register a connection");
                    return;
                }
            };
            // hyper's header timeout starts with the first byte: a client that connects and sends nothing
            // would hold its descriptor for ever. Give it the same time to start.
            // (`peek` waits for a byte; `readable()` would not: tokio assumes a new socket ready.)
            let mut first = [0u8; 1];
            let first = tokio::time::timeout(HEADER_READ_TIMEOUT, stream.peek(&mut first)).await;
            if !matches!(first, Ok(Ok(n)) if n > 0) {
                tracing::debug!(%peer, "closing a connection that sent nothing");
                return;
            }
            let conn = builder
                .serve_connection_with_upgrades(
                    TokioIo::new(stream),
                    hyper_util::service::TowerToHyperService::new(svc),
                )
                .into_owned();
            if let Err(e) = watcher.watch(conn).await {
                tracing::debug!(error = %e, %peer, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still running after {SHUTDOWN_GRACE:?}; exiting anyway");
    }
    Ok(())
}

/// `yizhan serve`.
pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let env_token = std::env::var("YIZHAN_ADMIN_TOKEN").ok();
    // Many idle keep-alive connections must not run us out of descriptors; the soft limit is often 1024.
    match rlimit::increase_nofile_limit(65_536) {
        Ok(n) => tracing::debug!(nofile = n, "file descriptor limit"),
        Err(e) => tracing::warn!(error = %e, "could not raise the file descriptor limit"),
    }
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
