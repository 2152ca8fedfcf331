//! Guards against clients that would hold the service (issue 19): a bounded pool for heavy work, request-body
//! deadlines, and per-client-address caps on connections and requests in flight.
//!
//! All three are cheap on the hot path: a GET without a body is not wrapped, the per-client counters are atomics
//! reached through an `Arc` taken once per connection, and plain nearest queries never touch the pool.

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Bytes;
use hyper::body::{Body as HttpBody, Frame, SizeHint};
use tokio::sync::Semaphore;
use tokio::time::{Instant, Sleep};

use super::error::{ApiError, ApiResult};

/// How long a request waits for a slot of the heavy pool before it is answered 503.
pub const POOL_WAIT: Duration = Duration::from_secs(2);
/// The `Retry-After` (seconds) of a 503 from a full pool or download cap.
pub const RETRY_AFTER_SECS: u64 = 2;

/// A bounded pool for work that takes milliseconds or more (`along`, text search, gzip decoding): at most
/// `slots` jobs run at once on tokio's blocking threads, so the HTTP threads stay free for `/healthz` and
/// plain nearest queries, and a flood of heavy requests queues (briefly) instead of piling up threads.
pub struct Pool {
    slots: Arc<Semaphore>,
    wait: Duration,
}

impl Pool {
    /// `slots` = 0 means one per CPU.
    pub fn new(slots: usize, wait: Duration) -> Pool {
        Pool {
            slots: Arc::new(Semaphore::new(crate::settings::or_per_cpu(slots))),
            wait,
        }
    }

    /// Runs `f` on the pool; 503 + `Retry-After` if no slot frees up within the wait.
    pub async fn run<T: Send + 'static>(
        &self,
        what: &str,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> ApiResult<T> {
        let permit = tokio::time::timeout(self.wait, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| busy(&format!("the server is busy with other {what} requests")))?
            .map_err(|_| ApiError::Internal("the heavy pool is closed".into()))?;
        tokio::task::spawn_blocking(move || {
            let out = f();
            drop(permit);
            out
        })
        .await
        .map_err(|e| ApiError::Internal(format!("{what} task failed: {e}")))
    }
}

/// A 503 with `Retry-After`.
pub fn busy(what: &str) -> ApiError {
    ApiError::Busy {
        detail: format!("{what}; retry in {RETRY_AFTER_SECS} s"),
        retry_after: RETRY_AFTER_SECS,
    }
}

/// Bodies up to this many bytes (by `Content-Length`) must arrive whole within [`BodyDeadlines::small`];
/// larger or chunked ones must keep sending: at most [`BodyDeadlines::idle`] between two chunks.
pub const SMALL_BODY_BYTES: u64 = 64 * 1024;

#[derive(Clone, Copy, Debug)]
pub struct BodyDeadlines {
    pub small: Duration,
    pub idle: Duration,
}

impl Default for BodyDeadlines {
    fn default() -> Self {
        BodyDeadlines {
            small: Duration::from_secs(10),
            idle: Duration::from_secs(5),
        }
    }
}

/// The error a [`DeadlineBody`] returns when the client was too slow.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive in time")]
pub struct BodyTimeout;

/// A request body with a read deadline. When it fires, the body fails and `timed_out` is set, so the
/// connection's service answers 408 whatever the handler made of the read error.
pub struct DeadlineBody<B> {
    inner: B,
    timer: Option<(Pin<Box<Sleep>>, Option<Duration>)>,
    timed_out: Option<Arc<AtomicBool>>,
}

impl<B: HttpBody> DeadlineBody<B> {
    /// Wraps `inner`; a body that is already complete (most GETs) gets no timer and costs nothing.
    pub fn new(inner: B, d: BodyDeadlines) -> (Self, Option<Arc<AtomicBool>>) {
        if inner.is_end_stream() {
            return (
                DeadlineBody {
                    inner,
                    timer: None,
                    timed_out: None,
                },
                None,
            );
        }
        let small = inner
            .size_hint()
            .exact()
            .is_some_and(|n| n <= SMALL_BODY_BYTES);
        let (first, idle) = if small {
            (d.small, None)
        } else {
            (d.idle, Some(d.idle))
        };
        let flag = Arc::new(AtomicBool::new(false));
        let body = DeadlineBody {
            inner,
            timer: Some((Box::pin(tokio::time::sleep(first)), idle)),
            timed_out: Some(flag.clone()),
        };
        (body, Some(flag))
    }
}

