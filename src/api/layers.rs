//! Our three layers around requests: the route timer (metrics), the request deadline and the problems'
//! language. They are plain tower services with named futures rather than `axum::middleware::from_fn`
//! closures: `from_fn` clones its inner service and boxes it and its future on every request, which on the
//! nearest-10 read cost more than the work the layers do (`bench/cachesim.sh`).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{MatchedPath, Request};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use pin_project_lite::pin_project;

use super::error::ApiError;
use super::metrics::{HttpMethod, Metrics};
use crate::i18n::Lang;

/// What one of our layers does around a request: look at the request ([`Hook::before`]), then at its
/// response ([`After::after`]). [`Around`] runs it; Track and Localize are the two hooks.
pub trait Hook: Clone {
    type Seen: After;
    fn before(&self, req: &Request) -> Self::Seen;
}

/// What a hook kept from the request, applied to the response.
pub trait After {
    fn after(self, res: Response) -> Response;
}

/// A layer running `H` around each request.
pub fn around<S, H: Hook>(hook: H) -> impl tower::Layer<S, Service = Around<S, H>> + Clone {
    tower::layer::layer_fn(move |inner| Around {
        hook: hook.clone(),
        inner,
    })
}

#[derive(Clone)]
pub struct Around<S, H> {
    hook: H,
    inner: S,
}

impl<S, H> tower::Service<Request> for Around<S, H>
where
    S: tower::Service<Request, Response = Response>,
    H: Hook,
{
    type Response = Response;
    type Error = S::Error;
    type Future = AroundFuture<S::Future, H::Seen>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        AroundFuture {
            seen: Some(self.hook.before(&req)),
            inner: self.inner.call(req),
        }
    }
}

pin_project! {
    pub struct AroundFuture<F, T> {
        #[pin]
        inner: F,
        seen: Option<T>,
    }
}

impl<F, E, T: After> Future for AroundFuture<F, T>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let res = ready!(this.inner.poll(cx))?;
        Poll::Ready(Ok(match this.seen.take() {
            Some(seen) => seen.after(res),
            None => res,
        }))
    }
}

/// Times every request and files it under its route template. On the routes (it needs the matched
/// template, which the router sets).
#[derive(Clone)]
pub struct Track(pub Arc<Metrics>);

pub struct Timing {
    metrics: Arc<Metrics>,
    method: HttpMethod,
    route: usize,
    start: Instant,
}

impl Hook for Track {
    type Seen = Timing;

    fn before(&self, req: &Request) -> Timing {
        let matched = req.extensions().get::<MatchedPath>();
        Timing {
            route: self.0.route_of(matched.map(MatchedPath::as_str)),
            method: HttpMethod::of(req.method()),
            start: Instant::now(),
            metrics: self.0.clone(),
        }
    }
}

impl After for Timing {
    fn after(self, res: Response) -> Response {
        let seconds = self.start.elapsed().as_secs_f64();
        self.metrics
            .observe(self.method, self.route, res.status().as_u16(), seconds);
        res
    }
}

/// Stops a request that runs longer than the deadline with a 503 problem (its work is dropped with it).
/// Also where every response body becomes an axum `Body`.
#[derive(Clone)]
pub struct Deadline<S> {
    after: Duration,
    inner: S,
}

impl<S> Deadline<S> {
    pub fn layer(after: Duration) -> impl tower::Layer<S, Service = Deadline<S>> + Clone {
        tower::layer::layer_fn(move |inner| Deadline { after, inner })
    }
}

impl<S, B> tower::Service<Request> for Deadline<S>
where
    S: tower::Service<Request, Response = Response<B>, Error = Infallible>,
    B: axum::body::HttpBody<Data = axum::body::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = DeadlineFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        DeadlineFuture {
            inner: self.inner.call(req),
            sleep: tokio::time::sleep(self.after),
            after: self.after,
        }
    }
}

pin_project! {
    pub struct DeadlineFuture<F> {
        #[pin]
        inner: F,
        #[pin]
        sleep: tokio::time::Sleep,
        after: Duration,
    }
}

impl<F, B> Future for DeadlineFuture<F>
where
    F: Future<Output = Result<Response<B>, Infallible>>,
    B: axum::body::HttpBody<Data = axum::body::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(res) = this.inner.poll(cx) {
            return Poll::Ready(res.map(|r| r.map(Body::new)));
        }
        ready!(this.sleep.poll(cx));
        Poll::Ready(Ok(ApiError::Unavailable(format!(
            "the request took longer than {} s and was stopped; retry, or narrow the request",
            this.after.as_secs()
        ))
        .into_response()))
    }
}

/// Problem details in the client's language (see [`super::lang`]): successful responses pass with one header
/// check.
#[derive(Clone)]
pub struct Localize;

impl Hook for Localize {
    type Seen = Lang;

    fn before(&self, req: &Request) -> Lang {
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map_or(Lang::En, Lang::from_accept_language)
    }
}

impl After for Lang {
    fn after(self, res: Response) -> Response {
        super::lang::localize(res, self)
    }
}
