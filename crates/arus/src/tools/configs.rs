//! `arus configs`: kafka-configs.sh.

use clap::Args;

#[derive(Args, Debug)]
pub struct ConfigsArgs {
    /// REQUIRED: the server(s) to connect to (host:port[,host:port...]).
    #[arg(long = "bootstrap-server", value_name = "SERVER")]
    pub bootstrap_server: Option<String>,
}

pub fn run(_args: ConfigsArgs) -> i32 {
    eprintln!("Error: configs is being written");
    1
}
