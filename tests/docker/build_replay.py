#!/usr/bin/env python3
"""build_replay.py - docker/Dockerfile's steps replayed on this Debian 12
machine, as far as that is possible without an engine.

  build_replay.py --work DIR

1. The packages each stage installs exist in Debian (apt-cache show), and
   every pkg-config module the CMakeLists.txt files ask for comes from one
   of the build stage's packages (dpkg -S).
2. The build stage: exactly what it COPYs (less what
   docker/Dockerfile.dockerignore leaves out) goes to DIR, and its RUN
   commands (the CMake build and the unit tests) run there, in order.
3. The programs the final stage copies, linked against what it installs:
   every library they load (ldd) belongs to a runtime package or one of
   its dependencies, every directly linked one (readelf NEEDED) to a listed
   runtime package (or libc6/libgcc-s1), and no listed library package is
   unused. Each program's --help runs.
4. The final stage's files: every COPY source exists, the ENTRYPOINT's
   --config file is one of them, the worker loads it and it holds no secret.
5. The user: the RUN that creates it is replayed with groupadd/useradd
   --prefix on a copy of /etc; its uid, shell and home, the folders given to
   it, USER (numeric, not root) and WORKDIR.
Nothing of the engine itself (pulling the base image, BuildKit's cache,
layers) is checked.
"""
import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dockerlib as dl  # noqa: E402

