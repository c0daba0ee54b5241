//! Decodes a request frame, routes it to its handler and encodes the response.
//!
//! A request for an API or version we do not advertise, or one whose body does not decode,
//! closes that one connection (as Kafka does), except ApiVersions, which answers
//! UNSUPPORTED_VERSION with a v0 body so clients can pick a version.

use std::net::SocketAddr;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::{
    ApiKey, FetchResponse, RequestHeader, RequestKind, ResponseHeader, ResponseKind,
};
use kafka_protocol::protocol::{Decodable, Encodable};

use crate::broker::Broker;
use crate::groups::Caller;
use crate::handlers;
use crate::response_buf::{Piece, ResponseBuf};

/// What the connection should do after a request.
pub enum Reply {
    /// Write these pieces, in order (size prefix included); fetched record batches are
    /// file ranges of their own, sent from the page cache.
    Send(Vec<Piece>),
    /// Write nothing (a produce with acks=0).
    Nothing,
    /// Close the connection, logging why.
    Close(String),
}

/// Facts about the connection a request came in on.
pub struct ConnectionContext {
    /// The client's address.
    pub peer: SocketAddr,
    /// Name of the listener the client connected to.
    pub listener: String,
}

/// Handles one request frame.
pub async fn handle(broker: &Broker, ctx: &ConnectionContext, frame: Bytes) -> Reply {
    let started = Instant::now();
    let raw_key = i16::from_be_bytes([frame[0], frame[1]]);
    let reply = handle_frame(broker, ctx, frame).await;
    broker.metrics.record_request(raw_key, started.elapsed());
    reply
}

async fn handle_frame(broker: &Broker, ctx: &ConnectionContext, mut frame: Bytes) -> Reply {
    let raw_key = i16::from_be_bytes([frame[0], frame[1]]);
    let version = i16::from_be_bytes([frame[2], frame[3]]);
    let correlation_id = i32::from_be_bytes([frame[4], frame[5], frame[6], frame[7]]);
    let Ok(api_key) = ApiKey::try_from(raw_key) else {
        return Reply::Close(format!("unknown API key {raw_key}"));
    };
    let Some(range) = handlers::api_versions::supported(api_key) else {
        return Reply::Close(format!("unsupported API {api_key:?} (key {raw_key})"));
    };
    if version < range.min || version > range.max {
        if api_key == ApiKey::ApiVersions {
            let body = handlers::api_versions::unsupported_version_response();
            return encode_response(correlation_id, ApiKey::ApiVersions, 0, &body);
        }
        return Reply::Close(format!(
            "unsupported version {version} of {api_key:?} (supported {}-{})",
            range.min, range.max
        ));
    }
    let header = match RequestHeader::decode(&mut frame, api_key.request_header_version(version)) {
        Ok(h) => h,
        Err(e) => return Reply::Close(format!("malformed {api_key:?} request header: {e}")),
    };
    let request = match RequestKind::decode(api_key, &mut frame, version) {
        Ok(r) => r,
        Err(e) => return Reply::Close(format!("malformed {api_key:?} v{version} request: {e}")),
    };
    // A client socket's fetch leaves the batches in the segment files for sendfile.
    let request = match request {
        RequestKind::Fetch(fetch) => {
            let (response, files) =
                handlers::fetch::handle_for_socket(broker, version, fetch).await;
            return encode_fetch(correlation_id, api_key, version, &response, files);
        }
        other => other,
    };
    let response = match call(broker, ctx, &header, request).await {
        Ok(Some(r)) => r,
        Ok(None) => return Reply::Nothing,
        Err(reason) => return Reply::Close(reason),
    };
    encode_response(correlation_id, api_key, version, &response)
}

