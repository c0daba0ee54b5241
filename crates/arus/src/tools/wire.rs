//! A small blocking Kafka protocol client for the tools that need APIs librdkafka does not
//! wrap (OffsetDelete, IncrementalAlterConfigs with synonyms, ListGroups states filters).
//!
//! Requests are encoded with the `kafka-protocol` crate at the highest version both this
//! client and the broker support (learned from ApiVersions on connect), so the tools work
//! against any Kafka broker, not only Arus.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::error::ParseResponseErrorCode;
use kafka_protocol::messages::{
    ApiVersionsRequest, FindCoordinatorRequest, MetadataRequest, MetadataResponse, RequestHeader,
    ResponseHeader,
};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, Request, StrBytes};

use super::{ToolError, ToolResult, CONNECT_TIMEOUT};

/// How long one request may take before the tool gives up on it.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Kafka's own limit on a response a client will accept is far higher; 100 MiB is plenty
/// for admin answers and stops a garbage length from allocating gigabytes.
const MAX_RESPONSE_BYTES: usize = 100 << 20;
const CLIENT_ID: &str = "arus-admin";

/// One connection to one broker.
pub struct Conn {
    addr: String,
    stream: TcpStream,
    /// API key → the broker's (min, max) version.
    versions: HashMap<i16, (i16, i16)>,
    next_correlation: i32,
}

impl Conn {
    pub fn open(addr: &str) -> ToolResult<Conn> {
        let unreachable = || {
            ToolError(format!(
                "could not connect to the broker at {addr} within {}s",
                CONNECT_TIMEOUT.as_secs()
            ))
        };
        let sockaddrs = addr.to_socket_addrs().map_err(|_| unreachable())?;
        let stream = sockaddrs
            .into_iter()
            .find_map(|a| TcpStream::connect_timeout(&a, CONNECT_TIMEOUT).ok())
            .ok_or_else(unreachable)?;
        stream
            .set_read_timeout(Some(REQUEST_TIMEOUT))
            .and_then(|_| stream.set_write_timeout(Some(REQUEST_TIMEOUT)))
            .and_then(|_| stream.set_nodelay(true))
            .map_err(|e| ToolError(format!("{addr}: {e}")))?;
        let mut conn = Conn {
            addr: addr.to_string(),
            stream,
            versions: HashMap::new(),
            next_correlation: 0,
        };
        // v0 is understood by every broker; it lists the ranges of everything else.
        let resp = conn.call_at(&ApiVersionsRequest::default(), 0)?;
        check(resp.error_code, "ApiVersions")?;
        conn.versions = resp
            .api_keys
            .iter()
            .map(|k| (k.api_key, (k.min_version, k.max_version)))
            .collect();
        Ok(conn)
    }

    /// The highest version of `R` both sides speak.
    fn version<R: Request>(&self) -> ToolResult<i16> {
        let (min, max) = self.versions.get(&R::KEY).copied().ok_or_else(|| {
            ToolError(format!(
                "the broker at {} does not support API key {}",
                self.addr,
                R::KEY
            ))
        })?;
        let ours = R::VERSIONS;
        let v = max.min(ours.max);
        if v < min.max(ours.min) {
            return Err(ToolError(format!(
                "the broker at {} and this tool share no version of API key {}",
                self.addr,
                R::KEY
            )));
        }
        Ok(v)
    }

    /// Sends `req` at the best common version and waits for its answer.
    pub fn call<R: Request>(&mut self, req: &R) -> ToolResult<R::Response> {
        let v = self.version::<R>()?;
        self.call_at(req, v)
    }

    /// The version [`call`](Self::call) would use, for callers that fill version-dependent
    /// fields.
    pub fn version_of<R: Request>(&self) -> ToolResult<i16> {
        self.version::<R>()
    }

