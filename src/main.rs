//! The `autoheal` binary: parse the command line, start logging, run.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = autoheal::cli::Cli::parse();
    autoheal::logging::init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("autoheal: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(autoheal::cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            autoheal::cli::output::to_stderr(&format!("autoheal: {}", failure.message));
            ExitCode::from(failure.code)
        }
    }
}
