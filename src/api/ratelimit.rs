//! The per-client quota on problem reports, on [`governor`]'s keyed limiter, and the per-client brake on
//! failed admin authentications.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

/// A wait as the whole seconds of `Retry-After`: rounded up (a client that waits that long is let through),
/// at least 1.
fn retry_after_secs(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

/// How many checks between two sweeps of the clients whose quota is full again.
const SWEEP_EVERY: u32 = 1024;

/// `per_minute` reports per client address and minute, then `429` with how many seconds to wait.
///
/// A GCRA (token bucket) rather than a sliding one-minute window: a client may send `per_minute` reports at
/// once, and then one more each `60 / per_minute` seconds as its quota refills, so it is told to wait until the
/// next report is allowed (at most `60 / per_minute` seconds) rather than until its oldest report is a minute
/// old. The long-run rate is the same, `per_minute` a minute; a burst followed by the steady rate can fit up to
/// `2 × per_minute − 1` reports into one minute. Retry-After is rounded up, so a client that waits that long is
/// let through.
///
/// Memory stays bounded: every [`SWEEP_EVERY`] checks the clients whose quota is full again (nothing to
/// remember) are dropped, which leaves those that reported within the last minute plus at most that many.
pub struct ReportLimiter<C: Clock = DefaultClock> {
    limiter: RateLimiter<IpAddr, DefaultKeyedStateStore<IpAddr>, C, NoOpMiddleware<C::Instant>>,
    checks: AtomicU32,
}

impl ReportLimiter {
    pub fn per_minute(per_minute: u32) -> Self {
        Self::with_clock(per_minute, DefaultClock::default())
    }
}

impl<C: Clock> ReportLimiter<C> {
    fn with_clock(per_minute: u32, clock: C) -> Self {
        let quota = Quota::per_minute(NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN));
        ReportLimiter {
            limiter: RateLimiter::dashmap_with_clock(quota, clock),
            checks: AtomicU32::new(0),
        }
    }

    /// `Ok` and counts the report, or `Err(seconds to wait)`, at least 1.
    pub fn check(&self, client: IpAddr) -> Result<(), u64> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
        self.limiter.check_key(&client).map_err(|not_until| {
            retry_after_secs(not_until.wait_time_from(self.limiter.clock().now()))
        })
    }
}

/// Failed admin authentications per client: after `per_minute` failures within a minute the client is refused
/// (`429`, whatever token it sends) until the minute that began with its first failure is over.
///
/// A fixed window rather than governor's GCRA because the question is asked before the token is compared
/// (a guess must not even be tried), and only failures count. Memory stays bounded: past [`MAX_CLIENTS`]
/// clients, those whose window is over are dropped, and if that is not enough, all of them.
pub struct AuthFailures {
    per_minute: u32,
    clients: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

const WINDOW: Duration = Duration::from_secs(60);
const MAX_CLIENTS: usize = 100_000;

impl AuthFailures {
    pub fn per_minute(per_minute: u32) -> Self {
        AuthFailures {
            per_minute: per_minute.max(1),
            clients: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, (Instant, u32)>> {
        self.clients.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `Err(seconds to wait)` when `client` has used up its failures in the current window.
    pub fn check_at(&self, client: IpAddr, now: Instant) -> Result<(), u64> {
        match self.lock().get(&client) {
            Some(&(start, n)) if n >= self.per_minute && now.duration_since(start) < WINDOW => {
                Err(retry_after_secs(WINDOW - now.duration_since(start)))
            }
            _ => Ok(()),
        }
    }

    /// Counts one failure of `client`.
    pub fn fail_at(&self, client: IpAddr, now: Instant) {
        let mut clients = self.lock();
        if clients.len() >= MAX_CLIENTS {
            clients.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
            if clients.len() >= MAX_CLIENTS {
                clients.clear();
            }
        }
        let e = clients.entry(client).or_insert((now, 0));
        if now.duration_since(e.0) >= WINDOW {
            *e = (now, 0);
        }
        e.1 = e.1.saturating_add(1);
    }
}

#[cfg(test)]
mod tests {
    use governor::clock::FakeRelativeClock;

    use super::*;

    #[test]
    fn rate_limit_allows_the_quota_then_says_how_long_to_wait() {
        let clock = FakeRelativeClock::default();
        let rl = ReportLimiter::with_clock(10, clock.clone());
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        for _ in 0..10 {
            assert!(rl.check(ip).is_ok());
        }
        // One report refills every 6 s.
        assert_eq!(rl.check(ip), Err(6));
        clock.advance(Duration::from_millis(1500));
        assert_eq!(rl.check(ip), Err(5), "4.5 s rounds up");
        assert!(rl.check("127.0.0.2".parse().unwrap()).is_ok());
        clock.advance(Duration::from_millis(4500));
        assert!(rl.check(ip).is_ok());
        assert_eq!(rl.check(ip), Err(6));
        // A minute later the whole quota is back.
        clock.advance(Duration::from_secs(60));
        for _ in 0..10 {
            assert!(rl.check(ip).is_ok());
        }
        assert!(rl.check(ip).is_err());
    }

    #[test]
    fn clients_with_a_full_quota_are_forgotten() {
        let clock = FakeRelativeClock::default();
        let rl = ReportLimiter::with_clock(10, clock.clone());
        for i in 0..SWEEP_EVERY - 1 {
            let ip = IpAddr::from((i + 1).to_be_bytes());
            assert!(rl.check(ip).is_ok());
        }
        assert_eq!(rl.limiter.len(), SWEEP_EVERY as usize - 1);
        clock.advance(Duration::from_secs(61));
        // This check sweeps first: only its own client is left.
        assert!(rl.check("127.0.0.1".parse().unwrap()).is_ok());
        assert_eq!(rl.limiter.len(), 1);
    }

    #[test]
    fn auth_failures_block_for_the_rest_of_the_minute() {
        let af = AuthFailures::per_minute(3);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(af.check_at(ip, t0).is_ok());
            af.fail_at(ip, t0);
        }
        assert_eq!(af.check_at(ip, t0 + Duration::from_millis(500)), Err(60));
        assert_eq!(af.check_at(ip, t0 + Duration::from_secs(59)), Err(1));
        assert!(af.check_at("192.0.2.2".parse().unwrap(), t0).is_ok());
        assert!(af.check_at(ip, t0 + WINDOW).is_ok());
        af.fail_at(ip, t0 + WINDOW);
        assert!(af.check_at(ip, t0 + WINDOW).is_ok(), "a new window");
    }
}
