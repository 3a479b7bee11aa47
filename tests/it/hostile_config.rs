//! Hostile configs (SPEC 7, hardening): refused with a one-line error
//! naming the key or selector, quickly, and nothing written.

use crate::support::*;

/// `[env]` with `a1 = {env.a2}`, … `each` per key, the last one `x`.
fn chain(keys: usize, each: &str) -> String {
    let mut ini = String::from("[env]\n");
    for i in 1..keys {
        ini.push_str(&format!(
            "a{i} = {}\n",
            each.replace('N', &(i + 1).to_string())
        ));
    }
    ini.push_str(&format!("a{keys} = x\n"));
    ini
}

#[track_caller]
fn refused(env: &Env, name: &str, input: &str, code: i32, want: &str) {
    let out = env
        .om_stdin(&[name, "create", "--config=-"], input)
        .code(code);
    assert_eq!(out.stderr_lines().len(), 1, "{}", out.stderr);
    assert!(out.stderr.contains(want), "{}", out.stderr);
    assert!(!env.conf(name).exists(), "nothing is written");
}

#[test]
fn a_deep_reference_chain_is_refused() {
    let env = Env::new();
    refused(
        &env,
        "deep",
        &chain(20_000, "{env.aN}"),
        1,
        "env.a1: reference chain deeper than 32 at env.a34",
    );
}

#[test]
fn a_32_reference_chain_is_accepted() {
    let env = Env::new();
    let ini = chain(32, "{env.aN}") + "[container#1]\ntype = docker\nimage = {env.a1}\n";
    env.om_stdin(&["d32", "create", "--config=-"], &ini).ok();
    let out = env
        .om(&["d32", "get", "--kw", "container#1.image", "--eval"])
        .ok();
    assert_eq!(out.stdout, "x\n");
}

#[test]
fn a_doubling_chain_is_refused() {
    let env = Env::new();
    refused(
        &env,
        "dbl",
        &chain(30, "{env.aN}{env.aN}"),
        1,
        "expanded value over 1 MiB at env.a",
    );
}

#[test]
fn an_invalid_glob_is_a_usage_error() {
    let env = Env::new();
    let out = env.om(&["rt[", "print", "status"]).code(2);
    assert_eq!(
        out.stderr,
        "om: selector 'rt[': unclosed '[' at character 3\n"
    );
}

#[test]
fn json_duplicate_keys_are_refused() {
    let env = Env::new();
    let json = r#"{"container#1": {"type": "docker", "image": "a", "image": "b"}}"#;
    refused(&env, "dup", json, 1, "duplicate key \"image\"");
    let json = r#"{"env": {"a": "1"}, "env": {"a": "2"}}"#;
    refused(&env, "dup", json, 1, "duplicate key \"env\"");
}

#[test]
fn json_with_a_bom_is_accepted() {
    let env = Env::new();
    let json = "\u{feff}{\"container#1\": {\"type\": \"docker\", \"image\": \"nginx\"}}";
    env.om_stdin(&["bom", "create", "--config=-"], json).ok();
    let out = env.om(&["bom", "get", "--kw", "container#1.image"]).ok();
    assert_eq!(out.stdout, "nginx\n");
}

