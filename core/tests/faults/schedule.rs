//! One schedule, drawn from a seed: the HR facts of one to three workers,
//! how they are delivered (shuffled, duplicated, some at once, some with a
//! deadline), and the faults the emulator and the client inject.

use atlassian_emulator::{Faults, ScriptedFault};
use atlassian_lcm::clock::rfc3339;
use serde_json::{json, Value};

use super::harness::Timeouts;

/// SplitMix64: small, seedable, good enough to draw schedules.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A number in [0, n).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

/// The groups workers move between: Admin-managed, IdP-synced and SCIM-only.
pub const GROUPS: [&str; 5] = [
    "jira-software-users",
    "confluence-users",
    "engineering",
    "platform-team",
    "contractors",
];

const TITLES: [&str; 3] = ["Analyst", "Engineer", "Manager"];

/// Where HR time starts (2026-01-05T09:00:00Z); facts are minutes apart.
const HR_EPOCH_MS: u64 = 1_767_603_600_000;

/// One HR fact about one worker.
#[derive(Debug, Clone)]
pub struct Fact {
    pub worker: usize,
    pub lifecycle: &'static str,
    pub occurred_ms: u64,
    pub event_id: String,
    pub groups: Vec<String>,
    /// `add`, `remove` or `replace` (movers; joiners add, rehires replace).
    pub mode: &'static str,
    pub title: String,
}

/// One delivery: a fact alone (with a deadline this many fake ms ahead, or
/// none), or several facts at once.
#[derive(Debug, Clone)]
pub enum Delivery {
    One(usize, Option<u64>),
    Together(Vec<usize>),
}

/// Everything one seed decides.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub seed: u64,
    pub workers: usize,
    pub facts: Vec<Fact>,
    pub deliveries: Vec<Delivery>,
    pub faults: Faults,
    pub timeouts: Timeouts,
    /// Real milliseconds a new account stays hidden from Admin (0: none).
    pub visibility_delay_ms: u64,
}

/// The worker's HR id and e-mail.
pub fn identity(worker: usize) -> (String, String) {
    (
        format!("E9{worker:03}"),
        format!("worker{worker}@example.com"),
    )
}

impl Fact {
    /// The lifecycle event for this fact.
    pub fn event(&self) -> Value {
        let (hr_id, email) = identity(self.worker);
        let mut e = json!({
            "schemaVersion": "1",
            "eventId": self.event_id,
            "lifecycle": self.lifecycle,
            "occurredAt": rfc3339(self.occurred_ms),
            "worker": {"hrId": hr_id, "workEmail": email, "givenName": "Test",
                       "familyName": format!("Worker{}", self.worker), "title": self.title,
                       "department": "Research"},
        });
        match self.lifecycle {
            "joiner" | "mover" | "rehire" => {
                let mut access = json!({"groups": self.groups, "mode": self.mode});
                if self.mode == "replace" {
                    access["scope"] = json!(GROUPS);
                }
                e["access"] = access;
            }
            _ => {}
        }
        e
    }
}

fn some_groups(rng: &mut Rng) -> Vec<String> {
    let n = 1 + rng.below(3);
    let mut out: Vec<String> = Vec::new();
    for _ in 0..n {
        let g = GROUPS[rng.below(GROUPS.len() as u64) as usize].to_string();
        if !out.contains(&g) {
            out.push(g);
        }
    }
    out
}

/// A plausible HR history: joined, moved, maybe left, maybe came back, maybe erased.
fn history(rng: &mut Rng, worker: usize) -> Vec<(&'static str, &'static str)> {
    let movers = |rng: &mut Rng, out: &mut Vec<_>| {
        for _ in 0..rng.below(3) {
            let mode = ["add", "remove", "replace"][rng.below(3) as usize];
            out.push(("mover", mode));
        }
    };
    let mut out = vec![("joiner", "add")];
    movers(rng, &mut out);
    if rng.chance(0.6) {
        out.push(("leaver", ""));
        if rng.chance(0.5) {
            out.push(("rehire", "replace"));
            movers(rng, &mut out);
            if rng.chance(0.4) {
                out.push(("leaver", ""));
            }
        }
    }
    if rng.chance(0.2) {
        out.push(("purge", ""));
    }
    let _ = worker;
    out
}