    fn call_at<R: Request>(&mut self, req: &R, version: i16) -> ToolResult<R::Response> {
        let io = |e: std::io::Error| ToolError(format!("{}: {e}", self.addr));
        self.next_correlation += 1;
        let correlation = self.next_correlation;
        let mut header = RequestHeader::default();
        header.request_api_key = R::KEY;
        header.request_api_version = version;
        header.correlation_id = correlation;
        header.client_id = Some(StrBytes::from_static_str(CLIENT_ID));
        let mut body = BytesMut::new();
        header
            .encode(&mut body, R::header_version(version))
            .and_then(|_| req.encode(&mut body, version))
            .map_err(|e| ToolError(format!("cannot encode request: {e}")))?;
        let mut frame = BytesMut::with_capacity(4 + body.len());
        frame.put_i32(body.len() as i32);
        frame.extend_from_slice(&body);
        self.stream.write_all(&frame).map_err(io)?;

        let mut len = [0u8; 4];
        self.stream.read_exact(&mut len).map_err(io)?;
        let len = i32::from_be_bytes(len);
        if len < 0 || len as usize > MAX_RESPONSE_BYTES {
            return Err(ToolError(format!(
                "{}: invalid response size {len}",
                self.addr
            )));
        }
        let mut buf = vec![0u8; len as usize];
        self.stream.read_exact(&mut buf).map_err(io)?;
        let mut buf = Bytes::from(buf);
        let bad = |e: anyhow::Error| ToolError(format!("{}: cannot decode answer: {e}", self.addr));
        let header = ResponseHeader::decode(
            &mut buf,
            <R::Response as HeaderVersion>::header_version(version),
        )
        .map_err(bad)?;
        if header.correlation_id != correlation {
            return Err(ToolError(format!(
                "{}: answer to request {} arrived for request {correlation}",
                self.addr, header.correlation_id
            )));
        }
        let resp = R::Response::decode(&mut buf, version).map_err(bad)?;
        if buf.has_remaining() {
            return Err(ToolError(format!(
                "{}: {} unexpected bytes after the answer",
                self.addr,
                buf.remaining()
            )));
        }
        Ok(resp)
    }
}

/// Checks a `--command-config` file asks for nothing this client cannot do: it speaks
/// PLAINTEXT only, so SSL and SASL settings are refused rather than silently ignored.
pub fn check_plaintext_only(path: &str) -> ToolResult<()> {
    for (key, value) in super::load_properties_file(path)? {
        if key == "security.protocol" && !value.eq_ignore_ascii_case("PLAINTEXT") {
            return Err(ToolError(format!(
                "security.protocol={value} in {path} is not supported by this tool (PLAINTEXT only)"
            )));
        }
    }
    Ok(())
}

/// Turns a Kafka error code into Kafka's message for it.
pub fn check(code: i16, what: &str) -> ToolResult<()> {
    match code {
        0 => Ok(()),
        _ => Err(ToolError(format!("{what}: {}", describe(code)))),
    }
}

/// Kafka's description of an error code (empty for success): Kafka's own sentence for the
/// codes admin tools meet, the code's name otherwise.
pub fn describe(code: i16) -> String {
    let text = match code {
        0 => "",
        -1 => "The server experienced an unexpected error when processing the request.",
        3 => "This server does not host this topic-partition.",
        7 => "The request timed out.",
        14 => "The coordinator is loading and hence can't process requests.",
        15 => "The coordinator is not available.",
        16 => "This is not the correct coordinator.",
        22 => "Specified group generation id is not valid.",
        24 => "The configured groupId is invalid.",
        25 => "The coordinator is not aware of this member.",
        27 => "The group is rebalancing, so a rebalance should be initiated.",
        29 => "Topic authorization failed.",
        30 => "Group authorization failed.",
        35 => "The version of API is not supported.",
        40 => "Configuration is invalid.",
        68 => "The group is not empty.",
        69 => "The group id does not exist.",
        86 => "The consumer group is actively subscribed to the topic",
        100 => "This server does not host this topic ID.",
        _ => return code.err().map(|e| e.to_string()).unwrap_or_default(),
    };
    text.to_string()
}

/// Connections to a cluster: the bootstrap broker plus any broker a request must reach
/// (partition leaders, group coordinators).
pub struct Cluster {
    conns: HashMap<String, Conn>,
    /// Node id → host:port, from the last Metadata answer.
    nodes: HashMap<i32, String>,
    first: String,
}

