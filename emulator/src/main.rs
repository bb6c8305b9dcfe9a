//! `atlassian-emulator`: the library's server as a program (flags in `program.rs`).

use std::process::ExitCode;

use atlassian_emulator::program::{Command, ServeArgs, USAGE};

#[tokio::main]
async fn main() -> ExitCode {
    let args = match ServeArgs::parse(std::env::args().skip(1)) {
        Ok(Command::Serve(args)) => args,
        Ok(Command::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("atlassian-emulator: {message}");
            return ExitCode::from(2);
        }
    };
    match args.run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("atlassian-emulator: {e}");
            ExitCode::FAILURE
        }
    }
}
