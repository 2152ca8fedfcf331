//! Serving connections: a hand-written accept loop over hyper on a few current-thread runtimes, with the
//! timeouts that keep slow or silent clients from holding the service, and a graceful shutdown.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use tokio::net::TcpListener;

use crate::api::guard::{self, BodyDeadlines, ClientLimits, ConnectionSlot, DeadlineBody};
use crate::api::{self, AppState};

/// Resolves on SIGINT or SIGTERM.
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
    let mut workers = Workers::start(state.settings.http_threads())?;
    let limits = state.settings.limits.clone();
    // Behind a trusted proxy all clients share its address: the caps would throttle everyone as one.
    let clients = if state.settings.trust_forwarded_for {
        ClientLimits::new(usize::MAX, usize::MAX)
    } else {
        ClientLimits::new(limits.connections_per_client, limits.in_flight_per_client)
    };
    let deadlines = BodyDeadlines {
        small: limits.small_body_timeout,
        idle: limits.body_idle_timeout,
    };
    let idle = limits.idle_timeout;
    let app = api::router(state);
    // Every connection holds a receiver; see `drain`.
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let builder = connection_builder(limits.h2_max_streams);
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
        let Some(slot) = clients.connect(peer.ip()) else {
            refuse(stream, &peer);
            continue;
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
        let (app, client) = (app.clone(), slot.client());
        let max_in_flight = clients.max_in_flight;
        let activity = Activity::new();
        let busy = activity.clone();
        let svc = tower::service_fn(move |mut req: axum::http::Request<hyper::body::Incoming>| {
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo(peer));
            let open = busy.open();
            handle(
                app.clone(),
                client.clone(),
                max_in_flight,
                deadlines,
                req,
                open,
            )
        });
        let conn = Conn {
            peer,
            idle,
            activity,
            stop: stopping.clone(),
            _slot: slot,
        };
        workers.spawn(serve_connection(stream, svc, builder.clone(), conn));
    }
    drop(listener);
    drop(stopping);
    drain(stop).await;
    Ok(())
}

/// Asks every connection to finish (requests in flight complete) and waits for them, at most [`SHUTDOWN_GRACE`].
async fn drain(stop: tokio::sync::watch::Sender<bool>) {
    let _ = stop.send(true);
    if tokio::time::timeout(SHUTDOWN_GRACE, stop.closed())
        .await
        .is_err()
    {
        tracing::warn!("requests still running after {SHUTDOWN_GRACE:?}; exiting anyway");
    }
}

/// One request, counted as in flight on its connection (`open`) until its response body is done.
async fn handle(
    app: api::Service,
    client: std::sync::Arc<guard::Client>,
    max_in_flight: usize,
    deadlines: BodyDeadlines,
    req: axum::http::Request<hyper::body::Incoming>,
    open: Open,
) -> Result<axum::response::Response, std::convert::Infallible> {
    let res = respond(app, client, max_in_flight, deadlines, req).await?;
    Ok(res.map(|body| axum::body::Body::new(crate::api::Guarded::streaming(body, open))))
}

/// One request: counted against its client's in-flight cap (503 over it), its body under a read deadline
/// (408 when it fires, whatever the handler made of the failed read).
async fn respond(
    app: api::Service,
    client: std::sync::Arc<guard::Client>,
    max_in_flight: usize,
    deadlines: BodyDeadlines,
    req: axum::http::Request<hyper::body::Incoming>,
) -> Result<axum::response::Response, std::convert::Infallible> {
    use tower::ServiceExt;
    let Some(_in_flight) = client.request(max_in_flight) else {
        use axum::response::IntoResponse;
        let busy = guard::busy("too many requests in flight from your address");
        return Ok(busy.into_response());
    };
    let http1 = req.version() < axum::http::Version::HTTP_2;
    let (parts, body) = req.into_parts();
    let (body, timed_out) = DeadlineBody::new(body, deadlines);
    let res = app
        .oneshot(axum::http::Request::from_parts(
            parts,
            axum::body::Body::new(body),
        ))
        .await;
    if timed_out.is_some_and(|f| f.load(std::sync::atomic::Ordering::Relaxed)) {
        return Ok(guard::body_timeout_response(deadlines, http1));
    }
    res
}

/// A client over its connection cap: a plain 503 and close, written without waiting (a new socket's send
/// buffer is empty). HTTP/2 clients see a protocol error, which closes the connection just the same.
fn refuse(stream: tokio::net::TcpStream, peer: &std::net::SocketAddr) {
    tracing::debug!(%peer, "refusing a connection: its address has the maximum open");
    let _ = stream.try_write(
        b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 2\r\nContent-Type: text/plain\r\nContent-Length: 39\r\nConnection: close\r\n\r\ntoo many connections from your address\n",
    );
}