impl<B> HttpBody for DeadlineBody<B>
where
    B: HttpBody<Data = Bytes> + Unpin,
    B::Error: Into<axum::BoxError>,
{
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(r) => {
                if let Some((sleep, Some(idle))) = &mut this.timer {
                    sleep.as_mut().reset(Instant::now() + *idle);
                }
                Poll::Ready(r.map(|r| r.map_err(Into::into)))
            }
            Poll::Pending => {
                let expired = match &mut this.timer {
                    Some((sleep, _)) => sleep.as_mut().poll(cx).is_ready(),
                    None => false,
                };
                if !expired {
                    return Poll::Pending;
                }
                if let Some(f) = &this.timed_out {
                    f.store(true, Ordering::Relaxed);
                }
                Poll::Ready(Some(Err(Box::new(BodyTimeout))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The 408 for a body that timed out; an HTTP/1 connection is closed after it (the rest of the body is
/// not waited for). HTTP/2 resets only the stream.
pub fn body_timeout_response(d: BodyDeadlines, http1: bool) -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut r = ApiError::RequestTimeout(format!(
        "the request body did not arrive in time: a body of up to {} KiB must arrive within {} s, a larger one may pause at most {} s between chunks",
        SMALL_BODY_BYTES / 1024,
        d.small.as_secs(),
        d.idle.as_secs()
    ))
    .into_response();
    if http1 {
        r.headers_mut().insert(
            axum::http::header::CONNECTION,
            axum::http::HeaderValue::from_static("close"),
        );
    }
    r
}

/// Caps per client address: open connections and requests in flight.
pub struct ClientLimits {
    clients: Mutex<HashMap<IpAddr, Arc<Client>>>,
    pub max_connections: usize,
    pub max_in_flight: usize,
}

#[derive(Default)]
pub struct Client {
    connections: AtomicUsize,
    in_flight: AtomicUsize,
}

impl ClientLimits {
    /// Behind a trusted proxy every client has the proxy's address: pass `usize::MAX` for both caps there
    /// and let the proxy enforce its own.
    pub fn new(max_connections: usize, max_in_flight: usize) -> Arc<ClientLimits> {
        Arc::new(ClientLimits {
            clients: Mutex::new(HashMap::new()),
            max_connections: max_connections.max(1),
            max_in_flight: max_in_flight.max(1),
        })
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, Arc<Client>>> {
        self.clients.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A new connection from `ip`, or `None` when that address already has its maximum open. Taken once per
    /// connection (the lock is not on the request path).
    pub fn connect(self: &Arc<Self>, ip: IpAddr) -> Option<ConnectionSlot> {
        let mut map = self.map();
        let c = map.entry(ip).or_default().clone();
        if c.connections.load(Ordering::Relaxed) >= self.max_connections {
            return None;
        }
        c.connections.fetch_add(1, Ordering::Relaxed);
        Some(ConnectionSlot {
            limits: self.clone(),
            ip,
            client: c,
        })
    }
}

/// One open connection; frees its place when dropped.
pub struct ConnectionSlot {
    limits: Arc<ClientLimits>,
    ip: IpAddr,
    client: Arc<Client>,
}

impl ConnectionSlot {
    /// The client's counters, for the connection's service.
    pub fn client(&self) -> Arc<Client> {
        self.client.clone()
    }
}

impl Client {
    /// A request in flight from this client, or `None` when it already has `max_in_flight`.
    pub fn request(self: &Arc<Self>, max_in_flight: usize) -> Option<RequestSlot> {
        let n = self.in_flight.fetch_add(1, Ordering::Relaxed);
        let slot = RequestSlot(self.clone());
        (n < max_in_flight).then_some(slot)
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut map = self.limits.map();
        let left = self.client.connections.fetch_sub(1, Ordering::Relaxed) - 1;
        if left == 0 && self.client.in_flight.load(Ordering::Relaxed) == 0 {
            map.remove(&self.ip);
        }
    }
}

/// One request in flight; frees its place when dropped.
pub struct RequestSlot(Arc<Client>);

impl Drop for RequestSlot {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_and_request_caps() {
        let limits = ClientLimits::new(2, 1);
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let a = limits.connect(ip).unwrap();
        let b = limits.connect(ip).unwrap();
        assert!(limits.connect(ip).is_none());
        assert!(limits.connect("10.0.0.2".parse().unwrap()).is_some());
        let r = a.client().request(1).unwrap();
        assert!(b.client().request(1).is_none());
        drop(r);
        assert!(b.client().request(1).is_some());
        drop((a, b));
        assert!(limits.map().is_empty());
    }
}
