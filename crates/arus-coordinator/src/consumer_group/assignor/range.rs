//! The `range` assignor: per topic, the subscribed members (sorted by id)
//! each get a contiguous range; the first `partitions % members` get one more.

use std::collections::BTreeMap;

use super::AssignorInput;
use crate::consumer_group::partitions::Partitions;

/// The assignor's name in ConsumerGroupHeartbeat.
pub(crate) const NAME: &str = "range";

pub(super) fn assign(input: &AssignorInput<'_>) -> BTreeMap<String, Partitions> {
    let mut out: BTreeMap<String, Partitions> = BTreeMap::new();
    for (topic, &count) in input.topics {
        let members = input.subscribers(topic);
        if members.is_empty() || count <= 0 {
            continue;
        }
        let n = members.len() as i32;
        let (base, extra) = (count / n, count % n);
        let mut next = 0;
        for (i, member) in members.iter().enumerate() {
            let take = base + i32::from((i as i32) < extra);
            let assigned = out.entry((*member).to_owned()).or_default();
            for p in next..next + take {
                assigned.insert(topic, p);
            }
            next += take;
        }
    }
    out
}
