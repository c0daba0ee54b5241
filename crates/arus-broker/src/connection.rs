//! One client connection: reads size-prefixed request frames, hands each to the dispatcher
//! and writes the responses back in request order (fetched batches by `sendfile`).
//!
//! Like Kafka, a connection's requests are processed one at a time; clients may still send
//! several before reading (pipelining) and get the responses in order.

use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::sync::Arc;

use arus_log::FileRange;
use bytes::{BufMut, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader, Interest};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::TcpStream;
use tracing::{debug, warn};

use crate::broker::Broker;
use crate::dispatch::{self, Reply};
use crate::response_buf::Piece;

/// Smallest valid request: api key, api version and correlation ID.
const MIN_FRAME: usize = 8;

/// Serves one connection until the client closes it or sends something unusable.
pub async fn serve(stream: TcpStream, peer: SocketAddr, listener: String, broker: Arc<Broker>) {
    let _ = stream.set_nodelay(true);
    let _open = broker.metrics.connection_opened();
    let (read_half, mut writer) = stream.into_split();
    let mut reader = BufReader::with_capacity(64 * 1024, read_half);
    let max = broker.config.socket_request_max_bytes().max(0) as usize;
    let ctx = dispatch::ConnectionContext { peer, listener };
    loop {
        let size = match reader.read_i32().await {
            Ok(n) => n,
            Err(_) => {
                debug!(%peer, "connection closed");
                return;
            }
        };
        // Checked before allocating, so a hostile length cannot make us reserve memory.
        if size < 0 || size as usize > max {
            warn!(%peer, size, limit = max, "request size exceeds socket.request.max.bytes; closing connection");
            return;
        }
        let size = size as usize;
        if size < MIN_FRAME {
            warn!(%peer, size, "request frame too short; closing connection");
            return;
        }
        // A fresh buffer per request: a connection that once sent a large request does not
        // keep its memory while idle.
        let mut frame = BytesMut::with_capacity(size);
        if let Err(e) = read_frame(&mut reader, &mut frame, size).await {
            warn!(%peer, error = %e, "connection closed in the middle of a request");
            return;
        }
        match dispatch::handle(&broker, &ctx, frame.freeze()).await {
            Reply::Send(parts) => {
                if let Err(e) = write_all_parts(&mut writer, &parts).await {
                    debug!(%peer, error = %e, "could not write response");
                    return;
                }
            }
            Reply::Nothing => {}
            Reply::Close(reason) => {
                warn!(%peer, %reason, "closing connection");
                return;
            }
        }
    }
}

/// Reads a `size`-byte frame into `frame` (empty, with room for `size`) without zero-filling
/// it first: large produce requests go straight from the socket into their final buffer.
async fn read_frame<R: AsyncRead + Unpin>(
    reader: &mut R,
    frame: &mut BytesMut,
    size: usize,
) -> io::Result<()> {
    while frame.len() < size {
        let want = size - frame.len();
        if reader.read_buf(&mut (&mut *frame).limit(want)).await? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
    }
    Ok(())
}

/// Writes a response's pieces in order: runs of in-memory pieces with vectored writes, file
/// ranges with `sendfile` straight from the page cache.
async fn write_all_parts(writer: &mut OwnedWriteHalf, parts: &[Piece]) -> io::Result<()> {
    let mut rest = parts;
    while let Some(first) = rest.first() {
        if let Piece::File(range) = first {
            send_file(writer.as_ref(), range).await?;
            rest = &rest[1..];
            continue;
        }
        let run = rest
            .iter()
            .position(|p| matches!(p, Piece::File(_)))
            .unwrap_or(rest.len());
        let mut slices: Vec<IoSlice<'_>> = rest[..run]
            .iter()
            .filter_map(|p| match p {
                Piece::Bytes(b) => Some(IoSlice::new(b)),
                Piece::File(_) => None,
            })
            .collect();
        let mut remaining: &mut [IoSlice<'_>] = &mut slices;
        while !remaining.is_empty() {
            match writer.write_vectored(remaining).await? {
                0 => return Err(io::ErrorKind::WriteZero.into()),
                n => IoSlice::advance_slices(&mut remaining, n),
            }
        }
        rest = &rest[run..];
    }
    Ok(())
}

/// Sends a segment file range to the socket with `sendfile`, waiting for the socket to take
/// more whenever it is full. A segment shorter than planned is an error (the client retries).
#[allow(unsafe_code)]
async fn send_file(socket: &TcpStream, range: &FileRange) -> io::Result<()> {
    let mut offset = libc::off_t::try_from(range.position)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "file position too large"))?;
    let mut left = range.len;
    while left > 0 {
        socket.writable().await?;
        let sent = socket.try_io(Interest::WRITABLE, || {
            // SAFETY: both descriptors are open for the call (the socket is borrowed, the file
            // is held by `range`); sendfile reads the file at `offset` and advances it.
            let n = unsafe {
                libc::sendfile(
                    socket.as_raw_fd(),
                    range.file.as_raw_fd(),
                    &mut offset,
                    left,
                )
            };
            if n < 0 {
                Err(io::Error::last_os_error())
            } else {
                Ok(n as usize)
            }
        });
        match sent {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "segment file ended before the planned fetch range",
                ))
            }
            Ok(n) => left -= n.min(left),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                ) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
