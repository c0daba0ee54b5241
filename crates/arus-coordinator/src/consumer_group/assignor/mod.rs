//! Server-side assignors (KIP-848): the coordinator computes every member's
//! target assignment from the subscriptions and the topics' partition counts.

mod range;
mod uniform;

use std::collections::{BTreeMap, BTreeSet};

use super::partitions::Partitions;

/// The assignors this coordinator offers, the default first (Kafka's
/// `group.consumer.assignors` default order).
pub(crate) const ASSIGNORS: &[&str] = &[uniform::NAME, range::NAME];

/// What an assignor works from.
pub(crate) struct AssignorInput<'a> {
    /// Member id → subscribed topic names, sorted by member id.
    pub(crate) members: BTreeMap<&'a str, &'a BTreeSet<String>>,
    /// Existing subscribed topics → partition count.
    pub(crate) topics: &'a BTreeMap<String, i32>,
    /// The previous target assignment, for stickiness.
    pub(crate) previous: &'a BTreeMap<String, Partitions>,
}

impl AssignorInput<'_> {
    /// The members subscribed to `topic`, sorted by member id.
    fn subscribers(&self, topic: &str) -> Vec<&str> {
        self.members
            .iter()
            .filter(|(_, subs)| subs.contains(topic))
            .map(|(id, _)| *id)
            .collect()
    }
}

/// Runs the assignor `name` (one of [`ASSIGNORS`]; anything else runs the
/// default). Every member gets an entry, possibly empty.
pub(crate) fn assign(name: &str, input: &AssignorInput<'_>) -> BTreeMap<String, Partitions> {
    let mut out = if name == range::NAME {
        range::assign(input)
    } else {
        uniform::assign(input)
    };
    for id in input.members.keys() {
        out.entry((*id).to_owned()).or_default();
    }
    out
}

#[cfg(test)]
mod tests;
