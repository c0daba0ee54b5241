//! `arus consumer-groups`: kafka-consumer-groups.sh.

use clap::Args;

#[derive(Args, Debug)]
pub struct GroupsArgs {
    /// REQUIRED: the server(s) to connect to (host:port[,host:port...]).
    #[arg(long = "bootstrap-server", value_name = "SERVER")]
    pub bootstrap_server: Option<String>,
}

pub fn run(_args: GroupsArgs) -> i32 {
    eprintln!("Error: consumer-groups is being written");
    1
}
