//! Shared harness for the end-to-end tests: runs the real `arus` binary as a child process
//! on an ephemeral port with its own temporary data directory, and builds rdkafka clients
//! pointed at it.
//!
//! Every test file includes this module with `mod common;`; not every file uses every
//! helper, hence the `dead_code` allowance.
#![allow(dead_code)]

pub mod cli;

use std::collections::HashMap;
use std::future::Future;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::producer::future_producer::Delivery;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};

/// How long a broker gets to print its ready line.
pub const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a clean shutdown may take.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(30);
/// A generous bound for anything a client waits for.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(30);

const READY_PREFIX: &str = "arus: listening on ";

/// One run of the broker process and the threads draining its output.
struct Run {
    child: Child,
    stdout_lines: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    readers: Vec<JoinHandle<()>>,
}

/// A broker child process with its own data directory. Dropping it kills the process.
pub struct TestBroker {
    data: tempfile::TempDir,
    log_dir: PathBuf,
    port: u16,
    overrides: Vec<String>,
    run: Option<Run>,
    /// stderr of earlier runs (kept for failure reports).
    old_stderr: Vec<String>,
    /// stdout lines of the last finished run.
    last_stdout: Vec<String>,
}

impl TestBroker {
    /// Starts a broker with default settings on an ephemeral port.
    pub fn start() -> TestBroker {
        TestBroker::start_with(&[])
    }

    /// Starts a broker with extra `--override key=value` settings.
    pub fn start_with(overrides: &[&str]) -> TestBroker {
        let data = tempfile::Builder::new()
            .prefix("arus-e2e-")
            .tempdir()
            .expect("create temp dir");
        let log_dir = data.path().join("data");
        std::fs::create_dir_all(&log_dir).expect("create log dir");
        let mut broker = TestBroker {
            data,
            log_dir,
            port: 0,
            overrides: overrides.iter().map(|s| s.to_string()).collect(),
            run: None,
            old_stderr: Vec::new(),
            last_stdout: Vec::new(),
        };
        let port = broker.launch(0).unwrap_or_else(|e| panic!("{e}"));
        broker.port = port;
        broker
    }

    /// The `host:port` clients bootstrap from.
    pub fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The port the broker listens on (the same across restarts).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The broker's `log.dirs` directory.
    pub fn log_dir(&self) -> &Path {
        &self.log_dir
    }

    /// The directory of one partition's log.
    pub fn partition_dir(&self, topic: &str, partition: i32) -> PathBuf {
        self.log_dir.join(format!("{topic}-{partition}"))
    }

    /// The first segment file of one partition.
    pub fn first_segment(&self, topic: &str, partition: i32) -> PathBuf {
        self.partition_dir(topic, partition)
            .join("00000000000000000000.log")
    }

    /// The process id of the running broker.
    pub fn pid(&self) -> u32 {
        self.run.as_ref().expect("broker is not running").child.id()
    }

    /// Whether the broker process is still alive.
    pub fn is_running(&mut self) -> bool {
        match self.run.as_mut() {
            None => false,
            Some(run) => matches!(run.child.try_wait(), Ok(None)),
        }
    }

    /// Everything the broker wrote to stderr, over all its runs.
    pub fn stderr(&self) -> String {
        let mut out = String::new();
        for (i, s) in self.old_stderr.iter().enumerate() {
            out.push_str(&format!("----- broker run {} stderr -----\n{s}", i + 1));
        }
        if let Some(run) = &self.run {
            out.push_str(&format!(
                "----- broker run {} stderr -----\n{}",
                self.old_stderr.len() + 1,
                String::from_utf8_lossy(&run.stderr.lock().unwrap())
            ));
        }
        out
    }

    /// The last `max` bytes of [`TestBroker::stderr`], for assertion messages.
    pub fn stderr_tail(&self, max: usize) -> String {
        let s = self.stderr();
        if s.len() <= max {
            return s;
        }
        let mut start = s.len() - max;
        while !s.is_char_boundary(start) {
            start += 1;
        }
        format!("[...]\n{}", &s[start..])
    }

    /// Clean shutdown: SIGTERM, then wait for the process to exit. Asserts that it exits with
    /// status 0 within [`STOP_TIMEOUT`] and that its stdout held exactly the ready line.
    pub fn stop(&mut self) {
        let port = self.port;
        let status = self.signal_and_wait(libc::SIGTERM, STOP_TIMEOUT);
        let Some(status) = status else {
            let tail = self.stderr_tail(8000);
            panic!("broker did not exit within {STOP_TIMEOUT:?} of SIGTERM\n{tail}");
        };
        let lines = self.last_stdout.clone();
        assert!(
            status.success(),
            "broker exited with {status} after SIGTERM (expected a clean exit 0)\n{}",
            self.stderr_tail(8000)
        );
        assert_eq!(
            lines,
            vec![format!("{READY_PREFIX}PLAINTEXT://127.0.0.1:{port}")],
            "broker stdout should hold exactly one ready line per listener"
        );
    }

    /// Crash: SIGKILL, then wait for the process to be gone.
    pub fn kill(&mut self) {
        let status = self.signal_and_wait(libc::SIGKILL, STOP_TIMEOUT);
        assert!(status.is_some(), "broker survived SIGKILL");
    }

