#!/usr/bin/env bash
# check-docker.sh - checks the container and systemd files as far as a Debian
# 12 machine without a Docker engine can: docker/Dockerfile,
# docker/docker-compose.yml and the scripts they run, and the systemd units in
# config/. For ctest: exit status 0 only when every check passed; one line per
# check ("ok", "FAIL", or "skip" for what cannot be checked here or is still
# pending), and a closing "N passed, N failed, N skipped".
#
#   scripts/check-docker.sh [--keep] [--work DIR]
#
# What it does (each step replays what Docker would do, not a description):
#  1. Dockerfile: parses it (stages, base image, packages, COPY, USER,
#     ENTRYPOINT); checks the package lists exist (apt-cache show), that the
#     pkg-config modules CMake asks for come from the build stage's packages
#     (dpkg -S), then copies exactly what the build stage COPYs into a temp
#     folder and runs the build stage's RUN commands there (cmake Release
#     build, unit tests). The binaries the final stage copies are checked with
#     readelf/ldd: every library they load maps (dpkg -S) to one of the
#     runtime packages or their dependencies, every directly linked one to a
#     listed runtime package (or libc6/libgcc-s1), and every listed runtime
#     library is used. The user-creating RUN is replayed with useradd
#     --prefix on a copy of /etc: uid/gid 10001, no shell, USER matches.
#  2. The image's configuration file and healthcheck script: the file is
#     loaded by the built worker; the script is run against stub HTTP servers.
#  3. Compose: parsed with python3-yaml and interpolated like Compose does;
#     services, images, build context, volumes, depends_on targets and
#     conditions (healthchecks where service_healthy, one-shots where
#     service_completed_successfully, no cycles), the KRaft settings' internal
#     consistency; every NEEDLEWATCH_* variable maps to a key the worker knows
#     (its --help) and `--dump-config` in exactly that environment shows it.
#  4. The compose file run without Docker: a private PostgreSQL
#     (scripts/pg.sh) initialised by docker/postgres-init.sh, migrated by
#     docker/migrate.sh, the development broker in place of Kafka, the two
#     workers, the generator and the analyzer started with the services'
#     environment and arguments (host names replaced by local addresses),
#     the healthcheck probing the real workers, SIGTERM within the grace
#     period. docker/wait-drained.sh runs against canned
#     kafka-consumer-groups.sh output, the topic job against a stub.
#  5. systemd units: systemd-analyze verify and security --offline.
#  6. docs/operations.md names exactly the metrics ingest/metrics.c exports.
#
# Run as root on a fresh machine it installs what it needs from Debian
# (python3-yaml, the Dockerfile's build packages, postgresql-15, systemd).
# What Docker itself would add (pulling the images, BuildKit, the engine's
# networking and healthcheck scheduling) is not checked here.
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
if ! [ -x /usr/bin/python3 ] || ! /usr/bin/python3 -c 'import yaml' 2>/dev/null; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "check-docker.sh: needs /usr/bin/python3 with python3-yaml (apt-get install python3-yaml)" >&2
        exit 1
    fi
    echo "check-docker.sh: installing python3-yaml" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends python3 python3-yaml >/dev/null
fi

exec /usr/bin/python3 - "$src" "$@" <<'PYEOF'
import base64
import http.server
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import yaml

SRC = sys.argv[1]
ARGS = sys.argv[2:]
KEEP = "--keep" in ARGS
WORK = None
if "--work" in ARGS:
    WORK = os.path.abspath(ARGS[ARGS.index("--work") + 1])
IS_ROOT = os.geteuid() == 0
STD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

DOCKERFILE = os.path.join(SRC, "docker/Dockerfile")
COMPOSE = os.path.join(SRC, "docker/docker-compose.yml")
COMPOSE_DIR = os.path.dirname(COMPOSE)

# What issue 7 asks of the image, at least: the build-stage packages must also
# provide every pkg-config module CMake uses, and the runtime ones exactly what
# the programs link (both checked below), so a new dependency shows up here.
WANT_BUILD_PKGS = {"build-essential", "cmake", "pkg-config", "librdkafka-dev", "libpq-dev",
                   "libcjson-dev", "libcmocka-dev", "libmicrohttpd-dev"}
WANT_RUNTIME_PKGS = {"librdkafka1", "libpq5", "libcjson1", "libmicrohttpd12", "ca-certificates"}
NOT_LIBRARIES = {"ca-certificates"}          # in the runtime list for TLS, links nothing
BASE_LIBS = {"libc6", "libgcc-s1"}           # in every Debian image
WANT_UID = 10001
WANT_SERVICES = {"kafka", "kafka-topics", "postgres", "migrate", "ingest-1", "ingest-2",
                 "loadgen", "wait-drained", "analyzer"}

# ---------------------------------------------------------------------------
# Reporting

counts = {"ok": 0, "fail": 0, "skip": 0}


def say(text):
    print(text, flush=True)


def ok(msg):
    counts["ok"] += 1
    say(f"ok   {msg}")


def fail(msg, detail=None):
    counts["fail"] += 1
    say(f"FAIL {msg}")
    if detail:
        for line in str(detail).rstrip().splitlines()[-40:]:
            say(f"     | {line}")


def skip(msg):
    counts["skip"] += 1
    say(f"skip {msg}")


def check(cond, msg, detail=None):
    if cond:
        ok(msg)
    else:
        fail(msg, detail)
    return bool(cond)


def section(title):
    say(f"\n== {title}")


