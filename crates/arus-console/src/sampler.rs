//! The sampler behind the live charts: every [`INTERVAL`] it reads the broker's traffic
//! counters and each consumer group's total lag (through the protocol client) into bounded
//! in-memory rings covering the last hour.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arus_broker::broker::now_ms;
use serde::Serialize;

use crate::client::Client;

/// Time between samples.
pub const INTERVAL: Duration = Duration::from_secs(2);
/// Samples kept: one hour.
pub const KEEP: usize = 1800;
/// Groups whose lag is sampled: each keeps an hour of samples (~29 KB) and costs two requests
/// per interval, and any client can create groups by committing offsets.
pub const MAX_SAMPLED_GROUPS: usize = 1000;
/// Window over which a topic's recent produce rate is measured.
const TOPIC_WINDOW_MS: i64 = 30_000;

/// Cumulative traffic counters at one moment.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct Totals {
    pub t: i64,
    pub produced_records: u64,
    pub produced_bytes: u64,
    pub fetched_records: u64,
    pub fetched_bytes: u64,
}

/// Per-second rates between two samples, timestamped at the later one.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct Rates {
    pub t: i64,
    pub produce_msgs: f64,
    pub produce_bytes: f64,
    pub fetch_msgs: f64,
    pub fetch_bytes: f64,
}

/// A bounded ring: pushing past `cap` drops the oldest.
#[derive(Debug, Clone)]
pub struct Ring<T> {
    cap: usize,
    items: VecDeque<T>,
}

impl<T: Clone> Ring<T> {
    pub fn new(cap: usize) -> Ring<T> {
        Ring {
            cap: cap.max(1),
            items: VecDeque::new(),
        }
    }
    pub fn push(&mut self, v: T) {
        if self.items.len() == self.cap {
            self.items.pop_front();
        }
        self.items.push_back(v);
    }
    pub fn to_vec(&self) -> Vec<T> {
        self.items.iter().cloned().collect()
    }
    pub fn len(&self) -> usize {
        self.items.len()
    }
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// Rates between consecutive samples (counters that went backwards count as zero).
pub fn rates(samples: &[Totals]) -> Vec<Rates> {
    samples
        .windows(2)
        .filter_map(|w| {
            let (a, b) = (w[0], w[1]);
            let secs = (b.t - a.t) as f64 / 1000.0;
            if secs <= 0.0 {
                return None;
            }
            let r = |x: u64, y: u64| y.saturating_sub(x) as f64 / secs;
            Some(Rates {
                t: b.t,
                produce_msgs: r(a.produced_records, b.produced_records),
                produce_bytes: r(a.produced_bytes, b.produced_bytes),
                fetch_msgs: r(a.fetched_records, b.fetched_records),
                fetch_bytes: r(a.fetched_bytes, b.fetched_bytes),
            })
        })
        .collect()
}

#[derive(Default)]
struct State {
    traffic: Option<Ring<Totals>>,
    /// Per topic: (time, produced records) samples within the rate window.
    topics: BTreeMap<String, VecDeque<(i64, u64)>>,
    /// Per group: (time, total lag).
    lag: BTreeMap<String, Ring<(i64, i64)>>,
}

/// The shared sample store.
#[derive(Clone, Default)]
pub struct Samples {
    state: Arc<Mutex<State>>,
}

impl Samples {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Broker traffic totals over the last hour.
    pub fn traffic(&self) -> Vec<Totals> {
        self.lock()
            .traffic
            .as_ref()
            .map(Ring::to_vec)
            .unwrap_or_default()
    }

    /// A group's total lag over the last hour.
    pub fn lag(&self, group: &str) -> Vec<(i64, i64)> {
        self.lock()
            .lag
            .get(group)
            .map(Ring::to_vec)
            .unwrap_or_default()
    }

    /// Produced messages per second of each topic over the last ~30 s.
    pub fn topic_rates(&self) -> BTreeMap<String, f64> {
        let st = self.lock();
        st.topics
            .iter()
            .filter_map(|(name, q)| {
                let (first, last) = (q.front()?, q.back()?);
                let secs = (last.0 - first.0) as f64 / 1000.0;
                (secs > 0.0).then(|| (name.clone(), last.1.saturating_sub(first.1) as f64 / secs))
            })
            .collect()
    }

    fn record_traffic(&self, t: Totals, topics: Vec<(String, u64)>) {
        let mut st = self.lock();
        st.traffic.get_or_insert_with(|| Ring::new(KEEP)).push(t);
        let live: std::collections::BTreeSet<&String> = topics.iter().map(|(n, _)| n).collect();
        st.topics.retain(|n, _| live.contains(n));
        for (name, produced) in topics {
            let q = st.topics.entry(name).or_default();
            q.push_back((t.t, produced));
            while q.front().is_some_and(|(ft, _)| t.t - ft > TOPIC_WINDOW_MS) {
                q.pop_front();
            }
        }
    }