impl Cluster {
    /// Connects to the first reachable bootstrap server; fails naming them all otherwise.
    pub fn connect(bootstrap: &str) -> ToolResult<Cluster> {
        for addr in bootstrap
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
        {
            if let Ok(conn) = Conn::open(addr) {
                let mut conns = HashMap::new();
                conns.insert(addr.to_string(), conn);
                return Ok(Cluster {
                    conns,
                    nodes: HashMap::new(),
                    first: addr.to_string(),
                });
            }
        }
        Err(super::unreachable(bootstrap))
    }

    /// The bootstrap connection, for requests any broker can answer.
    pub fn any(&mut self) -> &mut Conn {
        self.conns
            .get_mut(&self.first)
            .expect("bootstrap connection")
    }

    fn at(&mut self, addr: String) -> ToolResult<&mut Conn> {
        if !self.conns.contains_key(&addr) {
            let conn = Conn::open(&addr)?;
            self.conns.insert(addr.clone(), conn);
        }
        Ok(self.conns.get_mut(&addr).expect("just inserted"))
    }

    /// The connection to broker `node`.
    pub fn node(&mut self, node: i32) -> ToolResult<&mut Conn> {
        if !self.nodes.contains_key(&node) {
            self.metadata(Some(&[]))?;
        }
        let addr =
            self.nodes.get(&node).cloned().ok_or_else(|| {
                ToolError(format!("broker {node} is not in the cluster metadata"))
            })?;
        self.at(addr)
    }

    /// Metadata for `topics` (all topics for `None`); remembers broker addresses.
    pub fn metadata(&mut self, topics: Option<&[String]>) -> ToolResult<MetadataResponse> {
        use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
        use kafka_protocol::messages::TopicName;
        let mut req = MetadataRequest::default();
        req.topics = topics.map(|ts| {
            ts.iter()
                .map(|t| {
                    let mut mt = MetadataRequestTopic::default();
                    mt.name = Some(TopicName(StrBytes::from_string(t.clone())));
                    mt
                })
                .collect()
        });
        req.allow_auto_topic_creation = false;
        let resp = self.any().call(&req)?;
        for b in &resp.brokers {
            self.nodes
                .insert(b.node_id.0, format!("{}:{}", b.host.as_str(), b.port));
        }
        Ok(resp)
    }

    /// The coordinator of `group`, found with FindCoordinator; its connection is then
    /// [`node`](Self::node)`(coordinator.id)`.
    pub fn coordinator(&mut self, group: &str) -> ToolResult<Node> {
        let conn = self.any();
        let v = conn.version_of::<FindCoordinatorRequest>()?;
        let mut req = FindCoordinatorRequest::default();
        if v >= 4 {
            req.coordinator_keys = vec![StrBytes::from_string(group.to_string())];
        } else {
            req.key = StrBytes::from_string(group.to_string());
        }
        let resp = conn.call(&req)?;
        let (code, node) = if v >= 4 {
            let c = resp
                .coordinators
                .first()
                .ok_or_else(|| ToolError("FindCoordinator: empty answer".into()))?;
            (c.error_code, Node::new(c.node_id.0, &c.host, c.port))
        } else {
            (
                resp.error_code,
                Node::new(resp.node_id.0, &resp.host, resp.port),
            )
        };
        check(
            code,
            &format!("cannot find the coordinator of group '{group}'"),
        )?;
        self.nodes.insert(node.id, node.addr());
        Ok(node)
    }

    /// The ids of every broker in the cluster.
    pub fn broker_ids(&mut self) -> ToolResult<Vec<i32>> {
        let meta = self.metadata(Some(&[]))?;
        let mut ids: Vec<i32> = meta.brokers.iter().map(|b| b.node_id.0).collect();
        ids.sort();
        Ok(ids)
    }
}

/// A broker's identity as FindCoordinator reports it.
#[derive(Clone, Debug)]
pub struct Node {
    pub id: i32,
    pub host: String,
    pub port: i32,
}

impl Node {
    fn new(id: i32, host: &StrBytes, port: i32) -> Node {
        Node {
            id,
            host: host.to_string(),
            port,
        }
    }

    pub fn addr(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}