def run(cmd, env=None, cwd=None, timeout=None, check_rc=False, input=None):
    """Runs cmd (a list), capturing stdout and stderr as text."""
    p = subprocess.run(cmd, env=env, cwd=cwd, timeout=timeout, text=True, input=input,
                       stdin=None if input is not None else subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if check_rc and p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {p.returncode}\n{p.stdout}{p.stderr}")
    return p


def base_env(extra=None):
    env = {"PATH": STD_PATH, "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8"}
    if extra:
        env.update(extra)
    return env


class Skip(Exception):
    pass


# ---------------------------------------------------------------------------
# Debian packages

apt_updated = False


def apt_update():
    global apt_updated
    if not apt_updated and IS_ROOT:
        run(["apt-get", "update", "-qq"], env=base_env({"DEBIAN_FRONTEND": "noninteractive"}))
        apt_updated = True


def pkg_installed(pkg):
    p = run(["dpkg-query", "-W", "-f=${Status}", pkg])
    return p.returncode == 0 and "install ok installed" in p.stdout


def ensure_packages(pkgs, why):
    """Installs the missing ones when root; returns the ones still missing."""
    missing = [p for p in pkgs if not pkg_installed(p)]
    if missing and IS_ROOT:
        say(f"     (installing {' '.join(missing)} for {why})")
        apt_update()
        p = run(["apt-get", "install", "-y", "-qq", "--no-install-recommends"] + missing,
                env=base_env({"DEBIAN_FRONTEND": "noninteractive"}))
        if p.returncode != 0:
            say(p.stdout[-2000:] + p.stderr[-2000:])
        missing = [m for m in missing if not pkg_installed(m)]
    return missing


def apt_show(pkg):
    p = run(["apt-cache", "show", "--no-all-versions", pkg])
    if (p.returncode != 0 or not p.stdout.strip()) and not apt_updated and IS_ROOT:
        apt_update()
        p = run(["apt-cache", "show", "--no-all-versions", pkg])
    return p.stdout if p.returncode == 0 else ""


def dpkg_owner(path):
    """The package that ships path (tries the merged-/usr twin and the real path)."""
    cands = [path, os.path.realpath(path)]
    for c in list(cands):
        if c.startswith("/usr/lib/"):
            cands.append(c[4:])
        elif c.startswith("/lib/"):
            cands.append("/usr" + c)
    for c in cands:
        p = run(["dpkg", "-S", c])
        if p.returncode == 0:
            return p.stdout.split(":")[0].strip().split(",")[0].strip()
    return None


def dependency_closure(pkgs):
    p = run(["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests",
             "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances"] + sorted(pkgs))
    names = set(pkgs)
    for line in p.stdout.splitlines():
        m = re.match(r"^\s*(?:\|?(?:Pre)?Depends:\s*)?<?([a-z0-9][a-z0-9+.-]+)(?::[a-z0-9]+)?>?\s*$",
                     line)
        if m:
            names.add(m.group(1))
    return names


# ---------------------------------------------------------------------------
# Dockerfile

class Stage:
    def __init__(self, base, name):
        self.base, self.name, self.instrs = base, name, []


def parse_dockerfile(path):
    """Returns (global ARG defaults, stages); each instruction is
    (KEYWORD, flags dict, argument text, exec-form list or None)."""
    logical, cur = [], None
    with open(path) as f:
        for raw in f:
            line = raw.rstrip("\n")
            if cur is None:
                s = line.strip()
                if not s or s.startswith("#"):
                    continue
                cur = ""
            elif line.strip().startswith("#"):
                continue          # comments inside a continued instruction are dropped
            if line.rstrip().endswith("\\"):
                cur += line.rstrip()[:-1] + " "
                continue
            logical.append(cur + line)
            cur = None
    if cur:
        logical.append(cur)
    args, stages = {}, []
    for text in logical:
        kw, _, rest = text.strip().partition(" ")
        kw = kw.upper()
        rest = rest.strip()
        flags = {}
        while rest.startswith("--"):
            flag, _, rest = rest.partition(" ")
            k, _, v = flag[2:].partition("=")
            flags[k] = v
            rest = rest.strip()
        exec_form = None
        if rest.startswith("["):
            try:
                exec_form = json.loads(rest)
            except ValueError:
                exec_form = None
        if kw == "ARG" and not stages:
            k, _, v = rest.partition("=")
            args[k] = v
            continue
        if kw == "FROM":
            parts = rest.split()
            base = re.sub(r"\$\{(\w+)\}|\$(\w+)",
                          lambda m: args.get(m.group(1) or m.group(2), ""), parts[0])
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else None
            stages.append(Stage(base, name))
            continue
        stages[-1].instrs.append((kw, flags, rest, exec_form))
    return args, stages


def apt_packages(run_text):
    """Package names of the `apt-get install` in one RUN (None if there is none)."""
    for seg in re.split(r"&&|;", run_text):
        words = shlex.split(seg)
        if "apt-get" in words and "install" in words:
            after = words[words.index("install") + 1:]
            return [w for w in after if not w.startswith("-")]
    return None


def copy_args(rest, exec_form):
    parts = exec_form if exec_form is not None else shlex.split(rest)
    return parts[:-1], parts[-1]


# ---------------------------------------------------------------------------
# Compose

INTERP = re.compile(r"\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")


def interpolate(value, env):
    """Compose's variable substitution: $$, $VAR, ${VAR}, ${VAR:-d}, ${VAR-d}, ${VAR:?e}."""
    if isinstance(value, str):
        def sub(m):
            if m.group(1):
                return "$"
            name = m.group(2) or m.group(5)
            op, arg = m.group(3), m.group(4)
            val = env.get(name)
            if op in (":-", "-"):
                if val is None or (op == ":-" and val == ""):
                    return arg
            elif op in (":?", "?"):
                if val is None or (op == ":?" and val == ""):
                    raise ValueError(f"${{{name}}} is required: {arg}")
            return val if val is not None else ""
        return INTERP.sub(sub, value)
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    return value


def load_compose(env):
    with open(COMPOSE) as f:
        raw = yaml.safe_load(f)
    return interpolate(raw, env)


def svc_env(svc):
    env = svc.get("environment") or {}
    if isinstance(env, list):
        env = dict(e.split("=", 1) if "=" in e else (e, "") for e in env)
    return {k: ("" if v is None else str(v)) for k, v in env.items()}


def svc_depends(svc):
    dep = svc.get("depends_on") or {}
    if isinstance(dep, list):
        return {d: {"condition": "service_started"} for d in dep}
    return dep


def as_list(v):
    if v is None:
        return []
    if isinstance(v, str):
        return shlex.split(v)
    return [str(x) for x in v]


def duration_s(text):
    total, pos = 0.0, 0
    for m in re.finditer(r"(\d+(?:\.\d+)?)(us|ms|s|m|h)", str(text)):
        if m.start() != pos:
            return None
        pos = m.end()
        total += float(m.group(1)) * {"us": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}[m.group(2)]
    return total if pos == len(str(text)) and pos else None


# ---------------------------------------------------------------------------
# Small helpers for the run-without-Docker part

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(pred, timeout, step=0.2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def file_text(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


class StubHandler(http.server.BaseHTTPRequestHandler):
    routes = {}

    def do_GET(self):
        code, body = self.routes.get(self.path, (404, "not found\n"))
        if code == "hang":
            time.sleep(30)
            return
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *a):
        pass


# ===========================================================================

def main():
    global WORK
    if WORK is None:
        WORK = tempfile.mkdtemp(prefix="nw-check-docker-")
    else:
        shutil.rmtree(WORK, ignore_errors=True)
        os.makedirs(WORK)
    os.chmod(WORK, 0o755)  # PostgreSQL runs as "postgres" under root
    say(f"check-docker.sh: work folder {WORK}")
    state = {}
    steps = [check_dockerfile_static, check_packages, check_build, check_linkage, check_user,
             check_image_config, check_healthcheck_script, check_compose, check_compose_env,
             check_scripts_with_stubs, check_compose_run, check_systemd, check_docs]
    for step in steps:
        try:
            step(state)
        except Skip as e:
            skip(str(e))
        except Exception as e:  # a broken step must not hide the others
            import traceback
            fail(f"{step.__name__} stopped: {e}", traceback.format_exc())
    for cleanup in reversed(state.get("cleanups", [])):
        try:
            cleanup()
        except Exception:
            pass
    say("")
    if counts["fail"] == 0 and not KEEP:
        shutil.rmtree(WORK, ignore_errors=True)
    elif counts["fail"]:
        say(f"check-docker.sh: logs kept in {WORK}")
    say(f"{counts['ok']} passed, {counts['fail']} failed, {counts['skip']} skipped")
    sys.exit(1 if counts["fail"] else 0)


# --- 1. the Dockerfile, read ---------------------------------------------

def check_dockerfile_static(st):
    section("Dockerfile: structure")
    args, stages = parse_dockerfile(DOCKERFILE)
    st["stages"] = stages
    check(len(stages) == 2, f"two stages (got {len(stages)})")
    build, final = stages[0], stages[-1]
    st["build"], st["final"] = build, final
    check(build.name == "build", "the first stage is named 'build'")
    for s in stages:
        check(s.base == "debian:bookworm-slim", f"stage {s.name or 'final'} is FROM debian:bookworm-slim (got {s.base})")

    def pkgs_of(stage):
        found = []
        for kw, flags, rest, ex in stage.instrs:
            if kw == "RUN" and apt_packages(rest) is not None:
                found.append(rest)
        return found

    for label, stage, want in (("build", build, WANT_BUILD_PKGS), ("runtime", final, WANT_RUNTIME_PKGS)):
        runs = pkgs_of(stage)
        check(len(runs) == 1, f"{label} stage installs packages in one RUN")
        if not runs:
            continue
        text = runs[0]
        got = set(apt_packages(text))
        st[f"{label}_pkgs"] = got
        check(want <= got, f"{label} packages: {' '.join(sorted(got))}", f"missing: {sorted(want - got)}")
        check("apt-get update" in text, f"{label}: apt-get update in the same RUN as install")
        check("--no-install-recommends" in text, f"{label}: --no-install-recommends")
        check("rm -rf /var/lib/apt/lists/*" in text, f"{label}: apt lists removed in the same layer")
    check(not any(p.endswith("-dev") for p in st.get("runtime_pkgs", ())),
          "no -dev package in the runtime stage")

    cmake_cfg = [r for k, f, r, e in build.instrs if k == "RUN" and re.search(r"\bcmake\s+-S\b", r)]
    check(cmake_cfg and "-DCMAKE_BUILD_TYPE=Release" in cmake_cfg[0], "build stage configures CMake as Release")
    check(any(k == "RUN" and "ctest" in r for k, f, r, e in build.instrs), "build stage runs the unit tests")

    users = [r for k, f, r, e in final.instrs if k == "USER"]
    check(users, "final stage sets USER")
    st["user"] = users[-1] if users else ""
    ent = [e for k, f, r, e in final.instrs if k == "ENTRYPOINT"]
    check(ent and ent[-1] is not None, "ENTRYPOINT in exec form (signals reach the worker as PID 1)")
    st["entrypoint"] = ent[-1] if ent and ent[-1] else []
    check(st["entrypoint"][:1] and os.path.basename(st["entrypoint"][0]) == "needlewatch-ingest",
          f"ENTRYPOINT runs the ingest worker: {st['entrypoint']}")
    check("--config" in st["entrypoint"], "ENTRYPOINT passes --config")

    # Where each image path comes from: COPY --from=build (built binaries) or
    # the build context (files of this repository).
    image_files = {}
    for kw, flags, rest, ex in final.instrs:
        if kw != "COPY":
            continue
        srcs, dest = copy_args(rest, ex)
        for s in srcs:
            target = dest.rstrip("/") + "/" + os.path.basename(s) if dest.endswith("/") or len(srcs) > 1 else dest
            if flags.get("from") == "build":
                image_files[target] = ("build", s)
            else:
                image_files[target] = ("context", os.path.join(SRC, s))
    st["image_files"] = image_files
    for prog in ("needlewatch-ingest", "needlewatch-analyze", "needlewatch-loadgen"):
        check(f"/usr/local/bin/{prog}" in image_files and image_files[f"/usr/local/bin/{prog}"][0] == "build",
              f"{prog} copied from the build stage to /usr/local/bin")
    if "--config" in st["entrypoint"]:
        cfg = st["entrypoint"][st["entrypoint"].index("--config") + 1]
        check(cfg in image_files and image_files[cfg][0] == "context" and os.path.isfile(image_files[cfg][1]),
              f"the ENTRYPOINT's config {cfg} is copied from {os.path.relpath(image_files.get(cfg, ('', '?'))[1], SRC)}")
        st["image_config"] = cfg
    for target, (kind, path) in image_files.items():
        if kind == "context":
            check(os.path.isfile(path), f"COPY source {os.path.relpath(path, SRC)} exists")
    workdirs = [r for k, f, r, e in final.instrs if k == "WORKDIR"]
    st["workdir"] = workdirs[-1] if workdirs else "/"


def image_to_local(st, path):
    """The file on this machine that ends up at path in the image."""
    kind, p = st["image_files"].get(path, (None, None))
    if kind == "build":
        return os.path.join(st["ctx"], os.path.relpath(p, st["build_workdir"]))
    if kind == "context":
        return p
    return None


# --- 1b. packages -----------------------------------------------------------

def check_packages(st):
    section("Dockerfile: Debian packages")
    for label in ("build", "runtime"):
        for pkg in sorted(st.get(f"{label}_pkgs", ())):
            info = apt_show(pkg)
            check(info.startswith("Package: ") or "\nPackage: " in info,
                  f"apt-cache show {pkg} ({label})")
    missing = ensure_packages(sorted(st.get("build_pkgs", ())), "the build stage")
    check(not missing, "the build stage's packages are installed here", f"missing: {missing}")
    if missing:
        raise Skip("pkg-config modules: build packages missing")
    # Every pkg-config module CMake asks for must come from a listed package.
    mods = set()
    for root, dirs, files in os.walk(SRC):
        dirs[:] = [d for d in dirs if not d.startswith(("build", ".")) and d not in ("docker",)]
        if "CMakeLists.txt" in files:
            text = file_text(os.path.join(root, "CMakeLists.txt"))
            for m in re.finditer(r"pkg_check_modules\s*\(([^)]*)\)", text):
                words = m.group(1).split()
                mods.update(w for w in words[1:] if w not in ("REQUIRED", "QUIET", "IMPORTED_TARGET", "GLOBAL", "NO_CMAKE_PATH", "NO_CMAKE_ENVIRONMENT_PATH"))
    check(mods, f"pkg-config modules in CMakeLists.txt: {' '.join(sorted(mods))}")
    for mod in sorted(mods):
        p = run(["pkg-config", "--variable=pcfiledir", mod])
        pc = os.path.join(p.stdout.strip(), mod + ".pc") if p.returncode == 0 else None
        owner = dpkg_owner(pc) if pc else None
        check(owner in st.get("build_pkgs", ()), f"pkg-config {mod} comes from {owner}, a build-stage package")


# --- 1c. the build stage, replayed ------------------------------------------

def glob_to_re(pat):
    pat = pat.strip().lstrip("/")
    out, i = "", 0
    while i < len(pat):
        if pat.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pat.startswith("**", i):
            out += ".*"
            i += 2
        elif pat[i] == "*":
            out += "[^/]*"
            i += 1
        elif pat[i] == "?":
            out += "[^/]"
            i += 1
        else:
            out += re.escape(pat[i])
            i += 1
    return re.compile("^" + out + "(?:/.*)?$")


def check_build(st):
    section("Dockerfile: the build stage, replayed here")
    build = st["build"]
    ignore_file = DOCKERFILE + ".dockerignore"
    ignores = [glob_to_re(l) for l in file_text(ignore_file).splitlines()
               if l.strip() and not l.strip().startswith("#")]
    ctx_root = os.path.join(WORK, "image-build")
    workdir = "/"
    ctx = None
    runs = []
    for kw, flags, rest, ex in build.instrs:
        if kw == "WORKDIR":
            workdir = rest
            ctx = os.path.join(ctx_root, workdir.lstrip("/"))
            os.makedirs(ctx, exist_ok=True)
        elif kw == "COPY":
            if ctx is None:
                raise RuntimeError("COPY before WORKDIR in the build stage")
            srcs, dest = copy_args(rest, ex)
            for s in srcs:
                sp = os.path.join(SRC, s)
                dp = os.path.join(ctx, dest)
                if os.path.isdir(sp):
                    for root, dirs, files in os.walk(sp):
                        for fn in files:
                            full = os.path.join(root, fn)
                            rel_ctx = os.path.relpath(full, SRC)
                            if any(r.match(rel_ctx) for r in ignores):
                                continue
                            out = os.path.join(dp, os.path.relpath(full, sp))
                            os.makedirs(os.path.dirname(out), exist_ok=True)
                            shutil.copy2(full, out)
                else:
                    out = os.path.join(dp, os.path.basename(s)) if dest.endswith("/") else dp
                    os.makedirs(os.path.dirname(out), exist_ok=True)
                    shutil.copy2(sp, out)
        elif kw == "RUN" and apt_packages(rest) is None:
            runs.append(rest)
    st["ctx"], st["build_workdir"] = ctx, workdir
    log = os.path.join(WORK, "image-build.log")
    t0 = time.time()
    with open(log, "w") as lf:
        for cmd in runs:
            lf.write(f"\n$ {cmd}\n")
            lf.flush()
            p = subprocess.run(["/bin/sh", "-c", cmd], cwd=ctx, env=base_env(),
                               stdin=subprocess.DEVNULL, stdout=lf, stderr=subprocess.STDOUT)
            if not check(p.returncode == 0, f"RUN {cmd}", file_text(log)):
                st["build_failed"] = True
                return
    say(f"     (build stage replayed in {time.time() - t0:.0f}s; log {os.path.relpath(log, WORK)})")
    unit = re.findall(r"(\d+)% tests passed, (\d+) tests failed out of (\d+)", file_text(log))
    check(unit and unit[-1][1] == "0" and int(unit[-1][2]) > 0,
          f"unit tests in the build stage: {unit[-1][2] if unit else 0} run, {unit[-1][1] if unit else '?'} failed")


# --- 1d. what the final stage copies, linked against what it installs -------

def check_linkage(st):
    section("Dockerfile: runtime libraries of the built programs")
    if st.get("build_failed") or "ctx" not in st:
        raise Skip("linkage: the build did not complete")
    runtime = st.get("runtime_pkgs", set())
    closure = dependency_closure(runtime | BASE_LIBS)
    direct_pkgs = set()
    bins = {t: image_to_local(st, t) for t, (k, p) in st["image_files"].items() if k == "build"}
    st["bins"] = bins
    for target, local in sorted(bins.items()):
        name = os.path.basename(target)
        if not check(local and os.access(local, os.X_OK), f"{name} was built ({os.path.relpath(local, WORK)})"):
            continue
        needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", run(["readelf", "-d", local]).stdout)
        ldd = run(["ldd", local]).stdout
        check("not found" not in ldd, f"{name}: ldd finds every library", ldd)
        paths = {}
        for line in ldd.splitlines():
            m = re.match(r"\s*(\S+)\s+=>\s+(/\S+)", line)
            if m:
                paths[m.group(1)] = m.group(2)
        bad_direct, bad_any = [], []
        for soname, path in sorted(paths.items()):
            pkg = dpkg_owner(path)
            if soname in needed:
                direct_pkgs.add(pkg)
                if pkg not in runtime and pkg not in BASE_LIBS:
                    bad_direct.append(f"{soname} ({pkg})")
            if pkg not in closure:
                bad_any.append(f"{soname} ({pkg})")
        check(not bad_direct, f"{name}: every directly linked library ({len(needed)}) is from a listed runtime package",
              "not listed: " + ", ".join(bad_direct))
        check(not bad_any, f"{name}: every loaded library ({len(paths)}) is installed by the runtime packages' dependencies",
              "outside: " + ", ".join(bad_any))
        p = run([local, "--help"], env=base_env())
        check(p.returncode == 0, f"{name} --help runs", p.stderr)
    unused = sorted(runtime - direct_pkgs - NOT_LIBRARIES)
    check(not unused, "every runtime library package is linked by some program", f"unused: {unused}")


# --- 1e. the non-root user ----------------------------------------------------

def check_user(st):
    section("Dockerfile: the non-root user")
    final = st["final"]
    runs = [r for k, f, r, e in final.instrs if k == "RUN" and re.search(r"\buseradd\b", r)]
    if not check(len(runs) == 1, "one RUN creates the user"):
        return
    segments = [shlex.split(s) for s in re.split(r"&&", runs[0])]
    installs = [w for w in segments if w and w[0] == "install"]
    st["user_dirs"] = []
    for w in installs:
        owner = w[w.index("-o") + 1] if "-o" in w else None
        group = w[w.index("-g") + 1] if "-g" in w else None
        dirs = [x for i, x in enumerate(w[1:], 1) if not x.startswith("-") and w[i - 1] not in ("-o", "-g", "-m")]
        check("-d" in w and owner in ("needlewatch", str(WANT_UID)) and group in ("needlewatch", str(WANT_UID)),
              f"install -d gives {' '.join(dirs)} to the user")
        st["user_dirs"] += dirs
    check(st["workdir"] in st["user_dirs"], f"WORKDIR {st['workdir']} belongs to the user")
    if not IS_ROOT:
        raise Skip("useradd --prefix replay needs root")
    prefix = os.path.join(WORK, "user-prefix")
    os.makedirs(os.path.join(prefix, "etc"), exist_ok=True)
    for f in ("passwd", "group", "shadow", "gshadow", "login.defs"):
        if os.path.exists(f"/etc/{f}"):
            shutil.copy2(f"/etc/{f}", os.path.join(prefix, "etc", f))
    # The image starts from Debian's base accounts, not this machine's: drop
    # any needlewatch entries a developer may have here.
    for f in ("passwd", "group", "shadow", "gshadow"):
        p = os.path.join(prefix, "etc", f)
        if os.path.exists(p):
            lines = [l for l in file_text(p).splitlines(True) if not l.startswith("needlewatch:")]
            with open(p, "w") as fh:
                fh.writelines(lines)
    for w in segments:
        if w and w[0] in ("groupadd", "useradd"):
            cmd = [w[0], "--prefix", prefix] + w[1:]
            p = run(cmd, env=base_env())
            check(p.returncode == 0, f"replayed: {' '.join(w)}", p.stderr)
    entry = [l.split(":") for l in file_text(os.path.join(prefix, "etc/passwd")).splitlines()
             if l.startswith("needlewatch:")]
    if not check(entry, "the user needlewatch exists in the image's /etc/passwd"):
        return
    name, _, uid, gid, _, home, shell = entry[0][:7]
    check(uid == str(WANT_UID) and gid == str(WANT_UID), f"needlewatch is uid {uid}, gid {gid} (want {WANT_UID})")
    check(shell.endswith("nologin"), f"needlewatch has no login shell ({shell})")
    check(home in st["user_dirs"], f"its home {home} is created and owned by it")
    user = st["user"]
    u, _, g = user.partition(":")
    ok_user = u in ("needlewatch", uid) and (not g or g in ("needlewatch", gid)) and u not in ("0", "root")
    check(ok_user, f"USER {user} is needlewatch ({uid}:{gid}), not root")


# --- 2. the image's configuration and healthcheck ---------------------------

def worker_keys(st):
    """Keys needlewatch-ingest knows, from its --help."""
    if "keys" not in st:
        ing = st.get("bins", {}).get("/usr/local/bin/needlewatch-ingest")
        if not ing or not os.access(ing, os.X_OK):
            raise Skip("no built needlewatch-ingest")
        out = run([ing, "--help"], env=base_env()).stdout
        body = out.split("Keys:", 1)[-1]
        st["keys"] = [m.group(1) for m in re.finditer(r"^\s{2}(\S+)\s", body, re.M)]
    return st["keys"]


def config_file_for_dump(st, path):
    """path itself, or (metrics.* pending in the worker) a copy without those keys."""
    if "metrics.listen" in worker_keys(st):
        return path
    out = os.path.join(WORK, "config-without-metrics.properties")
    with open(out, "w") as f:
        f.writelines(l for l in open(path) if not l.startswith("metrics."))
    return out


def check_image_config(st):
    section("image: configuration")
    keys = worker_keys(st)
    if "metrics.listen" not in keys:
        skip("metrics.listen: the worker does not know it yet (pending: the metrics endpoint)")
    cfg = st.get("image_config")
    local = image_to_local(st, cfg) if cfg else None
    if not local:
        raise Skip("no image configuration file")
    text = file_text(local)
    pairs = [l.split("=", 1) for l in text.splitlines() if "=" in l and not l.lstrip().startswith("#")]
    secretish = [k for k, v in pairs if v.strip() and (k.endswith("password") or k.endswith("secret")
                                                        or (k == "pg.conninfo" and "password" in v))]
    check(not secretish, f"{os.path.relpath(local, SRC)} holds no secret", secretish)
    ing = st["bins"]["/usr/local/bin/needlewatch-ingest"]
    p = run([ing, "--config", config_file_for_dump(st, local), "--dump-config"], env=base_env())
    check(p.returncode == 0, f"the worker loads {os.path.relpath(local, SRC)} (--dump-config)", p.stderr)
    st["image_config_local"] = local


def check_healthcheck_script(st):
    section("image: needlewatch-healthcheck against stub servers")
    script = image_to_local(st, "/usr/local/bin/needlewatch-healthcheck")
    if not script:
        raise Skip("no healthcheck script in the image")
    p = run(["bash", "-n", script])
    check(p.returncode == 0, "healthcheck script parses (bash -n)", p.stderr)
    StubHandler.routes = {"/readyz": (200, "ok\npostgresql: up\nkafka: up\n"),
                          "/healthz": (200, "ok\n"),
                          "/down": (503, "not ready\npostgresql: down\nkafka: up\n"),
                          "/hang": ("hang", "")}
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), StubHandler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    port = srv.server_address[1]
    try:
        env = base_env({"NEEDLEWATCH_METRICS_LISTEN": f"0.0.0.0:{port}"})
        p = run(["bash", script], env=env, timeout=20)
        check(p.returncode == 0 and "200" in p.stdout,
              "200 from /readyz: exit 0 (address from NEEDLEWATCH_METRICS_LISTEN, 0.0.0.0 probed on 127.0.0.1)",
              p.stdout + p.stderr)
        p = run(["bash", script, "/down", f"127.0.0.1:{port}"], env=base_env(), timeout=20)
        check(p.returncode == 1 and "postgresql: down" in p.stdout,
              "503: exit 1, and the body (what is down) is in the health log", p.stdout + p.stderr)
        t0 = time.time()
        p = run(["bash", script, "/hang", f"127.0.0.1:{port}"], env=base_env(), timeout=30)
        check(p.returncode == 1 and time.time() - t0 < 10, f"a server that never answers: exit 1 after {time.time() - t0:.1f}s")
        p = run(["bash", script, "/readyz", f"127.0.0.1:{free_port()}"], env=base_env(), timeout=20)
        check(p.returncode == 1, "nothing listening: exit 1")
    finally:
        srv.shutdown()


# --- 3. compose, read ---------------------------------------------------------

KNOWN_SERVICE_KEYS = {"image", "build", "pull_policy", "command", "entrypoint", "environment",
                      "env_file", "depends_on", "healthcheck", "volumes", "restart", "hostname",
                      "user", "read_only", "cap_drop", "cap_add", "security_opt", "logging",
                      "stop_grace_period", "stop_signal", "shm_size", "ports", "expose",
                      "networks", "deploy", "init", "tmpfs", "working_dir", "labels",
                      "container_name", "mem_limit", "cpus", "ulimits", "profiles"}
KNOWN_HEALTH_KEYS = {"test", "interval", "timeout", "retries", "start_period", "start_interval", "disable"}
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}


