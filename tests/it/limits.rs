//! `pg_*` limits (SPEC 14) on the real engine and this machine's cgroups:
//! written to the slices before the containers run in them, enforced by
//! the kernel, removed with the service.

use crate::support::{create, docker, engine, inspect, registry_image, unique, Cleanup, Env, LOOP};
use std::path::{Path, PathBuf};

fn unified() -> bool {
    Path::new("/sys/fs/cgroup/cgroup.controllers").exists()
}

/// A cgroup file of `rel` (a slice, from /opensvc.slice on).
fn cg(controller_v1: &str, rel: &str, file: &str) -> PathBuf {
    let base = if unified() {
        PathBuf::from("/sys/fs/cgroup")
    } else {
        Path::new("/sys/fs/cgroup").join(controller_v1)
    };
    base.join(rel.trim_start_matches('/')).join(file)
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .trim()
        .to_string()
}

#[test]
fn limits_are_written_enforced_and_removed() {
    engine();
    let env = Env::new();
    let name = unique("pg");
    let c1 = format!("{name}.container.1");
    let _cleanup = Cleanup(vec![c1.clone()]);
    create(
        &env,
        &name,
        &format!(
            "[DEFAULT]\npg_mem_limit = 64m\npg_cpu_quota = 50%@all\n[container#1]\ntype = docker\nimage = {}\ncommand = sh -c \"{LOOP}\"\npg_mem_limit = 32m\n",
            registry_image()
        ),
    );
    let out = env.om(&[&name, "start"]).ok();
    let svc = format!("opensvc.slice/{name}.slice");
    let leaf = format!("{svc}/container.slice/container.1.slice");
    // each write said as a line that replays
    let mem_file = cg(
        "memory",
        &svc,
        if unified() {
            "memory.max"
        } else {
            "memory.limit_in_bytes"
        },
    );
    assert!(
        out.stderr
            .contains(&format!("echo 67108864 > {}", mem_file.display())),
        "{}",
        out.stderr
    );
    // print status says the service's limits on a pg line
    let st = env.om(&[&name, "print", "status"]).ok().stdout;
    let pg = st.lines().nth(1).unwrap_or_default();
    assert!(
        pg.starts_with("|- pg ") && pg.ends_with("cpu_quota=50%@all mem_limit=64m"),
        "{st}"
    );
    // read back from the slices
    assert_eq!(read(&mem_file), "67108864");
    let leaf_mem = cg(
        "memory",
        &leaf,
        if unified() {
            "memory.max"
        } else {
            "memory.limit_in_bytes"
        },
    );
    assert_eq!(read(&leaf_mem), "33554432");
    let cpus = std::thread::available_parallelism().unwrap().get() as u64;
    if unified() {
        assert_eq!(
            read(&cg("cpu", &svc, "cpu.max")),
            format!("{} 100000", cpus * 50_000)
        );
    } else {
        assert_eq!(
            read(&cg("cpu", &svc, "cpu.cfs_quota_us")),
            (cpus * 50_000).to_string()
        );
    }
    // the container's cgroup is below its slice, below the service's
    let procs = docker(&["exec", &c1, "cat", "/proc/self/cgroup"]);
    let procs = String::from_utf8_lossy(&procs.stdout);
    assert!(
        procs.lines().any(|l| l.contains(&format!("/{leaf}/"))),
        "{procs}"
    );
    // past its limit, the kernel kills
    let out = docker(&[
        "exec",
        &c1,
        "sh",
        "-c",
        "dd if=/dev/zero of=/dev/null bs=100M count=1",
    ]);
    assert_eq!(
        out.status.code(),
        Some(137),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // purge removes the slices
    env.om(&[&name, "purge"]).ok();
    assert!(
        !mem_file.parent().unwrap().exists(),
        "{} left",
        mem_file.display()
    );
}

#[test]
fn a_limit_the_kernel_or_the_parser_refuses_is_one_line_naming_it() {
    engine();
    let env = Env::new();
    let ini = |extra: &str| {
        format!(
            "[DEFAULT]\n{extra}\n[container#1]\ntype = docker\nimage = {}\ncommand = sh -c \"{LOOP}\"\n",
            registry_image()
        )
    };
    for (extra, says) in [
        (
            "pg_mem_limit = lots",
            "DEFAULT.pg_mem_limit: 'lots' is not a size",
        ),
        (
            "pg_cpu_quota = 250%",
            "DEFAULT.pg_cpu_quota: '250%': the percent of a cpu is 1 to 100",
        ),
    ] {
        let out = env
            .om_stdin(&[&unique("px"), "create", "--config=-"], &ini(extra))
            .code(1);
        assert!(out.stderr.contains(says), "{}", out.stderr);
    }
    // cpus this machine does not have: the kernel's refusal, nothing started
    let name = unique("pk");
    let _cleanup = Cleanup(vec![format!("{name}.container.1")]);
    create(&env, &name, &ini("pg_cpus = 0-9999"));
    let out = env.om(&[&name, "start"]).code(1);
    assert!(
        out.stderr
            .contains("DEFAULT.pg_cpus: the kernel refused 0-9999 in ")
            && out.stderr.lines().filter(|l| l.starts_with("om: ")).count() == 1,
        "{}",
        out.stderr
    );
    assert!(inspect(&format!("{name}.container.1")).is_none());
    env.om(&[&name, "purge"]).ok();
}

#[test]
fn a_root_service_does_not_limit_the_namespace_of_its_name() {
    engine();
    let env = Env::new();
    let name = unique("pn");
    let _cleanup = Cleanup(vec![format!("{name}.container.1")]);
    create(
        &env,
        &name,
        &format!(
            "[DEFAULT]\npg_mem_limit = 64m\n[container#1]\ntype = docker\nimage = {}\ncommand = sh -c \"{LOOP}\"\n",
            registry_image()
        ),
    );
    // a namespace of the same name, with a service: its slice is under
    // the root service's
    env.om_stdin(
        &[&format!("{name}/svc/a"), "create", "--config=-"],
        "[container#1]\ntype = docker\nimage = nginx\n",
    )
    .ok();
    let out = env.om(&[&name, "start"]).code(1);
    assert!(
        out.stderr.contains(&format!(
            "DEFAULT.pg_*: the slice of {name} is also the one of namespace {name}'s services: not limited"
        )),
        "{}",
        out.stderr
    );
    assert!(inspect(&format!("{name}.container.1")).is_none());
}

/// Both memory limits changed on a second and a third start of a service
/// whose slice keeps its old ones: on cgroup v1 the kernel keeps memory at
/// most memory plus swap at every write, so lowering both writes memory
/// first and raising both past the old memsw limit writes memsw first.
#[test]
fn both_memory_limits_lower_then_raise_on_later_starts() {
    engine();
    let env = Env::new();
    let name = unique("pw");
    let c1 = format!("{name}.container.1");
    let _cleanup = Cleanup(vec![c1.clone()]);
    let svc = format!("opensvc.slice/{name}.slice");
    let v1_swap = Path::new("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes").exists();
    let (mem, swap) = if unified() {
        ("memory.max", "memory.swap.max")
    } else {
        ("memory.limit_in_bytes", "memory.memsw.limit_in_bytes")
    };
    let (mem, swap) = (cg("memory", &svc, mem), cg("memory", &svc, swap));
    create(
        &env,
        &name,
        &format!(
            "[DEFAULT]\npg_mem_limit = 64m\npg_vmem_limit = 128m\n[container#1]\ntype = docker\nimage = {}\ncommand = sh -c \"{LOOP}\"\n",
            registry_image()
        ),
    );
    if !unified() && !v1_swap {
        // no swap accounting on this kernel: no memsw file to write
        let out = env.om(&[&name, "start"]).code(1);
        assert!(
            out.stderr.contains("DEFAULT.pg_vmem_limit: ")
                && out.stderr.contains("memory.memsw.limit_in_bytes"),
            "{}",
            out.stderr
        );
        env.om(&[&name, "purge"]).ok();
        return;
    }
    env.om(&[&name, "start"]).ok();
    // (memory, memory plus swap) in MiB, then whether memsw goes first
    for (m, v, memsw_first) in [(32u64, 48u64, false), (128, 256, true)] {
        env.om(&[&name, "stop"]).ok();
        env.om(&[
            &name,
            "set",
            "--kw",
            &format!("pg_mem_limit={m}m"),
            "--kw",
            &format!("pg_vmem_limit={v}m"),
        ])
        .ok();
        let out = env.om(&[&name, "start"]).ok();
        let line = |file: &Path, value: u64| {
            let l = format!("echo {value} > {}", file.display());
            out.stderr
                .find(&l)
                .unwrap_or_else(|| panic!("no {l} in {}", out.stderr))
        };
        let (m, v) = (m << 20, v << 20);
        if unified() {
            line(&mem, m);
            line(&swap, v - m);
            assert_eq!(read(&mem), m.to_string());
            assert_eq!(read(&swap), (v - m).to_string());
        } else {
            assert_eq!(
                line(&swap, v) < line(&mem, m),
                memsw_first,
                "{}",
                out.stderr
            );
            assert_eq!(read(&mem), m.to_string());
            assert_eq!(read(&swap), v.to_string());
        }
    }
    if !unified() {
        // pg_vmem_limit dropped, memory raised past the memsw limit the
        // slice still has: that limit is lifted first, then memory set
        env.om(&[&name, "stop"]).ok();
        env.om(&[&name, "unset", "--kw", "pg_vmem_limit"]).ok();
        env.om(&[&name, "set", "--kw", "pg_mem_limit=512m"]).ok();
        let out = env.om(&[&name, "start"]).ok();
        let lift = format!("echo -1 > {}", swap.display());
        let set = format!("echo {} > {}", 512u64 << 20, mem.display());
        let (a, b) = (out.stderr.find(&lift), out.stderr.find(&set));
        assert!(a.is_some() && b.is_some() && a < b, "{}", out.stderr);
        assert_eq!(read(&mem), (512u64 << 20).to_string());
        assert!(read(&swap).parse::<u64>().unwrap() > 512 << 20);
    }
    env.om(&[&name, "purge"]).ok();
}
