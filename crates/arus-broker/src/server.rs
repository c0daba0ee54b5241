//! Starting and stopping the broker: open the logs, bind the listeners, serve connections,
//! and on SIGTERM/SIGINT stop accepting, finish in-flight requests and close the logs cleanly.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::{info, warn};

use crate::broker::{load_or_create_cluster_id, now_ms, Broker, Endpoint};
use crate::catalog::Catalog;
use crate::config::BrokerConfig;
use crate::groups::Groups;
use crate::producer_ids::ProducerIdAllocator;
use crate::transactions::Transactions;
use crate::{background, connection};

/// Runs the broker until the process is asked to stop. `on_ready` is called with the bound
/// listener addresses once clients can connect.
pub async fn run(
    config: BrokerConfig,
    on_ready: impl FnOnce(&[(String, SocketAddr)]),
) -> anyhow::Result<()> {
    run_with(config, |_| {}, on_ready).await
}

/// [`run`], with `on_started` called with the broker state once its logs, groups and
/// transactions are loaded, just before `on_ready`: the hook through which the binary starts
/// services built on the broker (the web console) without this crate depending on them.
pub async fn run_with(
    config: BrokerConfig,
    on_started: impl FnOnce(Arc<Broker>),
    on_ready: impl FnOnce(&[(String, SocketAddr)]),
) -> anyhow::Result<()> {
    let stop_signals = StopSignals::listen();
    crate::malloc_tuning::tune();
    let config = Arc::new(config);
    let started = std::time::Instant::now();
    let catalog = {
        let config = config.clone();
        tokio::task::spawn_blocking(move || Catalog::open(config, now_ms()))
            .await
            .context("loading logs")??
    };
    let first_dir = config
        .log_dirs()
        .first()
        .context("log.dirs is empty")?
        .clone();
    let cluster_id = load_or_create_cluster_id(&first_dir, config.node_id())
        .with_context(|| format!("reading meta.properties in {}", first_dir.display()))?;

    let mut listeners = Vec::new();
    let mut bound = Vec::new();
    for l in config.broker_listeners() {
        let listener = TcpListener::bind((l.bind_host(), l.port))
            .await
            .with_context(|| format!("binding listener {}://{}:{}", l.name, l.host, l.port))?;
        let addr = listener.local_addr()?;
        bound.push((l.name.clone(), addr));
        listeners.push((l.name.clone(), listener));
    }
    let endpoints = advertised_endpoints(&config, &bound);
    let producer_ids = ProducerIdAllocator::open(&first_dir.join("arus-metadata"))
        .context("opening the producer id allocator")?;
    let broker = Arc::new(Broker::new(
        config.clone(),
        catalog,
        cluster_id,
        endpoints,
        producer_ids,
    ));
    info!(
        node_id = broker.node_id,
        cluster_id = %broker.cluster_id,
        startup_ms = started.elapsed().as_millis() as u64,
        "broker started"
    );
    {
        let b = broker.clone();
        tokio::task::spawn_blocking(move || b.groups.load(&b))
            .await
            .context("loading consumer groups")?
            .map_err(|e| anyhow::anyhow!("loading consumer groups: {e}"))?;
        // After the groups: completing a half-finished transaction may settle offsets.
        let b = broker.clone();
        tokio::task::spawn_blocking(move || b.transactions.load(&b))
            .await
            .context("loading transactions")?
            .map_err(|e| anyhow::anyhow!("loading transactions: {e}"))?;
    }
    on_started(broker.clone());
    on_ready(&bound);

    background::spawn(broker.clone());
    crate::cleaner::spawn(broker.clone());
    Groups::spawn_timers(broker.clone());
    Transactions::spawn_timers(broker.clone());
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut accept_loops = JoinSet::new();
    for (name, listener) in listeners {
        accept_loops.spawn(accept_loop(listener, name, broker.clone(), stop_rx.clone()));
    }

    stop_signals.wait().await;
    info!("shutting down");
    broker.begin_shutdown();
    let _ = stop_tx.send(true);
    while accept_loops.join_next().await.is_some() {}
    let b = broker.clone();
    tokio::task::spawn_blocking(move || b.catalog.shutdown())
        .await
        .context("closing logs")??;
    info!("shut down cleanly");
    Ok(())
}

async fn accept_loop(
    listener: TcpListener,
    name: String,
    broker: Arc<Broker>,
    mut stop: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    connections.spawn(connection::serve(stream, peer, name.clone(), broker.clone()));
                }
                Err(e) => {
                    warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            },
            // Reap finished connections so the set does not grow without bound.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            _ = stop.changed() => break,
        }
    }
    // Aborting waits for each connection task to reach an await point, so no append is cut
    // in half: appends hold no await.
    connections.shutdown().await;
}

/// SIGTERM and SIGINT listeners, registered when the broker starts: a signal that arrives
/// while logs are still loading, or right after the ready line, is then seen and handled as a
/// clean shutdown instead of killing the process with the signal's default action.
struct StopSignals {
    term: Option<tokio::signal::unix::Signal>,
    interrupt: Option<tokio::signal::unix::Signal>,
}

impl StopSignals {
    fn listen() -> StopSignals {
        use tokio::signal::unix::{signal, SignalKind};
        let register = |kind: SignalKind, name: &str| match signal(kind) {
            Ok(s) => Some(s),
            Err(e) => {
                warn!(error = %e, "cannot listen for {name}");
                None
            }
        };
        StopSignals {
            term: register(SignalKind::terminate(), "SIGTERM"),
            interrupt: register(SignalKind::interrupt(), "SIGINT"),
        }
    }

    async fn wait(mut self) {
        async fn recv(s: &mut Option<tokio::signal::unix::Signal>) {
            match s {
                Some(s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        }
        tokio::select! {
            _ = recv(&mut self.term) => {}
            _ = recv(&mut self.interrupt) => {}
        }
    }
}

/// The endpoint each listener advertises: its `advertised.listeners` entry if any, else the
/// bound address (a wildcard address is advertised as this host's name). Port 0 in either
/// becomes the port actually bound.
fn advertised_endpoints(config: &BrokerConfig, bound: &[(String, SocketAddr)]) -> Vec<Endpoint> {
    bound
        .iter()
        .map(|(name, addr)| {
            let advertised = config
                .advertised_listeners()
                .iter()
                .find(|l| &l.name == name);
            let (host, port) = match advertised {
                Some(l) => (
                    l.host.clone(),
                    if l.port == 0 { addr.port() } else { l.port },
                ),
                None => (addr.ip().to_string(), addr.port()),
            };
            let host = if host.is_empty() || host == "0.0.0.0" || host == "::" {
                local_hostname().unwrap_or_else(|| "localhost".into())
            } else {
                host
            };
            Endpoint {
                listener: name.clone(),
                host,
                port,
            }
        })
        .collect()
}

#[allow(unsafe_code)]
fn local_hostname() -> Option<String> {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most buf.len() bytes into the buffer we own.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return None;
    }
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    String::from_utf8(buf[..end].to_vec()).ok()
}