#[test]
fn nul_and_newline_in_a_one_line_keyword_are_refused() {
    let env = Env::new();
    for (image, want) in [
        (
            "a\\u0000b",
            "container#1.image: holds the control character U+0000",
        ),
        (
            "nginx\\n",
            "container#1.image: holds a newline, but takes one line",
        ),
        (
            "a\\nb",
            "container#1.image: holds a newline, but takes one line",
        ),
    ] {
        let json = format!(r#"{{"container#1": {{"type": "docker", "image": "{image}"}}}}"#);
        refused(&env, "ctl", &json, 1, want);
    }
    // and through --kw, in create and set
    let out = env
        .om(&[
            "ctl",
            "create",
            "--kw",
            "container#1.type=docker",
            "--kw",
            "container#1.image=a\nb",
        ])
        .code(1);
    assert_eq!(out.stderr_lines().len(), 1, "{}", out.stderr);
    assert!(!env.conf("ctl").exists());
    env.om(&[
        "ctl",
        "create",
        "--kw",
        "container#1.type=docker",
        "--kw",
        "container#1.image=a",
    ])
    .ok();
    let before = env.read_conf("ctl");
    let out = env
        .om(&["ctl", "set", "--kw", "container#1.user=a\u{1b}b"])
        .code(1);
    assert!(
        out.stderr
            .contains("container#1.user: holds the control character U+001B"),
        "{}",
        out.stderr
    );
    assert_eq!(env.read_conf("ctl"), before);
}

#[test]
fn ten_thousand_containers_are_created() {
    let env = Env::new();
    let body: Vec<String> = (1..=10_000)
        .map(|i| format!(r#""container#{i}": {{"type": "docker", "image": "nginx"}}"#))
        .collect();
    let json = format!("{{{}}}", body.join(", "));
    env.om_stdin(&["big", "create", "--config=-"], &json).ok();
    env.om(&["big", "validate", "config"]).ok();
    assert!(env
        .read_conf("big")
        .contains("[container#10000]\ntype = docker\n"));
}

/// 17 MiB of text: a valid config, then comment lines.
fn over_bound(ini: &str) -> String {
    let line = format!("#{}\n", "x".repeat(1023));
    let mut text = String::from(ini);
    while text.len() <= 17 << 20 {
        text.push_str(&line);
    }
    text
}

/// A config is at most 16 MiB from every reader (`--config FILE|-`, `edit
/// config`, a load, a sync received): past it, one line naming the source
/// and the bound, and nothing written.
#[test]
fn a_config_over_16_mib_is_refused_by_every_reader() {
    let mut env = Env::new();
    let ini = "[container#1]\ntype = docker\nimage = nginx\n";
    let big = over_bound(ini);
    let out = env.om_stdin(&["big", "create", "--config=-"], &big).code(1);
    assert_eq!(out.stderr, "om: --config -: over 16 MiB\n");
    let file = env.root().join("big.conf");
    std::fs::write(&file, &big).unwrap();
    let src = format!("--config={}", file.display());
    let out = env.om(&["big", "create", &src]).code(1);
    assert_eq!(
        out.stderr,
        format!("om: --config {}: over 16 MiB\n", file.display())
    );
    assert!(!env.conf("big").exists());
    // a sync from another node
    let out = env
        .om_stdin(
            &[
                "big",
                "sync",
                "--receive",
                "--from",
                "n2",
                "--expect",
                "none",
            ],
            &big,
        )
        .code(1);
    assert_eq!(out.stderr_lines().len(), 1, "{}", out.stderr);
    assert!(out.stderr.contains("over 16 MiB"), "{}", out.stderr);
    assert!(!env.conf("big").exists());
    // an editor's result
    env.om_stdin(&["big", "create", "--config=-"], ini).ok();
    let before = env.read_conf("big");
    env.vars.push((
        "EDITOR".into(),
        "sh -c 'head -c 17000000 /dev/zero | tr \"\\0\" \"#\" >> \"$1\"' sh".into(),
    ));
    let out = env.om(&["big", "edit", "config"]).code(1);
    assert_eq!(out.stderr_lines().len(), 1, "{}", out.stderr);
    assert!(out.stderr.contains("over 16 MiB"), "{}", out.stderr);
    assert_eq!(env.read_conf("big"), before);
    // a hand-placed one
    std::fs::write(env.conf("big"), &big).unwrap();
    let out = env.om(&["big", "validate", "config"]).code(1);
    assert_eq!(out.stderr_lines().len(), 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains(&format!("{}: over 16 MiB", env.conf("big").display())),
        "{}",
        out.stderr
    );
}

/// An endless source is read no further than the bound.
#[test]
fn an_endless_config_source_is_read_to_the_bound_only() {
    let env = Env::new();
    let t = std::time::Instant::now();
    let out = env.om(&["inf", "create", "--config=/dev/zero"]).code(1);
    assert_eq!(out.stderr, "om: --config /dev/zero: over 16 MiB\n");
    assert!(t.elapsed().as_secs() < 10, "{:?}", t.elapsed());
    assert!(!env.conf("inf").exists());
}
