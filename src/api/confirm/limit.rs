//! The per-station quota on confirmations, on [`governor`]'s keyed limiter: a leaked link (or a host's script)
//! cannot flood the state file or the audit trail with one station's confirmations.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

/// How many checks between two sweeps of the stations whose quota is full again.
const SWEEP_EVERY: u32 = 1024;

/// `per_hour` confirmations per station at once, then one more every `60 / per_hour` minutes (a GCRA, as the
/// report quota); a refused one is told how many seconds to wait. Memory stays bounded as in
/// [`crate::api::ratelimit::ReportLimiter`]: stations whose quota is full again are swept out now and then.
pub struct StationLimiter<C: Clock = DefaultClock> {
    limiter: RateLimiter<String, DefaultKeyedStateStore<String>, C, NoOpMiddleware<C::Instant>>,
    checks: AtomicU32,
}

impl StationLimiter {
    pub fn per_hour(per_hour: u32) -> Self {
        Self::with_clock(per_hour, DefaultClock::default())
    }
}

impl<C: Clock> StationLimiter<C> {
    fn with_clock(per_hour: u32, clock: C) -> Self {
        let quota = Quota::per_hour(NonZeroU32::new(per_hour).unwrap_or(NonZeroU32::MIN));
        StationLimiter {
            limiter: RateLimiter::dashmap_with_clock(quota, clock),
            checks: AtomicU32::new(0),
        }
    }

    /// `Ok` and counts one confirmation of station `id`, or `Err(seconds to wait)`, at least 1.
    pub fn check(&self, id: &str) -> Result<(), u64> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
        self.limiter.check_key(&id.to_owned()).map_err(|not_until| {
            let wait: Duration = not_until.wait_time_from(self.limiter.clock().now());
            (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
        })
    }
}

#[cfg(test)]
mod tests {
    use governor::clock::FakeRelativeClock;

    use super::*;

    #[test]
    fn each_station_has_its_own_hourly_quota() {
        let clock = FakeRelativeClock::default();
        let rl = StationLimiter::with_clock(10, clock.clone());
        for _ in 0..10 {
            assert!(rl.check("a").is_ok());
        }
        // One confirmation refills every 6 minutes.
        assert_eq!(rl.check("a"), Err(360));
        assert!(rl.check("b").is_ok(), "another station is not affected");
        clock.advance(Duration::from_secs(359));
        assert_eq!(rl.check("a"), Err(1));
        clock.advance(Duration::from_secs(1));
        assert!(rl.check("a").is_ok());
        assert!(rl.check("a").is_err());
    }
}
