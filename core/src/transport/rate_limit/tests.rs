//! The limiter against simulated servers in simulated time: workers that send
//! as fast as they are let, a fixed one-second window like the emulator's,
//! answers after a fixed latency, and a refused request waiting out the
//! server's word as the retry policy would. Everything is counted, nothing timed.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use http::{HeaderMap, HeaderValue};

use super::*;

const START_MS: u64 = 1_764_493_200_000;
const LATENCY_MS: u64 = 10;

/// How the simulated server answers over its limit.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Style {
    /// SCIM and user management: 429 with `Retry-After`, no budget headers.
    RetryAfter,
    /// The Organizations API: `X-RateLimit-*` on every answer, 429 without `Retry-After`.
    RateLimitHeaders,
    /// No limit at all.
    Unlimited,
}

/// A fixed window of one second, starting with the first request after the last ended.
struct Server {
    style: Style,
    limit: u32,
    window: Option<(u64, u32)>,
}

impl Server {
    /// The answer to a request arriving at `at`: status, headers, and how
    /// long a refused request waits before it is sent again.
    fn answer(&mut self, at: u64) -> (u16, HeaderMap, u64) {
        let (start, count) = match self.window {
            Some((start, count)) if at < start + 1_000 => (start, count + 1),
            _ => (at, 1),
        };
        self.window = Some((start, count));
        let reset_in = start + 1_000 - at;
        let over = self.style != Style::Unlimited && count > self.limit;
        let mut headers = HeaderMap::new();
        if self.style == Style::RateLimitHeaders {
            let remaining = self.limit.saturating_sub(count);
            let reset = crate::clock::rfc3339(at + reset_in);
            headers.insert("x-ratelimit-limit", HeaderValue::from(self.limit));
            headers.insert("x-ratelimit-remaining", HeaderValue::from(remaining));
            headers.insert("x-ratelimit-reset", HeaderValue::from_str(&reset).unwrap());
        }
        if !over {
            return (200, headers, 0);
        }
        let wait = match self.style {
            Style::RetryAfter => {
                let secs = reset_in.div_ceil(1_000).max(1);
                headers.insert("retry-after", HeaderValue::from(secs));
                secs * 1_000
            }
            _ => reset_in,
        };
        (429, headers, wait)
    }
}

/// What a simulation counted.
#[derive(Debug, Default)]
struct Tally {
    /// Requests the server let through, per simulated second.
    passed: Vec<u32>,
    /// Requests sent (passed or refused), per simulated second.
    sent: Vec<u32>,
    /// 429s, per simulated second.
    refused: Vec<u32>,
}

impl Tally {
    fn bump(list: &mut Vec<u32>, second: usize) {
        if list.len() <= second {
            list.resize(second + 1, 0);
        }
        list[second] += 1;
    }

    fn sum(list: &[u32], from: usize) -> u32 {
        list.iter().skip(from).sum()
    }
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    /// The worker is ready to send.
    Ready,
    /// Its request reaches the server.
    Arrive,
}

/// `workers` closed-loop senders for `seconds` simulated seconds.
fn simulate(limiter: &RateLimiter, server: &mut Server, workers: usize, seconds: u64) -> Tally {
    let end = START_MS + seconds * 1_000;
    let mut tally = Tally::default();
    let mut queue: BinaryHeap<Reverse<(u64, Step, usize)>> = (0..workers)
        .map(|w| Reverse((START_MS, Step::Ready, w)))
        .collect();
    while let Some(Reverse((at, step, worker))) = queue.pop() {
        if at >= end {
            continue;
        }
        match step {
            Step::Ready => {
                let wait = limiter.reserve(at).as_millis() as u64;
                queue.push(Reverse((at + wait, Step::Arrive, worker)));
            }
            Step::Arrive => {
                let second = ((at - START_MS) / 1_000) as usize;
                let (status, headers, retry_wait) = server.answer(at);
                Tally::bump(&mut tally.sent, second);
                if status == 429 {
                    Tally::bump(&mut tally.refused, second);
                } else {
                    Tally::bump(&mut tally.passed, second);
                }
                let answered = at + LATENCY_MS;
                limiter.observe(answered, status, &headers);
                queue.push(Reverse((answered + retry_wait, Step::Ready, worker)));
            }
        }
    }
    tally
}

fn server(style: Style, limit: u32) -> Server {
    Server {
        style,
        limit,
        window: None,
    }
}

/// Steady state: the seconds after the first five.
const SETTLED: usize = 5;