    /// Starts the broker again on the same port and data directory. The broker must have been
    /// stopped or killed first.
    pub fn restart(&mut self) {
        assert!(
            self.run.is_none(),
            "restart() needs the broker stopped or killed first"
        );
        // The port was ours a moment ago; something else could grab it in between (or the
        // previous socket may linger), so retry a few times on a bind failure.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match self.launch(self.port) {
                Ok(port) => {
                    assert_eq!(port, self.port, "restarted broker listens on another port");
                    return;
                }
                Err(e) if Instant::now() < deadline && e.contains("binding listener") => {
                    std::thread::sleep(Duration::from_millis(250));
                }
                Err(e) => panic!("{e}"),
            }
        }
    }

    fn signal_and_wait(&mut self, signal: i32, timeout: Duration) -> Option<ExitStatus> {
        let mut run = self.run.take().expect("broker is not running");
        let pid = run.child.id() as libc::pid_t;
        if matches!(run.child.try_wait(), Ok(None)) {
            // SAFETY: plain kill(2) on the pid of our own child, which we have not reaped.
            let rc = unsafe { libc::kill(pid, signal) };
            assert_eq!(rc, 0, "kill({pid}, {signal}) failed");
        }
        let deadline = Instant::now() + timeout;
        let status = loop {
            match run.child.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                Ok(None) => break None,
                Err(e) => panic!("waiting for broker: {e}"),
            }
        };
        if status.is_none() {
            // Leave no process behind, whatever the test says next.
            let _ = run.child.kill();
            let _ = run.child.wait();
        }
        self.retire(run);
        status
    }

    /// Joins the output readers of a finished run and keeps its output.
    fn retire(&mut self, run: Run) {
        for r in run.readers {
            let deadline = Instant::now() + Duration::from_secs(5);
            while !r.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            if r.is_finished() {
                let _ = r.join();
            }
        }
        self.last_stdout = run.stdout_lines.lock().unwrap().clone();
        self.old_stderr
            .push(String::from_utf8_lossy(&run.stderr.lock().unwrap()).into_owned());
    }

    /// Spawns the broker on `port` (0 = ephemeral) and waits for its ready line.
    /// Returns the bound port, or a description of the failure with the server's stderr.
    fn launch(&mut self, port: u16) -> Result<u16, String> {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_arus"));
        cmd.arg("server")
            .arg("--override")
            .arg(format!("listeners=PLAINTEXT://127.0.0.1:{port}"))
            .arg("--override")
            .arg(format!("log.dirs={}", self.log_dir.display()))
            // Every test broker gets its own console port, so parallel tests never collide.
            .arg("--override")
            .arg("console.listener=127.0.0.1:0");
        for o in &self.overrides {
            cmd.arg("--override").arg(o);
        }
        if std::env::var_os("RUST_LOG").is_none() {
            cmd.env("RUST_LOG", "info");
        }
        cmd.current_dir(self.data.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // If the test process dies without running destructors, take the broker with it.
        // SAFETY: prctl is async-signal-safe and touches only the child's own state.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot spawn {}: {e}", env!("CARGO_BIN_EXE_arus")))?;

        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        let stdout_lines = Arc::new(Mutex::new(Vec::new()));
        let stderr_buf = Arc::new(Mutex::new(Vec::new()));
        let (ready_tx, ready_rx) = mpsc::channel::<String>();
        let lines = stdout_lines.clone();
        let out_reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if line.starts_with(READY_PREFIX) {
                    let _ = ready_tx.send(line.clone());
                }
                lines.lock().unwrap().push(line);
            }
        });
        let err_buf = stderr_buf.clone();
        let err_reader = std::thread::spawn(move || {
            let mut stderr = stderr;
            let mut chunk = [0u8; 8192];
            loop {
                match stderr.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => err_buf.lock().unwrap().extend_from_slice(&chunk[..n]),
                }
            }
        });
        self.run = Some(Run {
            child,
            stdout_lines,
            stderr: stderr_buf,
            readers: vec![out_reader, err_reader],
        });

        let deadline = Instant::now() + READY_TIMEOUT;
        let failure = loop {
            match ready_rx.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => {
                    let addr = line.trim_start_matches(READY_PREFIX);
                    let parsed = addr
                        .strip_prefix("PLAINTEXT://127.0.0.1:")
                        .and_then(|p| p.parse::<u16>().ok());
                    match parsed {
                        Some(p) if p != 0 && (port == 0 || p == port) => return Ok(p),
                        _ => break format!("unexpected ready line {line:?}"),
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let run = self.run.as_mut().unwrap();
                    if let Ok(Some(status)) = run.child.try_wait() {
                        break format!("broker exited with {status} before it was ready");
                    }
                    if Instant::now() >= deadline {
                        break format!("broker printed no ready line within {READY_TIMEOUT:?}");
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    // stdout closed: the process is exiting; let try_wait see it.
                    let run = self.run.as_mut().unwrap();
                    let exited = (0..100).find_map(|_| match run.child.try_wait() {
                        Ok(Some(s)) => Some(s),
                        _ => {
                            std::thread::sleep(Duration::from_millis(50));
                            None
                        }
                    });
                    break match exited {
                        Some(status) => format!("broker exited with {status} before it was ready"),
                        None => "broker closed stdout without a ready line".to_string(),
                    };
                }
            }
        };
        let mut run = self.run.take().unwrap();
        let _ = run.child.kill();
        let _ = run.child.wait();
        self.retire(run);
        Err(format!(
            "{failure} (port {port}, dir {})\n{}",
            self.log_dir.display(),
            self.stderr_tail(16000)
        ))
    }

    /// Base client configuration for this broker.
    pub fn client_config(&self) -> ClientConfig {
        let mut c = ClientConfig::new();
        c.set("bootstrap.servers", self.bootstrap())
            .set("broker.address.family", "v4")
            .set("socket.timeout.ms", "30000");
        c
    }

    /// A producer with acks=all, idempotence off and a short linger.
    pub fn producer(&self) -> FutureProducer {
        self.producer_with(&[])
    }

    /// A producer with extra settings on top of [`TestBroker::producer`]'s.
    pub fn producer_with(&self, extra: &[(&str, &str)]) -> FutureProducer {
        let mut c = self.client_config();
        c.set("acks", "all")
            .set("enable.idempotence", "false")
            .set("linger.ms", "5")
            .set("message.timeout.ms", "30000");
        for (k, v) in extra {
            c.set(*k, *v);
        }
        c.create().expect("create producer")
    }

    /// A consumer for `assign()` use: a group.id is set (librdkafka wants one) but offsets are
    /// never committed.
    pub fn consumer(&self) -> BaseConsumer {
        self.consumer_with(&[])
    }

    /// A consumer with extra settings on top of [`TestBroker::consumer`]'s.
    pub fn consumer_with(&self, extra: &[(&str, &str)]) -> BaseConsumer {
        static N: AtomicU64 = AtomicU64::new(0);
        let group = format!(
            "arus-e2e-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let mut c = self.client_config();
        c.set("group.id", group)
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            .set("enable.partition.eof", "false");
        for (k, v) in extra {
            c.set(*k, *v);
        }
        c.create().expect("create consumer")
    }

    /// An admin client.
    pub fn admin(&self) -> AdminClient<DefaultClientContext> {
        self.client_config().create().expect("create admin client")
    }

    /// Creates a topic and asserts that it worked.
    pub fn create_topic(&self, name: &str, partitions: i32, configs: &[(&str, &str)]) {
        let admin = self.admin();
        let mut topic = NewTopic::new(name, partitions, TopicReplication::Fixed(1));
        for (k, v) in configs {
            topic = topic.set(k, v);
        }
        let results = block_on(admin.create_topics([&topic], &admin_opts()))
            .unwrap_or_else(|e| panic!("CreateTopics {name}: {e}\n{}", self.stderr_tail(8000)));
        assert_eq!(results, vec![Ok(name.to_string())], "CreateTopics {name}");
    }
}

impl Drop for TestBroker {
    fn drop(&mut self) {
        if let Some(mut run) = self.run.take() {
            let _ = run.child.kill();
            let _ = run.child.wait();
            if std::thread::panicking() {
                self.retire(run);
            }
        }
        if std::thread::panicking() {
            eprintln!(
                "broker data dir: {} (deleted)\n{}",
                self.log_dir.display(),
                self.stderr_tail(20000)
            );
        }
    }
}

