//! Fetch sessions (KIP-227): the broker remembers what a consumer fetches, so incremental
//! fetch requests and responses carry only what changed.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;
use uuid::Uuid;

/// How a fetch request names a topic: by name before Fetch v13, by ID from v13 on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TopicKey {
    /// Topic name.
    Name(StrBytes),
    /// Topic ID.
    Id(Uuid),
}

/// One partition as a fetch request asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WantedPartition {
    /// Topic.
    pub topic: TopicKey,
    /// Partition index.
    pub partition: i32,
    /// Offset to read from.
    pub fetch_offset: i64,
    /// Most bytes to return for this partition.
    pub max_bytes: i32,
}

/// What the broker last told the client about a session partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SentOffsets {
    /// High watermark last sent.
    pub high_watermark: i64,
    /// Last stable offset last sent.
    pub last_stable: i64,
    /// Log start offset last sent.
    pub log_start: i64,
}

#[derive(Debug)]
struct SessionPartition {
    wanted: WantedPartition,
    sent: Option<SentOffsets>,
}

#[derive(Debug)]
struct Session {
    next_epoch: i32,
    partitions: Vec<SessionPartition>,
    last_used: Instant,
}

/// How one fetch request relates to sessions, decided before any data is read.
#[derive(Debug, PartialEq, Eq)]
pub enum FetchPlan {
    /// A full fetch of exactly these partitions; `session_id` is 0 when no session is kept.
    Full {
        /// Session created for the client, or 0.
        session_id: i32,
        /// Partitions to read, in request order.
        partitions: Vec<WantedPartition>,
    },
    /// An incremental fetch: read every partition of the session, answer only changes.
    Incremental {
        /// The session.
        session_id: i32,
        /// All partitions of the session with what was last sent about each.
        partitions: Vec<(WantedPartition, Option<SentOffsets>)>,
    },
}

/// Sessions kept by this broker, bounded in number; idle ones are evicted first.
pub struct FetchSessionCache {
    max_sessions: usize,
    sessions: HashMap<i32, Session>,
    next_id: i32,
}

/// A session unused this long may be evicted to make room.
const EVICTABLE_AFTER: Duration = Duration::from_secs(120);

impl FetchSessionCache {
    /// A cache of at most `max_sessions` sessions.
    pub fn new(max_sessions: usize) -> Self {
        FetchSessionCache {
            max_sessions,
            sessions: HashMap::new(),
            next_id: 1,
        }
    }

    /// Number of live sessions.
    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    /// Whether no session is live.
    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }

    /// Applies the session fields of a fetch request (KIP-227 rules) and says what to read.
    pub fn plan(
        &mut self,
        session_id: i32,
        epoch: i32,
        wanted: Vec<WantedPartition>,
        forgotten: &[(TopicKey, i32)],
        now: Instant,
    ) -> Result<FetchPlan, ResponseError> {
        match (session_id, epoch) {
            // FINAL_EPOCH: close any session and fetch without one.
            (id, -1) => {
                self.sessions.remove(&id);
                Ok(FetchPlan::Full {
                    session_id: 0,
                    partitions: wanted,
                })
            }
            // INITIAL_EPOCH: a new session with a full fetch.
            (id, 0) => {
                self.sessions.remove(&id);
                let session_id = self.create(&wanted, now);
                Ok(FetchPlan::Full {
                    session_id,
                    partitions: wanted,
                })
            }
            (0, _) => Err(ResponseError::InvalidFetchSessionEpoch),
            (id, epoch) => {
                let session = self
                    .sessions
                    .get_mut(&id)
                    .ok_or(ResponseError::FetchSessionIdNotFound)?;
                if session.next_epoch != epoch {
                    return Err(ResponseError::InvalidFetchSessionEpoch);
                }
                session.next_epoch = next_epoch(epoch);
                session.last_used = now;
                session.partitions.retain(|p| {
                    !forgotten
                        .iter()
                        .any(|(t, i)| *t == p.wanted.topic && *i == p.wanted.partition)
                });
                for w in wanted {
                    match session
                        .partitions
                        .iter_mut()
                        .find(|p| p.wanted.topic == w.topic && p.wanted.partition == w.partition)
                    {
                        Some(p) => p.wanted = w,
                        None => session.partitions.push(SessionPartition {
                            wanted: w,
                            sent: None,
                        }),
                    }
                }
                Ok(FetchPlan::Incremental {
                    session_id: id,
                    partitions: session
                        .partitions
                        .iter()
                        .map(|p| (p.wanted.clone(), p.sent))
                        .collect(),
                })
            }
        }
    }

    /// Records what a response told the client about a partition of a session.
    pub fn record_sent(
        &mut self,
        session_id: i32,
        topic: &TopicKey,
        partition: i32,
        sent: SentOffsets,
    ) {
        if let Some(session) = self.sessions.get_mut(&session_id) {
            if let Some(p) = session
                .partitions
                .iter_mut()
                .find(|p| p.wanted.topic == *topic && p.wanted.partition == partition)
            {
                p.sent = Some(sent);
            }
        }
    }

    fn create(&mut self, wanted: &[WantedPartition], now: Instant) -> i32 {
        if self.sessions.len() >= self.max_sessions {
            let idle = self
                .sessions
                .iter()
                .filter(|(_, s)| now.duration_since(s.last_used) >= EVICTABLE_AFTER)
                .min_by_key(|(_, s)| s.last_used)
                .map(|(id, _)| *id);
            match idle {
                Some(id) => {
                    self.sessions.remove(&id);
                }
                // Full of active sessions: serve this client without one.
                None => return 0,
            }
        }
        let mut id = self.next_id;
        while id == 0 || self.sessions.contains_key(&id) {
            id = id.wrapping_add(1).max(1);
        }
        self.next_id = id.wrapping_add(1).max(1);
        self.sessions.insert(
            id,
            Session {
                next_epoch: 1,
                partitions: wanted
                    .iter()
                    .map(|w| SessionPartition {
                        wanted: w.clone(),
                        sent: None,
                    })
                    .collect(),
                last_used: now,
            },
        );
        id
    }
}