def check_compose(st):
    section("compose: structure")
    with open(COMPOSE) as f:
        raw = yaml.safe_load(f)
    check(isinstance(raw, dict), "parses as YAML (python3-yaml)")
    cfg = interpolate(raw, {})
    st["compose"] = cfg
    bad_top = [k for k in cfg if k not in ("name", "services", "volumes", "networks", "configs", "secrets")
               and not k.startswith("x-")]
    check(not bad_top, "top-level keys are Compose's (or x- extensions)", bad_top)
    services = cfg.get("services", {})
    check(set(services) == WANT_SERVICES, f"services: {' '.join(sorted(services))}",
          f"missing {sorted(WANT_SERVICES - set(services))}, extra {sorted(set(services) - WANT_SERVICES)}")
    for name, svc in sorted(services.items()):
        unknown = set(svc) - KNOWN_SERVICE_KEYS
        check(not unknown, f"{name}: only known service keys", sorted(unknown))
        img = svc.get("image", "")
        check(img and ":" in img and not img.endswith(":latest"), f"{name}: image {img} has a pinned tag")
        if "build" in svc:
            b = svc["build"]
            ctxdir = os.path.normpath(os.path.join(COMPOSE_DIR, b.get("context", ".")))
            df = os.path.join(ctxdir, b.get("dockerfile", "Dockerfile"))
            check(ctxdir == SRC and os.path.samefile(df, DOCKERFILE),
                  f"{name}: builds docker/Dockerfile with the repository as context")
            check(svc.get("pull_policy") == "build", f"{name}: pull_policy build (never pulls needlewatch:* from a registry)")
        for key in ("interval", "timeout", "start_period", "start_interval"):
            if key in (svc.get("healthcheck") or {}):
                check(duration_s(svc["healthcheck"][key]) is not None, f"{name}: healthcheck {key} is a duration")
        if svc.get("healthcheck"):
            check(set(svc["healthcheck"]) <= KNOWN_HEALTH_KEYS, f"{name}: healthcheck keys are known")
            test = svc["healthcheck"].get("test")
            check(isinstance(test, list) and test[0] in ("CMD", "CMD-SHELL"), f"{name}: healthcheck test is CMD or CMD-SHELL")
        if "stop_grace_period" in svc:
            check(duration_s(svc["stop_grace_period"]) is not None, f"{name}: stop_grace_period is a duration")
    ours = {n for n, s in services.items() if "build" in s}
    check(ours == {"ingest-1", "ingest-2", "loadgen", "analyzer"}, f"built from this tree: {' '.join(sorted(ours))}")
    check(services.get("kafka", {}).get("image", "").startswith("apache/kafka:"), "Kafka is the official apache/kafka image")
    check(services.get("postgres", {}).get("image", "") == "postgres:15", "PostgreSQL is the official postgres:15 image")
    check(not any("ports" in s for s in services.values()), "no port is published (demo passwords stay inside)")

    # depends_on: targets exist, conditions fit the target, no cycle.
    oneshots = {n for n, s in services.items() if str(s.get("restart", "no")) == "no"}
    for name, svc in sorted(services.items()):
        for dep, spec in svc_depends(svc).items():
            cond = (spec or {}).get("condition", "service_started")
            check(dep in services, f"{name} depends on {dep}, which exists")
            check(cond in CONDITIONS, f"{name} -> {dep}: condition {cond} is valid")
            if cond == "service_healthy":
                check(bool(services.get(dep, {}).get("healthcheck")), f"{name} -> {dep}: service_healthy, and {dep} has a healthcheck")
            if cond == "service_completed_successfully":
                check(dep in oneshots, f"{name} -> {dep}: service_completed_successfully, and {dep} is a one-shot (restart: \"no\")")

    def deps_of(n, seen=()):
        out = set()
        for d in svc_depends(services.get(n, {})):
            if d in seen:
                raise ValueError(f"cycle through {d}")
            out |= {d} | deps_of(d, seen + (d,))
        return out
    try:
        order = {n: deps_of(n, (n,)) for n in services}
        ok("depends_on has no cycle")
    except ValueError as e:
        fail(f"depends_on: {e}")
        order = {}
    if order:
        check({"kafka-topics", "migrate"} <= order.get("ingest-1", set()) and
              {"kafka-topics", "migrate"} <= order.get("ingest-2", set()), "workers start after the topics and the migrations")
        check({"ingest-1", "ingest-2", "kafka-topics"} <= order.get("loadgen", set()), "the generator starts after both workers are ready")
        check({"wait-drained", "loadgen", "ingest-1", "ingest-2"} <= order.get("analyzer", set()), "the analyzer runs once everything generated is stored")
        check({"kafka"} <= order.get("kafka-topics", set()) and {"postgres"} <= order.get("migrate", set()), "one-shot jobs wait for their server")
    for n in ("ingest-1", "ingest-2"):
        s = services.get(n, {})
        check(svc_env(s).get("NEEDLEWATCH_KAFKA_GROUP_ID") == "needlewatch-ingest", f"{n} is in consumer group needlewatch-ingest")
        check("--no-migrate" in as_list(s.get("command")), f"{n} runs with --no-migrate (DDL is the migrate job's)")
        check(str(s.get("restart")) in ("unless-stopped", "always", "on-failure"), f"{n} restarts when it fails")
        check(s.get("read_only") is True and "ALL" in (s.get("cap_drop") or []), f"{n}: read-only root, no capabilities")

    # Volumes: named ones declared, bind sources present.
    declared = set((cfg.get("volumes") or {}).keys())
    used = set()
    st["mounts"] = {}
    for name, svc in sorted(services.items()):
        mounts = {}
        for v in svc.get("volumes") or []:
            parts = v.split(":") if isinstance(v, str) else [v.get("source"), v.get("target")]
            source, target = parts[0], parts[1]
            if source.startswith((".", "/")):
                host = os.path.normpath(os.path.join(COMPOSE_DIR, source))
                check(os.path.exists(host), f"{name}: bind source {source} exists")
                check(len(parts) > 2 and "ro" in parts[2].split(","), f"{name}: {source} is mounted read-only")
                mounts[target] = host
            else:
                check(source in declared, f"{name}: volume {source} is declared")
                used.add(source)
                mounts[target] = ("volume", source)
        st["mounts"][name] = mounts
    check(declared == used, f"every declared volume is used ({' '.join(sorted(declared))})")

    # The report: --output in the reports volume, a folder the image gives the user.
    an = services.get("analyzer", {})
    cmd = as_list(an.get("command"))
    out = cmd[cmd.index("--output") + 1] if "--output" in cmd else ""
    check("--format" in cmd and cmd[cmd.index("--format") + 1] == "html", "analyzer writes HTML")
    vol_target = [t for t, h in st["mounts"].get("analyzer", {}).items() if isinstance(h, tuple)]
    check(vol_target and os.path.dirname(out) == vol_target[0], f"analyzer --output {out} is in its volume")
    check(vol_target and vol_target[0] in st.get("user_dirs", []),
          f"that folder is created in the image for uid {WANT_UID} (an empty volume takes its owner)")
    for n in ("ingest-1", "ingest-2"):
        hc = (services.get(n, {}).get("healthcheck") or {}).get("test", [])
        check(len(hc) > 1 and hc[1] in st.get("image_files", {}), f"{n}: healthcheck runs {hc[1] if len(hc) > 1 else '?'}, which the image has")
        check("/readyz" in hc, f"{n}: healthcheck probes /readyz")
    grace = duration_s(services.get("ingest-1", {}).get("stop_grace_period", "10s"))
    st["grace_s"] = grace
    check(grace and grace >= 15, f"workers get {grace:.0f}s to finish their batch on SIGTERM")
    pg_hc = (services.get("postgres", {}).get("healthcheck") or {}).get("test", [])
    check("-h" in pg_hc and pg_hc[pg_hc.index("-h") + 1] == "127.0.0.1",
          "postgres healthcheck uses TCP (not ready while the init scripts run on the socket)")

    check_kraft(services.get("kafka", {}), services.get("kafka-topics", {}))


