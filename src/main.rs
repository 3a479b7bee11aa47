//! om: manage services made of docker containers, the OpenSVC way, without a daemon.

mod cgroup;
mod cli;
mod commands;
mod complete;
mod config;
mod docker;
mod docs;
mod error;
mod fsutil;
mod host;
mod interrupt;
mod logger;
mod model;
mod nodename;
mod objects;
mod par;
mod paths;
mod plan;
mod process;
mod procs;
mod resource;
mod secret;
mod selector;
mod state;
mod status;
mod substitute;
mod text;
mod transport;

fn main() -> std::process::ExitCode {
    // With COMPLETE=<shell> set, answer the shell's completion request and exit.
    clap_complete::CompleteEnv::with_factory(complete::command)
        .bin("om")
        .completer("om")
        .complete();
    match commands::run(std::env::args_os().collect()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            if !matches!(e, error::Error::Child(_)) {
                text::say(&e.to_string());
            }
            // An action cut short by a signal exits 128+N (SPEC 4.3),
            // whatever failure it reported on the way.
            let code =
                interrupt::received().map_or(e.code(), |sig| error::Error::Interrupted(sig).code());
            std::process::ExitCode::from(code)
        }
    }
}
