//! om: manage services made of docker containers, the OpenSVC way, without a daemon.

mod action;
mod cgroup;
mod cli;
mod commands;
mod complete;
mod config;
mod debug;
mod docker;
mod docs;
mod error;
mod fsutil;
mod ha;
mod hash;
mod host;
mod interrupt;
mod logger;
mod model;
mod nodename;
mod nodes;
mod objects;
mod output;
mod pacemaker;
mod parallel;
mod paths;
mod process;
mod procs;
mod resource;
mod secret;
mod selector;
mod shells;
mod state;
mod status;
mod substitute;
mod text;
mod units;

fn main() -> std::process::ExitCode {
    // The outside world, read once: everything below gets it as data.
    let host = host::Host::from_env();
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // With COMPLETE=<shell> set, answer the shell's completion request and exit.
    clap_complete::CompleteEnv::with_factory(|| {
        cli::completion_command(&std::sync::Arc::new(complete::Site {
            host: host.as_ref().ok().cloned(),
            line: args
                .iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect(),
        }))
    })
    .shells(shells::all())
    .bin("om")
    .completer("om")
    .complete();
    match commands::run(host, args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            if !e.said() {
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
