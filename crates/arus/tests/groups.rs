//! Consumer groups end to end (classic protocol), against the real broker with librdkafka
//! consumers and hand-built requests:
//!
//! - rebalancing under the range, roundrobin and cooperative-sticky assignors while a keyed
//!   stream is produced: two members split a topic, a third joins mid-stream, a member in a
//!   child process is SIGKILLed and the others take over after its session timeout; every
//!   produced record is consumed, no two live members ever own a partition at once, the
//!   final commits equal the end offsets;
//! - committed offsets (and their metadata) survive a clean restart and a crash;
//! - `assign()` consumers commit without joining (simple commits);
//! - ListGroups / DescribeGroups / DeleteGroups through librdkafka;
//! - Kafka's error codes for bad group requests.
//!
//! The crashed member runs in a child process: this test binary itself, re-executed with
//! `ARUS_GROUP_CHILD_*` variables set so that the `group_child_consumer` test runs a consumer
//! (without them that test returns at once). It reports what it does on stdout.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::kafka_error::*;
use common::*;
use rdkafka::client::ClientContext;
use rdkafka::config::{ClientConfig, RDKafkaLogLevel};
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::producer::FutureRecord;
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};

/// Broker settings for group tests: no initial rebalance delay (the default 3 s only slows
/// the tests) and session timeouts down to 1 s (the crashed member uses 3 s).
const GROUP_BROKER: &[&str] = &[
    "group.initial.rebalance.delay.ms=0",
    "group.min.session.timeout.ms=1000",
];

/// Session timeout of the member that gets SIGKILLed.
const CHILD_SESSION_TIMEOUT_MS: &str = "3000";

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_micros() as u64
}

// ---------------------------------------------------------------------------------------------
// A journal of what every member saw, with wall-clock timestamps (comparable across processes).
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
enum What {
    /// Partitions handed to the member (recorded before librdkafka starts fetching them).
    Assigned(Vec<i32>),
    /// Partitions taken away (recorded after librdkafka has stopped fetching them).
    Revoked(Vec<i32>),
    RebalanceError(String),
    Consumed {
        partition: i32,
        offset: i64,
        value: String,
    },
    ConsumeError(String),
    /// Closed or killed: owns nothing from here on.
    Gone,
}

impl What {
    fn encode(&self) -> String {
        let list = |ps: &[i32]| {
            ps.iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join(",")
        };
        match self {
            What::Assigned(ps) => format!("assigned {}", list(ps)),
            What::Revoked(ps) => format!("revoked {}", list(ps)),
            What::RebalanceError(e) => format!("rebalance-error {e}"),
            What::Consumed {
                partition,
                offset,
                value,
            } => format!("consumed {partition} {offset} {value}"),
            What::ConsumeError(e) => format!("consume-error {e}"),
            What::Gone => "gone".to_string(),
        }
    }

    fn decode(s: &str) -> What {
        let (kind, rest) = s.split_once(' ').unwrap_or((s, ""));
        let list = |r: &str| -> Vec<i32> {
            r.split(',')
                .filter(|x| !x.is_empty())
                .map(|x| x.parse().expect("partition"))
                .collect()
        };
        match kind {
            "assigned" => What::Assigned(list(rest)),
            "revoked" => What::Revoked(list(rest)),
            "rebalance-error" => What::RebalanceError(rest.to_string()),
            "consumed" => {
                let mut it = rest.splitn(3, ' ');
                What::Consumed {
                    partition: it.next().unwrap().parse().unwrap(),
                    offset: it.next().unwrap().parse().unwrap(),
                    value: it.next().unwrap_or("").to_string(),
                }
            }
            "consume-error" => What::ConsumeError(rest.to_string()),
            "gone" => What::Gone,
            other => panic!("child reported an unknown event {other:?}"),
        }
    }
}

#[derive(Debug, Clone)]
struct Event {
    at_us: u64,
    member: String,
    what: What,
}

#[derive(Clone, Default)]
struct Journal(Arc<Mutex<Vec<Event>>>);

impl Journal {
    fn push_at(&self, at_us: u64, member: &str, what: What) {
        self.0.lock().unwrap().push(Event {
            at_us,
            member: member.to_string(),
            what,
        });
    }
    fn push(&self, member: &str, what: What) {
        self.push_at(now_us(), member, what);
    }
    fn events(&self) -> Vec<Event> {
        self.0.lock().unwrap().clone()
    }
}

/// Where a member's events go: the journal (in-process) or stdout (child process).
type Sink = Arc<dyn Fn(What) + Send + Sync>;

/// librdkafka log lines of one member, kept for failure reports.
#[derive(Clone, Default)]
struct LogBuf(Arc<Mutex<Vec<String>>>);

impl LogBuf {
    fn push(&self, line: String) {
        let mut v = self.0.lock().unwrap();
        if v.len() >= 4000 {
            v.drain(..1000);
        }
        v.push(line);
    }
    fn tail(&self, n: usize) -> String {
        let v = self.0.lock().unwrap();
        v[v.len().saturating_sub(n)..].join("\n")
    }
}

/// Consumer context that reports rebalances to a sink and keeps librdkafka's log.
struct Recorder {
    sink: Sink,
    log: LogBuf,
}

impl ClientContext for Recorder {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
        self.log
            .push(format!("{} {level:?} {fac} {message}", now_us() / 1000));
    }
    fn error(&self, error: KafkaError, reason: &str) {
        self.log
            .push(format!("{} ERROR {error}: {reason}", now_us() / 1000));
    }
}

fn partitions_of(tpl: &TopicPartitionList) -> Vec<i32> {
    let mut v: Vec<i32> = tpl.elements().iter().map(|e| e.partition()).collect();
    v.sort();
    v
}

impl ConsumerContext for Recorder {
    fn pre_rebalance(&self, _c: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(tpl) => (self.sink)(What::Assigned(partitions_of(tpl))),
            Rebalance::Error(e) => (self.sink)(What::RebalanceError(e.to_string())),
            Rebalance::Revoke(_) => {}
        }
    }
    fn post_rebalance(&self, _c: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(tpl) = rebalance {
            (self.sink)(What::Revoked(partitions_of(tpl)))
        }
    }
}

/// Configuration of one rebalancing member: auto commit of the offsets it stored, and it
/// stores an offset only after the record is in the journal (so a commit never covers a record
/// nobody saw).
fn member_config(bootstrap: &str, group: &str, name: &str, strategy: &str) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", bootstrap)
        .set("broker.address.family", "v4")
        .set("socket.timeout.ms", "30000")
        .set("group.id", group)
        .set("client.id", name)
        .set("partition.assignment.strategy", strategy)
        .set("enable.auto.commit", "true")
        .set("auto.commit.interval.ms", "200")
        .set("enable.auto.offset.store", "false")
        .set("debug", "cgrp");
    for (k, v) in GROUP_CONSUMER_DEFAULTS {
        c.set(*k, *v);
    }
    c
}

/// Subscribes and polls until `stop` is set (forever if it never is), reporting to `sink`;
/// then closes the consumer (leaving the group, committing stored offsets).
fn run_member(consumer: BaseConsumer<Recorder>, topic: &str, stop: &AtomicBool, sink: &Sink) {
    consumer.subscribe(&[topic]).expect("subscribe");
    while !stop.load(Ordering::SeqCst) {
        match consumer.poll(Duration::from_millis(100)) {
            None => {}
            Some(Ok(m)) => {
                sink(What::Consumed {
                    partition: m.partition(),
                    offset: m.offset(),
                    value: String::from_utf8_lossy(m.payload().unwrap_or_default()).into_owned(),
                });
                if let Err(e) = consumer.store_offset_from_message(&m) {
                    sink(What::ConsumeError(format!("store offset: {e}")));
                }
            }
            Some(Err(e)) => sink(What::ConsumeError(e.to_string())),
        }
    }
    drop(consumer);
    sink(What::Gone);
}

