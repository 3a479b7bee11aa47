//! The docker driver: the engine as a value (`Engine`: program, host
//! args, bound) and the queries om makes of it, argv builders (pure),
//! inspect parsing (pure), the one lookup of a service's containers
//! (`current::Current::find`), and the private daemon. The container
//! kind's actions are `resource::container`.

pub mod api;
pub mod argv;
pub mod current;
pub mod daemon;
pub mod daemon_args;
pub mod data_dir;
pub mod engine;
pub mod inspect;
pub mod socket;
pub mod system_dirs;

use crate::error::{Error, Result};
use crate::process::{capture, Cmd};
use argv::CgroupDriver;
pub use engine::Engine;
use inspect::{engine_unreachable, ContainerInfo};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// Runs a query bound by `bound`; an unreachable engine, a docker killed
/// by a signal and a failure other than `tolerated` stderr lines are errors.
fn query(
    cmd: &Cmd,
    bound: Duration,
    tolerated: impl Fn(&str) -> bool,
) -> Result<crate::process::Output> {
    checked(cmd, capture(cmd, bound)?, tolerated)
}

/// A query's output, or the error it says (see `query`).
fn checked(
    cmd: &Cmd,
    out: crate::process::Output,
    tolerated: impl Fn(&str) -> bool,
) -> Result<crate::process::Output> {
    if out.status.code().is_none() {
        return Err(Error::call(
            cmd,
            format!("docker was killed ({})", out.error_line()),
        ));
    }
    if !out.success() {
        if engine_unreachable(&out.stderr) {
            return Err(Error::engine(cmd, out.error_line()));
        }
        let explained = out.stderr.lines().any(|l| !l.trim().is_empty())
            && out
                .stderr
                .lines()
                .filter(|l| !l.trim().is_empty())
                .all(&tolerated);
        if !explained {
            return Err(Error::call(cmd, out.error_line()));
        }
    }
    Ok(out)
}

/// The reference docker says does not exist, from its stderr line.
fn missing_ref(line: &str) -> Option<&str> {
    ["No such container: ", "No such object: "]
        .iter()
        .find_map(|m| line.split_once(m).map(|(_, r)| r.trim()))
}

/// The images a line of `docker image inspect`'s stderr names missing:
/// what follows each `No such image: ` (any case), up to a blank or a
/// closing colon (`Error response from daemon: no such image: REF: No
/// such image: REF:latest`, `Error: No such image: REF`).
fn missing_images(line: &str) -> Vec<&str> {
    const KEY: &str = "no such image: ";
    let lower = line.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = lower[from..].find(KEY) {
        let start = from + at + KEY.len();
        let word = line[start..].split_whitespace().next().unwrap_or("");
        let word = word.trim_end_matches(':');
        if !word.is_empty() {
            out.push(word);
        }
        from = start;
    }
    out
}

/// Each of `refs` present or not, from `docker image inspect`'s answer
/// (see `Engine::images_present`), or why it can not be told (an
/// `Error::Call` of `cmd`, the query that answered).
fn attribute(
    cmd: &Cmd,
    refs: &[&str],
    out: &crate::process::Output,
) -> Result<HashMap<String, bool>> {
    let named: HashSet<&str> = out.stderr.lines().flat_map(missing_images).collect();
    // docker may name a reference without a tag with the tag it implies
    let missing: HashSet<&str> = refs
        .iter()
        .copied()
        .filter(|r| named.contains(r) || named.contains(format!("{r}:latest").as_str()))
        .collect();
    let ids: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    let one_word = ids.iter().all(|l| l.split_whitespace().count() == 1);
    if !one_word || ids.len() + missing.len() != refs.len() || out.success() != missing.is_empty() {
        return Err(Error::call(
            cmd,
            format!(
                "{} image ids and {} images named missing for {} images: docker's answer can not be trusted",
                ids.len(),
                missing.len(),
                refs.len()
            ),
        ));
    }
    Ok(refs
        .iter()
        .map(|r| (r.to_string(), !missing.contains(r)))
        .collect())
}

