//! Image pulls on the real engine from a real registry: scripts/test starts
//! a distribution registry on 127.0.0.1:5000 and names it in
//! OM_TEST_REGISTRY. Each test pushes its own tag of the test image there
//! (and drops the local tag), so that only a pull can bring it back. A
//! second registry, behind htpasswd auth (OM_TEST_AUTH_REGISTRY), holds the
//! test image for registry_creds.

use crate::support::*;
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The local image every pushed tag is made from (scripts/test-image).
const BASE: &str = "om-test/busybox:latest";

fn image_present(image: &str) -> bool {
    docker(&["image", "inspect", image]).status.success()
}

fn image_id(image: &str) -> String {
    docker_ok(&["image", "inspect", "--format", "{{.Id}}", image])
}

fn running(name: &str) -> bool {
    inspect(name).is_some_and(|v| v["State"]["Running"] == true)
}

/// Local images (tags or ids) removed when the test ends, however it ends.
/// The registry keeps its tags: scripts/test gives it a fresh storage each
/// time it starts one.
struct Images(Vec<String>);

impl Drop for Images {
    fn drop(&mut self) {
        for image in &self.0 {
            let _ = docker(&["rmi", image]);
        }
    }
}

/// `REGISTRY/om-test/busybox:TAG`, TAG unique, pushed from `source` and then
/// untagged here: the engine has no image of that name until it pulls one.
fn push_unique(reg: &str, source: &str, images: &mut Images) -> String {
    let image = format!("{reg}/om-test/busybox:{}", unique("t"));
    images.0.push(image.clone());
    push(source, &image);
    docker_ok(&["rmi", &image]);
    assert!(!image_present(&image), "{image} still present after rmi");
    image
}

fn push(source: &str, image: &str) {
    docker_ok(&["tag", source, image]);
    docker_ok(&["push", image]);
}

/// An image unlike BASE (a label more), by id: pushed under a tag, it tells
/// a real pull from a local copy.
fn variant(images: &mut Images) -> String {
    let holder = unique("variant");
    docker_ok(&["create", "--name", &holder, BASE]);
    let _holder = Cleanup(vec![holder.clone()]);
    let label = format!("LABEL om.test.variant={holder}");
    let id = docker_ok(&["commit", "--change", &label, &holder]);
    images.0.push(id.clone());
    id
}

fn service(env: &Env, name: &str, image: &str, extra: &str) {
    create(
        env,
        name,
        &format!(
            "[container#1]\ntype = docker\nimage = {image}\ncommand = sh -c \"{LOOP}\"\n{extra}"
        ),
    );
}

fn pull_lines(out: &Out, image: &str) -> usize {
    let line = format!("pulling docker image {image}");
    out.stderr.lines().filter(|l| l.ends_with(&line)).count()
}

#[test]
fn start_pulls_a_missing_image() {
    let reg = registry();
    let mut images = Images(Vec::new());
    let image = push_unique(&reg, BASE, &mut images);
    let env = Env::new();
    let name = unique("pl");
    let ctr = format!("{name}.container.1");
    let _cleanup = Cleanup(vec![ctr.clone()]);
    service(&env, &name, &image, "");

    let out = env.om(&[&name, "start"]).ok();
    assert_eq!(pull_lines(&out, &image), 1, "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!("docker pull {image}")),
        "{}",
        out.stderr
    );
    assert!(running(&ctr), "{ctr} not running:\n{}", out.stderr);
    assert_eq!(image_id(&image), image_id(BASE));
    assert_eq!(inspect(&ctr).unwrap()["Config"]["Image"], image.as_str());

    // once (the default): the image is there now, a new container is made
    // from it without a pull
    docker_ok(&["rm", "-f", &ctr]);
    let out = env.om(&[&name, "start"]).ok();
    assert_eq!(pull_lines(&out, &image), 0, "{}", out.stderr);
    assert!(running(&ctr), "{ctr} not running:\n{}", out.stderr);
}

#[test]
fn always_pulls_at_each_start() {
    let reg = registry();
    let mut images = Images(Vec::new());
    let image = push_unique(&reg, BASE, &mut images);
    let env = Env::new();
    let name = unique("pa");
    let ctr = format!("{name}.container.1");
    let _cleanup = Cleanup(vec![ctr.clone()]);
    service(&env, &name, &image, "image_pull_policy = always\n");

    let out = env.om(&[&name, "start"]).ok();
    assert_eq!(pull_lines(&out, &image), 1, "{}", out.stderr);
    assert!(running(&ctr), "{ctr} not running:\n{}", out.stderr);
    env.om(&[&name, "stop"]).ok();

    // The registry's tag moves to another image while the local one stays:
    // only a pull that reaches the registry brings the new id.
    let moved = variant(&mut images);
    push(&moved, &image);
    docker_ok(&["tag", BASE, &image]);
    assert_ne!(image_id(&image), moved);

    let out = env.om(&[&name, "start"]).ok();
    assert_eq!(pull_lines(&out, &image), 1, "{}", out.stderr);
    assert_eq!(image_id(&image), moved, "{}", out.stderr);
    assert!(running(&ctr), "{ctr} not running:\n{}", out.stderr);
}