/// Admin options with a generous timeout.
pub fn admin_opts() -> AdminOptions {
    AdminOptions::new()
        .request_timeout(Some(CLIENT_TIMEOUT))
        .operation_timeout(Some(Duration::from_secs(10)))
}

/// Runs a future to completion on a fresh single-threaded tokio runtime.
pub fn block_on<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(f)
}

/// A message as a consumer saw it, detached from the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msg {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(String, Option<Vec<u8>>)>,
    pub timestamp: Option<i64>,
}

impl Msg {
    fn from_message<M: Message>(m: &M) -> Msg {
        Msg {
            topic: m.topic().to_string(),
            partition: m.partition(),
            offset: m.offset(),
            key: m.key().map(|k| k.to_vec()),
            value: m.payload().map(|v| v.to_vec()),
            headers: m
                .headers()
                .map(|h| {
                    h.iter()
                        .map(|h| (h.key.to_string(), h.value.map(|v| v.to_vec())))
                        .collect()
                })
                .unwrap_or_default(),
            timestamp: m.timestamp().to_millis(),
        }
    }

    /// The value as UTF-8 text.
    pub fn value_str(&self) -> &str {
        std::str::from_utf8(self.value.as_deref().expect("message has a value"))
            .expect("utf-8 value")
    }

    /// The key as UTF-8 text.
    pub fn key_str(&self) -> &str {
        std::str::from_utf8(self.key.as_deref().expect("message has a key")).expect("utf-8 key")
    }
}

/// Assigns `consumer` to the given partitions of `topic`, each starting at its offset.
pub fn assign(consumer: &BaseConsumer, topic: &str, partitions: &[(i32, Offset)]) {
    let mut tpl = TopicPartitionList::new();
    for (p, o) in partitions {
        tpl.add_partition_offset(topic, *p, *o)
            .expect("add partition");
    }
    consumer.assign(&tpl).expect("assign");
}

/// Polls until exactly `n` messages arrived, or panics after `timeout` listing what came and
/// any consumer errors seen on the way.
pub fn poll_n(consumer: &BaseConsumer, n: usize, timeout: Duration) -> Vec<Msg> {
    let deadline = Instant::now() + timeout;
    let mut got = Vec::with_capacity(n);
    let mut errors = Vec::new();
    while got.len() < n {
        if Instant::now() >= deadline {
            panic!(
                "expected {n} messages within {timeout:?}, got {}: {:?}\nconsumer errors: {errors:?}",
                got.len(),
                got.iter().map(|m: &Msg| (m.partition, m.offset)).collect::<Vec<_>>()
            );
        }
        match consumer.poll(Duration::from_millis(100)) {
            None => {}
            Some(Ok(m)) => got.push(Msg::from_message(&m)),
            Some(Err(e)) => errors.push(e.to_string()),
        }
    }
    got
}

/// Polls for `wait` and returns whatever arrives (used to show nothing more comes).
pub fn poll_for(consumer: &BaseConsumer, wait: Duration) -> Vec<Msg> {
    let deadline = Instant::now() + wait;
    let mut got = Vec::new();
    while Instant::now() < deadline {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(100)) {
            got.push(Msg::from_message(&m));
        }
    }
    got
}

/// Reads a whole partition from the beginning, expecting exactly `n` messages and then no
/// more for a short while.
pub fn read_partition(broker: &TestBroker, topic: &str, partition: i32, n: usize) -> Vec<Msg> {
    let consumer = broker.consumer();
    assign(&consumer, topic, &[(partition, Offset::Beginning)]);
    let msgs = poll_n(&consumer, n, CLIENT_TIMEOUT);
    let extra = poll_for(&consumer, Duration::from_millis(1500));
    assert!(
        extra.is_empty(),
        "{topic}-{partition}: expected exactly {n} messages, more arrived: {:?}",
        extra.iter().map(|m| m.offset).collect::<Vec<_>>()
    );
    msgs
}

/// Every record of a partition from its start to its end, however sparse its offsets
/// (compacted logs have gaps): reads until librdkafka reports the partition's end.
pub fn read_partition_until_end(broker: &TestBroker, topic: &str, partition: i32) -> Vec<Msg> {
    let consumer = broker.consumer_with(&[("enable.partition.eof", "true")]);
    assign(&consumer, topic, &[(partition, Offset::Beginning)]);
    let deadline = Instant::now() + CLIENT_TIMEOUT;
    let mut msgs = Vec::new();
    loop {
        assert!(
            Instant::now() < deadline,
            "{topic}-{partition}: no end within {CLIENT_TIMEOUT:?}"
        );
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(m)) => msgs.push(Msg::from_message(&m)),
            Some(Err(rdkafka::error::KafkaError::PartitionEOF(_))) => return msgs,
            Some(Err(e)) => panic!("{topic}-{partition}: {e}"),
            None => {}
        }
    }
}

/// Produces one record and waits for its acknowledgement; panics on failure.
pub fn send(producer: &FutureProducer, record: FutureRecord<'_, [u8], [u8]>) -> Delivery {
    block_on(producer.send(record, CLIENT_TIMEOUT))
        .unwrap_or_else(|(e, _)| panic!("produce failed: {e}"))
}

/// Produces `key`/`value` to a partition and returns the acknowledged offset.
pub fn send_kv(
    producer: &FutureProducer,
    topic: &str,
    partition: i32,
    key: &str,
    value: &str,
) -> i64 {
    let d = send(
        producer,
        FutureRecord::to(topic)
            .partition(partition)
            .key(key.as_bytes())
            .payload(value.as_bytes()),
    );
    assert_eq!(d.partition, partition);
    d.offset
}

/// Low and high watermarks of a partition.
pub fn watermarks(broker: &TestBroker, topic: &str, partition: i32) -> (i64, i64) {
    broker
        .consumer()
        .fetch_watermarks(topic, partition, CLIENT_TIMEOUT)
        .unwrap_or_else(|e| panic!("watermarks of {topic}-{partition}: {e}"))
}

/// The topics the broker lists in an all-topics Metadata request, with partition counts.
pub fn list_topics(broker: &TestBroker) -> HashMap<String, usize> {
    let md = broker
        .consumer()
        .fetch_metadata(None, CLIENT_TIMEOUT)
        .expect("metadata");
    md.topics()
        .iter()
        .map(|t| (t.name().to_string(), t.partitions().len()))
        .collect()
}

/// One record batch in a segment file, as found by walking the batch headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchInfo {
    /// Byte position of the batch in the file.
    pub position: usize,
    /// Total size: 12 + batchLength.
    pub size: usize,
    pub base_offset: i64,
    pub last_offset_delta: i32,
    pub attributes: i16,
    pub record_count: i32,
    pub magic: i8,
}