fn share(tally: &Tally, limit: u32, seconds: u64) -> f64 {
    let passed = Tally::sum(&tally.passed, SETTLED);
    f64::from(passed) / (f64::from(limit) * (seconds as f64 - SETTLED as f64))
}

#[test]
fn learns_the_limit_from_429s_and_settles_just_under_it() {
    let (limit, seconds) = (100, 60);
    let limiter = RateLimiter::new(None);
    let paced = simulate(&limiter, &mut server(Style::RetryAfter, limit), 50, seconds);
    let bare = simulate(
        &RateLimiter::unpaced(),
        &mut server(Style::RetryAfter, limit),
        50,
        seconds,
    );
    let (paced_429, bare_429) = (
        Tally::sum(&paced.refused, SETTLED),
        Tally::sum(&bare.refused, SETTLED),
    );
    let (paced_share, bare_share) = (share(&paced, limit, seconds), share(&bare, limit, seconds));
    println!(
        "learned: {:.0} % of the limit, {paced_429} 429s; unpaced: {:.0} %, {bare_429} 429s; {:?}",
        paced_share * 100.0,
        bare_share * 100.0,
        limiter.figures()
    );
    assert!(paced_share >= 0.85, "{paced_share}: {:?}", paced.passed);
    // The server's limit is never passed, so the learned rate settles under
    // it: few requests are refused once settled (under 3 % of those sent).
    let sent = Tally::sum(&paced.sent, SETTLED);
    assert!(
        paced_429 * 33 <= sent,
        "{paced_429} of {sent}: {:?}",
        paced.refused
    );
    assert!(
        bare_429 >= 20 * paced_429.max(1),
        "{bare_429} vs {paced_429}"
    );
    let learned = limiter.figures().learned_rps.expect("a rate was learned");
    assert!((70.0..=110.0).contains(&learned), "{learned}");
}

#[test]
fn paces_to_the_servers_remaining_budget_and_reset() {
    let (limit, seconds) = (100, 30);
    let limiter = RateLimiter::new(None);
    let tally = simulate(
        &limiter,
        &mut server(Style::RateLimitHeaders, limit),
        50,
        seconds,
    );
    let refused = Tally::sum(&tally.refused, SETTLED);
    let share = share(&tally, limit, seconds);
    println!(
        "budget: {:.0} % of the limit, {refused} 429s once settled, {:?}",
        share * 100.0,
        limiter.figures()
    );
    // Better than learning from 429s can do (that settles near 95 % and
    // keeps drawing a few): the budget is used up to its reset, and no more.
    assert!(share >= 0.98, "{share}: {:?}", tally.passed);
    assert_eq!(refused, 0, "{:?}", tally.refused);
}

#[test]
fn never_lets_more_than_max_rps_go_in_any_second() {
    for style in [Style::Unlimited, Style::RateLimitHeaders, Style::RetryAfter] {
        let limiter = RateLimiter::new(Some(20));
        let tally = simulate(&limiter, &mut server(style, 1_000), 50, 10);
        assert_eq!(tally.sent.len(), 10, "{style:?}");
        for (second, &sent) in tally.sent.iter().enumerate() {
            assert!(sent <= 20, "{style:?} second {second}: {sent}");
            assert!(
                sent >= 19,
                "{style:?} second {second}: {sent} (not pacing at the cap)"
            );
        }
    }
}

#[test]
fn nothing_known_nothing_waited() {
    let limiter = RateLimiter::new(None);
    let ok = HeaderMap::new();
    for i in 0..500 {
        assert_eq!(limiter.reserve(START_MS + i / 10), Duration::ZERO);
        limiter.observe(START_MS + i / 10, 200, &ok);
    }
    assert_eq!(limiter.figures(), Figures::default());
}

#[test]
fn a_plentiful_budget_lets_one_persons_writes_go_together() {
    let limiter = RateLimiter::new(None);
    let (_, headers, _) = server(Style::RateLimitHeaders, 1_000).answer(START_MS);
    limiter.observe(START_MS, 200, &headers);
    for _ in 0..20 {
        assert_eq!(limiter.reserve(START_MS), Duration::ZERO);
    }
}

#[test]
fn a_spent_budget_holds_requests_until_the_reset() {
    let limiter = RateLimiter::new(None);
    let mut headers = HeaderMap::new();
    headers.insert("x-ratelimit-remaining", HeaderValue::from(0));
    let reset = crate::clock::rfc3339(START_MS + 750);
    headers.insert("x-ratelimit-reset", HeaderValue::from_str(&reset).unwrap());
    limiter.observe(START_MS, 429, &headers);
    assert_eq!(limiter.reserve(START_MS), Duration::from_millis(750));
}