/// A `docker ps -a` under way: status starts it before it reads the
/// configs, and reads its rows after (the engine lists while om reads). A
/// private daemon is asked through its socket, on a thread of its own
/// (see `api`).
pub enum Listing {
    Cli {
        cmd: Cmd,
        call: Box<crate::process::Started>,
    },
    Api(std::thread::JoinHandle<Result<Vec<ContainerInfo>>>),
}

impl Listing {
    pub fn start(engine: &Engine) -> Result<Listing> {
        if let Some(socket) = engine.socket() {
            crate::interrupt::check()?;
            let socket = socket.to_path_buf();
            let bound = engine.bound();
            return Ok(Listing::Api(std::thread::spawn(move || {
                api::containers(&socket, bound)
            })));
        }
        // The host's engine, on the socket its CLI would reach: a request
        // instead of a CLI run (~15 ms of CPU each; `scripts/bench o`).
        // A socket that can not be reached is the CLI's to report, in the
        // words (and the hint) an operator knows.
        if let Some(socket) = engine.host_socket() {
            if let Ok(stream) = std::os::unix::net::UnixStream::connect(socket) {
                crate::interrupt::check()?;
                let socket = socket.to_path_buf();
                let bound = engine.bound();
                let trace = engine.trace().cloned();
                return Ok(Listing::Api(std::thread::spawn(move || {
                    api::containers_on(stream, &socket, bound, trace.as_ref())
                })));
            }
        }
        let cmd = engine.cmd(argv::ps_argv());
        let call = crate::process::start(&cmd, engine.bound())?;
        Ok(Listing::Cli {
            cmd,
            call: Box::new(call),
        })
    }

    /// How far an empty list is the engine's word: the engine's own JSON
    /// document says so (`Answered`); a CLI that printed nothing may be a
    /// silent one (`absence` as asked).
    pub fn absence(&self, absence: Absence) -> Absence {
        match (self, absence) {
            (Listing::Api(_), Absence::Listed) => Absence::Answered,
            _ => absence,
        }
    }

    /// The listed containers (see `ps`).
    pub fn rows(self) -> Result<Vec<ContainerInfo>> {
        let (cmd, call) = match self {
            Listing::Api(thread) => {
                let rows = thread
                    .join()
                    .unwrap_or_else(|_| Err(Error::Failed("the container list was lost".into())));
                // a signal that cut the request is om's to end on
                crate::interrupt::check()?;
                return rows;
            }
            Listing::Cli { cmd, call } => (cmd, call),
        };
        let out = checked(&cmd, call.finish()?, |_| false)?;
        out.stdout
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                inspect::parse_ps_line(l).ok_or_else(|| {
                    Error::call(&cmd, format!("unreadable line '{}'", l.escape_debug()))
                })
            })
            .collect()
    }
}

/// How far `survey` trusts the list for the names it does not have.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Absence {
    /// An action (which may delete on it): each name the list does not
    /// have is inspected, and absent only when docker says
    /// `No such container`.
    Confirmed,
    /// Status (which only shows): a list with containers in it is docker's
    /// answer; an empty one is confirmed as above, since a silent docker
    /// prints nothing at all. Keeps status at one call on a busy engine.
    Listed,
    /// Status, from the engine's own document (its API's JSON): an empty
    /// list is its answer too.
    Answered,
}

/// The queries om makes of an engine.
impl Engine {
    /// One `docker container inspect` of all `refs` (names or ids). A ref is
    /// absent only when docker says so ("No such container: REF"); every other
    /// silence (empty output, a ref neither shown nor reported missing, a
    /// failure) is an error.
    pub fn inspect<S: AsRef<str>>(&self, refs: &[S]) -> Result<Vec<ContainerInfo>> {
        if refs.is_empty() {
            return Ok(Vec::new());
        }
        let cmd = self.cmd(argv::inspect_argv(refs));
        let out = query(&cmd, self.bound(), |l| missing_ref(l).is_some())?;
        let infos = inspect::parse(&out.stdout).map_err(|e| Error::call(&cmd, e))?;
        // Sets, so that checking 10 000 refs stays linear. Refs are names or
        // the full ids `docker ps --no-trunc` gave.
        let missing: HashSet<&str> = out.stderr.lines().filter_map(missing_ref).collect();
        let shown: HashSet<&str> = infos
            .iter()
            .flat_map(|i| [i.name.as_str(), i.id.as_str()])
            .collect();
        for r in refs.iter().map(AsRef::as_ref) {
            if !shown.contains(r) && !missing.contains(r) {
                return Err(Error::call(
                    &cmd,
                    format!("docker said nothing of {r}: its answer can not be trusted"),
                ));
            }
        }
        Ok(infos)
    }