impl BatchInfo {
    /// The compression codec bits of the attributes (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd).
    pub fn codec(&self) -> i16 {
        self.attributes & 0x7
    }
}

/// Size of the fixed v2 record batch header.
pub const BATCH_HEADER: usize = 61;

/// Walks the v2 record batches of a segment's bytes. Stops at the end or at a header that
/// does not fit in the remaining bytes (a torn tail).
pub fn walk_batches(bytes: &[u8]) -> Vec<BatchInfo> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    while pos + BATCH_HEADER <= bytes.len() {
        let b = &bytes[pos..];
        let base_offset = i64::from_be_bytes(b[0..8].try_into().unwrap());
        let batch_length = i32::from_be_bytes(b[8..12].try_into().unwrap());
        if batch_length < (BATCH_HEADER - 12) as i32 {
            break;
        }
        let size = 12 + batch_length as usize;
        if pos + size > bytes.len() {
            break;
        }
        out.push(BatchInfo {
            position: pos,
            size,
            base_offset,
            magic: b[16] as i8,
            attributes: i16::from_be_bytes(b[21..23].try_into().unwrap()),
            last_offset_delta: i32::from_be_bytes(b[23..27].try_into().unwrap()),
            record_count: i32::from_be_bytes(b[57..61].try_into().unwrap()),
        });
        pos += size;
    }
    out
}

/// Reads and walks one segment file.
pub fn segment_batches(path: &Path) -> Vec<BatchInfo> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    walk_batches(&bytes)
}

/// A topic name unique to this process and call site.
pub fn unique_topic(prefix: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    format!("{prefix}-{}", N.fetch_add(1, Ordering::Relaxed))
}

/// Waits until `f` returns true or panics with `what` after `timeout`.
pub fn wait_until(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !f() {
        if Instant::now() >= deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

// ---------------------------------------------------------------------------------------------
// Raw protocol: hand-built requests for the tests that must send what no client library would.
// ---------------------------------------------------------------------------------------------

/// CRC-32C (Castagnoli), as used by Kafka v2 record batches.
pub fn crc32c(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0x82F6_3B78
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Whether a v2 batch's stored CRC matches its bytes 21..end.
pub fn batch_crc_ok(batch: &[u8]) -> bool {
    let stored = u32::from_be_bytes(batch[17..21].try_into().unwrap());
    stored == crc32c(&batch[21..])
}

/// Big-endian request/record encoder.
#[derive(Default, Clone)]
pub struct Enc(pub Vec<u8>);

impl Enc {
    pub fn new() -> Enc {
        Enc(Vec::new())
    }
    pub fn i8(&mut self, v: i8) -> &mut Self {
        self.0.push(v as u8);
        self
    }
    pub fn i16(&mut self, v: i16) -> &mut Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }
    pub fn i32(&mut self, v: i32) -> &mut Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }
    pub fn i64(&mut self, v: i64) -> &mut Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }
    pub fn raw(&mut self, b: &[u8]) -> &mut Self {
        self.0.extend_from_slice(b);
        self
    }
    /// Kafka STRING: i16 length then bytes.
    pub fn string(&mut self, s: &str) -> &mut Self {
        self.i16(s.len() as i16).raw(s.as_bytes())
    }
    /// Kafka NULLABLE_STRING null.
    pub fn null_string(&mut self) -> &mut Self {
        self.i16(-1)
    }
    /// Kafka BYTES: i32 length then bytes.
    pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.i32(b.len() as i32).raw(b)
    }
    /// Zigzag varint (records use these).
    pub fn varint(&mut self, v: i64) -> &mut Self {
        let mut z = ((v << 1) ^ (v >> 63)) as u64;
        loop {
            if z < 0x80 {
                self.0.push(z as u8);
                return self;
            }
            self.0.push((z as u8 & 0x7f) | 0x80);
            z >>= 7;
        }
    }
}

/// Big-endian response decoder over a byte slice.
pub struct Dec<'a> {
    pub buf: &'a [u8],
    pub pos: usize,
}

impl<'a> Dec<'a> {
    pub fn new(buf: &'a [u8]) -> Dec<'a> {
        Dec { buf, pos: 0 }
    }
    fn take(&mut self, n: usize) -> &'a [u8] {
        assert!(
            self.pos + n <= self.buf.len(),
            "response too short: need {n} bytes at {}, have {}",
            self.pos,
            self.buf.len()
        );
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        s
    }
    pub fn i8(&mut self) -> i8 {
        self.take(1)[0] as i8
    }
    pub fn i16(&mut self) -> i16 {
        i16::from_be_bytes(self.take(2).try_into().unwrap())
    }
    pub fn i32(&mut self) -> i32 {
        i32::from_be_bytes(self.take(4).try_into().unwrap())
    }
    pub fn i64(&mut self) -> i64 {
        i64::from_be_bytes(self.take(8).try_into().unwrap())
    }
    pub fn string(&mut self) -> String {
        let n = self.i16();
        assert!(n >= 0, "unexpected null string");
        String::from_utf8(self.take(n as usize).to_vec()).expect("utf-8 string")
    }
    /// NULLABLE_BYTES with an i32 length.
    pub fn nullable_bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.i32();
        if n < 0 {
            None
        } else {
            Some(self.take(n as usize))
        }
    }
    pub fn varint(&mut self) -> i64 {
        let mut z: u64 = 0;
        let mut shift = 0;
        loop {
            let b = self.take(1)[0];
            z |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                break;
            }
            shift += 7;
            assert!(shift < 64, "varint too long");
        }
        ((z >> 1) as i64) ^ -((z & 1) as i64)
    }
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }
}

/// One record to put in a hand-built batch.
pub struct RawRecord<'a> {
    pub key: Option<&'a [u8]>,
    pub value: Option<&'a [u8]>,
    pub headers: Vec<(&'a str, Option<&'a [u8]>)>,
}