def check_kraft(kafka, topics_job):
    env = svc_env(kafka)
    roles = set(env.get("KAFKA_PROCESS_ROLES", "").split(","))
    check(roles == {"broker", "controller"}, "Kafka: one combined broker,controller (KRaft)")
    check("KAFKA_ZOOKEEPER_CONNECT" not in env, "Kafka: no ZooKeeper")
    node = env.get("KAFKA_NODE_ID", "")
    voters = [v.split("@") for v in env.get("KAFKA_CONTROLLER_QUORUM_VOTERS", "").split(",") if "@" in v]
    check(len(voters) == 1 and voters[0][0] == node, f"Kafka: the quorum is this node ({node})")
    listeners = {}
    for l in env.get("KAFKA_LISTENERS", "").split(","):
        m = re.match(r"(\w+)://([^:]*):(\d+)$", l)
        if m:
            listeners[m.group(1)] = int(m.group(3))
    protomap = dict(x.split(":") for x in env.get("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "").split(",") if ":" in x)
    ctl = env.get("KAFKA_CONTROLLER_LISTENER_NAMES", "")
    check(set(listeners) <= set(protomap), "Kafka: every listener has a security protocol")
    check(ctl in listeners, f"Kafka: the controller listener {ctl} is a listener")
    if voters and ctl in listeners:
        host, port = voters[0][1].rsplit(":", 1)
        check(int(port) == listeners[ctl], f"Kafka: the voter {voters[0][1]} is the controller listener's port")
        check(host == kafka.get("hostname"), f"Kafka: the voter host {host} is the container's hostname")
    adv = env.get("KAFKA_ADVERTISED_LISTENERS", "")
    check(ctl and ctl + "://" not in adv, "Kafka: the controller listener is not advertised")
    ibl = env.get("KAFKA_INTER_BROKER_LISTENER_NAME", "")
    check(ibl in listeners and ibl + "://" in adv, f"Kafka: the inter-broker listener {ibl} is advertised")
    check("PLAINTEXT://kafka:9092" in adv, "Kafka: clients are told kafka:9092")
    try:
        cid = base64.urlsafe_b64decode(env.get("CLUSTER_ID", "") + "==")
        check(len(cid) == 16, "Kafka: CLUSTER_ID is a base64url UUID")
    except Exception:
        fail("Kafka: CLUSTER_ID is a base64url UUID")
    for k in ("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
              "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "KAFKA_DEFAULT_REPLICATION_FACTOR", "KAFKA_MIN_INSYNC_REPLICAS"):
        check(env.get(k) == "1", f"Kafka: {k}=1 on one node")
    check(env.get("KAFKA_AUTO_CREATE_TOPICS_ENABLE") == "false", "Kafka: topics are never created implicitly")
    check(env.get("KAFKA_LOG_DIRS") and any(v.endswith(":" + env["KAFKA_LOG_DIRS"]) for v in kafka.get("volumes", [])),
          "Kafka: its log.dirs is a volume")
    cmd = " ".join(as_list(topics_job.get("command")))
    parts = re.findall(r"--partitions\s+\"?(\d+)", cmd)
    check(parts and parts[0] == env.get("KAFKA_NUM_PARTITIONS"), f"topics created with {parts[0] if parts else '?'} partitions = KAFKA_NUM_PARTITIONS")


# --- 3b. every NEEDLEWATCH_* variable against the worker ------------------------

def conninfo_dict(text):
    return {k: v.strip("'") for k, v in re.findall(r"(\w+)=('(?:[^'\\]|\\.)*'|\S+)", text)}


def check_compose_env(st):
    section("compose: NEEDLEWATCH_* variables against the built worker")
    services = st["compose"]["services"]
    keys = worker_keys(st)
    table = [k for k in keys if not k.startswith("kafka.")]
    ing = st["bins"]["/usr/local/bin/needlewatch-ingest"]
    for name in sorted(services):
        svc = services[name]
        env = svc_env(svc)
        nw = {k: v for k, v in env.items() if k.startswith("NEEDLEWATCH_")}
        runs_worker = "build" in svc and "entrypoint" not in svc
        if not runs_worker:
            check(not nw, f"{name}: no NEEDLEWATCH_* variables (it does not run the worker)")
            continue
        pending = [] if "metrics.listen" in keys else ["NEEDLEWATCH_METRICS_LISTEN"]
        expect = {}
        for var, val in sorted(nw.items()):
            rest = var[len("NEEDLEWATCH_"):].lower()
            key = next((k for k in table if k.replace(".", "_") == rest), None)
            if key is None and rest.startswith("kafka_"):
                key = "kafka." + rest[len("kafka_"):].replace("_", ".")
            if var in pending:
                skip(f"{name}: {var} (pending: the worker does not know metrics.listen yet)")
                continue
            if check(key is not None, f"{name}: {var} is the key {key}"):
                expect[key] = val
        argv = [ing] + st["entrypoint"][1:] + as_list(svc.get("command")) + ["--dump-config"]
        argv = [config_file_for_dump(st, st["image_config_local"]) if a == st.get("image_config") else a for a in argv]
        run_env = base_env({k: v for k, v in env.items() if k not in pending})
        p = run(argv, env=run_env)
        if not check(p.returncode == 0, f"{name}: needlewatch-ingest {' '.join(argv[1:])} accepts this environment", p.stderr):
            continue
        dump = dict(l.split("=", 1) for l in p.stdout.splitlines() if "=" in l and not l.startswith("#"))
        for key, val in sorted(expect.items()):
            got = dump.get(key)
            if key == "pg.conninfo":
                same = got is not None and conninfo_dict(got) == conninfo_dict(val)
            else:
                same = got == val
            check(same, f"{name}: --dump-config shows {key}={got}", f"expected {val}")
        check("PGPASSWORD" not in p.stdout and "password" not in dump.get("pg.conninfo", ""),
              f"{name}: no password in pg.conninfo (libpq's PGPASSWORD carries it)")
    for name in ("loadgen", "analyzer", "migrate"):
        env = svc_env(services.get(name, {}))
        known = {"PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD", "PGAPPNAME", "PGCONNECT_TIMEOUT",
                 "PGSSLMODE", "PGSSLROOTCERT", "PGPASSFILE", "PGOPTIONS", "PGTZ"}
        bad = [k for k in env if k.startswith("PG") and k not in known]
        check(not bad, f"{name}: its PG* variables are libpq's", bad)


# --- 3c. the scripts the compose file runs, against stubs -------------------------

CG_HEADER = "GROUP              TOPIC          PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG  CONSUMER-ID  HOST  CLIENT-ID"


def cg_output(rows, topics=("treatments", "complications"), group="needlewatch-ingest"):
    lines = ["", CG_HEADER]
    for t, p, cur, end in rows:
        lag = "-" if cur == "-" else str(int(end) - int(cur))
        lines.append(f"{group} {t} {p} {cur} {end} {lag} rdkafka-1234 /172.18.0.5 needlewatch-ingest-1")
    return "\n".join(lines) + "\n"


def check_scripts_with_stubs(st):
    section("compose: the scripts it runs, against stubs")
    services = st["compose"]["services"]
    for sh in sorted(f for f in os.listdir(COMPOSE_DIR) if f.endswith(".sh")):
        p = run(["bash", "-n", os.path.join(COMPOSE_DIR, sh)])
        check(p.returncode == 0, f"docker/{sh} parses (bash -n)", p.stderr)
    if shutil.which("shellcheck"):
        p = run(["shellcheck", "-S", "warning"] + [os.path.join(COMPOSE_DIR, f) for f in os.listdir(COMPOSE_DIR) if f.endswith(".sh")]
                + [os.path.join(SRC, "scripts/check-docker.sh")])
        check(p.returncode == 0, "shellcheck -S warning: docker/*.sh, scripts/check-docker.sh", p.stdout)
    else:
        skip("shellcheck is not installed")

    # wait-drained.sh reads `kafka-consumer-groups.sh --describe`.
    script = os.path.join(COMPOSE_DIR, "wait-drained.sh")
    wd = services.get("wait-drained", {})
    parts = int(svc_env(wd).get("NW_PARTITIONS", "8"))
    stubdir = os.path.join(WORK, "stub-kafka")
    os.makedirs(stubdir, exist_ok=True)
    tool = os.path.join(stubdir, "kafka-consumer-groups.sh")
    canned = os.path.join(stubdir, "describe.txt")
    with open(tool, "w") as f:
        f.write("#!/bin/sh\necho \"$*\" >>\"$(dirname \"$0\")/args.log\"\ncat \"$(dirname \"$0\")/describe.txt\"\n")
    os.chmod(tool, 0o755)

    def drained(rows, expect_rc, label, timeout_s="0"):
        with open(canned, "w") as f:
            f.write(rows if isinstance(rows, str) else cg_output(rows))
        env = base_env({k: v for k, v in svc_env(wd).items()})
        env.update({"KAFKA_CONSUMER_GROUPS": tool, "NW_DRAIN_TIMEOUT_S": timeout_s, "NW_DRAIN_POLL_S": "0"})
        p = run(["bash", script], env=env, timeout=30)
        check(p.returncode == expect_rc, f"wait-drained.sh: {label} -> exit {expect_rc}", p.stdout + p.stderr)
        return p

    full = [(t, i, "100", "100") for t in ("treatments", "complications") for i in range(parts)]
    p = drained(full, 0, f"all {2 * parts} partitions at their end")
    args = file_text(os.path.join(stubdir, "args.log"))
    check("--describe" in args and "--group needlewatch-ingest" in args and "--bootstrap-server kafka:9092" in args,
          "wait-drained.sh asks kafka-consumer-groups.sh --describe about the workers' group")
    drained(full[:-1] + [("complications", parts - 1, "90", "100")], 1, "one partition 10 behind")
    drained(full[:-1], 1, "a partition missing from the description")
    drained(full[:-1] + [("complications", parts - 1, "-", "0")], 0, "an empty partition with no commit")
    drained(full[:-1] + [("complications", parts - 1, "-", "5")], 1, "a partition with messages and no commit")
    drained(full + [("other-topic", 0, "0", "7")], 0, "another topic of the group is ignored")
    drained("\nConsumer group 'needlewatch-ingest' does not exist.\n", 1, "no group yet")

    # The topic job: run its command with the Kafka tools replaced by a stub.
    kt = services.get("kafka-topics", {})
    cmd = as_list(kt.get("command"))
    topics_stub = os.path.join(stubdir, "kafka-topics.sh")
    with open(topics_stub, "w") as f:
        f.write("#!/bin/sh\necho \"$*\" >>\"$(dirname \"$0\")/topics.log\"\n")
    os.chmod(topics_stub, 0o755)
    cmd = [c.replace("/opt/kafka/bin/kafka-topics.sh", topics_stub) for c in cmd]
    p = run(cmd, env=base_env(), timeout=30)
    log = file_text(os.path.join(stubdir, "topics.log"))
    creates = [l for l in log.splitlines() if "--create" in l]
    check(p.returncode == 0 and len(creates) == 2, "kafka-topics job: two --create calls", p.stdout + p.stderr + log)
    for topic in ("treatments", "complications"):
        check(any(f"--topic {topic} " in l and f"--partitions {parts} " in l and "--if-not-exists" in l
                  and "--bootstrap-server kafka:9092" in l for l in creates),
              f"kafka-topics job creates {topic} with {parts} partitions, if it does not exist")


# --- 4. the compose file, run without Docker -----------------------------------

def local_argv(st, svc_name, svc, replace):
    """The service's entrypoint + command as paths on this machine."""
    # Docker runs entrypoint + command; the official images used here have no
    # entrypoint that matters for these jobs (postgres' passes non-server
    # commands through unchanged).
    ent = as_list(svc["entrypoint"]) if "entrypoint" in svc else (st["entrypoint"] if "build" in svc else [])
    argv = ent + as_list(svc.get("command"))
    mounts = st["mounts"].get(svc_name, {})
    out = []
    for a in argv:
        a = replace.get(a, a)
        local = image_to_local(st, a) if "build" in svc else None
        if local:
            a = local
        for target, host in mounts.items():
            if isinstance(host, str) and (a == target or a.startswith(target + "/")):
                a = host + a[len(target):]
        out.append(a)
    return out


def check_compose_run(st):
    section("compose: the services run here without Docker (PostgreSQL, development broker)")
    if "bins" not in st:
        raise Skip("run without Docker: the build did not complete")
    missing = ensure_packages(["postgresql-15", "postgresql-client-15"], "running the compose services here")
    if missing:
        raise Skip(f"run without Docker: {' '.join(missing)} not installed")
    bindir = os.path.dirname(st["bins"]["/usr/local/bin/needlewatch-ingest"])
    devbroker = os.path.join(bindir, "needlewatch-devbroker")
    if not os.access(devbroker, os.X_OK):
        raise Skip("run without Docker: no needlewatch-devbroker in the build")
    keys = worker_keys(st)
    metrics = "metrics.listen" in keys
    ntreat = "3000"
    cfg = interpolate(yaml.safe_load(open(COMPOSE)), {"NW_LOADGEN_TREATMENTS": ntreat})
    services = cfg["services"]
    cleanups = st.setdefault("cleanups", [])
    pgdir = os.path.join(WORK, "pg")
    pgsh = os.path.join(SRC, "scripts/pg.sh")
    p = run(["bash", pgsh, "start", pgdir], env=base_env(), timeout=120)
    if not check(p.returncode == 0, "private PostgreSQL started (scripts/pg.sh)", p.stdout + p.stderr):
        return
    cleanups.append(lambda: run(["bash", pgsh, "stop", pgdir], env=base_env(), timeout=60))
    pgenv = {}
    for line in run(["bash", pgsh, "env", pgdir], env=base_env()).stdout.splitlines():
        w = shlex.split(line)
        if len(w) == 2 and w[0] == "export":
            k, _, v = w[1].partition("=")
            pgenv[k] = v
    me = run(["id", "-un"]).stdout.strip()
    su = base_env({"PGHOST": pgenv["PGHOST"], "PGPORT": pgenv["PGPORT"], "PGUSER": me, "PGDATABASE": "postgres"})

    def sql(q, db="needlewatch"):
        e = dict(su, PGDATABASE=db)
        r = run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-c", q], env=e)
        return r.stdout.strip() if r.returncode == 0 else f"ERROR: {r.stderr.strip()}"

    def host_env(env):
        """A service's environment with the compose host names replaced by local addresses."""
        out = dict(env)
        for k, v in env.items():
            if k == "PGHOST" and v == "postgres":
                out["PGHOST"], out["PGPORT"] = pgenv["PGHOST"], pgenv["PGPORT"]
            if k == "NEEDLEWATCH_PG_CONNINFO":
                out[k] = v.replace("host=postgres", f"host={pgenv['PGHOST']} port={pgenv['PGPORT']}")
        return out

    # The postgres image would start empty: drop what pg.sh prepared.
    r = run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", "DROP DATABASE IF EXISTS needlewatch",
             "-c", "DROP ROLE IF EXISTS needlewatch, needlewatch_ingest, needlewatch_analyst, "
                   "needlewatch_authority, needlewatch_maker, nw_ingest, nw_analyst"], env=su)
    check(r.returncode == 0, "cluster emptied of needlewatch's roles and database", r.stderr)

    # postgres-init.sh as the image runs it: executed, then (idempotence) sourced.
    pg_env = svc_env(services["postgres"])
    init = st["mounts"]["postgres"].get("/docker-entrypoint-initdb.d/10-needlewatch.sh")
    ienv = dict(su, POSTGRES_USER=me, POSTGRES_DB="postgres",
                **{k: v for k, v in pg_env.items() if k.startswith("NW_")})
    r = run(["bash", init], env=ienv, timeout=60)
    check(r.returncode == 0, "postgres-init.sh creates the roles and the database", r.stdout + r.stderr)
    r = run(["bash", "-c", "set -Eeo pipefail; . \"$1\"", "init", init], env=ienv, timeout=60)
    check(r.returncode == 0, "postgres-init.sh again, sourced as the image may: no error", r.stdout + r.stderr)
    check(sql("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'needlewatch'", "postgres") == "needlewatch",
          "database needlewatch is owned by the role needlewatch")
    check(sql("SELECT rolsuper OR rolcreaterole OR rolcreatedb FROM pg_roles WHERE rolname = 'needlewatch'", "postgres") == "f",
          "the owner is no superuser and creates no roles or databases")
    check(sql("SELECT string_agg(m.rolname || '>' || r.rolname, ' ' ORDER BY m.rolname) FROM pg_auth_members a "
              "JOIN pg_roles r ON r.oid = a.roleid JOIN pg_roles m ON m.oid = a.member "
              "WHERE m.rolname IN ('nw_ingest', 'nw_analyst')", "postgres")
          == "nw_analyst>needlewatch_analyst nw_ingest>needlewatch_ingest",
          "nw_ingest is in needlewatch_ingest, nw_analyst in needlewatch_analyst, nothing more")

    # migrate: twice; the second applies nothing.
    mig = services["migrate"]
    argv = local_argv(st, "migrate", mig, {})
    menv = base_env(host_env(svc_env(mig)))
    menv["PGUSER"] = svc_env(mig)["PGUSER"]
    r = run(argv, env=menv, timeout=120)
    nfiles = len([f for f in os.listdir(os.path.join(SRC, "sql")) if re.match(r"\d+.*\.sql$", f)])
    check(r.returncode == 0 and r.stdout.count("applying") == nfiles,
          f"migrate.sh applies the {nfiles} migrations as the owner", r.stdout + r.stderr)
    r = run(argv, env=menv, timeout=120)
    check(r.returncode == 0 and "applying" not in r.stdout, "migrate.sh again: nothing to apply", r.stdout + r.stderr)
    check(sql("SELECT count(*) FROM needlewatch.schema_migrations") == str(nfiles), "schema_migrations records each one")

    # Kafka: the development broker, with the compose file's partitions.
    parts = svc_env(services["kafka"]).get("KAFKA_NUM_PARTITIONS", "8")
    bootfile = os.path.join(WORK, "bootstrap")
    blog = open(os.path.join(WORK, "devbroker.log"), "w")
    broker = subprocess.Popen([devbroker, "--bootstrap-file", bootfile, "--topic", f"treatments:{parts}",
                               "--topic", f"complications:{parts}"], stdin=subprocess.DEVNULL,
                              stdout=blog, stderr=subprocess.STDOUT, env=base_env())
    cleanups.append(lambda: (broker.terminate(), broker.wait(10)))
    if not check(wait_for(lambda: os.path.exists(bootfile) and file_text(bootfile).strip(), 20),
                 "development broker up in place of kafka:9092"):
        return
    boot = file_text(bootfile).strip()

    # The two workers, with their services' environment and arguments.
    workers = {}
    for name in ("ingest-1", "ingest-2"):
        svc = services[name]
        env = host_env(svc_env(svc))
        env["NEEDLEWATCH_KAFKA_BOOTSTRAP_SERVERS"] = boot
        if metrics:
            env["NEEDLEWATCH_METRICS_LISTEN"] = "127.0.0.1:0"   # two on one host: free ports
        else:
            env.pop("NEEDLEWATCH_METRICS_LISTEN", None)
        argv = local_argv(st, name, svc, {})
        argv = [config_file_for_dump(st, a) if a == st["image_config_local"] else a for a in argv]
        log = os.path.join(WORK, f"{name}.log")
        proc = subprocess.Popen(argv, env=base_env(env), stdin=subprocess.DEVNULL,
                                stdout=open(log, "w"), stderr=subprocess.STDOUT)
        workers[name] = (proc, log, env)
        cleanups.append(lambda proc=proc: (proc.poll() is None and proc.kill(), proc.wait(10)))
    ports = {}
    hc_test = as_list(services["ingest-1"]["healthcheck"]["test"])[1:]
    for name, (proc, log, env) in workers.items():
        if metrics:
            m = wait_for(lambda: re.search(r"serving /metrics, /healthz and /readyz on 127\.0\.0\.1:(\d+)", file_text(log)), 30)
            if not check(m, f"{name}: metrics endpoint up", file_text(log)):
                continue
            ports[name] = m.group(1)
            hc = [image_to_local(st, hc_test[0])] + hc_test[1:]
            hcenv = base_env({"NEEDLEWATCH_METRICS_LISTEN": f"0.0.0.0:{ports[name]}"})
            ready = wait_for(lambda: run(["bash"] + hc, env=hcenv, timeout=20).returncode == 0, 60, 0.5)
            check(ready, f"{name}: its healthcheck ({' '.join(hc_test)}) passes, as Docker would see it",
                  file_text(log))
        else:
            skip(f"{name}: healthcheck (pending: the metrics endpoint)")
            check(wait_for(lambda: "partitions" in file_text(log) or proc.poll() is not None, 30) and proc.poll() is None,
                  f"{name}: running", file_text(log))

    # The generator, with its service's arguments.
    lg = services["loadgen"]
    argv = local_argv(st, "loadgen", lg, {"kafka:9092": boot})
    r = run(argv, env=base_env(svc_env(lg)), timeout=300)
    summary = dict(re.findall(r"(\w+)=(\d+)", r.stdout))
    if not check(r.returncode == 0 and "messages" in summary,
                 f"loadgen {' '.join(argv[1:])}: every message delivered", r.stdout + r.stderr):
        return
    msgs = summary["messages"]
    committed = lambda: sql("SELECT coalesce(sum(next_offset), 0) FROM needlewatch.kafka_offsets "
                            "WHERE group_id = 'needlewatch-ingest'")
    wait_for(lambda: committed() == msgs or any(w[0].poll() is not None for w in workers.values()), 60, 0.5)
    done = committed() == msgs
    login = conninfo_dict(svc_env(services["ingest-1"]).get("NEEDLEWATCH_PG_CONNINFO", "")).get("user", "?")
    check(done, f"the workers (as {login}, {' '.join(as_list(services['ingest-1'].get('command')))}) "
                f"committed all {msgs} messages",
          "\n".join(file_text(l)[-3000:] for _, l, _ in workers.values()))
    check(sql("SELECT count(*) FROM needlewatch.quarantine") == summary.get("invalid"),
          f"quarantine holds the {summary.get('invalid')} malformed messages")
    check(sql("SELECT count(DISTINCT owner) FROM needlewatch.kafka_offsets WHERE group_id = 'needlewatch-ingest'") == "2",
          "both workers own partitions (one consumer group, two members)")
    check(sql("SELECT count(*) FROM needlewatch.treatments") not in ("0", "") , "treatments are visible in the views")

    # The analyzer, as nw_analyst, writing the report where the volume would be.
    an = services["analyzer"]
    reports = os.path.join(WORK, "reports")
    os.makedirs(reports, exist_ok=True)
    vol = [t for t, h in st["mounts"]["analyzer"].items() if isinstance(h, tuple)][0]
    argv = local_argv(st, "analyzer", an, {})
    argv = [a.replace(vol, reports) if a.startswith(vol) else a for a in argv]
    ahelp = run([argv[0], "--help"], env=base_env()).stdout
    if "html" not in ahelp:
        skip("analyzer --format html (pending: the HTML renderer); the run below uses json")
        argv = [("json" if a == "html" else a) for a in argv]
    aenv = base_env(host_env(svc_env(an)))
    r = run(argv, env=aenv, timeout=300)
    out = argv[argv.index("--output") + 1]
    check(r.returncode == 0 and os.path.getsize(out) > 0 if os.path.exists(out) else False,
          f"analyzer {' '.join(argv[1:])} as {svc_env(an).get('PGUSER')}: report written", r.stdout + r.stderr)
    if "html" in argv:
        check("<html" in file_text(out).lower(), "the report is HTML")

    # docker compose stop: SIGTERM, then the grace period.
    grace = st.get("grace_s") or 10
    for name, (proc, log, env) in workers.items():
        t0 = time.time()
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(grace)
        except subprocess.TimeoutExpired:
            rc = None
        check(rc == 0, f"{name}: SIGTERM -> exit 0 in {time.time() - t0:.1f}s (grace {grace:.0f}s)", file_text(log)[-3000:])


# --- 5. systemd units ------------------------------------------------------------

def unit_settings(path):
    out = {}
    for line in file_text(path).splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")) and "=" in line:
            k, _, v = line.partition("=")
            out.setdefault(k.strip(), []).append(v.strip())
    return out


def check_systemd(st):
    section("systemd units (config/)")
    cfgdir = os.path.join(SRC, "config")
    tmpl = os.path.join(cfgdir, "needlewatch-ingest@.service")
    asvc = os.path.join(cfgdir, "needlewatch-analyze.service")
    atim = os.path.join(cfgdir, "needlewatch-analyze.timer")
    for f in (tmpl, asvc, atim):
        check(os.path.isfile(f), f"config/{os.path.basename(f)} exists")
    u = unit_settings(tmpl)
    first = lambda k: (u.get(k) or [""])[0]
    check("needlewatch-ingest" in first("ExecStart") and "--config" in first("ExecStart"), "worker unit runs needlewatch-ingest --config")
    check("%i" in " ".join(u.get("LoadCredential", []) + u.get("ExecStart", [])), "the instance name picks the configuration (%i)")
    check(first("DynamicUser") == "yes" or first("User") not in ("", "root"), "worker unit runs as a dynamic or dedicated user")
    for k, v in (("ProtectSystem", "strict"), ("NoNewPrivileges", "yes"), ("Restart", "on-failure"), ("KillSignal", "SIGTERM")):
        check(first(k) == v, f"worker unit: {k}={v}")
    stop = duration_s(first("TimeoutStopSec"))
    check(stop and stop >= 15 and (not st.get("grace_s") or stop == st["grace_s"]),
          f"worker unit: TimeoutStopSec={first('TimeoutStopSec')} (same as the compose grace period)")
    a = unit_settings(asvc)
    check((a.get("Type") or [""])[0] == "oneshot", "analyzer unit is Type=oneshot")
    check("needlewatch-analyze" in (a.get("ExecStart") or [""])[0] and "--output" in (a.get("ExecStart") or [""])[0],
          "analyzer unit writes its report with --output")
    t = unit_settings(atim)
    check(t.get("OnCalendar") and (t.get("Persistent") or [""])[0] == "true", "timer: OnCalendar, Persistent=true")

    if not shutil.which("systemd-analyze"):
        missing = ensure_packages(["systemd"], "systemd-analyze")
        if missing or not shutil.which("systemd-analyze"):
            raise Skip("systemd-analyze is not available")
    # verify checks that ExecStart exists: point it at the programs built above.
    vdir = os.path.join(WORK, "units")
    os.makedirs(vdir, exist_ok=True)
    bindir = os.path.dirname(st["bins"]["/usr/local/bin/needlewatch-ingest"]) if "bins" in st else None
    for f in (tmpl, asvc, atim):
        text = file_text(f)
        if bindir:
            text = text.replace("/usr/local/bin/", bindir + "/")
        with open(os.path.join(vdir, os.path.basename(f)), "w") as fh:
            fh.write(text)
    if not bindir:
        skip("systemd-analyze verify: no built programs to point ExecStart at")
        return
    for unit in ("needlewatch-ingest@a.service", "needlewatch-analyze.service", "needlewatch-analyze.timer"):
        r = run(["systemd-analyze", "verify", os.path.join(vdir, unit)], env=base_env(), timeout=60)
        check(r.returncode == 0 and not r.stderr.strip(), f"systemd-analyze verify {unit}", r.stdout + r.stderr)
    for unit in ("needlewatch-ingest@a.service", "needlewatch-analyze.service"):
        r = run(["systemd-analyze", "security", "--offline=true", os.path.join(vdir, unit)], env=base_env(), timeout=60)
        m = re.search(r"Overall exposure level for \S+: ([\d.]+)", r.stdout)
        check(m and float(m.group(1)) <= 2.0, f"systemd-analyze security {unit}: exposure {m.group(1) if m else '?'} (<= 2.0)",
              r.stdout + r.stderr)


# --- 6. the operations guide's metrics -----------------------------------------

def check_docs(st):
    section("docs/operations.md")
    doc = file_text(os.path.join(SRC, "docs/operations.md"))
    if not check(doc, "docs/operations.md exists"):
        return
    m = re.search(r"^## Metrics.*?(?=^## |\Z)", doc, re.M | re.S)
    if not check(m, "it has a '## Metrics' section"):
        return
    doc = m.group(0)
    mfile = os.path.join(SRC, "ingest/metrics.c")
    if not os.path.exists(mfile):
        raise Skip("metrics names: ingest/metrics.c not there yet (pending)")
    # Every needlewatch_* token in the file's string literals is a metric name.
    literals = re.findall(r'"((?:[^"\\]|\\.)*)"', file_text(mfile))
    exported = set(re.findall(r"\b(needlewatch_[a-z_]+)", " ".join(literals)))
    strip = lambda n: re.sub(r"_(bucket|sum|count)$", "", n)
    exported = {strip(n) for n in exported}
    documented = {strip(n) for n in re.findall(r"\b(needlewatch_[a-z_]+)", doc)}
    check(not (exported - documented), f"every exported metric ({len(exported)}) is described", sorted(exported - documented))
    check(not (documented - exported), "every metric the guide names is exported", sorted(documented - exported))


main()
PYEOF
