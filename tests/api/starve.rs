//! Issue 19: slow or greedy clients cannot starve the others (body deadlines, per-address caps, download cap).

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::*;

/// Reads until the server answers or closes; `None` if it said nothing within `within`.
async fn answer(s: &mut tokio::net::TcpStream, within: Duration) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Some(buf),
            Ok(Ok(n)) => {
                buf.extend_from_slice(&chunk[..n]);
                if buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    return Some(buf);
                }
            }
            Err(_) => return (!buf.is_empty()).then_some(buf),
        }
    }
}

async fn healthz_ms(app: &TestApp) -> u128 {
    let t = Instant::now();
    let r = app.get("/healthz").await;
    assert_eq!(r.status(), 200);
    t.elapsed().as_millis()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_body_gets_408_and_healthz_stays_fast() {
    let _heavy = HEAVY.lock().await;
    let app = spawn_app(None).await;
    let list = app.get_json("/api/v1/stations?limit=1").await;
    let id = ids(&list).remove(0);
    let head = format!(
        "POST /api/v1/stations/{}/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 8000\r\n\r\n{{\"reason\"",
        enc(&id)
    );
    let t = Instant::now();
    let mut slow = Vec::new();
    for _ in 0..20 {
        let mut s = tokio::net::TcpStream::connect(app.addr).await.unwrap();
        s.write_all(head.as_bytes()).await.unwrap();
        slow.push(s);
    }
    for _ in 0..5 {
        assert!(
            healthz_ms(&app).await < 2_000,
            "healthz slow behind slow bodies"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // The whole body of a small request is due within 10 s; the test allows 30.
    let got = answer(&mut slow[0], Duration::from_secs(30))
        .await
        .expect("no answer to a stalled body within 30 s");
    let elapsed = t.elapsed();
    let (status, head, body) = parse_raw_response(&got);
    assert_eq!(status, 408, "{head}");
    assert!(head.contains("application/problem+json"), "{head}");
    assert!(
        elapsed >= Duration::from_secs(8),
        "408 too early: {elapsed:?}"
    );
    let body = String::from_utf8_lossy(&body);
    assert!(
        body.contains("request-timeout") || body.is_empty(),
        "{body}"
    );
    assert!(healthz_ms(&app).await < 2_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_cannot_take_every_connection() {
    let app = spawn_app(None).await;
    let cap = yizhan::settings::Limits::default().connections_per_client;
    let mut held = Vec::new();
    for _ in 0..cap {
        let mut s = tokio::net::TcpStream::connect(app.addr).await.unwrap();
        // One byte of a request: past the "sent nothing" check, within the header timeout.
        s.write_all(b"G").await.unwrap();
        held.push(s);
    }
    // Let the accept loop register them all.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut extra = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let _ = extra
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await;
    let got = answer(&mut extra, Duration::from_secs(5))
        .await
        .unwrap_or_default();
    let head = String::from_utf8_lossy(&got).to_lowercase();
    assert!(
        !head.starts_with("http/1.1 200"),
        "connection {} over the cap was served: {head}",
        cap + 1
    );
    assert!(
        head.is_empty() || head.starts_with("http/1.1 503"),
        "{head}"
    );
    drop(held);
    // Once they close, the address may connect again.
    let t = Instant::now();
    loop {
        let r = app
            .client
            .get(app.url("/healthz"))
            .header("connection", "close")
            .send()
            .await;
        if matches!(&r, Ok(r) if r.status() == 200) {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "still refused: {r:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downloads_are_capped_and_streamed() {
    let _heavy = HEAVY.lock().await;
    let app = spawn_app(Some(fc(&bulk("dl", 30_000, 7)))).await;
    let cap = yizhan::settings::Limits::default().downloads;
    let full = app.download().await;
    assert!(
        full.len() > 8 << 20,
        "the dataset is too small to stall: {}",
        full.len()
    );
    let req = format!(
        "GET /api/v1/dataset HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\r\n",
        app.token
    );
    // Readers that never read: the server can only send what the socket buffers hold.
    let mut stalled = Vec::new();
    for _ in 0..cap {
        let sock = tokio::net::TcpSocket::new_v4().unwrap();
        sock.set_recv_buffer_size(4096).unwrap();
        let mut s = sock.connect(app.addr).await.unwrap();
        s.write_all(req.as_bytes()).await.unwrap();
        stalled.push(s);
    }
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    let r = app
        .client
        .get(app.url("/api/v1/dataset"))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    assert!(r.headers().contains_key("retry-after"));
    drop(stalled);
    let t = Instant::now();
    loop {
        let r = app
            .client
            .get(app.url("/api/v1/dataset"))
            .bearer_auth(&app.token)
            .send()
            .await
            .unwrap();
        if r.status() == 200 {
            assert_eq!(r.bytes().await.unwrap().len(), full.len());
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "downloads still refused"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// An app whose connections are closed after `idle` without a request in flight.
async fn app_with_idle(idle: Duration) -> (std::net::SocketAddr, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = settings(dir.path(), &Opts::default());
    s.limits.idle_timeout = idle;
    let app = yizhan::app::Application::build(s).await.unwrap();
    let addr = app.addr();
    tokio::spawn(app.run_until(std::future::pending()));
    (addr, dir)
}

/// One GET over an HTTP/2 connection; its status.
async fn h2_get(send: &mut h2::client::SendRequest<axum::body::Bytes>, path: &str) -> u16 {
    let req = axum::http::Request::get(path).body(()).unwrap();
    let (resp, _) = send
        .clone()
        .ready()
        .await
        .unwrap()
        .send_request(req, true)
        .unwrap();
    let resp = resp.await.unwrap();
    let status = resp.status().as_u16();
    let mut body = resp.into_body();
    while let Some(chunk) = body.data().await {
        let n = chunk.unwrap().len();
        let _ = body.flow_control().release_capacity(n);
    }
    status
}

/// Issue 19: an idle HTTP/2 connection is closed with GOAWAY even though it answers the server's pings
/// (the h2 client answers them itself), but not while it keeps asking.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_h2_connections_are_closed() {
    let (addr, _dir) = app_with_idle(Duration::from_secs(1)).await;
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut send, conn) = h2::client::handshake(tcp).await.unwrap();
    let conn = tokio::spawn(async move {
        let r = conn.await;
        (Instant::now(), r)
    });
    let uri = format!("http://{addr}/healthz");
    // Busy for 2.5 s (a request every 300 ms, each idle gap under the 1 s limit): the connection stays.
    let (t, mut last) = (Instant::now(), Instant::now());
    while t.elapsed() < Duration::from_millis(2_500) {
        assert_eq!(h2_get(&mut send, &uri).await, 200);
        last = Instant::now();
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert!(!conn.is_finished(), "closed while in use");
    let (closed_at, result) = tokio::time::timeout(Duration::from_secs(10), conn)
        .await
        .expect("an idle h2 connection still open after 10 s")
        .unwrap();
    let after = closed_at - last;
    assert!(result.is_ok(), "not a graceful close: {result:?}");
    assert!(
        after >= Duration::from_millis(900) && after < Duration::from_secs(4),
        "closed {after:?} after the last request"
    );
}

/// HTTP/1 keep-alive connections end after the same idle time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_http1_connections_are_closed() {
    let (addr, _dir) = app_with_idle(Duration::from_secs(1)).await;
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let got = answer(&mut s, Duration::from_secs(5)).await.unwrap();
    assert_eq!(parse_raw_response(&got).0, 200);
    let t = Instant::now();
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(8), s.read_to_end(&mut rest))
        .await
        .expect("an idle HTTP/1 connection still open after 8 s");
    assert!(
        t.elapsed() >= Duration::from_millis(900) && t.elapsed() < Duration::from_secs(4),
        "closed {:?} after the response",
        t.elapsed()
    );
}