    /// The one container named `name`, when docker says it exists; `None`
    /// only when docker says it does not.
    pub fn inspect_one(&self, name: &str) -> Result<Option<ContainerInfo>> {
        Ok(self.inspect(&[name])?.into_iter().find(|i| i.name == name))
    }

    /// Every container of the engine, from one `docker ps -a` (one API
    /// request, whatever the number of containers): ids, names, images, states,
    /// health and om's labels. The health check's output is not in it (see
    /// `inspect`).
    pub fn ps(&self) -> Result<Vec<ContainerInfo>> {
        Listing::start(self)?.rows()
    }

    /// The engine's containers as `ps()` lists them, with docker's own word on
    /// the `names` the list does not have (see `Absence`), and, with `detail`,
    /// the last health check output of the unhealthy ones among `names`. At
    /// most two docker calls, whatever the number of names.
    pub fn survey(
        &self,
        names: &[&str],
        detail: bool,
        absence: Absence,
    ) -> Result<Vec<ContainerInfo>> {
        let listing = Listing::start(self)?;
        let absence = listing.absence(absence);
        self.survey_listed(listing.rows()?, names, detail, false, absence)
    }

    /// `survey`, from the rows of a listing already made; with `exits`,
    /// the stopped ones (exited, dead) among `names` are in the inspect
    /// too, for their exit code and the time they stopped (a listing says
    /// neither): still one inspect, whatever their number.
    pub fn survey_listed(
        &self,
        mut rows: Vec<ContainerInfo>,
        names: &[&str],
        detail: bool,
        exits: bool,
        absence: Absence,
    ) -> Result<Vec<ContainerInfo>> {
        let listed: HashSet<&str> = rows.iter().map(|r| r.name.as_str()).collect();
        let wanted: HashSet<&str> = names.iter().copied().collect();
        let confirm =
            absence == Absence::Confirmed || (absence == Absence::Listed && rows.is_empty());
        let mut refs: Vec<String> = names
            .iter()
            .filter(|n| confirm && !listed.contains(*n))
            .map(|n| n.to_string())
            .collect();
        if detail {
            refs.extend(
                rows.iter()
                    .filter(|r| wanted.contains(r.name.as_str()))
                    .filter(|r| r.running && r.health.as_deref() == Some("unhealthy"))
                    .map(|r| r.id.clone()),
            );
        }
        if exits {
            refs.extend(
                rows.iter()
                    .filter(|r| wanted.contains(r.name.as_str()))
                    .filter(|r| matches!(r.state.as_str(), "exited" | "dead"))
                    .map(|r| r.id.clone()),
            );
        }
        if refs.is_empty() {
            return Ok(rows);
        }
        // inspect's word is the newer and the fuller one (a name changed since
        // the list was taken, the health check's output).
        for d in self.inspect(&refs)? {
            match rows.iter_mut().find(|r| r.id == d.id) {
                Some(r) => *r = d,
                None => rows.push(d),
            }
        }
        Ok(rows)
    }

    /// The engine's cgroup driver (asked once per action).
    pub fn cgroup_driver(&self) -> Result<CgroupDriver> {
        let cmd = self.cmd(argv::cgroup_driver_argv());
        let out = query(&cmd, self.bound(), |_| false)?;
        match out.stdout.trim() {
            "systemd" => Ok(CgroupDriver::Systemd),
            "cgroupfs" => Ok(CgroupDriver::Cgroupfs),
            other => Err(Error::call(
                &cmd,
                format!("unknown cgroup driver '{other}'"),
            )),
        }
    }