/// Builds an uncompressed v2 record batch with base offset 0 and a correct CRC-32C.
pub fn build_batch(records: &[RawRecord<'_>], base_timestamp: i64) -> Vec<u8> {
    let mut body = Enc::new();
    for (i, r) in records.iter().enumerate() {
        let mut rec = Enc::new();
        rec.i8(0).varint(0).varint(i as i64);
        match r.key {
            Some(k) => rec.varint(k.len() as i64).raw(k),
            None => rec.varint(-1),
        };
        match r.value {
            Some(v) => rec.varint(v.len() as i64).raw(v),
            None => rec.varint(-1),
        };
        rec.varint(r.headers.len() as i64);
        for (hk, hv) in &r.headers {
            rec.varint(hk.len() as i64).raw(hk.as_bytes());
            match hv {
                Some(v) => rec.varint(v.len() as i64).raw(v),
                None => rec.varint(-1),
            };
        }
        body.varint(rec.0.len() as i64).raw(&rec.0);
    }
    let mut b = Enc::new();
    b.i64(0) // base offset
        .i32(0) // batch length, set below
        .i32(-1) // partition leader epoch
        .i8(2) // magic
        .i32(0) // crc, set below
        .i16(0) // attributes: no compression, CreateTime
        .i32(records.len() as i32 - 1) // last offset delta
        .i64(base_timestamp)
        .i64(base_timestamp)
        .i64(-1) // producer id
        .i16(-1) // producer epoch
        .i32(-1) // base sequence
        .i32(records.len() as i32)
        .raw(&body.0);
    let mut bytes = b.0;
    let len = (bytes.len() - 12) as i32;
    bytes[8..12].copy_from_slice(&len.to_be_bytes());
    let crc = crc32c(&bytes[21..]);
    bytes[17..21].copy_from_slice(&crc.to_be_bytes());
    bytes
}

/// A record decoded from a fetched batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedRecord {
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
}

/// Decodes the records of uncompressed v2 batches (as a Fetch response carries them).
pub fn decode_batches(mut bytes: &[u8]) -> Vec<DecodedRecord> {
    let mut out = Vec::new();
    while bytes.len() >= BATCH_HEADER {
        let base_offset = i64::from_be_bytes(bytes[0..8].try_into().unwrap());
        let len = i32::from_be_bytes(bytes[8..12].try_into().unwrap()) as usize;
        if 12 + len > bytes.len() {
            break; // a partial batch at the end of a fetch response
        }
        let batch = &bytes[..12 + len];
        assert!(
            batch_crc_ok(batch),
            "fetched batch at offset {base_offset} has a bad CRC"
        );
        let attributes = i16::from_be_bytes(batch[21..23].try_into().unwrap());
        assert_eq!(
            attributes & 7,
            0,
            "decode_batches handles only uncompressed batches"
        );
        let count = i32::from_be_bytes(batch[57..61].try_into().unwrap());
        let mut d = Dec::new(&batch[BATCH_HEADER..]);
        for _ in 0..count {
            let _len = d.varint();
            let _attrs = d.i8();
            let _ts = d.varint();
            let delta = d.varint();
            let klen = d.varint();
            let key = (klen >= 0).then(|| d.take(klen as usize).to_vec());
            let vlen = d.varint();
            let value = (vlen >= 0).then(|| d.take(vlen as usize).to_vec());
            let nh = d.varint();
            for _ in 0..nh {
                let hk = d.varint();
                d.take(hk as usize);
                let hv = d.varint();
                if hv >= 0 {
                    d.take(hv as usize);
                }
            }
            out.push(DecodedRecord {
                offset: base_offset + delta,
                key,
                value,
            });
        }
        bytes = &bytes[12 + len..];
    }
    out
}

/// A raw TCP connection to the broker speaking size-prefixed frames.
pub struct RawConn {
    pub stream: std::net::TcpStream,
    next_correlation: i32,
}

impl RawConn {
    pub fn connect(broker: &TestBroker) -> RawConn {
        let stream = std::net::TcpStream::connect(("127.0.0.1", broker.port())).expect("connect");
        stream.set_read_timeout(Some(CLIENT_TIMEOUT)).unwrap();
        stream.set_nodelay(true).unwrap();
        RawConn {
            stream,
            next_correlation: 1,
        }
    }

    /// Writes raw bytes as they are.
    pub fn write_raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        use std::io::Write;
        self.stream.write_all(bytes)
    }

    /// Frames a request with a v1 header (api key, version, correlation id, client id) and
    /// sends it; returns the correlation id.
    pub fn send_v1(&mut self, api_key: i16, version: i16, body: &[u8]) -> i32 {
        let correlation = self.next_correlation;
        self.next_correlation += 1;
        let mut frame = Enc::new();
        frame
            .i32(0)
            .i16(api_key)
            .i16(version)
            .i32(correlation)
            .string("arus-e2e-raw")
            .raw(body);
        let mut bytes = frame.0;
        let size = (bytes.len() - 4) as i32;
        bytes[..4].copy_from_slice(&size.to_be_bytes());
        self.write_raw(&bytes).expect("write request");
        correlation
    }

    /// Reads one response frame; returns its bytes after the size prefix.
    pub fn read_frame(&mut self) -> std::io::Result<Vec<u8>> {
        use std::io::Read;
        let mut size = [0u8; 4];
        self.stream.read_exact(&mut size)?;
        let size = i32::from_be_bytes(size);
        assert!(size >= 4, "bad response size {size}");
        let mut buf = vec![0u8; size as usize];
        self.stream.read_exact(&mut buf)?;
        Ok(buf)
    }

    /// Reads a response with a v0 header, checks its correlation id, returns the body.
    pub fn read_response(&mut self, correlation: i32) -> Vec<u8> {
        let frame = self.read_frame().expect("read response");
        let got = i32::from_be_bytes(frame[..4].try_into().unwrap());
        assert_eq!(got, correlation, "response correlation id");
        frame[4..].to_vec()
    }

    /// Waits until the server closes the connection: Ok if it did (EOF or reset) without
    /// sending anything, Err describing what happened otherwise.
    pub fn expect_closed(&mut self, timeout: Duration) -> Result<(), String> {
        use std::io::{ErrorKind, Read};
        self.stream.set_read_timeout(Some(timeout)).unwrap();
        let mut buf = [0u8; 256];
        match self.stream.read(&mut buf) {
            Ok(0) => Ok(()),
            Ok(n) => Err(format!(
                "server answered {n} bytes instead of closing: {:?}",
                &buf[..n]
            )),
            Err(e) if matches!(e.kind(), ErrorKind::ConnectionReset | ErrorKind::BrokenPipe) => {
                Ok(())
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                Err(format!("connection still open after {timeout:?}"))
            }
            Err(e) => Err(format!("unexpected read error: {e}")),
        }
    }
}

/// Produce v3 request body for one partition of one topic.
pub fn produce_v3_body(topic: &str, partition: i32, acks: i16, records: &[u8]) -> Vec<u8> {
    let mut b = Enc::new();
    b.null_string() // transactional id
        .i16(acks)
        .i32(30_000)
        .i32(1)
        .string(topic)
        .i32(1)
        .i32(partition)
        .bytes(records);
    b.0
}

