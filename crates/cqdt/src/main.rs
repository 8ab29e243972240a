//! The `cqdt` binary: reads the command line and configuration, sets up logging and the async
//! runtime, and runs the command (the `cqdt` library holds everything else).

use std::process::ExitCode;

use clap::Parser;
use cqdt::config::{Cli, Command, Config};

fn init_logging(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("CQDT_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info,async_nats=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if json {
        builder.json().flatten_event(true).init();
    } else {
        builder.init();
    }
}

#[allow(clippy::print_stderr)] // Errors that stop the command go to the terminal.
fn main() -> ExitCode {
    let cli = Cli::parse();
    let serve_args = match &cli.command {
        Command::Serve(s) => Some(s),
        _ => None,
    };
    let config = match Config::resolve(&cli.global, serve_args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cqdt: {e}");
            return ExitCode::from(2);
        }
    };
    init_logging(config.log_json);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cqdt: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let database_url_flag = cli.global.database_url.clone();
    match runtime.block_on(cqdt::run(cli.command, config, database_url_flag)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("cqdt: {e}");
            ExitCode::FAILURE
        }
    }
}
