#!/usr/bin/env python3
"""A fake `docker` for tests that must see the exact docker calls, or a fault
a real engine can not produce on demand. It logs its argv (one JSON array per
line) to $FAKE_DOCKER_LOG and keeps a tiny container table in
$FAKE_DOCKER_STATE. $FAKE_DOCKER_FAIL=VERB makes `docker VERB` fail (`*`: every verb);
$FAKE_DOCKER_HANG=VERB makes it hang; $FAKE_DOCKER_FORK=VERB makes it leave
a grandchild holding its stdout and stderr and exit. $FAKE_DOCKER_FAIL_MSG
replaces the failure's stderr text; $FAKE_DOCKER_PIDS collects the pids of
the processes it started and of itself. $FAKE_DOCKER_EMPTY=VERB[,VERB] exits 0
saying nothing; $FAKE_DOCKER_KILLED=VERB[,VERB] dies of SIGKILL; $FAKE_DOCKER_BADID
makes inspect answer a non-hex id; $FAKE_DOCKER_SWAP_ON_STOP gives the name
to another container during `docker stop`; $FAKE_DOCKER_DELAY=VERB:SECS
slows a verb down; $FAKE_DOCKER_NO_IMAGES=REF[,REF] are the images it does
not have."""
import subprocess
import json
import os
import sys
import time
import uuid

args = sys.argv[1:]
with open(os.environ["FAKE_DOCKER_LOG"], "a") as f:
    f.write(json.dumps(args) + "\n")

state_path = os.environ["FAKE_DOCKER_STATE"]
try:
    with open(state_path) as f:
        state = json.load(f)
except FileNotFoundError:
    state = {}


def save():
    with open(state_path, "w") as f:
        json.dump(state, f)


def find(ref):
    for name, c in state.items():
        if ref == name or c["Id"].startswith(ref):
            return name, c
    return None, None


verb = args[0] if args else ""
if verb == "container":
    verb = args[1]
    args = args[1:]


def note_pid(pid):
    if "FAKE_DOCKER_PIDS" in os.environ:
        with open(os.environ["FAKE_DOCKER_PIDS"], "a") as f:
            f.write("%d\n" % pid)


note_pid(os.getpid())
if os.environ.get("FAKE_DOCKER_FORK") == verb:
    # inherits stdout and stderr, as a wrapper's child would
    note_pid(subprocess.Popen(["sleep", "30"]).pid)
    sys.exit(0)
if os.environ.get("FAKE_DOCKER_HANG") == verb:
    time.sleep(3600)
delay = os.environ.get("FAKE_DOCKER_DELAY", "")
if delay.split(":")[0] == verb:
    time.sleep(float(delay.split(":")[1]))
if verb in os.environ.get("FAKE_DOCKER_EMPTY", "").split(","):
    # a docker that says nothing and claims success
    sys.exit(0)
if verb in os.environ.get("FAKE_DOCKER_KILLED", "").split(","):
    import signal
    os.kill(os.getpid(), signal.SIGKILL)
if os.environ.get("FAKE_DOCKER_BADID") and verb == "inspect":
    print(json.dumps([{"Id": "\u00e9" * 20, "Name": "/" + args[1]}]))
    sys.exit(0)
if os.environ.get("FAKE_DOCKER_FAIL") in (verb, "*"):
    msg = os.environ.get("FAKE_DOCKER_FAIL_MSG",
                         "Error response from daemon: fake failure of docker %s" % verb)
    sys.stderr.write(msg + "\n")
    sys.exit(1)

if verb == "info":
    print("cgroupfs")
elif verb == "image":
    # `image inspect --format {{.Id}} REF...`: an id line per image found,
    # each missing one ($FAKE_DOCKER_NO_IMAGES) named on stderr as docker 28
    # says it
    absent = os.environ.get("FAKE_DOCKER_NO_IMAGES", "").split(",")
    missing = [r for r in args[4:] if r in absent]
    for ref in args[4:]:
        if ref not in missing:
            print("sha256:feed")
    for ref in missing:
        sys.stderr.write("Error response from daemon: no such image: %s: No such image: %s:latest\n"
                         % (ref, ref))
    sys.exit(1 if missing else 0)
elif verb == "inspect":
    found, missing = [], []
    for ref in args[1:]:
        name, c = find(ref)
        if c is None:
            missing.append(ref)
            continue
        found.append({
            "Id": c["Id"],
            "Name": "/" + name,
            "State": {
                "Status": "running" if c["Running"] else "exited",
                "Running": c["Running"],
                "ExitCode": 0,
            },
            "Config": {"Image": c["Image"], "Labels": c["Labels"]},
        })
    print(json.dumps(found))
    for ref in missing:
        sys.stderr.write("Error: No such container: %s\n" % ref)
    sys.exit(1 if missing else 0)
elif verb == "ps":
    # `ps -a --no-trunc --format`: ID NAME "IMAGE" STATE "STATUS" "ID LABEL"
    # "CONFIG LABEL", tab-separated, as argv::ps_argv asks
    for name, c in state.items():
        cid = c["Id"]
        if os.environ.get("FAKE_DOCKER_BADID"):
            cid = "\u00e9" * 20
        print("\t".join([
            cid, name, json.dumps(c["Image"]),
            "running" if c["Running"] else "exited",
            json.dumps("Up 1 second" if c["Running"] else "Exited (0) 1 second ago"),
            json.dumps(c["Labels"].get("com.opensvc.id", "")),
            json.dumps(c["Labels"].get("com.opensvc.config", "")),
        ]))
elif verb == "run":
    name = next(a.split("=", 1)[1] for a in args if a.startswith("--name="))
    labels = dict(a.split("=", 1)[1].split("=", 1) for a in args if a.startswith("--label="))
    cid = uuid.uuid4().hex + uuid.uuid4().hex
    state[name] = {"Id": cid, "Running": True, "Image": args[-1], "Labels": labels}
    save()
    print(cid)
elif verb in ("start", "stop"):
    name, c = find(args[-1])
    if c is None:
        sys.stderr.write("Error response from daemon: No such container: %s\n" % args[-1])
        sys.exit(1)
    c["Running"] = verb == "start"
    if verb == "stop" and os.environ.get("FAKE_DOCKER_SWAP_ON_STOP"):
        # while docker stop ran, someone removed ours and took its name
        state[name] = {"Id": "f" * 64, "Running": True, "Image": "nginx",
                       "Labels": {"com.opensvc.id": "someone.else"}}
    save()
    print(args[-1])
elif verb == "rm":
    name, c = find(args[-1])
    if c is None:
        sys.stderr.write("Error response from daemon: No such container: %s\n" % args[-1])
        sys.exit(1)
    del state[name]
    save()
    print(args[-1])
elif verb == "pull":
    print("latest: Pulling from library/" + args[-1])
elif verb == "logs":
    print("some log line")
else:
    sys.stderr.write("fake docker: unsupported: %s\n" % " ".join(sys.argv[1:]))
    sys.exit(125)
