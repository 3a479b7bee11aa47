//! The one query om makes of a private daemon without the docker CLI: its
//! container list, `GET /containers/json?all=1` on its socket (what
//! `docker -H … ps -a` asks). Status lists every engine at once, and three
//! docker CLIs at ~18 ms of CPU each would share two cores; a request costs
//! a millisecond. It is a read, never logged (a logged line is always a
//! docker command that replays). Kept because it pays: `scripts/bench h`
//! gave a ratio of 1.39-1.43 with it and 2.13-2.83 with the CLI in its
//! place (target <= 1.5; issue 22).

use super::inspect::{self, ContainerInfo};
use crate::error::{Error, Result};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

/// The largest answer read: a list of tens of thousands of containers.
const MAX_ANSWER: u64 = 256 << 20;

/// Every container of the daemon listening on `socket`.
pub fn containers(socket: &Path, bound: Duration) -> Result<Vec<ContainerInfo>> {
    let what = list_what(socket);
    let stream = UnixStream::connect(socket).map_err(|e| Error::engine(&what, e.to_string()))?;
    containers_on(stream, socket, bound, None)
}

fn list_what(socket: &Path) -> String {
    format!("GET unix://{}{LIST}", socket.display())
}

const LIST: &str = "/containers/json?all=1";

/// The same on a connection made (`socket` names it), the request said
/// in a D line with `--debug`.
pub fn containers_on(
    stream: UnixStream,
    socket: &Path,
    bound: Duration,
    trace: Option<&crate::debug::Trace>,
) -> Result<Vec<ContainerInfo>> {
    let what = list_what(socket);
    let t = std::time::Instant::now();
    let body = get_on(stream, LIST, bound);
    crate::debug::line(trace, || {
        let said = match &body {
            Ok(_) => "200".to_string(),
            Err(Fault::Unreachable(e) | Fault::Unreadable(e)) => e.clone(),
        };
        format!("{what}: {said}, {}", crate::debug::ms(t.elapsed()))
    });
    let body = body.map_err(|e| match e {
        Fault::Unreachable(e) => Error::engine(&what, e),
        Fault::Unreadable(e) => Error::call(&what, e),
    })?;
    parse(&what, &body)
}

/// Whether the daemon on `socket` answers (`GET /_ping`), within `bound`.
pub fn answers(socket: &Path, bound: Duration) -> bool {
    get(socket, "/_ping", bound).is_ok()
}

enum Fault {
    Unreachable(String),
    Unreadable(String),
}

/// An HTTP/1.0 GET (the daemon closes the connection after its answer, so
/// the body is the rest of the stream); the body of a 200 answer.
fn get(socket: &Path, path: &str, bound: Duration) -> std::result::Result<String, Fault> {
    let stream = UnixStream::connect(socket).map_err(|e| Fault::Unreachable(e.to_string()))?;
    get_on(stream, path, bound)
}

fn get_on(
    mut stream: UnixStream,
    path: &str,
    bound: Duration,
) -> std::result::Result<String, Fault> {
    let io = |e: std::io::Error| Fault::Unreadable(e.to_string());
    stream.set_read_timeout(Some(bound)).map_err(io)?;
    stream.set_write_timeout(Some(bound)).map_err(io)?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: docker\r\n\r\n").map_err(io)?;
    // The bound holds for the whole answer, not for each read: a daemon
    // that trickles bytes is cut at the deadline too.
    let deadline = std::time::Instant::now() + bound;
    let late = || {
        Fault::Unreadable(format!(
            "no answer within {}",
            crate::units::humanize(bound)
        ))
    };
    let mut answer = Vec::new();
    let mut chunk = [0u8; 64 * 1024];
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return Err(late());
        }
        // a slice at a time: a signal (^C, SIGTERM) cuts the wait, as it
        // cuts a CLI call
        if let Some(sig) = crate::interrupt::pending() {
            return Err(Fault::Unreadable(format!("interrupted by signal {sig}")));
        }
        stream
            .set_read_timeout(Some(left.min(crate::interrupt::SLICE)))
            .map_err(io)?;
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                answer.extend_from_slice(&chunk[..n]);
                if answer.len() as u64 > MAX_ANSWER {
                    return Err(Fault::Unreadable(format!(
                        "an answer over {} MiB",
                        MAX_ANSWER >> 20
                    )));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) => return Err(io(e)),
        }
    }
    let text = String::from_utf8(answer).map_err(|_| Fault::Unreadable("not UTF-8".into()))?;
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| Fault::Unreadable("no HTTP answer".into()))?;
    let status = head.lines().next().unwrap_or_default();
    if status.split_whitespace().nth(1) != Some("200") {
        let said = crate::text::cut(body.trim(), 300);
        return Err(Fault::Unreadable(format!("{status}: {said}")));
    }
    Ok(body.to_string())
}