/// The (topic, partition, error code, base offset) answers of a Produce v3 response.
pub fn parse_produce_v3(body: &[u8]) -> Vec<(String, i32, i16, i64)> {
    let mut d = Dec::new(body);
    let mut out = Vec::new();
    let topics = d.i32();
    for _ in 0..topics {
        let name = d.string();
        let parts = d.i32();
        for _ in 0..parts {
            let index = d.i32();
            let error = d.i16();
            let base_offset = d.i64();
            let _append_time = d.i64();
            out.push((name.clone(), index, error, base_offset));
        }
    }
    let _throttle = d.i32();
    assert_eq!(d.remaining(), 0, "trailing bytes in Produce v3 response");
    out
}

/// Fetch v4 request body for one partition.
pub fn fetch_v4_body(
    topic: &str,
    partition: i32,
    offset: i64,
    max_wait_ms: i32,
    min_bytes: i32,
) -> Vec<u8> {
    let mut b = Enc::new();
    b.i32(-1) // replica id: a consumer
        .i32(max_wait_ms)
        .i32(min_bytes)
        .i32(1 << 20)
        .i8(0) // read uncommitted
        .i32(1)
        .string(topic)
        .i32(1)
        .i32(partition)
        .i64(offset)
        .i32(1 << 20);
    b.0
}

/// One partition of a Fetch v4 response.
#[derive(Debug)]
pub struct FetchedPartition {
    pub topic: String,
    pub partition: i32,
    pub error: i16,
    pub high_watermark: i64,
    pub records: Vec<u8>,
}

/// Parses a Fetch v4 response body.
pub fn parse_fetch_v4(body: &[u8]) -> Vec<FetchedPartition> {
    let mut d = Dec::new(body);
    let _throttle = d.i32();
    let mut out = Vec::new();
    let topics = d.i32();
    for _ in 0..topics {
        let topic = d.string();
        let parts = d.i32();
        for _ in 0..parts {
            let partition = d.i32();
            let error = d.i16();
            let high_watermark = d.i64();
            let _lso = d.i64();
            let aborted = d.i32();
            for _ in 0..aborted.max(0) {
                d.i64();
                d.i64();
            }
            let records = d.nullable_bytes().unwrap_or_default().to_vec();
            out.push(FetchedPartition {
                topic: topic.clone(),
                partition,
                error,
                high_watermark,
                records,
            });
        }
    }
    assert_eq!(d.remaining(), 0, "trailing bytes in Fetch v4 response");
    out
}

// ---------------------------------------------------------------------------------------------
// Consumer groups: group consumers, group listings, and the classic group protocol by hand.
// ---------------------------------------------------------------------------------------------

/// Settings every group consumer in the tests starts from: earliest reset, no EOF events,
/// short heartbeats (rebalances are noticed within half a second) and a poll interval that
/// bounds how long a broker may wait for a member to rejoin.
pub const GROUP_CONSUMER_DEFAULTS: &[(&str, &str)] = &[
    ("auto.offset.reset", "earliest"),
    ("enable.partition.eof", "false"),
    ("heartbeat.interval.ms", "500"),
    ("session.timeout.ms", "6000"),
    ("max.poll.interval.ms", "60000"),
];

impl TestBroker {
    /// A consumer in `group` (for `subscribe()` use) with [`GROUP_CONSUMER_DEFAULTS`], auto
    /// commit off, then `extra` on top.
    pub fn group_consumer(&self, group: &str, extra: &[(&str, &str)]) -> BaseConsumer {
        self.group_consumer_with_context(group, extra, rdkafka::consumer::DefaultConsumerContext)
    }

    /// [`TestBroker::group_consumer`] with a consumer context (rebalance callbacks).
    pub fn group_consumer_with_context<C: rdkafka::consumer::ConsumerContext>(
        &self,
        group: &str,
        extra: &[(&str, &str)],
        context: C,
    ) -> BaseConsumer<C> {
        let mut c = self.client_config();
        c.set("group.id", group).set("enable.auto.commit", "false");
        for (k, v) in GROUP_CONSUMER_DEFAULTS.iter().chain(extra) {
            c.set(*k, *v);
        }
        c.create_with_context(context)
            .expect("create group consumer")
    }
}

/// One member of a group as DescribeGroups reports it, detached from the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMember {
    pub member_id: String,
    pub client_id: String,
    pub client_host: String,
    /// The member's assignment decoded as a consumer-protocol assignment: topic → partitions
    /// (sorted). Empty when the member has none.
    pub assignment: Vec<(String, Vec<i32>)>,
}

/// One group as ListGroups + DescribeGroups report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDescription {
    pub name: String,
    pub state: String,
    pub protocol_type: String,
    pub protocol: String,
    pub members: Vec<GroupMember>,
}