fn facts(rng: &mut Rng, workers: usize) -> Vec<Fact> {
    let mut facts = Vec::new();
    for w in 0..workers {
        for (i, (lifecycle, mode)) in history(rng, w).into_iter().enumerate() {
            facts.push(Fact {
                worker: w,
                lifecycle,
                occurred_ms: HR_EPOCH_MS + (i as u64) * 60_000 + w as u64 * 1_000,
                event_id: format!("hr-{w}-{i}"),
                groups: some_groups(rng),
                mode,
                title: TITLES[rng.below(TITLES.len() as u64) as usize].to_string(),
            });
        }
    }
    facts
}

/// The order of delivery: HR order, then swaps, a shuffle, duplicates.
fn order(rng: &mut Rng, n: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    if rng.chance(0.2) {
        for i in (1..n).rev() {
            order.swap(i, rng.below(i as u64 + 1) as usize);
        }
    } else {
        for i in 1..n {
            if rng.chance(0.3) {
                order.swap(i - 1, i);
            }
        }
    }
    for _ in 0..rng.below(3) {
        let dup = order[rng.below(n as u64) as usize];
        let at = rng.below(order.len() as u64 + 1) as usize;
        order.insert(at, dup);
    }
    order
}

fn deliveries(rng: &mut Rng, facts: &[Fact]) -> Vec<Delivery> {
    let order = order(rng, facts.len());
    let mut out = Vec::new();
    let mut i = 0;
    while i < order.len() {
        let f = order[i];
        let next = order.get(i + 1).copied();
        let other_worker = next.filter(|&n| facts[n].worker != facts[f].worker);
        if let (Some(n), true) = (other_worker, rng.chance(0.2)) {
            out.push(Delivery::Together(vec![f, n]));
            i += 2;
            continue;
        }
        if rng.chance(0.08) {
            out.push(Delivery::Together(vec![f, f]));
        } else {
            let deadline = rng.chance(0.12).then(|| rng.below(4_000));
            out.push(Delivery::One(f, deadline));
        }
        i += 1;
    }
    out
}

fn scripted(rng: &mut Rng) -> Vec<ScriptedFault> {
    const PATHS: [&str; 6] = [
        "/Users",
        "/Groups",
        "/memberships",
        "/search",
        "/directories",
        "",
    ];
    const METHODS: [Option<&str>; 4] = [None, Some("GET"), Some("POST"), Some("PATCH")];
    (0..rng.below(4))
        .map(|_| ScriptedFault {
            method: METHODS[rng.below(4) as usize].map(str::to_string),
            path_contains: Some(PATHS[rng.below(6) as usize].to_string()),
            status: [502, 504, 500, 503, 429, 0][rng.below(6) as usize],
            times: 1 + rng.below(3) as u32,
            retry_after_secs: rng.chance(0.5).then(|| rng.below(3)),
            rate_limit_reset_secs: rng.chance(0.3).then(|| 1 + rng.below(2)),
            ..ScriptedFault::default()
        })
        .collect()
}

fn faults(rng: &mut Rng, seed: u64) -> Faults {
    let calm = rng.chance(0.15);
    let rate = |rng: &mut Rng, max: f64| if calm { 0.0 } else { rng.unit() * max };
    Faults {
        seed,
        rate_429: rate(rng, 0.15),
        rate_500: rate(rng, 0.06),
        rate_503: rate(rng, 0.08),
        drop_rate: rate(rng, 0.06),
        retry_after_secs: rng.chance(0.6).then(|| rng.below(3)),
        rate_limit_reset: rng.chance(0.4),
        script: scripted(rng),
        ..Faults::default()
    }
}

impl Schedule {
    /// The schedule of `seed`.
    pub fn draw(seed: u64) -> Schedule {
        let mut rng = Rng::new(seed);
        let workers = 1 + rng.below(3) as usize;
        let facts = facts(&mut rng, workers);
        let deliveries = deliveries(&mut rng, &facts);
        let faults = faults(&mut rng, seed);
        let timeouts = if rng.chance(0.3) {
            Timeouts {
                before: rng.unit() * 0.04,
                after: rng.unit() * 0.04,
            }
        } else {
            Timeouts::default()
        };
        let visibility_delay_ms = if rng.chance(0.25) {
            1 + rng.below(25)
        } else {
            0
        };
        Schedule {
            seed,
            workers,
            facts,
            deliveries,
            faults,
            timeouts,
            visibility_delay_ms,
        }
    }
}