/// The API's container list, as `docker ps` would show it; the answer to
/// the request `what`.
fn parse(what: &str, body: &str) -> Result<Vec<ContainerInfo>> {
    let list: Vec<Value> = serde_json::from_str(body)
        .map_err(|e| Error::call(what, format!("unreadable answer: {e}")))?;
    list.iter()
        .map(|c| {
            one(c).ok_or_else(|| {
                Error::call(
                    what,
                    format!(
                        "unreadable container {}",
                        crate::text::cut(&c.to_string(), 200)
                    ),
                )
            })
        })
        .collect()
}

fn one(c: &Value) -> Option<ContainerInfo> {
    let text = |k: &str| c.get(k).and_then(Value::as_str).map(String::from);
    let id = text("Id").filter(|i| inspect::is_full_id(i))?;
    // Its own name is the one without another `/` (a link alias has one).
    let name = c
        .get("Names")?
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .map(|n| n.trim_start_matches('/'))
        .find(|n| !n.is_empty() && !n.contains('/'))?
        .to_string();
    let mut labels = BTreeMap::new();
    if let Some(all) = c.get("Labels").and_then(Value::as_object) {
        for key in [super::argv::LABEL_ID, super::argv::LABEL_CONFIG] {
            if let Some(v) = all
                .get(key)
                .and_then(Value::as_str)
                .filter(|v| !v.is_empty())
            {
                labels.insert(key.to_string(), v.to_string());
            }
        }
    }
    Some(inspect::listed(
        id,
        name,
        inspect::listed_image(text("Image")?),
        text("State")?,
        &text("Status")?,
        labels,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_list_reads_as_ps_does() {
        let id = "a".repeat(64);
        let body = format!(
            r#"[{{"Id":"{id}","Names":["/web/db","/svc1.container.1"],"Image":"nginx",
            "State":"running","Status":"Up 2 minutes (unhealthy)",
            "Labels":{{"com.opensvc.id":"x.container#1","other":"y"}}}}]"#
        );
        let got = parse("GET", &body).unwrap();
        let line = format!(
            "{id}\tweb/db,svc1.container.1\t\"nginx\"\trunning\t\"Up 2 minutes (unhealthy)\"\t\"x.container#1\"\t\"\""
        );
        assert_eq!(got, vec![inspect::parse_ps_line(&line).unwrap()]);
        assert!(parse("GET", "[{}]").is_err());
        assert!(parse("GET", "not json").is_err());
    }

    #[test]
    fn the_bound_holds_for_the_whole_answer() {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("slow.sock");
        let listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        // a daemon that trickles its answer, a byte every 200 ms
        std::thread::spawn(move || {
            if let Ok((mut conn, _)) = listener.accept() {
                for b in b"HTTP/1.0 200 OK\r\n\r\n[]".iter().cycle().take(100) {
                    if conn.write_all(&[*b]).is_err() {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(200));
                }
            }
        });
        let t = std::time::Instant::now();
        let err = containers(&sock, Duration::from_secs(1)).unwrap_err();
        assert!(err.to_string().contains("no answer within 1s"), "{err}");
        assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    }

    #[test]
    fn a_socket_nobody_listens_on_is_an_unreachable_engine() {
        let dir = tempfile::tempdir().unwrap();
        let err = containers(&dir.path().join("none.sock"), Duration::from_secs(1)).unwrap_err();
        assert!(matches!(err, Error::Engine { .. }), "{err}");
        assert!(
            err.to_string().contains("docker engine unreachable"),
            "{err}"
        );
    }
}