/// HTTP/2 keep-alive: a ping after this much silence; no answer within [`H2_PING_TIMEOUT`] closes it.
pub const H2_PING_INTERVAL: Duration = Duration::from_secs(20);
pub const H2_PING_TIMEOUT: Duration = Duration::from_secs(10);

/// HTTP/1 with the header-read timeout; HTTP/2 with a cap on concurrent streams (a client that wants more
/// opens connections, which count against its per-address cap) and keep-alive pings that close dead peers.
fn connection_builder(h2_max_streams: u32) -> Builder<TokioExecutor> {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(h2_max_streams)
        .keep_alive_interval(Some(H2_PING_INTERVAL))
        .keep_alive_timeout(H2_PING_TIMEOUT);
    builder
}

/// What a connection carries besides its socket: who, its idle clock, the shutdown signal, its slot.
struct Conn {
    peer: std::net::SocketAddr,
    idle: Duration,
    activity: Arc<Activity>,
    stop: tokio::sync::watch::Receiver<bool>,
    _slot: ConnectionSlot,
}

/// One connection, on the worker thread it was handed to, until it closes, has been idle for
/// [`Limits::idle_timeout`](crate::settings::Limits::idle_timeout) or the shutdown ends it. Both endings are
/// graceful: requests in flight finish; HTTP/2 gets a GOAWAY, HTTP/1 a close after the current response.
async fn serve_connection<S>(
    stream: std::net::TcpStream,
    svc: S,
    builder: Builder<TokioExecutor>,
    mut c: Conn,
) where
    S: tower::Service<
            axum::http::Request<hyper::body::Incoming>,
            Response = axum::response::Response,
            Error = std::convert::Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let peer = c.peer;
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
    let conn = builder.serve_connection_with_upgrades(
        TokioIo::new(stream),
        hyper_util::service::TowerToHyperService::new(svc),
    );
    tokio::pin!(conn);
    let mut closing = false;
    loop {
        let wake = c.activity.idle_deadline(c.idle);
        tokio::select! {
            res = conn.as_mut() => {
                if let Err(e) = res {
                    tracing::debug!(error = %e, %peer, "connection ended with an error");
                }
                return;
            }
            _ = c.stop.changed(), if !closing => {
                conn.as_mut().graceful_shutdown();
                closing = true;
            }
            _ = tokio::time::sleep_until(wake), if !closing => {
                if c.activity.idle_deadline(c.idle) <= tokio::time::Instant::now() {
                    tracing::debug!(%peer, "closing an idle connection");
                    conn.as_mut().graceful_shutdown();
                    closing = true;
                }
            }
        }
    }
}

/// A connection's requests in flight (HTTP/2: open streams), and when the last one ended.
struct Activity {
    open: AtomicUsize,
    /// Milliseconds after `born` at which `open` last fell to 0 (or the connection started).
    quiet_since_ms: AtomicU64,
    born: tokio::time::Instant,
}

impl Activity {
    fn new() -> Arc<Activity> {
        Arc::new(Activity {
            open: AtomicUsize::new(0),
            quiet_since_ms: AtomicU64::new(0),
            born: tokio::time::Instant::now(),
        })
    }

    /// Counts a request from its start until its response body is dropped (sent or abandoned).
    fn open(self: &Arc<Self>) -> Open {
        self.open.fetch_add(1, Ordering::AcqRel);
        Open(self.clone())
    }

    /// When the connection will have been idle long enough, if nothing starts; while requests are in
    /// flight, one idle period from now (checked again then).
    fn idle_deadline(&self, idle: Duration) -> tokio::time::Instant {
        if self.open.load(Ordering::Acquire) > 0 {
            return tokio::time::Instant::now() + idle;
        }
        self.born + Duration::from_millis(self.quiet_since_ms.load(Ordering::Acquire)) + idle
    }
}

/// One request in flight on a connection.
struct Open(Arc<Activity>);

impl Drop for Open {
    fn drop(&mut self) {
        let a = &self.0;
        let ms = u64::try_from(a.born.elapsed().as_millis()).unwrap_or(u64::MAX);
        // The time first, so that a check that sees `open` at 0 also sees when it got there.
        a.quiet_since_ms.fetch_max(ms, Ordering::AcqRel);
        a.open.fetch_sub(1, Ordering::AcqRel);
    }
}
