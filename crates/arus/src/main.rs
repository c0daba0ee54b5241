//! The `arus` binary: argument parsing and dispatch to the broker and tools.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

mod tools;

#[derive(Parser)]
#[command(
    name = "arus",
    version,
    about = "A Kafka-compatible event streaming platform in one binary"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a broker (like kafka-server-start.sh). Without a config file it uses embedded
    /// defaults: listener 127.0.0.1:9092, data under ./arus-data.
    Server {
        /// A Kafka-style server.properties file.
        #[arg(long = "config", short = 'c', value_name = "FILE")]
        config: Option<PathBuf>,
        /// The properties file as a positional argument, as kafka-server-start.sh takes it.
        #[arg(value_name = "server.properties", conflicts_with = "config")]
        config_positional: Option<PathBuf>,
        /// Override one property: --override key=value (repeatable).
        #[arg(long = "override", value_name = "KEY=VALUE")]
        overrides: Vec<String>,
    },
    /// Create, list, describe, alter and delete topics (like kafka-topics.sh).
    Topics(tools::topics::TopicsArgs),
    /// Write lines from stdin to a topic, one record per line (like kafka-console-producer.sh).
    ConsoleProducer(tools::producer::ProducerArgs),
    /// Print records of a topic to stdout (like kafka-console-consumer.sh).
    ConsoleConsumer(tools::consumer::ConsumerArgs),
    /// List, describe and delete consumer groups; reset and delete their offsets
    /// (like kafka-consumer-groups.sh).
    ConsumerGroups(tools::groups::GroupsArgs),
    /// Describe and alter topic and broker configs (like kafka-configs.sh).
    Configs(tools::configs::ConfigsArgs),
    /// Benchmark producers, consumers and end-to-end latency (like kafka-producer-perf-test.sh
    /// and kafka-consumer-perf-test.sh).
    Perf(tools::perf::PerfArgs),
    /// Write Kafka's script names (kafka-topics.sh, ...) into DIR as wrappers around this
    /// binary, for scripts that already call them.
    InstallScripts {
        /// The directory to write the wrappers into (created if missing).
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
    /// Print a shell completion script: `arus completions bash > /etc/bash_completion.d/arus`.
    Completions {
        #[arg(value_enum, value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Server {
            config,
            config_positional,
            overrides,
        } => server(config.or(config_positional), overrides),
        Command::Topics(args) => std::process::exit(tools::topics::run(args)),
        Command::ConsoleProducer(args) => std::process::exit(tools::producer::run(args)),
        Command::ConsoleConsumer(args) => std::process::exit(tools::consumer::run(args)),
        Command::ConsumerGroups(args) => std::process::exit(tools::groups::run(args)),
        Command::Configs(args) => std::process::exit(tools::configs::run(args)),
        Command::Perf(args) => std::process::exit(tools::perf::run(args)),
        Command::InstallScripts { dir } => tools::scripts::install(&dir),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(shell, &mut Cli::command(), "arus", &mut std::io::stdout());
            Ok(())
        }
    };
    if let Err(e) = result {
        eprintln!("arus: {e:#}");
        std::process::exit(1);
    }
}

fn server(config_file: Option<PathBuf>, overrides: Vec<String>) -> anyhow::Result<()> {
    init_logging();
    let mut pairs = Vec::new();
    if let Some(path) = &config_file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config file {}", path.display()))?;
        pairs = arus_broker::config::parse_properties(&text)
            .with_context(|| format!("in {}", path.display()))?;
    }
    for o in &overrides {
        pairs.push(arus_broker::config::parse_override(o)?);
    }
    let config = arus_broker::config::BrokerConfig::from_pairs(pairs)?;
    for key in config.ignored_keys() {
        tracing::warn!(key = %key, "config is accepted for compatibility but has no effect in Arus");
    }
    for key in config.unknown_keys() {
        tracing::warn!("The configuration '{key}' was supplied but isn't a known config.");
    }
    // Bound before anything is loaded, so a taken port fails the start at once.
    let console = match config.console_listener() {
        Some(addr) => Some(arus_console::bind(addr)?),
        None => None,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("arus")
        .build()?;
    let mut console_error = None;
    let result = runtime.block_on(arus_broker::server::run_with(
        config,
        |broker| {
            if let Some(listener) = console {
                match arus_console::start(listener, broker) {
                    Ok(addr) => eprintln!("arus: console on http://{addr}"),
                    Err(e) => console_error = Some(e),
                }
            }
        },
        |bound| {
            let mut out = std::io::stdout().lock();
            for (name, addr) in bound {
                let _ = writeln!(out, "arus: listening on {name}://{addr}");
            }
            let _ = out.flush();
        },
    ));
    if let Some(e) = console_error {
        tracing::error!(error = %e, "the web console could not start");
    }
    result
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

/// Keeps hostile length fields in requests from aborting the process (see the module).
#[global_allocator]
static ALLOCATOR: arus_broker::alloc_guard::GuardedAlloc = arus_broker::alloc_guard::GuardedAlloc;
