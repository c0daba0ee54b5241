use std::collections::{BTreeMap, BTreeSet};

use super::{assign, AssignorInput};
use crate::consumer_group::partitions::Partitions;

fn subs(topics: &[&str]) -> BTreeSet<String> {
    topics.iter().map(|t| (*t).to_owned()).collect()
}

fn run(
    name: &str,
    members: &[(&str, &BTreeSet<String>)],
    topics: &[(&str, i32)],
    previous: &BTreeMap<String, Partitions>,
) -> BTreeMap<String, Vec<(String, i32)>> {
    let topics: BTreeMap<String, i32> = topics.iter().map(|(t, n)| ((*t).to_owned(), *n)).collect();
    let input = AssignorInput {
        members: members.iter().copied().collect(),
        topics: &topics,
        previous,
    };
    assign(name, &input)
        .into_iter()
        .map(|(m, ps)| (m, ps.iter().map(|(t, p)| (t.to_owned(), p)).collect()))
        .collect()
}

fn tp(t: &str, ps: &[i32]) -> Vec<(String, i32)> {
    ps.iter().map(|p| (t.to_owned(), *p)).collect()
}

#[test]
fn uniform_splits_evenly_and_sticks() {
    let s = subs(&["t"]);
    let none = BTreeMap::new();
    let two = run("uniform", &[("a", &s), ("b", &s)], &[("t", 4)], &none);
    assert_eq!(two["a"].len(), 2);
    assert_eq!(two["b"].len(), 2);
    let previous: BTreeMap<String, Partitions> = two
        .iter()
        .map(|(m, ps)| {
            (
                m.clone(),
                ps.iter().map(|(t, p)| (t.as_str(), *p)).collect(),
            )
        })
        .collect();
    let three = run(
        "uniform",
        &[("a", &s), ("b", &s), ("c", &s)],
        &[("t", 4)],
        &previous,
    );
    let counts: Vec<usize> = three.values().map(Vec::len).collect();
    assert_eq!(counts.iter().sum::<usize>(), 4);
    assert!(counts.iter().all(|c| (1..=2).contains(c)));
    // Only one partition moves.
    let kept = ["a", "b"]
        .iter()
        .map(|m| three[*m].iter().filter(|x| two[*m].contains(x)).count())
        .sum::<usize>();
    assert_eq!(kept, 3);
}

#[test]
fn uniform_respects_subscriptions() {
    let (x, y) = (subs(&["x"]), subs(&["x", "y"]));
    let r = run(
        "uniform",
        &[("a", &x), ("b", &y)],
        &[("x", 2), ("y", 2)],
        &BTreeMap::new(),
    );
    assert_eq!(r["a"], tp("x", &[0, 1]));
    assert_eq!(r["b"], tp("y", &[0, 1]));
}

#[test]
fn range_gives_contiguous_ranges_per_topic() {
    let s = subs(&["t", "u"]);
    let r = run(
        "range",
        &[("a", &s), ("b", &s)],
        &[("t", 3), ("u", 2)],
        &BTreeMap::new(),
    );
    let mut a = tp("t", &[0, 1]);
    a.extend(tp("u", &[0]));
    let mut b = tp("t", &[2]);
    b.extend(tp("u", &[1]));
    assert_eq!(r["a"], a);
    assert_eq!(r["b"], b);
}

#[test]
fn members_without_topics_get_empty_assignments() {
    let (s, none) = (subs(&["t"]), subs(&[]));
    let r = run(
        "range",
        &[("a", &s), ("b", &none)],
        &[("t", 1)],
        &BTreeMap::new(),
    );
    assert_eq!(r["a"], tp("t", &[0]));
    assert!(r["b"].is_empty());
}