/// Session epochs count up from 1 and wrap to 1, skipping 0 and -1 (both have meanings).
fn next_epoch(epoch: i32) -> i32 {
    if epoch == i32::MAX {
        1
    } else {
        epoch + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(t: &str, p: i32, off: i64) -> WantedPartition {
        WantedPartition {
            topic: TopicKey::Name(StrBytes::from_string(t.into())),
            partition: p,
            fetch_offset: off,
            max_bytes: 1024,
        }
    }

    #[test]
    fn sessionless_fetch_keeps_nothing() {
        let mut cache = FetchSessionCache::new(10);
        let plan = cache
            .plan(0, -1, vec![w("a", 0, 5)], &[], Instant::now())
            .unwrap();
        assert_eq!(
            plan,
            FetchPlan::Full {
                session_id: 0,
                partitions: vec![w("a", 0, 5)]
            }
        );
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn incremental_fetch_updates_adds_and_forgets() {
        let now = Instant::now();
        let mut cache = FetchSessionCache::new(10);
        let FetchPlan::Full { session_id, .. } = cache
            .plan(0, 0, vec![w("a", 0, 0), w("a", 1, 0)], &[], now)
            .unwrap()
        else {
            panic!("expected a full fetch")
        };
        assert_ne!(session_id, 0);
        let key = TopicKey::Name(StrBytes::from_string("a".into()));
        let sent = SentOffsets {
            high_watermark: 7,
            last_stable: 7,
            log_start: 0,
        };
        cache.record_sent(session_id, &key, 0, sent);
        let plan = cache
            .plan(
                session_id,
                1,
                vec![w("a", 0, 7), w("b", 0, 0)],
                &[(key.clone(), 1)],
                now,
            )
            .unwrap();
        assert_eq!(
            plan,
            FetchPlan::Incremental {
                session_id,
                partitions: vec![(w("a", 0, 7), Some(sent)), (w("b", 0, 0), None)]
            }
        );
        // Epoch 1 was used; reusing it is refused, 2 is next.
        assert_eq!(
            cache.plan(session_id, 1, vec![], &[], now),
            Err(ResponseError::InvalidFetchSessionEpoch)
        );
        assert!(cache.plan(session_id, 2, vec![], &[], now).is_ok());
        assert_eq!(
            cache.plan(999, 1, vec![], &[], now),
            Err(ResponseError::FetchSessionIdNotFound)
        );
        // Closing the session.
        cache.plan(session_id, -1, vec![], &[], now).unwrap();
        assert!(cache.is_empty());
    }

    #[test]
    fn a_full_cache_evicts_only_idle_sessions() {
        let start = Instant::now();
        let mut cache = FetchSessionCache::new(1);
        let FetchPlan::Full {
            session_id: first, ..
        } = cache.plan(0, 0, vec![], &[], start).unwrap()
        else {
            panic!()
        };
        let FetchPlan::Full {
            session_id: none, ..
        } = cache.plan(0, 0, vec![], &[], start).unwrap()
        else {
            panic!()
        };
        assert_eq!(none, 0, "no room while the only session is active");
        let later = start + EVICTABLE_AFTER;
        let FetchPlan::Full {
            session_id: second, ..
        } = cache.plan(0, 0, vec![], &[], later).unwrap()
        else {
            panic!()
        };
        assert_ne!(second, 0);
        assert_ne!(second, first);
    }
}