    fn record_lag(&self, t: i64, lags: BTreeMap<String, i64>) {
        let mut st = self.lock();
        st.lag.retain(|g, _| lags.contains_key(g));
        for (g, lag) in lags {
            st.lag
                .entry(g)
                .or_insert_with(|| Ring::new(KEEP))
                .push((t, lag));
        }
    }
}

/// Total lag of a group: the sum over its partitions of end offset − committed (≥ 0).
pub fn total_lag(per_partition: &BTreeMap<crate::client::Tp, (i64, i64)>) -> i64 {
    per_partition.values().map(|(c, e)| (e - c).max(0)).sum()
}

/// The groups whose lag is sampled: those with members first (a lag chart matters most while
/// consumers run), then by ID, at most [`MAX_SAMPLED_GROUPS`].
pub fn sampled_groups(mut groups: Vec<crate::client::GroupListing>) -> Vec<String> {
    groups.sort_by(|a, b| {
        let idle = |g: &crate::client::GroupListing| matches!(g.state.as_str(), "Empty" | "Dead");
        (idle(a), &a.id).cmp(&(idle(b), &b.id))
    });
    groups
        .into_iter()
        .take(MAX_SAMPLED_GROUPS)
        .map(|g| g.id)
        .collect()
}

/// Runs the sampler until the process ends.
pub fn spawn(client: Client, samples: Samples) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let t = now_ms();
            let m = &client.broker().metrics;
            let total = m.traffic();
            let topics = m
                .topic_traffic()
                .into_iter()
                .map(|(n, tr)| (n, tr.produced_records))
                .collect();
            samples.record_traffic(
                Totals {
                    t,
                    produced_records: total.produced_records,
                    produced_bytes: total.produced_bytes,
                    fetched_records: total.fetched_records,
                    fetched_bytes: total.fetched_bytes,
                },
                topics,
            );
            let mut lags = BTreeMap::new();
            if let Ok(groups) = client.groups().await {
                for id in sampled_groups(groups) {
                    if let Ok(per) = client.group_lag(&id).await {
                        lags.insert(id, total_lag(&per));
                    }
                }
            }
            samples.record_lag(t, lags);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_keeps_the_newest() {
        let mut r = Ring::new(3);
        for i in 0..5 {
            r.push(i);
        }
        assert_eq!(r.to_vec(), vec![2, 3, 4]);
        assert_eq!(r.len(), 3);
    }

    #[test]
    fn rates_between_samples() {
        let s = |t, n| Totals {
            t,
            produced_records: n,
            produced_bytes: n * 10,
            fetched_records: n / 2,
            fetched_bytes: 0,
        };
        let r = rates(&[
            s(0, 0),
            s(2000, 100),
            s(4000, 100),
            s(4000, 200),
            s(5000, 50),
        ]);
        assert_eq!(r.len(), 3);
        assert_eq!(
            r[0],
            Rates {
                t: 2000,
                produce_msgs: 50.0,
                produce_bytes: 500.0,
                fetch_msgs: 25.0,
                fetch_bytes: 0.0
            }
        );
        assert_eq!(r[1].produce_msgs, 0.0);
        // A counter going backwards (restart) is a zero rate, not a huge one.
        assert_eq!(r[2].produce_msgs, 0.0);
    }

    #[test]
    fn topic_rates_over_the_window_and_forgotten_topics() {
        let samples = Samples::default();
        let tot = |t| Totals {
            t,
            ..Totals::default()
        };
        samples.record_traffic(tot(0), vec![("a".into(), 0), ("b".into(), 5)]);
        samples.record_traffic(tot(10_000), vec![("a".into(), 100), ("b".into(), 5)]);
        let r = samples.topic_rates();
        assert_eq!(r.get("a"), Some(&10.0));
        assert_eq!(r.get("b"), Some(&0.0));
        samples.record_traffic(tot(50_000), vec![("a".into(), 100)]);
        let r = samples.topic_rates();
        assert!(!r.contains_key("b"));
        assert_eq!(r.get("a"), None, "one sample in the window: no rate yet");
    }

    #[test]
    fn sampled_groups_are_bounded_active_first() {
        let g = |id: String, state: &str| crate::client::GroupListing {
            id,
            state: state.to_string(),
            protocol_type: "consumer".to_string(),
        };
        let mut groups: Vec<_> = (0..MAX_SAMPLED_GROUPS + 10)
            .map(|i| g(format!("a{i:05}"), "Empty"))
            .collect();
        groups.push(g("z-active".into(), "Stable"));
        let picked = sampled_groups(groups);
        assert_eq!(picked.len(), MAX_SAMPLED_GROUPS);
        assert_eq!(picked[0], "z-active");
        assert_eq!(picked[1], "a00000");
    }

    #[test]
    fn lag_totals_ignore_negative() {
        let per: BTreeMap<crate::client::Tp, (i64, i64)> = [
            (("t".to_string(), 0), (5, 10)),
            (("t".to_string(), 1), (12, 10)),
        ]
        .into_iter()
        .collect();
        assert_eq!(total_lag(&per), 5);
        let s = Samples::default();
        s.record_lag(1, [("g".to_string(), 5)].into_iter().collect());
        s.record_lag(2, [("g".to_string(), 0)].into_iter().collect());
        assert_eq!(s.lag("g"), vec![(1, 5), (2, 0)]);
        s.record_lag(3, BTreeMap::new());
        assert!(s.lag("g").is_empty());
    }
}