NOT_LIBRARIES = {"ca-certificates"}  # installed for TLS, links nothing
BASE_LIBS = {"libc6", "libgcc-s1"}   # in every Debian image


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True, help="a scratch folder (emptied first)")
    args = ap.parse_args()
    work = os.path.abspath(args.work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    t = dl.Checks("build_replay")
    stages = dl.read_dockerfile()
    if not t.check(len(stages) == 2 and stages[0].name == "build",
                   f"two stages, the first named build ({[s.name for s in stages]})"):
        t.finish()
    build, final = stages
    pkgs = {}
    for label, stage in (("build", build), ("runtime", final)):
        runs = [i.text for i in stage.all("RUN") if dl.apt_packages(i.text) is not None]
        t.check(len(runs) == 1 and "apt-get update" in runs[0] and "--no-install-recommends" in runs[0]
                and "rm -rf /var/lib/apt/lists/*" in runs[0],
                f"{label} stage: one RUN updates, installs without recommends, removes the lists")
        pkgs[label] = set(dl.apt_packages(runs[0])) if runs else set()
    t.check(not any(p.endswith("-dev") for p in pkgs["runtime"]), "no -dev package at runtime")
    check_packages(t, pkgs)
    ctx = replay_build(t, build, work)
    files = dl.image_files(final)
    if ctx:
        check_linkage(t, files, ctx, pkgs["runtime"])
        check_final_files(t, final, files, ctx)
    check_user(t, final, work)
    if not t.failed:
        shutil.rmtree(work, ignore_errors=True)
    t.finish()


def dpkg_owner(path):
    """The package that ships path (tries the merged-/usr twin and the real path)."""
    cands = [path, os.path.realpath(path)]
    for c in list(cands):
        if c.startswith("/usr/lib/"):
            cands.append(c[4:])
        elif c.startswith("/lib/"):
            cands.append("/usr" + c)
    for c in cands:
        p = dl.run(["dpkg", "-S", c])
        if p.returncode == 0:
            return p.stdout.split(":")[0].strip().split(",")[0].strip()
    return None


def check_packages(t, pkgs):
    t.section("Debian packages")
    for label in ("build", "runtime"):
        for pkg in sorted(pkgs[label]):
            p = dl.run(["apt-cache", "show", "--no-all-versions", pkg])
            t.check(p.returncode == 0 and "Package: " in p.stdout, f"apt-cache show {pkg} ({label})")
    missing = [p for p in sorted(pkgs["build"])
               if "install ok installed" not in dl.run(["dpkg-query", "-W", "-f=${Status}", p]).stdout]
    if not t.check(not missing, "the build stage's packages are installed here (scripts/deps.sh)",
                   f"missing: {missing}"):
        return
    mods = set()
    for root, dirs, names in os.walk(dl.SRC):
        dirs[:] = [d for d in dirs if not d.startswith(("build", ".")) and d != "docker"]
        if "CMakeLists.txt" in names:
            text = dl.file_text(os.path.join(root, "CMakeLists.txt"))
            for m in re.finditer(r"pkg_check_modules\s*\(([^)]*)\)", text):
                mods.update(w for w in m.group(1).split()[1:] if not w.isupper())
    t.check(mods, f"pkg-config modules CMake asks for: {' '.join(sorted(mods))}")
    for mod in sorted(mods):
        p = dl.run(["pkg-config", "--variable=pcfiledir", mod])
        owner = dpkg_owner(os.path.join(p.stdout.strip(), mod + ".pc")) if p.returncode == 0 else None
        t.check(owner in pkgs["build"], f"pkg-config {mod} comes from {owner}, a build-stage package")


def ignore_patterns():
    out = []
    for line in dl.file_text(dl.DOCKERFILE + ".dockerignore").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        pat, i, rx = line.lstrip("/"), 0, ""
        while i < len(pat):
            if pat.startswith("**/", i):
                rx, i = rx + "(?:.*/)?", i + 3
            elif pat.startswith("**", i):
                rx, i = rx + ".*", i + 2
            elif pat[i] == "*":
                rx, i = rx + "[^/]*", i + 1
            elif pat[i] == "?":
                rx, i = rx + "[^/]", i + 1
            else:
                rx, i = rx + re.escape(pat[i]), i + 1
        out.append(re.compile("^" + rx + "(?:/.*)?$"))
    return out


def replay_build(t, build, work):
    """Copies what the build stage COPYs and runs its other RUNs; returns
    the folder standing for its WORKDIR, or None when a step failed."""
    t.section("the build stage, replayed here")
    ignores = ignore_patterns()
    ctx, runs = None, []
    for instr in build.instrs:
        if instr.keyword == "WORKDIR":
            ctx = os.path.join(work, "image", instr.text.lstrip("/"))
            os.makedirs(ctx, exist_ok=True)
        elif instr.keyword == "COPY":
            words = instr.words()
            for s in words[:-1]:
                src, dest = os.path.join(dl.SRC, s), os.path.join(ctx, words[-1])
                if not t.check(os.path.exists(src), f"COPY {s}: exists"):
                    return None
                for root, _, names in os.walk(src) if os.path.isdir(src) else [(os.path.dirname(src), [], [os.path.basename(src)])]:
                    for n in names:
                        full = os.path.join(root, n)
                        if any(r.match(os.path.relpath(full, dl.SRC)) for r in ignores):
                            continue
                        rel = os.path.relpath(full, src) if os.path.isdir(src) else n
                        out = os.path.join(dest, rel) if os.path.isdir(src) or dest.endswith("/") else dest
                        os.makedirs(os.path.dirname(out), exist_ok=True)
                        shutil.copy2(full, out)
        elif instr.keyword == "RUN" and dl.apt_packages(instr.text) is None:
            runs.append(instr.text)
    log = os.path.join(work, "build.log")
    t0 = time.time()
    with open(log, "w") as lf:
        for cmd in runs:
            lf.write(f"\n$ {cmd}\n")
            lf.flush()
            p = subprocess.run(["/bin/sh", "-c", cmd], cwd=ctx, env=dl.base_env(),
                               stdin=subprocess.DEVNULL, stdout=lf, stderr=subprocess.STDOUT)
            if not t.check(p.returncode == 0, f"RUN {cmd}", dl.file_text(log)):
                return None
    unit = re.findall(r"(\d+)% tests passed, (\d+) tests failed out of (\d+)", dl.file_text(log))
    t.check(unit and unit[-1][1] == "0" and int(unit[-1][2]) > 0,
            f"unit tests in the build stage: {unit[-1][2] if unit else 0} run, none failed "
            f"({time.time() - t0:.0f} s for the stage)")
    return ctx


def check_linkage(t, files, ctx, runtime):
    t.section("the final stage's programs, against its runtime packages")
    p = dl.run(["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts",
                "--no-breaks", "--no-replaces", "--no-enhances"] + sorted(runtime | BASE_LIBS))
    closure = set(runtime | BASE_LIBS)
    for line in p.stdout.splitlines():
        m = re.match(r"^\s*(?:\|?(?:Pre)?Depends:\s*)?<?([a-z0-9][a-z0-9+.-]+)(?::[a-z0-9]+)?>?\s*$", line)
        if m:
            closure.add(m.group(1))
    direct_pkgs = set()
    for target, (kind, where) in sorted(files.items()):
        if kind != "build":
            continue
        name = os.path.basename(target)
        local = dl.image_to_local(files, target, os.path.join(ctx, "build", "bin"))
        if not t.check(local and os.access(local, os.X_OK), f"{name} was built"):
            continue
        needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dl.run(["readelf", "-d", local]).stdout)
        ldd = dl.run(["ldd", local]).stdout
        t.check("not found" not in ldd, f"{name}: ldd finds every library", ldd)
        bad_direct, bad_any, paths = [], [], dict(re.findall(r"^\s*(\S+)\s+=>\s+(/\S+)", ldd, re.M))
        for soname, path in sorted(paths.items()):
            pkg = dpkg_owner(path)
            if soname in needed:
                direct_pkgs.add(pkg)
                if pkg not in runtime | BASE_LIBS:
                    bad_direct.append(f"{soname} ({pkg})")
            if pkg not in closure:
                bad_any.append(f"{soname} ({pkg})")
        t.check(not bad_direct, f"{name}: its {len(needed)} direct libraries are from listed runtime packages",
                ", ".join(bad_direct))
        t.check(not bad_any, f"{name}: its {len(paths)} libraries come with the runtime packages",
                ", ".join(bad_any))
        p = dl.run([local, "--help"], env=dl.base_env())
        t.check(p.returncode == 0, f"{name} --help runs", p.stderr)
    unused = sorted(runtime - direct_pkgs - NOT_LIBRARIES)
    t.check(not unused, "every runtime library package is linked by some program", f"unused: {unused}")


