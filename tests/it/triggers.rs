//! Triggers around actions (SPEC 14), on the real engine: their order,
//! their environment, blocking and not, their bound, and what never
//! reaches their shell.

use crate::support::{
    create, engine, inspect, poll_until, registry_image, unique, Cleanup, Env, LOOP,
};
use std::os::unix::fs::PermissionsExt;

/// A script that appends `WHAT ACTION RID PATH NAME NAMESPACE` to `trace`.
fn tracer(env: &Env) -> (String, std::path::PathBuf) {
    let trace = env.root().join("trace");
    let script = env.root().join("trace.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"$1 $OPENSVC_ACTION ${{OPENSVC_RID:--}} $OPENSVC_SVCPATH $OPENSVC_SVCNAME $OPENSVC_NAMESPACE $OPENSVC_ID\" >> {}\n",
            trace.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    (script.display().to_string(), trace)
}

fn container(rid_extra: &str) -> String {
    format!(
        "type = docker\nimage = {}\ncommand = sh -c \"{LOOP}\"\n{rid_extra}",
        registry_image()
    )
}

#[test]
fn triggers_run_in_order_around_each_action_with_their_environment() {
    engine();
    let env = Env::new();
    let name = unique("tg");
    let _cleanup = Cleanup(vec![format!("{name}.container.1")]);
    let (t, trace) = tracer(&env);
    let mut svc = String::from("[DEFAULT]\n");
    let mut c1 = String::new();
    for action in ["start", "stop", "provision", "unprovision"] {
        for when in ["pre", "blocking_pre", "post", "blocking_post"] {
            svc.push_str(&format!("{when}_{action} = {t} svc:{when}\n"));
            c1.push_str(&format!("{when}_{action} = {t} c1:{when}\n"));
        }
    }
    create(
        &env,
        &name,
        &format!("{svc}[container#1]\n{}", container(&c1)),
    );
    let id = env.om(&[&name, "get", "--kw", "id"]).ok().stdout;
    let read = || {
        let t = std::fs::read_to_string(&trace).unwrap_or_default();
        let _ = std::fs::remove_file(&trace);
        t
    };
    env.om(&[&name, "provision"]).ok();
    let expected = |action: &str| {
        [
            "svc:pre",
            "svc:blocking_pre",
            "c1:pre",
            "c1:blocking_pre",
            "c1:post",
            "c1:blocking_post",
            "svc:post",
            "svc:blocking_post",
        ]
        .iter()
        .map(|w| {
            let rid = if w.starts_with("c1") {
                "container#1"
            } else {
                "-"
            };
            format!("{w} {action} {rid} {name} {name} root {}\n", id.trim())
        })
        .collect::<String>()
    };
    assert_eq!(read(), expected("provision"));
    env.om(&[&name, "stop"]).ok();
    assert_eq!(read(), expected("stop"));
    env.om(&[&name, "start"]).ok();
    assert_eq!(read(), expected("start"));
    env.om(&[&name, "purge"]).ok();
    assert_eq!(read(), expected("unprovision"));
}

#[test]
fn a_failing_blocking_trigger_stops_and_rolls_back_a_failing_other_warns() {
    engine();
    let env = Env::new();
    let name = unique("tb");
    let c = |i: u32| format!("{name}.container.{i}");
    let _cleanup = Cleanup(vec![c(1), c(2)]);
    create(
        &env,
        &name,
        &format!(
            "[DEFAULT]\npre_stop = /bin/false\n[container#1]\n{}[container#2]\n{}",
            container(""),
            container("blocking_pre_start = /bin/false\n")
        ),
    );
    let out = env.om(&[&name, "start"]).code(1);
    assert!(
        out.stderr.contains("container#2.blocking_pre_start failed")
            && out.stderr.contains("rollback"),
        "{}",
        out.stderr
    );
    // container#1 started first, and was stopped by the rollback; #2 never ran
    assert!(inspect(&c(1)).is_some_and(|v| v["State"]["Running"] == false));
    assert!(inspect(&c(2)).is_none());
    // a non-blocking trigger that fails: a warning, the stop goes on
    env.om(&[&name, "start", "--rid", "container#1"]).ok();
    let out = env.om(&[&name, "stop"]).ok();
    assert!(
        out.stderr
            .contains("pre_stop: exit code 1 (not blocking, going on)"),
        "{}",
        out.stderr
    );
    assert!(inspect(&c(1)).is_some_and(|v| v["State"]["Running"] == false));
    // a trigger whose program does not exist: the same rules
    env.om(&[&name, "set", "--kw", "pre_stop=/nonexistent/prog"])
        .ok();
    let out = env.om(&[&name, "stop"]).ok();
    assert!(
        out.stderr.contains("/nonexistent/prog: command not found"),
        "{}",
        out.stderr
    );
    env.om(&[&name, "purge"]).ok();
}

#[test]
fn a_hanging_trigger_is_killed_at_its_bound_children_too() {
    engine();
    let env = Env::new();
    let name = unique("th");
    let _cleanup = Cleanup(vec![format!("{name}.container.1")]);
    // a marker on the sleeps' command lines, to find them after
    let marker = format!("{}", 3_000_000 + std::process::id());
    create(
        &env,
        &name,
        &format!(
            "[DEFAULT]\ntrigger_timeout = 1s\npre_start = sleep {marker} & sleep {marker}; wait\n[container#1]\n{}",
            container("")
        ),
    );
    let t = std::time::Instant::now();
    let out = env.om(&[&name, "start"]).ok();
    assert!(t.elapsed() < std::time::Duration::from_secs(20));
    assert!(
        out.stderr.contains("no answer within 1s, killed"),
        "{}",
        out.stderr
    );
    let left = || {
        std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
            .filter(|c| String::from_utf8_lossy(c).contains(&marker))
            .count()
    };
    // killed, they are gone as soon as they are reaped; left alone, they
    // would sleep for weeks
    poll_until(std::time::Duration::from_secs(2), || left() == 0);
    assert_eq!(left(), 0, "a sleep of the trigger is still there");
    env.om(&[&name, "purge"]).ok();
}

#[test]
fn no_value_from_another_keyword_reaches_a_trigger_shell() {
    engine();
    let env = Env::new();
    let name = unique("tv");
    let _cleanup = Cleanup(vec![format!("{name}.container.1")]);
    let out_file = env.root().join("out");
    let pwned = env.root().join("pwned");
    create(
        &env,
        &name,
        &format!(
            "[DEFAULT]\npre_start = echo {{env.x}} {{name}} > {}; true\n[env]\nx = $(touch {})\n[container#1]\n{}",
            out_file.display(),
            pwned.display(),
            container("")
        ),
    );
    env.om(&[&name, "start"]).ok();
    assert_eq!(
        std::fs::read_to_string(&out_file).unwrap(),
        "{env.x} {name}\n",
        "the trigger's text as written, no reference expanded"
    );
    assert!(!pwned.exists());
    env.om(&[&name, "purge"]).ok();
}

#[test]
fn a_trigger_that_is_no_command_is_a_config_error() {
    let env = Env::new();
    let out = env
        .om_stdin(
            &[&unique("tx"), "create", "--config=-"],
            "[DEFAULT]\npre_start = echo 'unclosed\n[container#1]\ntype = docker\nimage = nginx\n",
        )
        .code(1);
    assert!(out.stderr.contains("DEFAULT.pre_start: "), "{}", out.stderr);
}

#[test]
fn a_failing_blocking_post_start_of_the_service_rolls_the_start_back() {
    engine();
    let env = Env::new();
    let name = unique("tp");
    let _cleanup = Cleanup(vec![format!("{name}.container.1")]);
    create(
        &env,
        &name,
        &format!(
            "[DEFAULT]\nblocking_post_start = /bin/false\n[container#1]\n{}",
            container("")
        ),
    );
    let out = env.om(&[&name, "start"]).code(1);
    assert!(
        out.stderr.contains("blocking_post_start failed") && out.stderr.contains("rollback"),
        "{}",
        out.stderr
    );
    assert!(inspect(&format!("{name}.container.1")).is_some_and(|v| v["State"]["Running"] == false));
    env.om(&[&name, "purge"]).ok();
}

/// A trigger that prints megabytes on stderr: om keeps (and logs) the end
/// of it only, and the action still goes on or fails by the trigger's
/// exit code.
#[test]
fn a_trigger_printing_megabytes_on_stderr_is_logged_bounded() {
    engine();
    let env = Env::new();
    let name = unique("tn");
    let c1 = format!("{name}.container.1");
    let _cleanup = Cleanup(vec![c1.clone()]);
    // 5 MB in one line without end, then a last line and the exit code
    let script = env.root().join("noisy.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\nhead -c 5000000 /dev/zero | tr '\\0' e >&2\necho >&2\necho \"last words $1\" >&2\nexit $1\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let s = script.display();
    create(
        &env,
        &name,
        &format!(
            "[DEFAULT]\npre_start = {s} 1\nblocking_pre_start = {s} 0\n[container#1]\n{}",
            container("")
        ),
    );
    let bounded = |out: &str| {
        assert!(out.len() < 3_000_000, "{} bytes of output", out.len());
    };
    let out = env.om(&[&name, "start"]).ok();
    bounded(&out.stderr);
    assert!(
        out.stderr.contains("last words 1")
            && out.stderr.contains("last words 0")
            && out
                .stderr
                .contains("pre_start: exit code 1 (not blocking, going on)"),
        "{}",
        &out.stderr[out.stderr.len().saturating_sub(2000)..]
    );
    assert!(inspect(&c1).is_some_and(|v| v["State"]["Running"] == true));
    env.om(&[&name, "stop"]).ok();
    env.om(&[&name, "set", "--kw", &format!("blocking_pre_start={s} 1")])
        .ok();
    let out = env.om(&[&name, "start"]).code(1);
    bounded(&out.stderr);
    assert!(
        out.stderr.contains("blocking_pre_start failed"),
        "{}",
        &out.stderr[out.stderr.len().saturating_sub(2000)..]
    );
    assert!(inspect(&c1).is_some_and(|v| v["State"]["Running"] == false));
    env.om(&[&name, "purge"]).ok();
}