/// Whether a thread finishes within `timeout`.
fn finishes<T>(h: &JoinHandle<T>, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while !h.is_finished() {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}

/// A member polling on its own thread of this process.
struct Member {
    name: String,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
    log: LogBuf,
}

impl Member {
    fn spawn(config: ClientConfig, name: &str, topic: &str, journal: &Journal) -> Member {
        let stop = Arc::new(AtomicBool::new(false));
        let log = LogBuf::default();
        let sink: Sink = {
            let journal = journal.clone();
            let name = name.to_string();
            Arc::new(move |w| journal.push(&name, w))
        };
        let consumer: BaseConsumer<Recorder> = config
            .create_with_context(Recorder {
                sink: sink.clone(),
                log: log.clone(),
            })
            .expect("create member consumer");
        let topic = topic.to_string();
        let stop2 = stop.clone();
        let handle = std::thread::Builder::new()
            .name(format!("member-{name}"))
            .spawn(move || run_member(consumer, &topic, &stop2, &sink))
            .expect("spawn member thread");
        Member {
            name: name.to_string(),
            stop,
            handle: Some(handle),
            log,
        }
    }

    /// Stops polling and closes the consumer (a clean leave), within a minute.
    fn close(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.handle.take() {
            if !finishes(&h, Duration::from_secs(60)) {
                panic!(
                    "member {} did not close within 60 s\n{}",
                    self.name,
                    self.log.tail(100)
                );
            }
            h.join().expect("member thread panicked");
        }
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.handle.take() {
            if finishes(&h, Duration::from_secs(30)) {
                let _ = h.join();
            }
        }
        if std::thread::panicking() {
            eprintln!(
                "----- librdkafka log of member {} (tail) -----\n{}",
                self.name,
                self.log.tail(150)
            );
        }
    }
}

/// A member running in a child process (this test binary, `group_child_consumer`), so it can
/// die without a LeaveGroup and without its heartbeat thread.
struct ChildMember {
    name: String,
    child: Option<Child>,
    reader: Option<JoinHandle<()>>,
    stderr: Arc<Mutex<Vec<u8>>>,
}

const CHILD_ENV: &str = "ARUS_GROUP_CHILD_BOOTSTRAP";

impl ChildMember {
    fn spawn(
        broker: &TestBroker,
        group: &str,
        name: &str,
        topic: &str,
        strategy: &str,
        journal: &Journal,
    ) -> ChildMember {
        let exe = std::env::current_exe().expect("current test binary");
        let mut cmd = Command::new(exe);
        cmd.args([
            "group_child_consumer",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, broker.bootstrap())
        .env("ARUS_GROUP_CHILD_GROUP", group)
        .env("ARUS_GROUP_CHILD_NAME", name)
        .env("ARUS_GROUP_CHILD_TOPIC", topic)
        .env("ARUS_GROUP_CHILD_STRATEGY", strategy)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        // SAFETY: prctl only touches the child's own state; the child dies with us.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let mut child = cmd.spawn().expect("spawn child consumer");
        let stdout = child.stdout.take().unwrap();
        let mut stderr_pipe = child.stderr.take().unwrap();
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let err_buf = stderr.clone();
        std::thread::spawn(move || {
            let mut chunk = [0u8; 8192];
            while let Ok(n) = stderr_pipe.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                let mut b = err_buf.lock().unwrap();
                b.extend_from_slice(&chunk[..n]);
                if b.len() > 4 << 20 {
                    b.drain(..1 << 20);
                }
            }
        });
        let journal = journal.clone();
        let member = name.to_string();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // libtest may print "test group_child_consumer ... " in front of the first line.
                let Some(i) = line.find("@@EV ") else {
                    continue;
                };
                let rest = &line[i + 5..];
                let (at, what) = rest.split_once(' ').expect("child event line");
                journal.push_at(at.parse().expect("timestamp"), &member, What::decode(what));
            }
        });
        ChildMember {
            name: name.to_string(),
            child: Some(child),
            reader: Some(reader),
            stderr,
        }
    }

    /// SIGKILL; records the member as gone once the process is reaped.
    fn kill(&mut self, journal: &Journal) {
        let mut child = self.child.take().expect("child already killed");
        child.kill().expect("SIGKILL child consumer");
        let status = child.wait().expect("reap child consumer");
        journal.push(&self.name, What::Gone);
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
        assert!(
            !status.success(),
            "child consumer exited by itself: {status}"
        );
    }

    fn stderr_tail(&self, max: usize) -> String {
        let b = self.stderr.lock().unwrap();
        let s = String::from_utf8_lossy(&b[b.len().saturating_sub(max)..]).into_owned();
        s
    }
}

impl Drop for ChildMember {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        if std::thread::panicking() {
            eprintln!(
                "----- stderr of child member {} (tail) -----\n{}",
                self.name,
                self.stderr_tail(12000)
            );
        }
    }
}

/// Not a test on its own: the consumer of a [`ChildMember`], run when this binary is
/// re-executed with `ARUS_GROUP_CHILD_*` set. Polls until killed.
#[test]
fn group_child_consumer() {
    let Ok(bootstrap) = std::env::var(CHILD_ENV) else {
        return;
    };
    let var = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k} not set"));
    let (group, name, topic, strategy) = (
        var("ARUS_GROUP_CHILD_GROUP"),
        var("ARUS_GROUP_CHILD_NAME"),
        var("ARUS_GROUP_CHILD_TOPIC"),
        var("ARUS_GROUP_CHILD_STRATEGY"),
    );
    let sink: Sink = Arc::new(|w: What| {
        let mut out = std::io::stdout().lock();
        writeln!(out, "@@EV {} {}", now_us(), w.encode()).expect("write event");
        out.flush().expect("flush event");
    });
    let mut config = member_config(&bootstrap, &group, &name, &strategy);
    config
        .set("session.timeout.ms", CHILD_SESSION_TIMEOUT_MS)
        .set("heartbeat.interval.ms", "300");
    let log = LogBuf::default();
    let consumer: BaseConsumer<Recorder> = config
        .create_with_context(Recorder {
            sink: sink.clone(),
            log: log.clone(),
        })
        .expect("create child consumer");
    // The log goes to stderr as it comes, for the parent's failure report.
    std::thread::spawn(move || {
        let mut shown = 0usize;
        loop {
            std::thread::sleep(Duration::from_millis(200));
            let lines = log.0.lock().unwrap().clone();
            let start = shown.min(lines.len());
            for l in &lines[start..] {
                eprintln!("{l}");
            }
            shown = lines.len();
        }
    });
    let never = AtomicBool::new(false);
    run_member(consumer, &topic, &never, &sink);
}

// ---------------------------------------------------------------------------------------------
// What the journal says about ownership.
// ---------------------------------------------------------------------------------------------

