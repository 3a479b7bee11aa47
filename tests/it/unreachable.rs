//! A user who can not reach the engine (not in group docker) still deletes
//! a service om made and never ran a container of (issue 23); a service
//! whose containers may exist keeps needing the engine's answer (issue
//! 21: never from silence).

use crate::fake_docker::Fake;
use crate::support::{create, unique, Env};

/// docker 20-26's exact stderr when the socket refuses the user.
const DENIED: &str = "permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: Get \"http://%2Fvar%2Frun%2Fdocker.sock/v1.24/containers/json?all=1\": dial unix /var/run/docker.sock: connect: permission denied";

fn deny(env: &mut Env) {
    env.vars.push(("FAKE_DOCKER_FAIL".into(), "*".into()));
    env.vars
        .push(("FAKE_DOCKER_FAIL_MSG".into(), DENIED.into()));
}

const ONE: &str = "[container#1]\ntype = docker\nimage = nginx\n";

#[test]
fn a_service_that_never_ran_is_deleted_when_the_engine_refuses_the_user() {
    let mut fake = Fake::new();
    // om made and ran these while the engine answered
    let ran = unique("ur");
    create(&fake.env, &ran, ONE);
    fake.env.om(&[&ran, "start"]).ok();
    let gone = unique("ug");
    create(&fake.env, &gone, ONE);
    fake.env.om(&[&gone, "start"]).ok();
    fake.env.om(&[&gone, "unprovision"]).ok();
    // a config placed by hand (the OpenSVC agent's, a copy): om never
    // made its id
    let placed = unique("up");
    std::fs::write(
        fake.env.conf(&placed),
        format!("[DEFAULT]\nid = 1f0b6c3e-3d7b-4d0e-9a43-8d1c2b6e6a10\n{ONE}"),
    )
    .unwrap();
    // from here the socket refuses the user
    deny(&mut fake.env);
    let fresh = unique("uf");
    create(&fake.env, &fresh, ONE);
    let bare = unique("ub");
    create(&fake.env, &bare, "[DEFAULT]\nenv = test\n");
    // a start reaches no engine: still nothing of it ran
    fake.env.om(&[&fresh, "start"]).code(1);
    for svc in [&fresh, &bare] {
        let out = fake.env.om(&[svc, "delete"]).ok();
        let lines = out.stderr_lines();
        assert_eq!(lines.len(), 1, "{}", out.stderr);
        assert!(
            lines[0].starts_with(&format!("om: {svc}: warning: "))
                && lines[0].contains("permission denied on /var/run/docker.sock")
                && lines[0].contains("never ran a container of it"),
            "{}",
            out.stderr
        );
        assert!(!fake.env.conf(svc).exists(), "{svc}: config kept");
    }
    // what ran (even if gone since), or what om did not make: the engine
    // must answer, and it does not
    for svc in [&ran, &gone, &placed] {
        let out = fake.env.om(&[svc, "delete"]).code(1);
        assert!(
            out.stderr
                .contains("permission denied on /var/run/docker.sock")
                && out.stderr.contains("the config stays"),
            "{svc}: {}",
            out.stderr
        );
        assert!(fake.env.conf(svc).exists(), "{svc}: config removed");
    }
}
