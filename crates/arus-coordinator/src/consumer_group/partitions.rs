//! Sets of topic-partitions, keyed by topic name.

use std::collections::{BTreeMap, BTreeSet};

/// topic name → partition numbers. Topics never map to an empty set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Partitions(BTreeMap<String, BTreeSet<i32>>);

impl Partitions {
    /// Adds one partition.
    pub(crate) fn insert(&mut self, topic: &str, partition: i32) {
        self.0
            .entry(topic.to_owned())
            .or_default()
            .insert(partition);
    }

    /// True if the set holds `topic`-`partition`.
    pub(crate) fn contains(&self, topic: &str, partition: i32) -> bool {
        self.0.get(topic).is_some_and(|ps| ps.contains(&partition))
    }

    /// True when there are no partitions.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many partitions there are.
    pub(crate) fn len(&self) -> usize {
        self.0.values().map(BTreeSet::len).sum()
    }

    /// Every (topic, partition), sorted.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, i32)> + '_ {
        self.0
            .iter()
            .flat_map(|(t, ps)| ps.iter().map(move |p| (t.as_str(), *p)))
    }

    /// Topic → partitions, sorted.
    pub(crate) fn topics(&self) -> impl Iterator<Item = (&str, &BTreeSet<i32>)> + '_ {
        self.0.iter().map(|(t, ps)| (t.as_str(), ps))
    }

    /// The partitions of `self` that `keep` accepts.
    pub(crate) fn filter(&self, mut keep: impl FnMut(&str, i32) -> bool) -> Partitions {
        let mut out = Partitions::default();
        for (t, p) in self.iter() {
            if keep(t, p) {
                out.insert(t, p);
            }
        }
        out
    }

    /// Partitions in `self` and in `other`.
    pub(crate) fn intersect(&self, other: &Partitions) -> Partitions {
        self.filter(|t, p| other.contains(t, p))
    }

    /// Partitions in `self` but not in `other`.
    pub(crate) fn minus(&self, other: &Partitions) -> Partitions {
        self.filter(|t, p| !other.contains(t, p))
    }

    /// Adds every partition of `other`.
    pub(crate) fn extend(&mut self, other: &Partitions) {
        for (t, p) in other.iter() {
            self.insert(t, p);
        }
    }

    /// True if every partition of `self` is in `other`.
    pub(crate) fn is_subset(&self, other: &Partitions) -> bool {
        self.iter().all(|(t, p)| other.contains(t, p))
    }

    /// True if the two sets share a partition.
    pub(crate) fn overlaps(&self, other: &Partitions) -> bool {
        self.iter().any(|(t, p)| other.contains(t, p))
    }
}

impl<'a> FromIterator<(&'a str, i32)> for Partitions {
    fn from_iter<I: IntoIterator<Item = (&'a str, i32)>>(iter: I) -> Self {
        let mut out = Partitions::default();
        for (t, p) in iter {
            out.insert(t, p);
        }
        out
    }
}
