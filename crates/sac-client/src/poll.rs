//! How often a wait reads a status: the pause follows the time already
//! waited (about 5% of it, at least 250 ms, at most the caller's
//! `max_interval`), so the end of a run is seen within max(250 ms, 5% of
//! its length), and a long wait costs at most about one read per second.
//!
//! A fixed interval cannot do both: 1 s is 100% late on a 1 s job and
//! wasteful on an hour-long one. The reads a wait of `T` seconds costs are
//! about `4 * 5 + 20 * ln(T / 5)`: 20 in the first 5 s, 70 for a minute
//! (1.2/s), 80 for 100 s, and from then on one per `max_interval` (0.2/s at
//! the default 5 s).

use std::future::Future;
use std::time::{Duration, Instant};

/// The share of the time waited that the next pause may take.
pub const PAUSE_FRACTION: f64 = 0.05;
/// The shortest pause between two reads by default.
pub const MIN_INTERVAL: Duration = Duration::from_millis(250);
/// How long the read made at a wait's deadline may take: a wait ends at
/// most this long after its deadline.
pub const LAST_READ: Duration = Duration::from_secs(1);

/// How to poll.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WaitPolicy {
    /// Shortest pause between the starts of two reads (250 ms; tests go lower).
    pub min_interval: Duration,
    /// Longest pause (`--poll-interval`).
    pub max_interval: Duration,
    /// Give up waiting after this long (the run goes on).
    pub timeout: Duration,
    /// How long a run may be missing from the logs right after the trigger
    /// (SAC's logs lag behind the execution).
    pub appear_grace: Duration,
}

impl Default for WaitPolicy {
    fn default() -> Self {
        WaitPolicy {
            min_interval: MIN_INTERVAL,
            max_interval: Duration::from_secs(5),
            timeout: Duration::from_secs(30 * 60),
            appear_grace: Duration::from_secs(60),
        }
    }
}

impl WaitPolicy {
    /// The pause between the start of a read made `elapsed` into a wait and
    /// the start of the next one.
    pub fn pause(&self, elapsed: Duration) -> Duration {
        let floor = self.min_interval.min(self.max_interval);
        elapsed.mul_f64(PAUSE_FRACTION).min(self.max_interval).max(floor).max(Duration::from_millis(1))
    }

    /// Sleeps until the next read of a wait that `began`: `pause` after the
    /// start of the last read (so slow answers do not stretch the spacing),
    /// and never past `limit` into the wait.
    pub async fn sleep_before_next(&self, began: Instant, read_started: Instant, limit: Duration) {
        let next = read_started + self.pause(read_started.saturating_duration_since(began));
        let until = next.min(began + limit).max(Instant::now());
        tokio::time::sleep_until(tokio::time::Instant::from_std(until)).await;
    }

    /// One read of a wait that `began`, cut off `limit` into the wait: a
    /// read that hangs (a server that never answers), or whose retries go
    /// on, ends at the wait's deadline rather than at the request timeout
    /// and retry budget, so `--timeout` holds whatever the server does.
    /// The read made at the deadline (which may see the end) gets
    /// [`LAST_READ`]. `None` when the deadline came first (the read is
    /// dropped).
    pub async fn by_deadline<F: Future>(&self, began: Instant, limit: Duration, read: F) -> Option<F::Output> {
        let deadline = (began + limit).max(Instant::now() + LAST_READ);
        tokio::time::timeout_at(tokio::time::Instant::from_std(deadline), read).await.ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reads a wait of `total` costs, and the largest gap between the
    /// end of the job and the read that sees it, for a job that ends anywhere.
    fn reads_over(policy: &WaitPolicy, total: Duration) -> (u32, Duration) {
        let mut t = Duration::ZERO;
        let mut reads = 0;
        let mut worst_gap = Duration::ZERO;
        while t < total {
            reads += 1;
            let pause = policy.pause(t);
            worst_gap = worst_gap.max(pause);
            t += pause;
        }
        (reads, worst_gap)
    }

    #[tokio::test]
    async fn a_read_that_hangs_ends_at_the_deadline() {
        let policy = WaitPolicy { timeout: Duration::from_millis(50), ..Default::default() };
        let began = Instant::now();
        let hung = policy.by_deadline(began, policy.timeout, std::future::pending::<()>()).await;
        assert_eq!(hung, None);
        assert!(began.elapsed() >= LAST_READ, "the read at the deadline gets its second");
        assert_eq!(policy.by_deadline(began, Duration::from_secs(60), async { 7 }).await, Some(7));
    }

    #[test]
    fn pauses_follow_the_time_waited_within_bounds() {
        let policy = WaitPolicy::default();
        assert_eq!(policy.pause(Duration::ZERO), Duration::from_millis(250));
        assert_eq!(policy.pause(Duration::from_secs(4)), Duration::from_millis(250));
        assert_eq!(policy.pause(Duration::from_secs(20)), Duration::from_secs(1));
        assert_eq!(policy.pause(Duration::from_secs(3600)), Duration::from_secs(5));
        let fast = WaitPolicy { max_interval: Duration::from_millis(100), ..Default::default() };
        assert_eq!(fast.pause(Duration::from_secs(60)), Duration::from_millis(100), "--poll-interval caps");
    }

    #[test]
    fn the_end_is_seen_within_5_percent_and_long_waits_average_under_one_read_per_second() {
        let policy = WaitPolicy::default();
        for secs in [1u64, 3, 10, 30, 60, 600] {
            let job = Duration::from_secs(secs);
            // A read `pause(t)` after one at t <= job sees the end at most pause(job) late.
            let allowed = Duration::from_millis(250).max(job.mul_f64(PAUSE_FRACTION));
            assert!(policy.pause(job) <= allowed, "{secs} s");
        }
        let (reads, _) = reads_over(&policy, Duration::from_secs(120));
        assert!(reads <= 120, "{reads} reads in 2 minutes");
        let (reads, worst) = reads_over(&policy, Duration::from_secs(3600));
        assert!(reads <= 3600 / 4, "{reads} reads in an hour");
        assert_eq!(worst, Duration::from_secs(5));
    }
}