/// Runs one decoded request through its handler: the path every network request takes, and
/// the in-process entry for the web console, which reads and changes the broker only through
/// the same requests a client would send. `Ok(None)` means no response (acks=0 produce);
/// `Err` is the reason a network connection would be closed.
pub async fn call(
    broker: &Broker,
    ctx: &ConnectionContext,
    header: &RequestHeader,
    request: RequestKind,
) -> Result<Option<ResponseKind>, String> {
    let version = header.request_api_version;
    Ok(Some(match request {
        RequestKind::ApiVersions(r) => ResponseKind::ApiVersions(handlers::api_versions::handle(r)),
        RequestKind::Metadata(r) => {
            ResponseKind::Metadata(handlers::metadata::handle(broker, ctx, version, r))
        }
        RequestKind::Produce(r) => match handlers::produce::handle(broker, version, r) {
            Some(resp) => ResponseKind::Produce(resp),
            None => return Ok(None),
        },
        RequestKind::Fetch(r) => {
            ResponseKind::Fetch(handlers::fetch::handle(broker, version, r).await)
        }
        RequestKind::ListOffsets(r) => {
            ResponseKind::ListOffsets(handlers::list_offsets::handle(broker, version, r))
        }
        RequestKind::CreateTopics(r) => {
            ResponseKind::CreateTopics(handlers::create_topics::handle(broker, version, r))
        }
        RequestKind::DeleteTopics(r) => {
            ResponseKind::DeleteTopics(handlers::delete_topics::handle(broker, version, r))
        }
        RequestKind::CreatePartitions(r) => {
            ResponseKind::CreatePartitions(handlers::create_partitions::handle(broker, r))
        }
        RequestKind::DescribeConfigs(r) => {
            ResponseKind::DescribeConfigs(handlers::describe_configs::handle(broker, version, r))
        }
        RequestKind::AlterConfigs(r) => {
            ResponseKind::AlterConfigs(handlers::alter_configs::handle_alter(broker, r))
        }
        RequestKind::IncrementalAlterConfigs(r) => ResponseKind::IncrementalAlterConfigs(
            handlers::alter_configs::handle_incremental(broker, r),
        ),
        RequestKind::DeleteRecords(r) => {
            ResponseKind::DeleteRecords(handlers::delete_records::handle(broker, r))
        }
        RequestKind::FindCoordinator(r) => ResponseKind::FindCoordinator(
            handlers::find_coordinator::handle(broker, ctx, version, r),
        ),
        RequestKind::InitProducerId(r) => {
            ResponseKind::InitProducerId(handlers::init_producer_id::handle(broker, version, r))
        }
        RequestKind::AddPartitionsToTxn(r) => {
            ResponseKind::AddPartitionsToTxn(handlers::txn_apis::add_partitions(broker, version, r))
        }
        RequestKind::AddOffsetsToTxn(r) => {
            ResponseKind::AddOffsetsToTxn(handlers::txn_apis::add_offsets(broker, version, r))
        }
        RequestKind::EndTxn(r) => {
            ResponseKind::EndTxn(handlers::txn_apis::end_txn(broker, version, r))
        }
        RequestKind::DescribeProducers(r) => {
            ResponseKind::DescribeProducers(handlers::txn_admin::describe_producers(broker, r))
        }
        RequestKind::ListTransactions(r) => {
            ResponseKind::ListTransactions(handlers::txn_admin::list_transactions(broker, r))
        }
        RequestKind::DescribeTransactions(r) => ResponseKind::DescribeTransactions(
            handlers::txn_admin::describe_transactions(broker, r),
        ),
        RequestKind::DescribeCluster(r) => {
            ResponseKind::DescribeCluster(handlers::describe_cluster::handle(broker, ctx, r))
        }
        RequestKind::DescribeLogDirs(r) => {
            ResponseKind::DescribeLogDirs(handlers::describe_log_dirs::handle(broker, r))
        }
        group @ (RequestKind::JoinGroup(_)
        | RequestKind::SyncGroup(_)
        | RequestKind::Heartbeat(_)
        | RequestKind::LeaveGroup(_)
        | RequestKind::OffsetCommit(_)
        | RequestKind::OffsetFetch(_)
        | RequestKind::OffsetDelete(_)
        | RequestKind::ListGroups(_)
        | RequestKind::DescribeGroups(_)
        | RequestKind::DeleteGroups(_)
        | RequestKind::ConsumerGroupHeartbeat(_)
        | RequestKind::ConsumerGroupDescribe(_)
        | RequestKind::TxnOffsetCommit(_)) => {
            let client_id = header.client_id.as_deref().unwrap_or("");
            // Kafka reports member hosts as "/<address>".
            let client_host = format!("/{}", ctx.peer.ip());
            let caller = Caller {
                version,
                client_id,
                client_host: &client_host,
            };
            handlers::group_apis::handle(broker, &caller, group).await?
        }
        other => {
            return Err(format!(
                "no handler for {:?}",
                std::mem::discriminant(&other)
            ))
        }
    }))
}

fn encode_response(
    correlation_id: i32,
    api_key: ApiKey,
    version: i16,
    body: &ResponseKind,
) -> Reply {
    let header = ResponseHeader::default().with_correlation_id(correlation_id);
    let mut buf = BytesMut::with_capacity(256);
    let encoded = header
        .encode(&mut buf, api_key.response_header_version(version))
        .and_then(|_| body.encode(&mut buf, version))
        .map(|_| vec![Piece::Bytes(buf.freeze())])
        .map_err(|e| e.to_string());
    with_size_prefix(api_key, version, encoded)
}

/// Encodes a socket fetch's response; each stand-in becomes its segment file range.
fn encode_fetch(
    correlation_id: i32,
    api_key: ApiKey,
    version: i16,
    body: &FetchResponse,
    files: Vec<(Bytes, arus_log::FileRange)>,
) -> Reply {
    let header = ResponseHeader::default().with_correlation_id(correlation_id);
    let mut buf = ResponseBuf::new(files);
    let encoded = header
        .encode(&mut buf, api_key.response_header_version(version))
        .and_then(|_| body.encode(&mut buf, version))
        .map_err(|e| e.to_string())
        .and_then(|_| buf.into_pieces());
    with_size_prefix(api_key, version, encoded)
}

fn with_size_prefix(api_key: ApiKey, version: i16, encoded: Result<Vec<Piece>, String>) -> Reply {
    let pieces = match encoded {
        Ok(pieces) => pieces,
        Err(e) => {
            return Reply::Close(format!(
                "could not encode {api_key:?} v{version} response: {e}"
            ))
        }
    };
    let len: usize = pieces.iter().map(Piece::len).sum();
    let Ok(size) = i32::try_from(len) else {
        return Reply::Close(format!("{api_key:?} response of {len} bytes is too large"));
    };
    let mut parts = Vec::with_capacity(pieces.len() + 1);
    parts.push(Piece::Bytes(Bytes::copy_from_slice(&size.to_be_bytes())));
    parts.extend(pieces);
    Reply::Send(parts)
}
