"""dockerlib.py - what the container tests share (imported, not a test).

The tests in this folder check docker/ and config/ as far as a Debian 12
machine without a Docker engine can, by running the real files: the
Dockerfile's steps replayed here (build_replay.py), the compose services'
commands against an empty PostgreSQL (compose_run.py), the systemd units
(systemd_units.py). This module holds their checks counter, a reader of the
Dockerfile's instructions, and `docker-compose config` as a dict.
"""
import json
import os
import re
import shlex
import subprocess
import sys

import yaml

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DOCKERFILE = os.path.join(SRC, "docker", "Dockerfile")
COMPOSE = os.path.join(SRC, "docker", "docker-compose.yml")
STD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class Checks:
    """Prints one line per check and a closing 'N passed, N failed'."""

    def __init__(self, name):
        self.name, self.passed, self.failed = name, 0, 0

    def check(self, cond, msg, detail=None):
        if cond:
            self.passed += 1
            print(f"ok   {msg}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL {msg}", flush=True)
            for line in str(detail or "").rstrip().splitlines()[-40:]:
                print(f"     | {line}", flush=True)
        return bool(cond)

    def section(self, title):
        print(f"\n== {title}", flush=True)

    def finish(self):
        print(f"\n{self.name}: {self.passed} passed, {self.failed} failed", flush=True)
        sys.exit(1 if self.failed or not self.passed else 0)


def run(cmd, env=None, cwd=None, timeout=None, input=None):
    """Runs cmd (a list); stdout and stderr captured as text."""
    return subprocess.run(cmd, env=env, cwd=cwd, timeout=timeout, text=True, input=input,
                          stdin=None if input is not None else subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def base_env(extra=None):
    """A clean environment, as a container or a unit starts with."""
    env = {"PATH": STD_PATH, "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8"}
    env.update(extra or {})
    return env


def file_text(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


# --- the Dockerfile ----------------------------------------------------------

class Stage:
    def __init__(self, base, name):
        self.base, self.name, self.instrs = base, name, []

    def all(self, keyword):
        return [i for i in self.instrs if i.keyword == keyword]


class Instr:
    """One instruction: keyword, --flags, its text, and the JSON (exec) form
    when it is written as one."""

    def __init__(self, keyword, flags, text, exec_form):
        self.keyword, self.flags, self.text, self.exec_form = keyword, flags, text, exec_form

    def words(self):
        return self.exec_form if self.exec_form is not None else shlex.split(self.text)


def read_dockerfile(path=DOCKERFILE):
    """The stages of a Dockerfile, each with its instructions (line
    continuations joined, comments dropped, ${ARG}s of FROM expanded)."""
    logical, cur = [], None
    for raw in file_text(path).splitlines():
        stripped = raw.strip()
        if cur is None and (not stripped or stripped.startswith("#")):
            continue
        if cur is not None and stripped.startswith("#"):
            continue
        cur = (cur or "") + (raw.rstrip()[:-1] + " " if raw.rstrip().endswith("\\") else raw)
        if not raw.rstrip().endswith("\\"):
            logical.append(cur)
            cur = None
    args, stages = {}, []
    for line in logical:
        keyword, _, rest = line.strip().partition(" ")
        keyword, rest, flags = keyword.upper(), rest.strip(), {}
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
                pass
        if keyword == "ARG" and not stages:
            k, _, v = rest.partition("=")
            args[k] = v
        elif keyword == "FROM":
            parts = rest.split()
            base = re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: args.get(m.group(1) or m.group(2), ""),
                          parts[0])
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else None
            stages.append(Stage(base, name))
        else:
            stages[-1].instrs.append(Instr(keyword, flags, rest, exec_form))
    return stages


def apt_packages(run_text):
    """The packages of the `apt-get install` in one RUN, or None."""
    for segment in re.split(r"&&|;", run_text):
        words = shlex.split(segment)
        if "apt-get" in words and "install" in words:
            return [w for w in words[words.index("install") + 1:] if not w.startswith("-")]
    return None


def image_files(final_stage):
    """Where each file the final stage COPYs comes from: path in the image ->
    ("build", path in the build stage) or ("context", path in this tree)."""
    files = {}
    for instr in final_stage.all("COPY"):
        words = instr.words()
        srcs, dest = words[:-1], words[-1]
        for s in srcs:
            target = (dest.rstrip("/") + "/" + os.path.basename(s)
                      if dest.endswith("/") or len(srcs) > 1 else dest)
            if instr.flags.get("from") == "build":
                files[target] = ("build", s)
            else:
                files[target] = ("context", os.path.join(SRC, s))
    return files


def image_to_local(files, path, build_bin, build_prefix="/src/build/bin/"):
    """The file on this machine that stands for path in the image: a program
    from build_bin (the build's bin folder), a file of this tree, or None."""
    kind, where = files.get(path, (None, None))
    if kind == "build" and where.startswith(build_prefix):
        return os.path.join(build_bin, where[len(build_prefix):])
    if kind == "context":
        return where
    return None


# --- the compose file ------------------------------------------------------

def compose_config(env_extra=None):
    """`docker-compose config` of docker/docker-compose.yml, parsed: the file
    as Compose itself reads it (merged anchors, interpolated variables,
    absolute bind-mount sources), with "$$" read back as "$". Raises RuntimeError with Compose's own
    message when the file is invalid."""
    env = dict(os.environ)
    env.update(env_extra or {})
    p = run(["docker-compose", "-f", COMPOSE, "config"], env=env, timeout=120)
    if p.returncode != 0:
        raise RuntimeError(p.stderr or p.stdout)
    return unescape(yaml.safe_load(p.stdout))


def unescape(value):
    """Undoes the "$$" that `config` writes for a literal "$" (so that its
    output reads back the same): the values a container is given."""
    if isinstance(value, str):
        return value.replace("$$", "$")
    if isinstance(value, list):
        return [unescape(v) for v in value]
    if isinstance(value, dict):
        return {k: unescape(v) for k, v in value.items()}
    return value


def as_list(value):
    if value is None:
        return []
    if isinstance(value, str):
        return shlex.split(value)
    return [str(v) for v in value]


def service_env(svc):
    env = svc.get("environment") or {}
    if isinstance(env, list):
        env = dict(e.split("=", 1) if "=" in e else (e, "") for e in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


def bind_mounts(svc):
    """target -> host path of a service's bind mounts (docker-compose config
    writes them as SOURCE:TARGET[:MODE] with an absolute SOURCE)."""
    mounts = {}
    for v in svc.get("volumes") or []:
        if isinstance(v, dict):
            if v.get("type") == "bind":
                mounts[v["target"]] = v["source"]
            continue
        parts = v.split(":")
        if parts[0].startswith("/"):
            mounts[parts[1]] = parts[0]
    return mounts


def named_volumes(svc):
    """target -> volume name of a service's named volumes."""
    out = {}
    for v in svc.get("volumes") or []:
        if isinstance(v, dict):
            if v.get("type") == "volume":
                out[v["target"]] = v["source"]
            continue
        parts = v.split(":")
        if not parts[0].startswith("/"):
            out[parts[1]] = parts[0]
    return out


def duration_s(text):
    """A Compose duration ("1m30s", "500ms") in seconds, or None."""
    total, pos, text = 0.0, 0, str(text)
    for m in re.finditer(r"(\d+(?:\.\d+)?)(us|ms|s|m|h)", text):
        if m.start() != pos:
            return None
        pos = m.end()
        total += float(m.group(1)) * {"us": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}[m.group(2)]
    return total if pos and pos == len(text) else None
