//! Protocol agreement: which protocols every member supports, and the vote.

use std::collections::BTreeMap;

use super::{subscription, Group, Phase, CONSUMER_PROTOCOL_TYPE};

impl Group {
    /// Protocols supported by every member, in the order of the earliest
    /// member's preference.
    pub(crate) fn candidate_protocols(&self) -> Vec<&str> {
        let members = self.members_in_order();
        let Some(first) = members.first() else {
            return Vec::new();
        };
        let mut out: Vec<&str> = Vec::new();
        for p in &first.protocols {
            let name = p.name.as_str();
            if !out.contains(&name) && members.iter().all(|m| m.supports(name)) {
                out.push(name);
            }
        }
        out
    }

    /// Kafka's `supportsProtocols`: an empty group takes any non-empty
    /// protocol type with at least one protocol; otherwise the type must match
    /// and one of `names` must be supported by every member.
    pub(crate) fn supports_protocols(&self, protocol_type: &str, names: &[&str]) -> bool {
        if self.phase == Phase::Empty {
            return !protocol_type.is_empty() && !names.is_empty();
        }
        if self.protocol_type.as_deref() != Some(protocol_type) {
            return false;
        }
        let candidates = self.candidate_protocols();
        names.iter().any(|n| candidates.contains(n))
    }

    /// The protocol for the next generation: each member votes for its most
    /// preferred candidate; most votes wins, ties go to the earliest
    /// member's preference. `None` without members.
    pub(crate) fn select_protocol(&self) -> Option<String> {
        let candidates = self.candidate_protocols();
        let mut votes: BTreeMap<&str, usize> = BTreeMap::new();
        for m in self.members.values() {
            if let Some(v) = m.vote(&candidates) {
                *votes.entry(v).or_default() += 1;
            }
        }
        let mut best: Option<(&str, usize)> = None;
        for c in &candidates {
            let n = votes.get(c).copied().unwrap_or(0);
            if best.is_none_or(|(_, b)| n > b) {
                best = Some((c, n));
            }
        }
        best.map(|(name, _)| name.to_owned())
    }

    /// Recomputes the subscribed topics of a consumer group: the union of
    /// every member's subscription; unknown (`None`) if any fails to parse or
    /// the group is not a consumer group.
    pub(crate) fn compute_subscribed_topics(&mut self) {
        self.subscribed_topics = match self.protocol_type.as_deref() {
            Some(CONSUMER_PROTOCOL_TYPE) if self.members.is_empty() => Some(Default::default()),
            Some(CONSUMER_PROTOCOL_TYPE) => self.protocol_name.as_deref().and_then(|p| {
                let mut all = std::collections::BTreeSet::new();
                for m in self.members.values() {
                    let meta = m.metadata_for(Some(p));
                    all.extend(subscription::topics(&meta)?);
                }
                Some(all)
            }),
            _ => None,
        };
    }

    /// True if the group may be consuming `topic`: unknown subscriptions
    /// count as subscribed, an empty group subscribes to nothing; a consumer
    /// group's members say what they subscribe to.
    pub(crate) fn is_subscribed_to(&self, topic: &str) -> bool {
        if let Some(c) = &self.consumer {
            return c.is_subscribed_to(topic);
        }
        if self.phase == Phase::Empty {
            return false;
        }
        match &self.subscribed_topics {
            Some(topics) => topics.contains(topic),
            None => true,
        }
    }
}
