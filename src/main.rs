//! The `autoheal` binary: parse the command line, start logging, run.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = autoheal::cli::Cli::parse();
    autoheal::platform::logging::init();
    // Analysing one log needs no network and no worker threads: starting fast matters more
    // (one process per downloaded log, in a workflow).
    let single = matches!(cli.command, Some(autoheal::cli::Command::Analyze(_)));
    let built = if single {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
    };
    let runtime = match built {
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