#[test]
fn pull_action_fetches_without_a_container() {
    let reg = registry();
    let mut images = Images(Vec::new());
    let image = push_unique(&reg, BASE, &mut images);
    let env = Env::new();
    let name = unique("pp");
    let ctr = format!("{name}.container.1");
    let _cleanup = Cleanup(vec![ctr.clone()]);
    service(&env, &name, &image, "");

    let out = env.om(&[&name, "pull"]).ok();
    assert_eq!(pull_lines(&out, &image), 1, "{}", out.stderr);
    assert!(image_present(&image), "{}", out.stderr);
    assert!(inspect(&ctr).is_none(), "pull made a container");
}

#[test]
fn missing_tag_fails_with_dockers_error() {
    let reg = registry();
    let _images = Images(Vec::new());
    let image = format!("{reg}/om-test/busybox:{}", unique("never"));
    let env = Env::new();
    let name = unique("pm");
    let ctr = format!("{name}.container.1");
    let _cleanup = Cleanup(vec![ctr.clone()]);
    service(&env, &name, &image, "");

    let out = env.om(&[&name, "start"]);
    assert_ne!(out.code, 0, "{}", out.stderr);
    assert_eq!(pull_lines(&out, &image), 1, "{}", out.stderr);
    // docker's own words, from the registry's answer
    assert!(
        out.stderr.contains("manifest unknown") && out.stderr.contains("not found"),
        "{}",
        out.stderr
    );
    assert!(inspect(&ctr).is_none(), "a container was left");
    assert!(!image_present(&image));
}

/// A registry address that accepts connections and never answers: a pull
/// from it hangs (docker's own TLS handshake bound alone is 10 s). The
/// connections are held until drop, which closes them and ends the thread.
struct Silent {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Silent {
    fn new() -> Silent {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("local addr");
        let accepted = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (accepted, stop) = (accepted.clone(), stop.clone());
            std::thread::spawn(move || hold(&listener, &accepted, &stop))
        };
        Silent {
            addr,
            accepted,
            stop,
            thread: Some(thread),
        }
    }
}

fn hold(listener: &TcpListener, accepted: &AtomicUsize, stop: &AtomicBool) {
    let mut held = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((conn, _)) => {
                held.push(conn);
                accepted.fetch_add(1, Ordering::SeqCst);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(_) => break,
        }
    }
}

impl Drop for Silent {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[test]
fn pull_timeout_ends_a_hanging_pull() {
    // the engine pulls; the registry here is the silent one
    engine();
    let silent = Silent::new();
    let image = format!("{}/om-test/busybox:{}", silent.addr, unique("hang"));
    let env = Env::new();
    let name = unique("pt");
    let ctr = format!("{name}.container.1");
    let _cleanup = Cleanup(vec![ctr.clone()]);
    service(&env, &name, &image, "pull_timeout = 2s\n");

    let began = Instant::now();
    let out = env.om(&[&name, "start"]);
    let took = began.elapsed();
    assert_ne!(out.code, 0, "{}", out.stderr);
    assert_eq!(pull_lines(&out, &image), 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains(&format!("docker pull {image}: no answer within 2s, killed")),
        "{}",
        out.stderr
    );
    // om's bound, not docker's own (10 s and more) nor the test's (120 s)
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(8),
        "took {took:?}"
    );
    assert!(
        silent.accepted.load(Ordering::SeqCst) > 0,
        "docker never reached {}",
        silent.addr
    );
    assert!(inspect(&ctr).is_none(), "a container was left");
    assert!(!image_present(&image));
}

/// The registry behind credentials (scripts/test, for registry_creds) is
/// what the registry_creds tests take it for: the test image is there, a
/// pull without credentials is refused, one with a docker config holding
/// them (as a registry_creds secret does) gets it.
#[test]
fn auth_registry_wants_credentials() {
    let (addr, user, password) = auth_registry();
    let image = auth_registry_image();
    // a copy here would make the pulls no proof
    if image_present(&image) {
        docker_ok(&["rmi", &image]);
    }
    let _images = Images(vec![image.clone()]);

    // an empty config: neither ~/.docker nor a credential helper has a say
    let anonymous = tempfile::tempdir().expect("tempdir");
    let dir = anonymous.path().to_str().expect("utf-8 path");
    let out = docker(&["--config", dir, "pull", &image]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "anonymous pull of {image}: {stderr}");
    let lower = stderr.to_ascii_lowercase();
    assert!(
        [
            "no basic auth credentials",
            "unauthorized",
            "authentication required"
        ]
        .iter()
        .any(|w| lower.contains(w)),
        "anonymous pull of {image} failed, not for credentials: {stderr}"
    );
    assert!(!image_present(&image));

    let known = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        known.path().join("config.json"),
        docker_config_json(&addr, &user, &password),
    )
    .expect("write config.json");
    let dir = known.path().to_str().expect("utf-8 path");
    docker_ok(&["--config", dir, "pull", &image]);
    assert_eq!(image_id(&image), image_id(BASE));
}

#[test]
fn docker_config_json_is_base64_of_user_colon_password() {
    // the three paddings (as coreutils' base64 has them)
    for (user, password, auth) in [
        ("a", "", "YTo="),
        ("a", "b", "YTpi"),
        ("a", "bc", "YTpiYw=="),
        ("omtest", "0f", "b210ZXN0OjBm"),
    ] {
        let v: serde_json::Value =
            serde_json::from_str(&docker_config_json("127.0.0.1:5001", user, password)).unwrap();
        assert_eq!(v["auths"]["127.0.0.1:5001"]["auth"], auth);
    }
}
