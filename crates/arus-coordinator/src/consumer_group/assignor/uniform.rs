//! The `uniform` assignor: spreads all subscribed partitions as evenly as the
//! subscriptions allow, keeping members' previous partitions where it can.
//!
//! First the number each member should get is found by handing partitions
//! out one at a time (those with the fewest eligible members first) to the
//! least-loaded eligible member; ties go to the member that held more
//! partitions before, then to the smaller member id. Then each member keeps
//! previous partitions up to that number, and the rest go to eligible
//! members still below their number (the least loaded otherwise).

use std::collections::BTreeMap;

use super::AssignorInput;
use crate::consumer_group::partitions::Partitions;

/// The assignor's name in ConsumerGroupHeartbeat.
pub(crate) const NAME: &str = "uniform";

/// One partition and the members that may get it.
struct Slot<'a> {
    topic: &'a str,
    partition: i32,
    eligible: Vec<&'a str>,
}

pub(super) fn assign(input: &AssignorInput<'_>) -> BTreeMap<String, Partitions> {
    let mut slots: Vec<Slot<'_>> = Vec::new();
    for (topic, &count) in input.topics {
        let eligible = input.subscribers(topic);
        if eligible.is_empty() {
            continue;
        }
        for partition in 0..count.max(0) {
            slots.push(Slot {
                topic,
                partition,
                eligible: eligible.clone(),
            });
        }
    }
    slots.sort_by_key(|s| s.eligible.len());
    let previous_count = |m: &str| input.previous.get(m).map_or(0, Partitions::len);

    // How many each member should get.
    let mut quota: BTreeMap<&str, usize> = input.members.keys().map(|m| (*m, 0)).collect();
    for slot in &slots {
        let best = slot.eligible.iter().copied().min_by_key(|m| {
            let load = quota.get(m).copied().unwrap_or(0);
            (load, std::cmp::Reverse(previous_count(m)))
        });
        if let Some(m) = best {
            *quota.entry(m).or_default() += 1;
        }
    }

    // Sticky pass: keep previous partitions up to the quota.
    let mut out: BTreeMap<String, Partitions> = BTreeMap::new();
    let mut taken = Partitions::default();
    let mut load: BTreeMap<&str, usize> = input.members.keys().map(|m| (*m, 0)).collect();
    for slot in &slots {
        let keeper = slot.eligible.iter().copied().find(|m| {
            input
                .previous
                .get(*m)
                .is_some_and(|p| p.contains(slot.topic, slot.partition))
        });
        let Some(m) = keeper else { continue };
        let (have, want) = (load.get(m).copied().unwrap_or(0), quota[m]);
        if have < want {
            out.entry(m.to_owned())
                .or_default()
                .insert(slot.topic, slot.partition);
            taken.insert(slot.topic, slot.partition);
            *load.entry(m).or_default() += 1;
        }
    }

    // The rest: to members below their quota, the least loaded first.
    for slot in &slots {
        if taken.contains(slot.topic, slot.partition) {
            continue;
        }
        let best = slot.eligible.iter().copied().min_by_key(|m| {
            let have = load.get(m).copied().unwrap_or(0);
            (have >= quota[m], have)
        });
        if let Some(m) = best {
            out.entry(m.to_owned())
                .or_default()
                .insert(slot.topic, slot.partition);
            *load.entry(m).or_default() += 1;
        }
    }
    out
}