def check_final_files(t, final, files, ctx):
    t.section("the final stage's files")
    for target, (kind, where) in sorted(files.items()):
        if kind == "context":
            t.check(os.path.isfile(where), f"COPY {os.path.relpath(where, dl.SRC)} -> {target}: exists")
    ent = final.all("ENTRYPOINT")
    words = ent[-1].exec_form if ent else None
    t.check(words, "ENTRYPOINT in exec form (the worker is PID 1 and gets SIGTERM)")
    if not words or "--config" not in words:
        t.check(False, "ENTRYPOINT passes --config")
        return
    cfg = words[words.index("--config") + 1]
    local = dl.image_to_local(files, cfg, "")
    if not t.check(local and os.path.isfile(local), f"ENTRYPOINT's {cfg} is copied from this tree"):
        return
    worker = dl.image_to_local(files, words[0], os.path.join(ctx, "build", "bin"))
    p = dl.run([worker, "--config", local, "--dump-config"], env=dl.base_env())
    t.check(p.returncode == 0, f"the worker loads {os.path.relpath(local, dl.SRC)}", p.stderr)
    secrets = [l for l in dl.file_text(local).splitlines()
               if not l.lstrip().startswith("#") and re.search(r"password|secret", l, re.I)]
    t.check(not secrets, f"{os.path.relpath(local, dl.SRC)} holds no secret", secrets)


def check_user(t, final, work):
    t.section("the non-root user")
    runs = [i.text for i in final.all("RUN") if re.search(r"\buseradd\b", i.text)]
    if not t.check(len(runs) == 1, "one RUN creates the user"):
        return
    segments = [shlex.split(s) for s in runs[0].split("&&")]
    owned = []
    for w in segments:
        if w and w[0] == "install" and "-d" in w:
            owned += [x for i, x in enumerate(w[1:], 1) if not x.startswith("-") and w[i - 1] not in ("-o", "-g", "-m")]
    prefix = os.path.join(work, "user-prefix")
    os.makedirs(os.path.join(prefix, "etc"))
    for f in ("passwd", "group", "shadow", "gshadow", "login.defs"):
        if os.path.exists(f"/etc/{f}"):
            with open(f"/etc/{f}") as src, open(os.path.join(prefix, "etc", f), "w") as dst:
                # The image starts from Debian's accounts, not this machine's.
                dst.writelines(l for l in src if not l.startswith("needlewatch:"))
    if os.geteuid() != 0:
        t.check(False, "useradd --prefix needs root")
        return
    for w in segments:
        if w and w[0] in ("groupadd", "useradd"):
            p = dl.run([w[0], "--prefix", prefix] + w[1:], env=dl.base_env())
            t.check(p.returncode == 0, f"replayed: {' '.join(w)}", p.stderr)
    entry = [l.split(":") for l in dl.file_text(os.path.join(prefix, "etc/passwd")).splitlines()
             if l.startswith("needlewatch:")]
    if not t.check(entry, "user needlewatch in the image's /etc/passwd"):
        return
    _, _, uid, gid, _, home, shell = entry[0][:7]
    t.check(uid == gid == "10001", f"needlewatch is uid {uid}, gid {gid} (10001)")
    t.check(shell.endswith("nologin"), f"no login shell ({shell})")
    t.check(home in owned, f"its home {home} is created for it ({' '.join(owned)})")
    user = final.all("USER")[-1].text if final.all("USER") else ""
    t.check(user == f"{uid}:{gid}", f"USER {user}: numeric (runAsNonRoot can verify it), not root")
    workdir = final.all("WORKDIR")[-1].text if final.all("WORKDIR") else "/"
    t.check(workdir in owned, f"WORKDIR {workdir} belongs to the user")


if __name__ == "__main__":
    main()