/// Which partitions each member owns after the events so far (members owning nothing are
/// left out).
fn ownership(events: &[Event]) -> BTreeMap<String, BTreeSet<i32>> {
    let mut owned: BTreeMap<String, BTreeSet<i32>> = BTreeMap::new();
    for e in events {
        let set = owned.entry(e.member.clone()).or_default();
        match &e.what {
            What::Assigned(ps) => set.extend(ps),
            What::Revoked(ps) => ps.iter().for_each(|p| {
                set.remove(p);
            }),
            What::Gone | What::RebalanceError(_) => set.clear(),
            _ => {}
        }
    }
    owned.retain(|_, s| !s.is_empty());
    owned
}

/// Ownership intervals [start, end) per (member, partition), in microseconds.
fn ownership_intervals(events: &[Event]) -> Vec<(String, i32, u64, u64)> {
    let mut open: BTreeMap<(String, i32), u64> = BTreeMap::new();
    let mut out = Vec::new();
    for e in events {
        let mut close = |p: i32, open: &mut BTreeMap<(String, i32), u64>| {
            if let Some(start) = open.remove(&(e.member.clone(), p)) {
                out.push((e.member.clone(), p, start, e.at_us));
            }
        };
        match &e.what {
            What::Assigned(ps) => {
                for p in ps {
                    open.entry((e.member.clone(), *p)).or_insert(e.at_us);
                }
            }
            What::Revoked(ps) => ps.iter().for_each(|p| close(*p, &mut open)),
            What::Gone | What::RebalanceError(_) => {
                let mine: Vec<i32> = open
                    .keys()
                    .filter(|(m, _)| *m == e.member)
                    .map(|(_, p)| *p)
                    .collect();
                mine.into_iter().for_each(|p| close(p, &mut open));
            }
            _ => {}
        }
    }
    for ((m, p), start) in open {
        out.push((m, p, start, u64::MAX));
    }
    out
}

/// Pairs of different members whose ownership of a partition overlapped in time.
fn ownership_overlaps(events: &[Event]) -> Vec<String> {
    let intervals = ownership_intervals(events);
    let mut bad = Vec::new();
    for (i, a) in intervals.iter().enumerate() {
        for b in &intervals[i + 1..] {
            if a.1 == b.1 && a.0 != b.0 && a.2 < b.3 && b.2 < a.3 {
                bad.push(format!(
                    "partition {}: {} owned it [{}, {}) and {} owned it [{}, {})",
                    a.1, a.0, a.2, a.3, b.0, b.2, b.3
                ));
            }
        }
    }
    bad
}

/// Records consumed by anyone: (partition, offset, value), with how often.
fn consumed(events: &[Event]) -> BTreeMap<(i32, i64, String), usize> {
    let mut out = BTreeMap::new();
    for e in events {
        if let What::Consumed {
            partition,
            offset,
            value,
        } = &e.what
        {
            *out.entry((*partition, *offset, value.clone())).or_insert(0) += 1;
        }
    }
    out
}

/// Every record a member consumed was in a partition it owned at the time (by its own
/// sequence of events).
fn consumed_outside_ownership(events: &[Event]) -> Vec<String> {
    let mut owned: BTreeMap<String, BTreeSet<i32>> = BTreeMap::new();
    let mut bad = Vec::new();
    for e in events {
        let set = owned.entry(e.member.clone()).or_default();
        match &e.what {
            What::Assigned(ps) => set.extend(ps),
            What::Revoked(ps) => ps.iter().for_each(|p| {
                set.remove(p);
            }),
            What::Gone | What::RebalanceError(_) => set.clear(),
            What::Consumed {
                partition, offset, ..
            } if !set.contains(partition) => bad.push(format!(
                "{} consumed {partition}@{offset} while owning {set:?}",
                e.member
            )),
            _ => {}
        }
    }
    bad
}

fn errors_seen(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match &e.what {
            What::ConsumeError(s) | What::RebalanceError(s) => Some(format!("{}: {s}", e.member)),
            _ => None,
        })
        .collect()
}