    /// Which of `images` are present locally, from one `docker image
    /// inspect` of them all (each distinct image asked once). An image is
    /// absent only when docker names it missing on stderr; the others are
    /// present only when docker printed an id for each of them. An answer
    /// om can not attribute so (another docker's wording) is asked again
    /// image by image, each judged the same way; never concluded from
    /// silence.
    pub fn images_present<S: AsRef<str>>(&self, images: &[S]) -> Result<HashMap<String, bool>> {
        let mut refs: Vec<&str> = images.iter().map(AsRef::as_ref).collect();
        refs.sort_unstable();
        refs.dedup();
        if refs.is_empty() {
            return Ok(HashMap::new());
        }
        let cmd = self.cmd(argv::image_inspect_argv(&refs));
        let out = query(&cmd, self.bound(), |l| !missing_images(l).is_empty())?;
        match attribute(&cmd, &refs, &out) {
            Ok(found) => Ok(found),
            Err(e) if refs.len() == 1 => Err(e),
            Err(_) => {
                let mut found = HashMap::new();
                for r in refs {
                    found.extend(self.images_present(&[r])?);
                }
                Ok(found)
            }
        }
    }

    /// The names (`REPOSITORY:TAG`) of the engine's local images, sorted,
    /// each once; untagged ones left out. Bound by `bound` (completion
    /// waits less than an action).
    pub fn image_names(&self, bound: Duration) -> Result<Vec<String>> {
        let cmd = self.cmd(argv::image_names_argv());
        let out = query(&cmd, bound, |_| false)?;
        let mut names: Vec<String> = out
            .stdout
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.contains("<none>"))
            .map(String::from)
            .collect();
        names.sort();
        names.dedup();
        Ok(names)
    }

    /// The last lines of a container's output (stdout and stderr), for errors.
    pub fn logs_tail(&self, id: &str, lines: usize) -> String {
        let cmd = self.cmd(argv::logs_tail_argv(id, lines));
        match capture(&cmd, self.bound()) {
            Ok(out) => {
                let mut text = out.stdout;
                text.push_str(&out.stderr);
                text.trim_end().to_string()
            }
            Err(e) => e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;

    fn attribute(refs: &[&str], out: &crate::process::Output) -> Result<HashMap<String, bool>> {
        super::attribute(&Cmd::new("docker", ["image", "inspect"]), refs, out)
    }

    fn out(code: i32, stdout: &str, stderr: &str) -> crate::process::Output {
        crate::process::Output {
            status: std::process::ExitStatus::from_raw(code << 8),
            stdout: stdout.into(),
            stderr: stderr.into(),
        }
    }

    #[test]
    fn the_images_docker_names_missing_in_its_wordings() {
        // docker 28 against an older daemon, and the CLI's own wording
        let l = "Error response from daemon: no such image: nosuch: No such image: nosuch:latest";
        assert_eq!(missing_images(l), ["nosuch", "nosuch:latest"]);
        assert_eq!(missing_images("Error: No such image: a/b:1"), ["a/b:1"]);
        let digest = format!("r@sha256:{}", "0".repeat(64));
        let l =
            format!("Error response from daemon: no such image: {digest}: No such image: {digest}");
        assert_eq!(missing_images(&l), [digest.as_str(), digest.as_str()]);
        assert!(missing_images("permission denied").is_empty());
    }

    #[test]
    fn each_image_is_present_or_named_missing_never_guessed() {
        let refs = ["a", "b:2", "c"];
        let got = attribute(
            &refs,
            &out(
                1,
                "sha256:1\nsha256:2\n",
                "Error response from daemon: no such image: b:2: No such image: b:2\n",
            ),
        )
        .unwrap();
        assert_eq!((got["a"], got["b:2"], got["c"]), (true, false, true));
        // named with the tag docker implies
        let got = attribute(&["x"], &out(1, "", "Error: No such image: x:latest\n")).unwrap();
        assert!(!got["x"]);
        // silence, an id short, or a failure naming nothing: no answer
        assert!(attribute(&refs, &out(0, "", "")).is_err());
        assert!(attribute(&refs, &out(0, "sha256:1\nsha256:2\n", "")).is_err());
        assert!(attribute(&["a"], &out(1, "", "")).is_err());
        // a missing one with a success code is not docker's word either
        assert!(attribute(&["a"], &out(0, "", "Error: No such image: a\n")).is_err());
    }
}
