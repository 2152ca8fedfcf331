//! The application: settings in, a bound listener and its state out. `main` and the tests build it the same
//! way (`Application::build(settings)`), the tests without a command line.

use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::api::{
    AdminToken, App, AppState, Calendars, Confirm, Insights, Metrics, Pool, ReportLimiter, Reports,
};
use crate::live::Live;
use crate::settings::Settings;
use crate::store::reports::ReportLog;
use crate::store::secret::ConfirmSecret;
use crate::store::{open_backend, Store};

/// Builds the application state: opens the store (PostgreSQL or the data directory; seeded if empty) and
/// loads the dataset. Blocking (disk, database).
pub fn build_state(settings: Settings) -> anyhow::Result<AppState> {
    let backend =
        open_backend(&settings.data_dir, settings.database_url.as_deref()).with_context(|| {
            match &settings.database_url {
                Some(_) => "opening the PostgreSQL store (--database-url)".to_owned(),
                None => format!("opening the data directory {}", settings.data_dir.display()),
            }
        })?;
    let live = Live::open(Store::new(backend.clone()), crate::BUNDLED_SAMPLE)
        .context("loading the dataset")?;
    let reports = ReportLog::open(backend.clone()).context("loading the problem reports")?;
    let secret =
        ConfirmSecret::load_or_create(&*backend).context("loading the confirmation-link secret")?;
    let calendar = Calendars::open(backend.clone()).context("loading the holiday calendar")?;
    let insights = Insights::open(backend.clone(), settings.timezone, settings.insights)
        .context("loading the insights counts")?;
    let admin = AdminToken::new(settings.admin_token.as_deref(), backend.clone());
    if !admin.is_enabled() {
        tracing::warn!("no admin token configured: uploads are disabled (set YIZHAN_ADMIN_TOKEN or --admin-token-file)");
    }
    let live = Arc::new(live);
    Ok(AppState::new(App {
        metrics: Arc::new(Metrics::new(live.clone(), backend.clone())),
        live,
        admin,
        audit: Arc::new(crate::store::audit::AuditLog::open(backend.clone())),
        store: backend,
        reports: Arc::new(Reports {
            log: reports,
            limiter: ReportLimiter::per_minute(settings.reports_per_minute),
            trust_forwarded_for: settings.trust_forwarded_for,
        }),
        heavy: Pool::new(settings.limits.heavy_slots, settings.limits.heavy_wait),
        downloads: Arc::new(tokio::sync::Semaphore::new(
            settings.limits.downloads.max(1),
        )),
        confirm: Confirm::new(secret),
        calendar: Arc::new(calendar),
        insights: Arc::new(insights),
        settings: Arc::new(settings),
    }))
}

/// `yizhan rotate-confirm-secret`: a new secret in the store; a running server keeps the old one until it is
/// restarted (it reads the secret once, at start).
pub fn rotate_confirm_secret(
    data_dir: &std::path::Path,
    database_url: Option<&str>,
) -> anyhow::Result<()> {
    let backend = open_backend(data_dir, database_url).context("opening the store")?;
    ConfirmSecret::rotate(&*backend).context("replacing the confirmation-link secret")?;
    Ok(())
}

/// Follows a shared store: whenever another replica may have changed something (a notification, or once a
/// second), takes in the dataset, station state, cases, calendar and tokens. A thread of its own (the
/// store's client blocks); it ends with the application.
fn watch(state: &AppState) {
    if !state.store.shared() {
        return;
    }
    let store = state.store.clone();
    let live = Arc::downgrade(&state.live);
    let reports = Arc::downgrade(&state.reports);
    let calendar = Arc::downgrade(&state.calendar);
    let admin = state.admin.clone();
    let spawned = std::thread::Builder::new()
        .name("store-watch".into())
        .spawn(move || loop {
            let _ = store.wait_for_change(WATCH_PERIOD);
            let (Some(live), Some(reports), Some(calendar)) =
                (live.upgrade(), reports.upgrade(), calendar.upgrade())
            else {
                return;
            };
            if !store.available() {
                continue;
            }
            if let Err(e) = live.sync() {
                tracing::warn!(error = %e, "could not take in the dataset's changes");
            }
            if let Err(e) = reports.log.sync() {
                tracing::warn!(error = %e, "could not take in the reports' changes");
            }
            calendar.sync();
            admin.refresh();
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "could not start the store's watcher: other replicas' changes will not be seen");
    }
}

/// The safety net under the notifications: how often a replica looks at the shared store anyway.
const WATCH_PERIOD: std::time::Duration = std::time::Duration::from_secs(1);

/// A loaded dataset and a bound listener, ready to serve.
pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Loads the data directory (off the async threads) and binds `settings.addr` (port 0 picks a free one).
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        // Many idle keep-alive connections must not run us out of descriptors; the soft limit is often 1024.
        match rlimit::increase_nofile_limit(65_536) {
            Ok(n) => tracing::debug!(nofile = n, "file descriptor limit"),
            Err(e) => tracing::warn!(error = %e, "could not raise the file descriptor limit"),
        }
        let addr = settings.addr;
        let state = tokio::task::spawn_blocking(move || build_state(settings)).await??;
        watch(&state);
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding {addr}"))?;
        Ok(Application { listener, state })
    }

    /// The address actually bound.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| self.state.settings.addr)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGINT or SIGTERM, then lets requests in flight finish.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run_until(crate::serve::shutdown_signal()).await
    }

    /// Serves until `shutdown` resolves (tests pass one that never does).
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let addr = self.addr();
        tracing::info!(%addr, stations = self.state.live.snapshot().len(), "serving: open http://{addr}/");
        let insights = self.state.insights.clone();
        let flusher = tokio::spawn(flush_every(insights.clone(), INSIGHTS_FLUSH));
        let served = crate::serve::serve_on(self.listener, self.state, shutdown).await;
        flusher.abort();
        // The last minute's counts, after the requests in flight finished.
        let _ = tokio::task::spawn_blocking(move || insights.persist()).await;
        served
    }
}

/// How often the demand counts are written to the store.
pub const INSIGHTS_FLUSH: std::time::Duration = std::time::Duration::from_secs(60);

/// Writes the demand counts every `period` (off the async threads) until aborted.
async fn flush_every(insights: Arc<Insights>, period: std::time::Duration) {
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        let i = insights.clone();
        let _ = tokio::task::spawn_blocking(move || i.persist()).await;
    }
}