fn journal_dump(events: &[Event]) -> String {
    events
        .iter()
        .filter(|e| !matches!(e.what, What::Consumed { .. }))
        .map(|e| format!("{} {} {}", e.at_us, e.member, e.what.encode()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Waits until the members' ownership satisfies `ok` and DescribeGroups shows the group
/// Stable with exactly those members holding exactly those partitions; returns the ownership.
fn wait_for_assignment(
    broker: &TestBroker,
    journal: &Journal,
    group: &str,
    topic: &str,
    what: &str,
    ok: impl Fn(&BTreeMap<String, BTreeSet<i32>>) -> bool,
) -> BTreeMap<String, BTreeSet<i32>> {
    let deadline = Instant::now() + Duration::from_secs(45);
    let mut last_described = None;
    loop {
        let owned = ownership(&journal.events());
        if ok(&owned) {
            let d = describe_group(broker, group);
            let matches = d.as_ref().is_some_and(|d| {
                d.state == "Stable"
                    && d.members
                        .iter()
                        .map(|m| {
                            let parts: BTreeSet<i32> = m
                                .assignment
                                .iter()
                                .filter(|(t, _)| t == topic)
                                .flat_map(|(_, ps)| ps.iter().copied())
                                .collect();
                            (m.client_id.clone(), parts)
                        })
                        .collect::<BTreeMap<_, _>>()
                        == owned
            });
            if matches {
                return owned;
            }
            last_described = d;
        }
        if Instant::now() >= deadline {
            let events = journal.events();
            panic!(
                "timed out waiting for {what}: members own {:?}\nDescribeGroups: {last_described:#?}\n\
                 errors: {:?}\nevents:\n{}\n{}",
                ownership(&events),
                errors_seen(&events),
                journal_dump(&events),
                broker.stderr_tail(6000)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn sets(owned: &BTreeMap<String, BTreeSet<i32>>) -> BTreeSet<BTreeSet<i32>> {
    owned.values().cloned().collect()
}

fn set_of(groups: &[&[i32]]) -> BTreeSet<BTreeSet<i32>> {
    groups.iter().map(|g| g.iter().copied().collect()).collect()
}

fn partitions_owned(owned: &BTreeMap<String, BTreeSet<i32>>) -> Vec<i32> {
    let mut all: Vec<i32> = owned.values().flatten().copied().collect();
    all.sort();
    all
}

/// Produces keyed records on a thread, one every few milliseconds, until stopped; returns the
/// acknowledged (partition, offset, value) of each.
struct Stream {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<Vec<(i32, i64, String)>>>,
    produced: Arc<Mutex<usize>>,
}

impl Stream {
    fn start(broker: &TestBroker, topic: &str) -> Stream {
        let producer = broker.producer();
        let stop = Arc::new(AtomicBool::new(false));
        let produced = Arc::new(Mutex::new(0));
        let (stop2, produced2, topic) = (stop.clone(), produced.clone(), topic.to_string());
        let handle = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let mut out = Vec::new();
            let mut i = 0u64;
            while !stop2.load(Ordering::SeqCst) {
                let key = format!("key-{}", i % 50);
                let value = format!("value-{i}");
                let d = rt
                    .block_on(
                        producer.send(
                            FutureRecord::to(&topic)
                                .key(key.as_bytes())
                                .payload(value.as_bytes()),
                            CLIENT_TIMEOUT,
                        ),
                    )
                    .unwrap_or_else(|(e, _)| panic!("produce {value}: {e}"));
                out.push((d.partition, d.offset, value));
                *produced2.lock().unwrap() += 1;
                i += 1;
                std::thread::sleep(Duration::from_millis(15));
            }
            out
        });
        Stream {
            stop,
            handle: Some(handle),
            produced,
        }
    }

    fn count(&self) -> usize {
        *self.produced.lock().unwrap()
    }

    /// Waits until at least `n` more records than now are acknowledged.
    fn wait_more(&self, n: usize) {
        let target = self.count() + n;
        wait_until("the stream to produce more", CLIENT_TIMEOUT, || {
            self.count() >= target
        });
    }

    fn finish(mut self) -> Vec<(i32, i64, String)> {
        self.stop.store(true, Ordering::SeqCst);
        self.handle
            .take()
            .unwrap()
            .join()
            .expect("producer thread panicked")
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// The committed offsets of `group` for partitions 0..n of `topic`, as a fresh client reads
/// them (OffsetFetch), with their metadata.
fn committed(broker: &TestBroker, group: &str, topic: &str, n: i32) -> Vec<(i32, Offset, String)> {
    let c = broker.group_consumer(group, &[]);
    let mut tpl = TopicPartitionList::new();
    for p in 0..n {
        tpl.add_partition(topic, p);
    }
    let got = c
        .committed_offsets(tpl, CLIENT_TIMEOUT)
        .unwrap_or_else(|e| {
            panic!(
                "committed offsets of {group}: {e}\n{}",
                broker.stderr_tail(6000)
            )
        });
    let mut out: Vec<(i32, Offset, String)> = got
        .elements()
        .iter()
        .map(|e| (e.partition(), e.offset(), e.metadata().to_string()))
        .collect();
    out.sort_by_key(|e| e.0);
    out
}

// ---------------------------------------------------------------------------------------------
// Rebalancing under each assignor.
// ---------------------------------------------------------------------------------------------

fn rebalance_scenario(strategy: &str) {
    let broker = TestBroker::start_with(GROUP_BROKER);
    let topic = format!("rebalance-{strategy}");
    let group = format!("group-{strategy}");
    broker.create_topic(&topic, 4, &[]);
    let journal = Journal::default();
    let config = |name: &str| member_config(&broker.bootstrap(), &group, name, strategy);
    let all: Vec<i32> = (0..4).collect();

    // Two members split the topic: two partitions each.
    let mut a = Member::spawn(config("member-a"), "member-a", &topic, &journal);
    let mut crashing = ChildMember::spawn(&broker, &group, "member-c", &topic, strategy, &journal);
    let two = wait_for_assignment(&broker, &journal, &group, &topic, "two members", |o| {
        o.len() == 2 && o.values().all(|s| s.len() == 2) && partitions_owned(o) == all
    });
    assert_eq!(
        two.keys().collect::<Vec<_>>(),
        ["member-a", "member-c"],
        "members"
    );
    match strategy {
        "range" => assert_eq!(sets(&two), set_of(&[&[0, 1], &[2, 3]]), "range split"),
        "roundrobin" => assert_eq!(sets(&two), set_of(&[&[0, 2], &[1, 3]]), "roundrobin split"),
        _ => {}
    }

    // Records flow; a third member joins mid-stream: 2 + 1 + 1.
    let stream = Stream::start(&broker, &topic);
    stream.wait_more(40);
    let mut b = Member::spawn(config("member-b"), "member-b", &topic, &journal);
    let three = wait_for_assignment(&broker, &journal, &group, &topic, "three members", |o| {
        let mut sizes: Vec<usize> = o.values().map(|s| s.len()).collect();
        sizes.sort();
        o.len() == 3 && sizes == [1, 1, 2] && partitions_owned(o) == all
    });
    match strategy {
        "range" => assert_eq!(sets(&three), set_of(&[&[0, 1], &[2], &[3]]), "range split"),
        "roundrobin" => assert_eq!(sets(&three), set_of(&[&[0, 3], &[1], &[2]]), "roundrobin"),
        _ => {
            // Sticky: the two first members keep part of what they had.
            for m in ["member-a", "member-c"] {
                assert!(
                    three[m].is_subset(&two[m]),
                    "{m} moved from {:?} to {:?} (cooperative-sticky keeps partitions)",
                    two[m],
                    three[m]
                );
            }
        }
    }

    // The child member dies without leaving; after its session timeout the others take over.
    stream.wait_more(40);
    crashing.kill(&journal);
    let killed_at = Instant::now();
    let survivors = wait_for_assignment(&broker, &journal, &group, &topic, "takeover", |o| {
        o.len() == 2
            && !o.contains_key("member-c")
            && o.values().all(|s| s.len() == 2)
            && partitions_owned(o) == all
    });
    let takeover = killed_at.elapsed();
    match strategy {
        "range" => assert_eq!(sets(&survivors), set_of(&[&[0, 1], &[2, 3]]), "range split"),
        "roundrobin" => {
            assert_eq!(
                sets(&survivors),
                set_of(&[&[0, 2], &[1, 3]]),
                "roundrobin split"
            )
        }
        _ => {
            for m in ["member-a", "member-b"] {
                assert!(
                    three[m].is_subset(&survivors[m]),
                    "{m} moved from {:?} to {:?} (cooperative-sticky keeps partitions)",
                    three[m],
                    survivors[m]
                );
            }
        }
    }

    // The stream goes on a little, then stops; everything produced gets consumed.
    stream.wait_more(40);
    let produced = stream.finish();
    let expected: BTreeSet<(i32, i64, String)> = produced.iter().cloned().collect();
    assert_eq!(
        expected.len(),
        produced.len(),
        "acknowledged offsets are unique"
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let got = consumed(&journal.events());
        if expected.iter().all(|r| got.contains_key(r)) || Instant::now() >= deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    let hw: Vec<i64> = (0..4).map(|p| watermarks(&broker, &topic, p).1).collect();
    a.close();
    b.close();

    let events = journal.events();
    let got = consumed(&events);
    let got_set: BTreeSet<(i32, i64, String)> = got.keys().cloned().collect();
    let missing: Vec<_> = expected.difference(&got_set).collect();
    let unexpected: Vec<_> = got_set.difference(&expected).collect();
    let duplicates = got.values().filter(|n| **n > 1).count();
    let mut per_member: BTreeMap<&str, usize> = BTreeMap::new();
    for e in &events {
        if let What::Consumed { .. } = e.what {
            *per_member.entry(e.member.as_str()).or_insert(0) += 1;
        }
    }
    eprintln!(
        "{strategy}: {} records produced, {} deliveries ({duplicates} records more than once; \
         per member {per_member:?}), takeover after {takeover:?}",
        produced.len(),
        got.values().sum::<usize>()
    );
    // Each member, the crashed one included, really consumed part of the stream.
    assert_eq!(
        per_member.keys().copied().collect::<Vec<_>>(),
        ["member-a", "member-b", "member-c"],
        "members that consumed records: {per_member:?}"
    );
    assert!(
        missing.is_empty() && unexpected.is_empty(),
        "{strategy}: {} produced records never consumed (first: {:?}), {} consumed records never \
         produced (first: {:?})\nerrors: {:?}\nevents:\n{}",
        missing.len(),
        missing.iter().take(10).collect::<Vec<_>>(),
        unexpected.len(),
        unexpected.iter().take(10).collect::<Vec<_>>(),
        errors_seen(&events),
        journal_dump(&events)
    );
    let mut per_partition = [0i64; 4];
    for (p, _, _) in &produced {
        per_partition[*p as usize] += 1;
    }
    assert_eq!(
        hw,
        per_partition.to_vec(),
        "end offsets = records produced per partition"
    );
    assert!(
        per_partition.iter().all(|n| *n > 0),
        "keyed records reach every partition: {per_partition:?}"
    );

    // No two live members ever owned the same partition.
    let overlaps = ownership_overlaps(&events);
    assert!(
        overlaps.is_empty(),
        "{strategy}: partitions owned by two members at once:\n{}\nevents:\n{}",
        overlaps.join("\n"),
        journal_dump(&events)
    );
    let outside = consumed_outside_ownership(&events);
    assert!(outside.is_empty(), "{strategy}: {outside:?}");
    assert_eq!(
        ownership(&events),
        BTreeMap::new(),
        "nobody owns anything after closing"
    );

    // The last commits (on close) are the end offsets; the group is empty.
    assert_eq!(
        committed(&broker, &group, &topic, 4)
            .into_iter()
            .map(|(p, o, _)| (p, o))
            .collect::<Vec<_>>(),
        (0..4)
            .map(|p| (p, Offset::Offset(hw[p as usize])))
            .collect::<Vec<_>>(),
        "committed offsets after the members closed"
    );
    let d = describe_group(&broker, &group).expect("group still listed (it has offsets)");
    assert_eq!(
        (d.state.as_str(), d.members.len()),
        ("Empty", 0),
        "group after the members closed: {d:?}"
    );
}

#[test]
fn rebalance_range() {
    rebalance_scenario("range");
}

#[test]
fn rebalance_roundrobin() {
    rebalance_scenario("roundrobin");
}

#[test]
fn rebalance_cooperative_sticky() {
    rebalance_scenario("cooperative-sticky");
}

// ---------------------------------------------------------------------------------------------
// Committed offsets.
// ---------------------------------------------------------------------------------------------

/// 10 records in each of two partitions: "p{partition}-{i}".
fn two_partitions_of_ten(broker: &TestBroker, topic: &str) {
    broker.create_topic(topic, 2, &[]);
    let producer = broker.producer();
    for p in 0..2 {
        for i in 0..10 {
            assert_eq!(send_kv(&producer, topic, p, "k", &format!("p{p}-{i}")), i);
        }
    }
}

fn commit_tpl(topic: &str, offsets: &[(i32, i64, &str)]) -> TopicPartitionList {
    let mut tpl = TopicPartitionList::new();
    for (p, o, m) in offsets {
        let mut e = tpl.add_partition(topic, *p);
        e.set_offset(Offset::Offset(*o)).unwrap();
        if !m.is_empty() {
            e.set_metadata(m);
        }
    }
    tpl
}

fn resume_after_restart(crash: bool) {
    let mut broker = TestBroker::start_with(GROUP_BROKER);
    let topic = "resume";
    let group = "resume-group";
    two_partitions_of_ten(&broker, topic);

    let first = broker.group_consumer(group, &[("client.id", "first-run")]);
    first.subscribe(&[topic]).unwrap();
    let got = poll_n(&first, 20, CLIENT_TIMEOUT);
    assert_eq!(got.len(), 20);
    first
        .commit(
            &commit_tpl(topic, &[(0, 4, "after p0-3"), (1, 7, "after p1-6")]),
            CommitMode::Sync,
        )
        .unwrap_or_else(|e| panic!("commit: {e}\n{}", broker.stderr_tail(6000)));
    drop(first);
    let want = vec![
        (0, Offset::Offset(4), "after p0-3".to_string()),
        (1, Offset::Offset(7), "after p1-6".to_string()),
    ];
    assert_eq!(committed(&broker, group, topic, 2), want, "before restart");

    if crash {
        broker.kill();
    } else {
        broker.stop();
    }
    broker.restart();
    assert_eq!(committed(&broker, group, topic, 2), want, "after restart");

    let second = broker.group_consumer(group, &[("client.id", "second-run")]);
    second.subscribe(&[topic]).unwrap();
    let got = poll_n(&second, 9, CLIENT_TIMEOUT);
    let extra = poll_for(&second, Duration::from_millis(1500));
    let firsts: Vec<(i32, i64)> = (0..2)
        .map(|p| {
            let m = got
                .iter()
                .find(|m| m.partition == p)
                .unwrap_or_else(|| panic!("nothing consumed from partition {p}: {got:?}"));
            (p, m.offset)
        })
        .collect();
    assert_eq!(
        firsts,
        vec![(0, 4), (1, 7)],
        "first offsets consumed after restart"
    );
    let mut seen: Vec<(i32, i64, String)> = got
        .iter()
        .chain(&extra)
        .map(|m| (m.partition, m.offset, m.value_str().to_string()))
        .collect();
    seen.sort();
    let expected: Vec<(i32, i64, String)> = (4..10)
        .map(|i| (0, i, format!("p0-{i}")))
        .chain((7..10).map(|i| (1, i, format!("p1-{i}"))))
        .collect();
    assert_eq!(seen, expected, "records consumed after the restart");
}

#[test]
fn committed_offsets_survive_restart() {
    resume_after_restart(false);
}

#[test]
fn committed_offsets_survive_crash() {
    resume_after_restart(true);
}

#[test]
fn manual_commit_metadata_round_trips() {
    let broker = TestBroker::start_with(GROUP_BROKER);
    let topic = "meta";
    two_partitions_of_ten(&broker, topic);
    let group = "meta-group";
    let c = broker.group_consumer(group, &[]);
    c.subscribe(&[topic]).unwrap();
    poll_n(&c, 20, CLIENT_TIMEOUT);
    let metadata = "checkpoint: batch 3 — café ✓";
    c.commit(
        &commit_tpl(topic, &[(0, 3, metadata), (1, 10, "")]),
        CommitMode::Sync,
    )
    .unwrap_or_else(|e| panic!("commit: {e}\n{}", broker.stderr_tail(6000)));
    // The committing member reads it back, and so does any other client of the group.
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition(topic, 0);
    tpl.add_partition(topic, 1);
    let own = c.committed_offsets(tpl, CLIENT_TIMEOUT).unwrap();
    let own: Vec<(i32, Offset, String)> = own
        .elements()
        .iter()
        .map(|e| (e.partition(), e.offset(), e.metadata().to_string()))
        .collect();
    let want = vec![
        (0, Offset::Offset(3), metadata.to_string()),
        (1, Offset::Offset(10), String::new()),
    ];
    assert_eq!(own, want, "committed_offsets of the committing consumer");
    assert_eq!(
        committed(&broker, group, topic, 2),
        want,
        "from another client"
    );
    // And on the wire (OffsetFetch v5).
    let mut conn = RawConn::connect(&broker);
    assert_eq!(
        conn.offset_fetch(group, topic, &[0, 1]),
        (
            NONE,
            vec![
                (0, 3, Some(metadata.to_string()), NONE),
                (1, 10, Some(String::new()), NONE)
            ]
        )
    );
    // A later commit replaces offset and metadata.
    c.commit(&commit_tpl(topic, &[(0, 5, "second")]), CommitMode::Sync)
        .unwrap();
    assert_eq!(
        committed(&broker, group, topic, 2),
        vec![
            (0, Offset::Offset(5), "second".to_string()),
            (1, Offset::Offset(10), String::new())
        ]
    );
}

#[test]
fn assigned_consumers_commit_without_joining() {
    let broker = TestBroker::start_with(GROUP_BROKER);
    let topic = "simple";
    two_partitions_of_ten(&broker, topic);
    let group = "simple-group";

    // assign(), not subscribe(): no JoinGroup; commits carry generation -1 and no member id.
    let c = broker.group_consumer(group, &[]);
    assign(&c, topic, &[(0, Offset::Beginning), (1, Offset::Beginning)]);
    let got = poll_n(&c, 20, CLIENT_TIMEOUT);
    assert_eq!(got.len(), 20);
    c.commit(
        &commit_tpl(topic, &[(0, 3, "simple"), (1, 8, "")]),
        CommitMode::Sync,
    )
    .unwrap_or_else(|e| panic!("simple commit: {e}\n{}", broker.stderr_tail(6000)));
    // Current position of everything consumed, via commit_consumer_state: 10 and 10.
    let other_group = "simple-group-2";
    let c2 = broker.group_consumer(other_group, &[("enable.auto.offset.store", "true")]);
    assign(
        &c2,
        topic,
        &[(0, Offset::Offset(6)), (1, Offset::Beginning)],
    );
    let got2 = poll_n(&c2, 14, CLIENT_TIMEOUT);
    assert_eq!(got2.len(), 14);
    c2.commit_consumer_state(CommitMode::Sync)
        .unwrap_or_else(|e| panic!("commit_consumer_state: {e}"));

    assert_eq!(
        committed(&broker, group, topic, 2),
        vec![
            (0, Offset::Offset(3), "simple".to_string()),
            (1, Offset::Offset(8), String::new())
        ]
    );
    assert_eq!(
        committed(&broker, other_group, topic, 2)
            .into_iter()
            .map(|(p, o, _)| (p, o))
            .collect::<Vec<_>>(),
        vec![(0, Offset::Offset(10)), (1, Offset::Offset(10))]
    );
    let mut conn = RawConn::connect(&broker);
    assert_eq!(
        conn.offset_fetch(group, topic, &[0, 1]),
        (
            NONE,
            vec![
                (0, 3, Some("simple".into()), NONE),
                (1, 8, Some(String::new()), NONE)
            ]
        )
    );
    // Groups with only offsets are listed, Empty, without members.
    let d = describe_group(&broker, group).expect("simple-commit group listed");
    assert_eq!((d.state.as_str(), d.members.len()), ("Empty", 0), "{d:?}");
    let names: Vec<String> = describe_groups(&broker, None)
        .into_iter()
        .map(|g| g.name)
        .collect();
    assert_eq!(names, [group, other_group]);

    // A subscribing member of the group starts where the simple commits left off.
    drop(c);
    let sub = broker.group_consumer(group, &[]);
    sub.subscribe(&[topic]).unwrap();
    let got = poll_n(&sub, 9, CLIENT_TIMEOUT);
    let mut seen: Vec<(i32, i64)> = got.iter().map(|m| (m.partition, m.offset)).collect();
    seen.sort();
    let expected: Vec<(i32, i64)> = (3..10)
        .map(|o| (0, o))
        .chain((8..10).map(|o| (1, o)))
        .collect();
    assert_eq!(seen, expected);
    assert!(poll_for(&sub, Duration::from_millis(1000)).is_empty());
}

/// Waits until every record of `expected` was consumed by some member.
fn wait_consumed(journal: &Journal, expected: &BTreeSet<(i32, i64, String)>, broker: &TestBroker) {
    let deadline = Instant::now() + Duration::from_secs(45);
    loop {
        let events = journal.events();
        let got = consumed(&events);
        let missing: Vec<_> = expected.iter().filter(|r| !got.contains_key(*r)).collect();
        if missing.is_empty() {
            return;
        }
        if Instant::now() >= deadline {
            panic!(
                "{} records never consumed (first: {:?})\nerrors: {:?}\nevents:\n{}\n{}",
                missing.len(),
                missing.iter().take(10).collect::<Vec<_>>(),
                errors_seen(&events),
                journal_dump(&events),
                broker.stderr_tail(6000)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn members_keep_consuming_across_broker_restart() {
    let mut broker = TestBroker::start_with(GROUP_BROKER);
    let topic = "survivors";
    let group = "survivor-group";
    broker.create_topic(topic, 2, &[]);
    let journal = Journal::default();
    let config = |name: &str| member_config(&broker.bootstrap(), group, name, "range");
    let mut a = Member::spawn(config("member-a"), "member-a", topic, &journal);
    let mut b = Member::spawn(config("member-b"), "member-b", topic, &journal);
    let is_split = |o: &BTreeMap<String, BTreeSet<i32>>| {
        o.len() == 2 && o.values().all(|s| s.len() == 1) && partitions_owned(o) == [0, 1]
    };
    wait_for_assignment(&broker, &journal, group, topic, "two members", is_split);

    let before = Stream::start(&broker, topic);
    before.wait_more(60);
    let before: BTreeSet<(i32, i64, String)> = before.finish().into_iter().collect();
    wait_consumed(&journal, &before, &broker);
    // Auto commits run every 200 ms; let the last one land.
    std::thread::sleep(Duration::from_secs(1));

    broker.stop();
    broker.restart();

    let after = Stream::start(&broker, topic);
    after.wait_more(60);
    let after: BTreeSet<(i32, i64, String)> = after.finish().into_iter().collect();
    wait_consumed(&journal, &after, &broker);
    wait_for_assignment(
        &broker,
        &journal,
        group,
        topic,
        "the group after the restart",
        is_split,
    );
    let hw: Vec<i64> = (0..2).map(|p| watermarks(&broker, topic, p).1).collect();
    a.close();
    b.close();

    let events = journal.events();
    let got = consumed(&events);
    let all: BTreeSet<_> = before.union(&after).cloned().collect();
    assert_eq!(
        got.keys().cloned().collect::<BTreeSet<_>>(),
        all,
        "records consumed = records produced"
    );
    // What was committed before the restart is not delivered again after it.
    let again: Vec<_> = before.iter().filter(|r| got[*r] > 1).collect();
    assert!(
        again.is_empty(),
        "records committed before the restart were delivered again: {:?}\nevents:\n{}",
        again.iter().take(10).collect::<Vec<_>>(),
        journal_dump(&events)
    );
    assert_eq!(
        committed(&broker, group, topic, 2)
            .into_iter()
            .map(|(p, o, _)| (p, o))
            .collect::<Vec<_>>(),
        vec![(0, Offset::Offset(hw[0])), (1, Offset::Offset(hw[1]))]
    );
}

/// KIP-345: a static member (group.instance.id) that closes (no LeaveGroup) and comes back
/// within its session timeout gets its partitions back, and the other member sees no
/// rebalance. Done for both members in turn (the first to join leads the group).
#[test]
fn static_members_rejoin_without_rebalance() {
    let broker = TestBroker::start_with(GROUP_BROKER);
    let topic = "static";
    let group = "static-group";
    broker.create_topic(topic, 4, &[]);
    let journal = Journal::default();
    let spawn = |name: &str| {
        let mut c = member_config(&broker.bootstrap(), group, name, "range");
        c.set("group.instance.id", format!("instance-{name}"));
        Member::spawn(c, name, topic, &journal)
    };
    let mut members = BTreeMap::new();
    members.insert("static-1", spawn("static-1"));
    wait_for_assignment(&broker, &journal, group, topic, "the first member", |o| {
        o.len() == 1
    });
    members.insert("static-2", spawn("static-2"));
    let split = wait_for_assignment(&broker, &journal, group, topic, "two members", |o| {
        o.len() == 2 && o.values().all(|s| s.len() == 2) && partitions_owned(o) == [0, 1, 2, 3]
    });
    let member_ids = |broker: &TestBroker| -> BTreeMap<String, String> {
        describe_group(broker, group)
            .expect("static group described")
            .members
            .into_iter()
            .map(|m| (m.client_id, m.member_id))
            .collect()
    };
    let mut ids = member_ids(&broker);

    for (bouncing, other) in [("static-1", "static-2"), ("static-2", "static-1")] {
        let other_events = |events: &[Event]| {
            events
                .iter()
                .filter(|e| e.member == other && !matches!(e.what, What::Consumed { .. }))
                .count()
        };
        let other_before = other_events(&journal.events());
        members.get_mut(bouncing).unwrap().close();
        // Still a member of the group: static members do not leave on close.
        let d = describe_group(&broker, group).unwrap();
        assert_eq!(
            (d.state.as_str(), d.members.len()),
            ("Stable", 2),
            "after {bouncing} closed: {d:?}"
        );
        members.insert(bouncing, spawn(bouncing));
        let back = wait_for_assignment(&broker, &journal, group, topic, "the static rejoin", |o| {
            o.get(bouncing) == split.get(bouncing) && o.get(other) == split.get(other)
        });
        assert_eq!(back, split, "assignment after {bouncing} came back");
        let events = journal.events();
        assert_eq!(
            other_events(&events),
            other_before,
            "{other} saw a rebalance when {bouncing} came back:\n{}",
            journal_dump(&events)
        );
        let now = member_ids(&broker);
        assert_ne!(
            now[bouncing], ids[bouncing],
            "{bouncing} rejoined with a new member id"
        );
        assert_eq!(now[other], ids[other], "{other} kept its member id");
        ids = now;
    }
    for m in members.values_mut() {
        m.close();
    }
}

/// Kafka drops a group's offsets of a topic when the topic is deleted: a topic created again
/// under the same name is read from the start, not from the old topic's commits.
#[test]
fn offsets_of_a_deleted_topic_are_dropped() {
    let broker = TestBroker::start_with(GROUP_BROKER);
    let topic = "recreated";
    let group = "recreated-group";
    two_partitions_of_ten(&broker, topic);
    let c = broker.group_consumer(group, &[]);
    c.commit(
        &commit_tpl(topic, &[(0, 7, "old"), (1, 9, "old")]),
        CommitMode::Sync,
    )
    .unwrap_or_else(|e| panic!("commit: {e}"));
    drop(c);
    assert_eq!(
        committed(&broker, group, topic, 2)
            .into_iter()
            .map(|(p, o, _)| (p, o))
            .collect::<Vec<_>>(),
        vec![(0, Offset::Offset(7)), (1, Offset::Offset(9))]
    );

    let admin = broker.admin();
    let r = block_on(admin.delete_topics(&[topic], &admin_opts())).expect("DeleteTopics");
    assert_eq!(r, vec![Ok(topic.to_string())]);
    let mut conn = RawConn::connect(&broker);
    wait_until("the deleted topic's offsets to go", CLIENT_TIMEOUT, || {
        conn.offset_fetch_all(group) == (NONE, vec![])
    });

    two_partitions_of_ten(&broker, topic);
    let sub = broker.group_consumer(group, &[]);
    sub.subscribe(&[topic]).unwrap();
    let got = poll_n(&sub, 20, CLIENT_TIMEOUT);
    let mut seen: Vec<(i32, i64)> = got.iter().map(|m| (m.partition, m.offset)).collect();
    seen.sort();
    assert_eq!(
        seen,
        (0..2)
            .flat_map(|p| (0..10).map(move |o| (p, o)))
            .collect::<Vec<_>>(),
        "the new topic is read from its start"
    );
}

// ---------------------------------------------------------------------------------------------
// Admin: ListGroups, DescribeGroups, DeleteGroups.
// ---------------------------------------------------------------------------------------------

#[test]
fn list_describe_and_delete_groups() {
    let broker = TestBroker::start_with(GROUP_BROKER);
    let topic = "admin-groups";
    two_partitions_of_ten(&broker, topic);
    let group = "admin-group";
    let journal = Journal::default();
    let config = |name: &str| member_config(&broker.bootstrap(), group, name, "range");
    let mut a = Member::spawn(config("admin-a"), "admin-a", topic, &journal);
    let mut b = Member::spawn(config("admin-b"), "admin-b", topic, &journal);
    let owned = wait_for_assignment(&broker, &journal, group, topic, "two members", |o| {
        o.len() == 2 && partitions_owned(o) == [0, 1]
    });
    assert_eq!(sets(&owned), set_of(&[&[0], &[1]]));
    wait_until("all 20 records consumed", CLIENT_TIMEOUT, || {
        consumed(&journal.events()).len() == 20
    });

    let d = describe_group(&broker, group).expect("group described");
    assert_eq!(
        (
            d.state.as_str(),
            d.protocol_type.as_str(),
            d.protocol.as_str()
        ),
        ("Stable", "consumer", "range")
    );
    assert_eq!(
        d.members
            .iter()
            .map(|m| m.client_id.as_str())
            .collect::<Vec<_>>(),
        ["admin-a", "admin-b"]
    );
    let ids: BTreeSet<&str> = d.members.iter().map(|m| m.member_id.as_str()).collect();
    assert_eq!(ids.len(), 2, "distinct member ids: {d:?}");
    assert!(ids.iter().all(|id| !id.is_empty()), "{d:?}");
    for m in &d.members {
        assert_eq!(
            m.assignment,
            vec![(
                topic.to_string(),
                owned[&m.client_id].iter().copied().collect()
            )],
            "assignment of {}",
            m.client_id
        );
        assert!(
            m.client_host.contains("127.0.0.1"),
            "client host {:?}",
            m.client_host
        );
    }
    // ListGroups lists it (and nothing else exists on this broker).
    let listed = describe_groups(&broker, None);
    assert_eq!(listed, vec![d.clone()]);

    // A group with members cannot be deleted.
    let admin = broker.admin();
    let r = block_on(admin.delete_groups(&[group], &admin_opts())).expect("DeleteGroups");
    assert_eq!(
        r,
        vec![Err((group.to_string(), RDKafkaErrorCode::NonEmptyGroup))]
    );
    assert_eq!(describe_group(&broker, group).unwrap().members.len(), 2);

    // Once they left it can, and its offsets go with it.
    a.close();
    b.close();
    assert_eq!(
        committed(&broker, group, topic, 2)
            .into_iter()
            .map(|(p, o, _)| (p, o))
            .collect::<Vec<_>>(),
        vec![(0, Offset::Offset(10)), (1, Offset::Offset(10))],
        "commits on close"
    );
    let d = describe_group(&broker, group).expect("empty group still listed");
    assert_eq!((d.state.as_str(), d.members.len()), ("Empty", 0));
    let r = block_on(admin.delete_groups(&[group, "never-existed"], &admin_opts()))
        .expect("DeleteGroups");
    assert_eq!(
        r,
        vec![
            Ok(group.to_string()),
            Err((
                "never-existed".to_string(),
                RDKafkaErrorCode::GroupIdNotFound
            ))
        ]
    );
    assert_eq!(
        describe_groups(&broker, None),
        vec![],
        "no groups after delete"
    );
    let mut conn = RawConn::connect(&broker);
    assert_eq!(
        conn.offset_fetch(group, topic, &[0, 1]),
        (
            NONE,
            vec![
                (0, -1, Some(String::new()), NONE),
                (1, -1, Some(String::new()), NONE)
            ]
        ),
        "offsets of the deleted group"
    );
    // A new member of the same group id starts from scratch.
    let again = broker.group_consumer(group, &[]);
    again.subscribe(&[topic]).unwrap();
    assert_eq!(poll_n(&again, 20, CLIENT_TIMEOUT).len(), 20);
}

// ---------------------------------------------------------------------------------------------
// Bad input: Kafka's error codes for group requests (hand-built requests).
// ---------------------------------------------------------------------------------------------

#[test]
fn group_requests_get_kafka_error_codes() {
    let broker = TestBroker::start_with(GROUP_BROKER);
    let topic = "raw-groups";
    broker.create_topic(topic, 1, &[]);
    let group = "raw-group";
    let mut conn = RawConn::connect(&broker);

    // An empty group id is invalid.
    let r = conn.join_group("", "", 10_000, &[topic]);
    assert_eq!(
        r.error, INVALID_GROUP_ID,
        "JoinGroup with group id \"\": {r:?}"
    );
    // A session timeout below group.min.session.timeout.ms (1000 here) is refused.
    let r = conn.join_group(group, "", 500, &[topic]);
    assert_eq!(
        r.error, INVALID_SESSION_TIMEOUT,
        "JoinGroup, 500 ms session: {r:?}"
    );

    // v4+: a first join without a member id gets MEMBER_ID_REQUIRED and the id to use.
    let r = conn.join_group(group, "", 10_000, &[topic]);
    assert_eq!(r.error, MEMBER_ID_REQUIRED, "{r:?}");
    assert!(
        !r.member_id.is_empty(),
        "MEMBER_ID_REQUIRED carries a member id: {r:?}"
    );
    assert_eq!(r.generation, -1, "{r:?}");
    let member = r.member_id.clone();

    // Joining with it makes this member the leader of generation 1.
    let r = conn.join_group(group, &member, 10_000, &[topic]);
    let subscription = encode_consumer_subscription(&[topic]);
    assert_eq!(
        r,
        JoinGroupResponse {
            error: NONE,
            generation: 1,
            protocol_name: "range".into(),
            leader: member.clone(),
            member_id: member.clone(),
            members: vec![(member.clone(), subscription.clone())],
        }
    );
    let assignment = encode_consumer_assignment(&[(topic, &[0])]);
    assert_eq!(
        conn.sync_group(group, 1, &member, &[(member.as_str(), assignment.clone())]),
        (NONE, assignment.clone()),
        "leader's SyncGroup"
    );

    // Someone who is not a member cannot sync or heartbeat.
    let mut other = RawConn::connect(&broker);
    let r = other.join_group(group, "who-is-this", 10_000, &[topic]);
    assert_eq!(
        r.error, UNKNOWN_MEMBER_ID,
        "JoinGroup with an unknown member id: {r:?}"
    );
    // Joins whose protocols the group cannot use.
    let r = other.join_group_with(
        group,
        "",
        10_000,
        "connect",
        &[("range", subscription.clone())],
    );
    assert_eq!(
        r.error, INCONSISTENT_GROUP_PROTOCOL,
        "protocol type connect: {r:?}"
    );
    let r = other.join_group_with(
        group,
        "",
        10_000,
        "consumer",
        &[("roundrobin", subscription.clone())],
    );
    assert_eq!(
        r.error, INCONSISTENT_GROUP_PROTOCOL,
        "protocol roundrobin: {r:?}"
    );
    assert_eq!(
        other.sync_group(group, 1, "not-a-member", &[]).0,
        UNKNOWN_MEMBER_ID,
        "SyncGroup from a non-member"
    );
    assert_eq!(other.heartbeat(group, 1, "not-a-member"), UNKNOWN_MEMBER_ID);
    assert_eq!(conn.heartbeat(group, 1, &member), NONE);

    // A commit in generation 1.
    assert_eq!(
        conn.offset_commit(group, 1, &member, topic, &[(0, 5, "gen-1")]),
        vec![(0, NONE)]
    );
    // A commit for a topic that does not exist.
    assert_eq!(
        conn.offset_commit(group, 1, &member, "no-such-topic", &[(0, 1, "")]),
        vec![(0, UNKNOWN_TOPIC_OR_PARTITION)]
    );
    // The group is subscribed to the topic: its offsets cannot be deleted.
    assert_eq!(
        conn.offset_delete(group, topic, &[0]),
        (NONE, vec![(0, GROUP_SUBSCRIBED_TO_TOPIC)])
    );

    // The leader rejoins: generation 2.
    let r = conn.join_group(group, &member, 10_000, &[topic]);
    assert_eq!(
        (r.error, r.generation, r.leader.as_str()),
        (NONE, 2, member.as_str()),
        "{r:?}"
    );
    assert_eq!(
        conn.sync_group(group, 2, &member, &[(member.as_str(), assignment.clone())]),
        (NONE, assignment)
    );

    // Generation 1 is stale now: commits and heartbeats with it are refused, and the
    // committed offset stays as it was.
    assert_eq!(
        conn.offset_commit(group, 1, &member, topic, &[(0, 9, "stale")]),
        vec![(0, ILLEGAL_GENERATION)],
        "OffsetCommit with a stale generation"
    );
    assert_eq!(conn.heartbeat(group, 1, &member), ILLEGAL_GENERATION);
    assert_eq!(
        conn.offset_fetch(group, topic, &[0]),
        (NONE, vec![(0, 5, Some("gen-1".into()), NONE)]),
        "OffsetFetch after the stale commit"
    );
    assert_eq!(
        conn.offset_fetch_all(group),
        (
            NONE,
            vec![(topic.to_string(), 0, 5, Some("gen-1".into()), NONE)]
        ),
        "OffsetFetch of all topics"
    );
    // An unknown member's commit is refused too.
    assert_eq!(
        other.offset_commit(group, 2, "not-a-member", topic, &[(0, 9, "")]),
        vec![(0, UNKNOWN_MEMBER_ID)]
    );
    assert_eq!(conn.heartbeat(group, 2, &member), NONE);

    let d = describe_group(&broker, group).expect("raw group described");
    assert_eq!(
        (d.state.as_str(), d.protocol.as_str(), d.members.len()),
        ("Stable", "range", 1)
    );
    assert_eq!(d.members[0].member_id, member);
    assert_eq!(d.members[0].client_id, "arus-e2e-raw");
    assert_eq!(d.members[0].assignment, vec![(topic.to_string(), vec![0])]);

    // Leaving empties the group; the member id is then unknown.
    assert_eq!(conn.leave_group(group, &member), (NONE, Some(NONE)));
    assert_eq!(conn.heartbeat(group, 2, &member), UNKNOWN_MEMBER_ID);
    let d = describe_group(&broker, group).expect("empty group still listed");
    assert_eq!((d.state.as_str(), d.members.len()), ("Empty", 0));

    // Now the offsets can be deleted.
    assert_eq!(
        conn.offset_delete(group, topic, &[0]),
        (NONE, vec![(0, NONE)])
    );
    assert_eq!(
        conn.offset_fetch(group, topic, &[0]),
        (NONE, vec![(0, -1, Some(String::new()), NONE)])
    );
    assert_eq!(
        conn.delete_groups(&[group, "never-existed"]),
        vec![
            (group.to_string(), NONE),
            ("never-existed".to_string(), GROUP_ID_NOT_FOUND)
        ]
    );
}