/// The groups the broker lists (librdkafka's `rd_kafka_list_groups`: ListGroups, then
/// DescribeGroups of each), or just `group` if given. Members are sorted by client id.
pub fn describe_groups(broker: &TestBroker, group: Option<&str>) -> Vec<GroupDescription> {
    let client = broker.consumer();
    let list = client
        .fetch_group_list(group, CLIENT_TIMEOUT)
        .unwrap_or_else(|e| panic!("list groups ({group:?}): {e}\n{}", broker.stderr_tail(8000)));
    let mut out: Vec<GroupDescription> = list
        .groups()
        .iter()
        .map(|g| {
            let mut members: Vec<GroupMember> = g
                .members()
                .iter()
                .map(|m| GroupMember {
                    member_id: m.id().to_string(),
                    client_id: m.client_id().to_string(),
                    client_host: m.client_host().to_string(),
                    assignment: m
                        .assignment()
                        .filter(|a| !a.is_empty())
                        .map(decode_consumer_assignment)
                        .unwrap_or_default(),
                })
                .collect();
            members.sort_by(|a, b| a.client_id.cmp(&b.client_id));
            GroupDescription {
                name: g.name().to_string(),
                state: g.state().to_string(),
                protocol_type: g.protocol_type().to_string(),
                protocol: g.protocol().to_string(),
                members,
            }
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// The one description of `group` (panics if the broker lists it more than once).
pub fn describe_group(broker: &TestBroker, group: &str) -> Option<GroupDescription> {
    let mut all = describe_groups(broker, Some(group));
    all.retain(|g| g.name == group);
    assert!(all.len() <= 1, "group {group} listed twice: {all:?}");
    all.pop()
}

/// Decodes a ConsumerProtocolAssignment (any version: they all start with the same fields):
/// topic → sorted partitions.
pub fn decode_consumer_assignment(bytes: &[u8]) -> Vec<(String, Vec<i32>)> {
    let mut d = Dec::new(bytes);
    let _version = d.i16();
    let topics = d.i32();
    let mut out = Vec::new();
    for _ in 0..topics.max(0) {
        let topic = d.string();
        let n = d.i32();
        let mut parts: Vec<i32> = (0..n.max(0)).map(|_| d.i32()).collect();
        parts.sort();
        out.push((topic, parts));
    }
    out.sort();
    out
}

/// Encodes a ConsumerProtocolAssignment v0 (what a leader sends for each member in SyncGroup).
pub fn encode_consumer_assignment(topics: &[(&str, &[i32])]) -> Vec<u8> {
    let mut e = Enc::new();
    e.i16(0).i32(topics.len() as i32);
    for (t, parts) in topics {
        e.string(t).i32(parts.len() as i32);
        for p in *parts {
            e.i32(*p);
        }
    }
    e.bytes(&[]); // user data
    e.0
}

/// Encodes a ConsumerProtocolSubscription v0 (JoinGroup protocol metadata).
pub fn encode_consumer_subscription(topics: &[&str]) -> Vec<u8> {
    let mut e = Enc::new();
    e.i16(0).i32(topics.len() as i32);
    for t in topics {
        e.string(t);
    }
    e.bytes(&[]); // user data
    e.0
}

/// Kafka error codes the group tests look for.
pub mod kafka_error {
    pub const NONE: i16 = 0;
    pub const UNKNOWN_TOPIC_OR_PARTITION: i16 = 3;
    pub const COORDINATOR_NOT_AVAILABLE: i16 = 15;
    pub const ILLEGAL_GENERATION: i16 = 22;
    pub const INCONSISTENT_GROUP_PROTOCOL: i16 = 23;
    pub const INVALID_GROUP_ID: i16 = 24;
    pub const UNKNOWN_MEMBER_ID: i16 = 25;
    pub const INVALID_SESSION_TIMEOUT: i16 = 26;
    pub const REBALANCE_IN_PROGRESS: i16 = 27;
    pub const NON_EMPTY_GROUP: i16 = 68;
    pub const GROUP_ID_NOT_FOUND: i16 = 69;
    pub const MEMBER_ID_REQUIRED: i16 = 79;
    pub const GROUP_SUBSCRIBED_TO_TOPIC: i16 = 86;
}

/// A JoinGroup v5 response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinGroupResponse {
    pub error: i16,
    pub generation: i32,
    pub protocol_name: String,
    pub leader: String,
    pub member_id: String,
    /// (member id, protocol metadata) of every member; only the leader gets them.
    pub members: Vec<(String, Vec<u8>)>,
}

/// The classic group protocol spoken by hand over one connection, with non-flexible request
/// versions every Kafka 4 broker still accepts: JoinGroup v5, SyncGroup v3, Heartbeat v3,
/// LeaveGroup v3, OffsetCommit v5, OffsetFetch v5, OffsetDelete v0, DeleteGroups v1.
/// (partition, committed offset, metadata, error code) from OffsetFetch.
pub type PartitionOffset = (i32, i64, Option<String>, i16);
/// (topic, partition, committed offset, metadata, error code) from OffsetFetch.
pub type TopicPartitionOffset = (String, i32, i64, Option<String>, i16);

impl RawConn {
    /// JoinGroup v5 with the "consumer" protocol type and one "range" protocol subscribed to
    /// `topics`.
    pub fn join_group(
        &mut self,
        group: &str,
        member_id: &str,
        session_timeout_ms: i32,
        topics: &[&str],
    ) -> JoinGroupResponse {
        self.join_group_with(
            group,
            member_id,
            session_timeout_ms,
            "consumer",
            &[("range", encode_consumer_subscription(topics))],
        )
    }

    /// JoinGroup v5 with any protocol type and (name, metadata) protocols.
    pub fn join_group_with(
        &mut self,
        group: &str,
        member_id: &str,
        session_timeout_ms: i32,
        protocol_type: &str,
        protocols: &[(&str, Vec<u8>)],
    ) -> JoinGroupResponse {
        let mut b = Enc::new();
        b.string(group)
            .i32(session_timeout_ms)
            .i32(session_timeout_ms) // rebalance timeout
            .string(member_id)
            .null_string() // group instance id
            .string(protocol_type)
            .i32(protocols.len() as i32);
        for (name, metadata) in protocols {
            b.string(name).bytes(metadata);
        }
        let c = self.send_v1(11, 5, &b.0);
        let body = self.read_response(c);
        let mut d = Dec::new(&body);
        let _throttle = d.i32();
        let error = d.i16();
        let generation = d.i32();
        let protocol_name = d.string();
        let leader = d.string();
        let member_id = d.string();
        let n = d.i32();
        let mut members = Vec::new();
        for _ in 0..n.max(0) {
            let id = d.string();
            let instance = d.i16();
            assert!(
                instance < 0,
                "unexpected group instance id in JoinGroup response"
            );
            let meta = d.nullable_bytes().unwrap_or_default().to_vec();
            members.push((id, meta));
        }
        assert_eq!(d.remaining(), 0, "trailing bytes in JoinGroup v5 response");
        JoinGroupResponse {
            error,
            generation,
            protocol_name,
            leader,
            member_id,
            members,
        }
    }

    /// SyncGroup v3: returns (error code, assignment bytes).
    pub fn sync_group(
        &mut self,
        group: &str,
        generation: i32,
        member_id: &str,
        assignments: &[(&str, Vec<u8>)],
    ) -> (i16, Vec<u8>) {
        let mut b = Enc::new();
        b.string(group)
            .i32(generation)
            .string(member_id)
            .null_string()
            .i32(assignments.len() as i32);
        for (m, a) in assignments {
            b.string(m).bytes(a);
        }
        let c = self.send_v1(14, 3, &b.0);
        let body = self.read_response(c);
        let mut d = Dec::new(&body);
        let _throttle = d.i32();
        let error = d.i16();
        let assignment = d.nullable_bytes().unwrap_or_default().to_vec();
        assert_eq!(d.remaining(), 0, "trailing bytes in SyncGroup v3 response");
        (error, assignment)
    }

    /// Heartbeat v3: the error code.
    pub fn heartbeat(&mut self, group: &str, generation: i32, member_id: &str) -> i16 {
        let mut b = Enc::new();
        b.string(group)
            .i32(generation)
            .string(member_id)
            .null_string();
        let c = self.send_v1(12, 3, &b.0);
        let body = self.read_response(c);
        let mut d = Dec::new(&body);
        let _throttle = d.i32();
        let error = d.i16();
        assert_eq!(d.remaining(), 0, "trailing bytes in Heartbeat v3 response");
        error
    }

    /// LeaveGroup v3 for one member: (top-level error, member error).
    pub fn leave_group(&mut self, group: &str, member_id: &str) -> (i16, Option<i16>) {
        let mut b = Enc::new();
        b.string(group).i32(1).string(member_id).null_string();
        let c = self.send_v1(13, 3, &b.0);
        let body = self.read_response(c);
        let mut d = Dec::new(&body);
        let _throttle = d.i32();
        let error = d.i16();
        let n = d.i32();
        let mut member_error = None;
        for _ in 0..n.max(0) {
            let _id = d.string();
            let _instance = d.i16();
            member_error = Some(d.i16());
        }
        assert_eq!(d.remaining(), 0, "trailing bytes in LeaveGroup v3 response");
        (error, member_error)
    }

    /// OffsetCommit v5 of (partition, offset, metadata) for one topic: per-partition error
    /// codes, in request order.
    pub fn offset_commit(
        &mut self,
        group: &str,
        generation: i32,
        member_id: &str,
        topic: &str,
        offsets: &[(i32, i64, &str)],
    ) -> Vec<(i32, i16)> {
        let mut b = Enc::new();
        b.string(group)
            .i32(generation)
            .string(member_id)
            .i32(1)
            .string(topic)
            .i32(offsets.len() as i32);
        for (p, o, m) in offsets {
            b.i32(*p).i64(*o).string(m);
        }
        let c = self.send_v1(8, 5, &b.0);
        let body = self.read_response(c);
        let mut d = Dec::new(&body);
        let _throttle = d.i32();
        let mut out = Vec::new();
        let topics = d.i32();
        for _ in 0..topics.max(0) {
            let name = d.string();
            assert_eq!(name, topic, "OffsetCommit response topic");
            let n = d.i32();
            for _ in 0..n.max(0) {
                let p = d.i32();
                out.push((p, d.i16()));
            }
        }
        assert_eq!(
            d.remaining(),
            0,
            "trailing bytes in OffsetCommit v5 response"
        );
        out
    }

    /// OffsetFetch v5 of some partitions of one topic: (top-level error, [(partition, offset,
    /// metadata, error)]).
    pub fn offset_fetch(
        &mut self,
        group: &str,
        topic: &str,
        partitions: &[i32],
    ) -> (i16, Vec<PartitionOffset>) {
        let mut b = Enc::new();
        b.string(group)
            .i32(1)
            .string(topic)
            .i32(partitions.len() as i32);
        for p in partitions {
            b.i32(*p);
        }
        let (error, all) = self.offset_fetch_request(&b.0);
        for (t, ..) in &all {
            assert_eq!(t, topic, "OffsetFetch response topic");
        }
        (
            error,
            all.into_iter()
                .map(|(_, p, o, m, e)| (p, o, m, e))
                .collect(),
        )
    }

    /// OffsetFetch v5 with a null topic list (every committed offset of the group): (top-level
    /// error, [(topic, partition, offset, metadata, error)]) sorted by topic and partition.
    pub fn offset_fetch_all(&mut self, group: &str) -> (i16, Vec<TopicPartitionOffset>) {
        let mut b = Enc::new();
        b.string(group).i32(-1);
        let (error, mut all) = self.offset_fetch_request(&b.0);
        all.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        (error, all)
    }

    fn offset_fetch_request(&mut self, body: &[u8]) -> (i16, Vec<TopicPartitionOffset>) {
        let c = self.send_v1(9, 5, body);
        let body = self.read_response(c);
        let mut d = Dec::new(&body);
        let _throttle = d.i32();
        let mut out = Vec::new();
        let topics = d.i32();
        for _ in 0..topics.max(0) {
            let name = d.string();
            let n = d.i32();
            for _ in 0..n.max(0) {
                let p = d.i32();
                let offset = d.i64();
                let _leader_epoch = d.i32();
                let metadata = match d.i16() {
                    n if n < 0 => None,
                    n => Some(String::from_utf8_lossy(d.take(n as usize)).into_owned()),
                };
                out.push((name.clone(), p, offset, metadata, d.i16()));
            }
        }
        let error = d.i16();
        assert_eq!(
            d.remaining(),
            0,
            "trailing bytes in OffsetFetch v5 response"
        );
        (error, out)
    }

    /// OffsetDelete v0 of some partitions of one topic: (top-level error, [(partition,
    /// error)]).
    pub fn offset_delete(
        &mut self,
        group: &str,
        topic: &str,
        partitions: &[i32],
    ) -> (i16, Vec<(i32, i16)>) {
        let mut b = Enc::new();
        b.string(group)
            .i32(1)
            .string(topic)
            .i32(partitions.len() as i32);
        for p in partitions {
            b.i32(*p);
        }
        let c = self.send_v1(47, 0, &b.0);
        let body = self.read_response(c);
        let mut d = Dec::new(&body);
        let error = d.i16();
        let _throttle = d.i32();
        let mut out = Vec::new();
        let topics = d.i32();
        for _ in 0..topics.max(0) {
            let _name = d.string();
            let n = d.i32();
            for _ in 0..n.max(0) {
                let p = d.i32();
                out.push((p, d.i16()));
            }
        }
        assert_eq!(
            d.remaining(),
            0,
            "trailing bytes in OffsetDelete v0 response"
        );
        (error, out)
    }

    /// DeleteGroups v1: (group, error) per group.
    pub fn delete_groups(&mut self, groups: &[&str]) -> Vec<(String, i16)> {
        let mut b = Enc::new();
        b.i32(groups.len() as i32);
        for g in groups {
            b.string(g);
        }
        let c = self.send_v1(42, 1, &b.0);
        let body = self.read_response(c);
        let mut d = Dec::new(&body);
        let _throttle = d.i32();
        let n = d.i32();
        let out = (0..n.max(0)).map(|_| (d.string(), d.i16())).collect();
        assert_eq!(
            d.remaining(),
            0,
            "trailing bytes in DeleteGroups v1 response"
        );
        out
    }
}

impl RawConn {
    /// Sends a `kafka-protocol` request at `version` (right header version included) and
    /// decodes its answer.
    pub fn call<R: kafka_protocol::protocol::Request>(
        &mut self,
        req: &R,
        version: i16,
    ) -> R::Response {
        use kafka_protocol::messages::{RequestHeader, ResponseHeader};
        use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, StrBytes};
        let correlation = self.next_correlation;
        self.next_correlation += 1;
        let mut header = RequestHeader::default();
        header.request_api_key = R::KEY;
        header.request_api_version = version;
        header.correlation_id = correlation;
        header.client_id = Some(StrBytes::from_static_str("arus-e2e-raw"));
        let mut body = bytes::BytesMut::new();
        header
            .encode(&mut body, R::header_version(version))
            .unwrap();
        req.encode(&mut body, version).unwrap();
        let mut frame = (body.len() as i32).to_be_bytes().to_vec();
        frame.extend_from_slice(&body);
        self.write_raw(&frame).expect("write request");
        let mut answer = bytes::Bytes::from(self.read_frame().expect("read response"));
        let h = ResponseHeader::decode(
            &mut answer,
            <R::Response as HeaderVersion>::header_version(version),
        )
        .unwrap();
        assert_eq!(h.correlation_id, correlation);
        R::Response::decode(&mut answer, version).unwrap()
    }
}
