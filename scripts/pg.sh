#!/usr/bin/env bash
# pg.sh - a private PostgreSQL cluster in a folder, for the demo and the tests.
#
#   scripts/pg.sh [--tcp] start DIR   initdb (first time), start, wait until ready
#   scripts/pg.sh --ssl CERTDIR start DIR   the same, with TLS on TCP (see below)
#   scripts/pg.sh --empty start DIR   a bare cluster: no needlewatch role or database
#   scripts/pg.sh stop DIR            fast shutdown, waits for it
#   scripts/pg.sh --immediate stop DIR   crash-like stop (for fault tests)
#   scripts/pg.sh status DIR          exit 0 when running, 3 when stopped
#   scripts/pg.sh env DIR             prints export PGHOST=... lines for eval
#   scripts/pg.sh destroy DIR         stop, then delete the cluster
#
# The cluster lives in DIR/data and listens only on a unix socket in
# DIR/socket (listen_addresses=''), so any number of clusters in different
# folders run side by side on the same port number. --tcp also listens on
# 127.0.0.1 at a free port (remembered for later starts). fsync stays on.
#
# --ssl CERTDIR implies --tcp and turns TLS on: CERTDIR/server.crt (the
# chain, leaf first) and CERTDIR/server.key are copied into the data folder,
# and pg_hba.conf refuses TCP connections without TLS (hostnossl ... reject,
# then hostssl ... trust); the socket is unchanged. Like --tcp it is
# remembered for later starts; give --ssl again to install new files.
#
# It creates the database "needlewatch", owned by the login role
# "needlewatch"; authentication is trust, for local connections only (the
# socket, and 127.0.0.1 with --tcp): a development cluster, never a server.
# It also runs sql/roles.sql (the NOLOGIN group roles), as a DBA would once:
# roles belong to the cluster, and the needlewatch role that applies the
# migrations may not create roles.
#
# --empty leaves all of that out, as a fresh server would be: only initdb's
# bootstrap superuser exists, and `env` points at it and the database
# "postgres" (for tests that set a deployment up from nothing, e.g. with
# docker/postgres-init.sh). It is remembered for later starts.
#
# PostgreSQL refuses to run as root. Run as root, this script runs initdb and
# pg_ctl as the "postgres" system user that Debian's postgresql package
# creates (override with NW_PG_USER; a dedicated user would need useradd on
# every machine for no gain), makes DIR its own, and creates a superuser role
# named after the invoking user ("root"), so that a plain psql works too. When that user cannot
# reach DIR (e.g. the repository is under /root, mode 700), or the socket
# path would be too long for a unix socket, the data or the socket go to a
# folder under /tmp instead; the script says so, records where in DIR, and
# `env` always prints the right PGHOST.
#
# PostgreSQL's binaries: $PG_BINDIR, else pg_config's, else the newest
# /usr/lib/postgresql/*/bin.
set -euo pipefail

prog=$(basename "$0")
roles_sql="$(cd "$(dirname "$0")/.." && pwd)/sql/roles.sql"
die() { echo "$prog: $*" >&2; exit 1; }
say() { echo "$prog: $*" >&2; }

usage() {
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
    exit "${1:-2}"
}

tcp=0
empty=0
ssl_dir=""
stop_mode=fast
cmd=""
dir=""
while [ $# -gt 0 ]; do
    arg=$1
    shift
    case "$arg" in
    --tcp) tcp=1 ;;
    --ssl)
        [ $# -gt 0 ] || die "--ssl needs a folder holding server.crt and server.key"
        ssl_dir=$1
        shift
        tcp=1 ;;
    --immediate) stop_mode=immediate ;;
    --empty) empty=1 ;;
    -h|--help) usage 0 ;;
    -*) die "unknown option $arg" ;;
    *)
        if [ -z "$cmd" ]; then cmd=$arg
        elif [ -z "$dir" ]; then dir=$arg
        else die "too many arguments"; fi ;;
    esac
done
if [ -n "$ssl_dir" ]; then
    { [ -f "$ssl_dir/server.crt" ] && [ -f "$ssl_dir/server.key" ]; } ||
        die "--ssl $ssl_dir: server.crt and server.key expected there"
    ssl_dir=$(cd "$ssl_dir" && pwd -P)
fi
{ [ -n "$cmd" ] && [ -n "$dir" ]; } || usage 2
case "$cmd" in start|stop|status|env|destroy) ;; *) usage 2 ;; esac

find_bindir() {
    if [ -n "${PG_BINDIR:-}" ] && [ -x "$PG_BINDIR/pg_ctl" ]; then
        echo "$PG_BINDIR"; return
    fi
    if command -v pg_config >/dev/null 2>&1; then
        local b
        b=$(pg_config --bindir 2>/dev/null || true)
        if [ -n "$b" ] && [ -x "$b/pg_ctl" ] && [ -x "$b/initdb" ]; then echo "$b"; return; fi
    fi
    local v
    v=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    [ -x "$v/pg_ctl" ] || die "PostgreSQL server binaries not found (apt-get install postgresql, or set PG_BINDIR)"
    echo "$v"
}

if [ "$cmd" = start ]; then
    mkdir -p "$dir"
elif [ ! -d "$dir" ]; then
    case "$cmd" in
    status) echo "stopped (no cluster in $dir)"; exit 3 ;;
    env) die "no cluster in $dir (run: $prog start $dir)" ;;
    *) say "no cluster in $dir"; exit 0 ;;
    esac
fi
dir=$(cd "$dir" && pwd -P)
state="$dir/pg.state" # KEY=VALUE lines: where the data and the socket are

# The OS user the server runs as.
if [ "$(id -u)" -eq 0 ]; then
    run_user=${NW_PG_USER:-postgres}
    id "$run_user" >/dev/null 2>&1 ||
        die "user $run_user does not exist (install the postgresql package, or set NW_PG_USER)"
else
    run_user=$(id -un)
fi

# own PATH...: hands PATH to the server's user (when we are root).
own() {
    if [ "$(id -u)" -eq 0 ]; then chown "$run_user:" "$@"; fi
}

# as_run_user CMD...: runs CMD as the server's user, from a folder it can
# read, without our lock descriptor (a postmaster must not inherit the lock).
as_run_user() {
    if [ "$(id -u)" -eq 0 ]; then
        (cd / && runuser -u "$run_user" -- "$@" 9>&-)
    else
        (cd / && "$@" 9>&-)
    fi
}

# lock_dir: one start/stop at a time per DIR. A lock still held after 30 s
# (a postmaster started by an older pg.sh inherited it) is ignored.
lock_dir() {
    exec 9>"$dir/.lock"
    flock -w 30 9 || say "warning: $dir/.lock is held by another process; going on without it"
}

state_get() { # KEY -> value, empty when unknown
    [ -f "$state" ] || return 0
    sed -n "s/^$1=//p" "$state" | tail -n 1
}
state_set() { # KEY VALUE
    local tmp="$state.tmp.$$"
    {
        if [ -f "$state" ]; then grep -v "^$1=" "$state" || true; fi
        echo "$1=$2"
    } >"$tmp"
    mv "$tmp" "$state"
}

# can_reach PATH: the server's user can enter PATH and write in it.
can_reach() { as_run_user test -x "$1" -a -w "$1" 2>/dev/null; }

# Decide (once) where the data and the socket live.
setup_layout() {
    local data sock
    data=$(state_get data)
    sock=$(state_get socket)
    if [ -n "$data" ] && [ -n "$sock" ]; then return; fi

    data="$dir/data"
    sock="$dir/socket"
    mkdir -p "$sock"
    own "$dir" "$sock"
    chmod 0755 "$dir" "$sock"
    if ! can_reach "$dir"; then
        local base
        base=$(mktemp -d /tmp/needlewatch-pg.XXXXXX)
        chmod 0755 "$base"
        own "$base"
        say "user $run_user cannot reach $dir (a parent folder is not traversable);" \
            "the cluster goes to $base instead (recorded in $state)"
        data="$base/data"
        sock="$base/socket"
        mkdir -p "$sock"
        own "$sock"
    fi
    # A unix socket path holds at most 107 bytes: ".s.PGSQL.65535" must fit.
    if [ $((${#sock} + 15)) -gt 107 ]; then
        local short
        short=$(mktemp -d /tmp/nwpg.XXXXXX)
        chmod 0755 "$short"
        own "$short"
        say "socket path under $sock would be too long; using $short for the socket"
        sock=$short
    fi
    state_set data "$data"
    state_set socket "$sock"
}

port_in_use() { # PORT: something listens on 127.0.0.1:PORT
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pick_port() {
    local p tries=0
    while [ $tries -lt 200 ]; do
        p=$((20000 + RANDOM % 40000))
        if ! port_in_use "$p"; then echo "$p"; return; fi
        tries=$((tries + 1))
    done
    die "no free TCP port found on 127.0.0.1"
}

# Writes the settings this script owns into DIR's postgresql.conf include.
write_conf() {
    local data=$1 sock=$2 port=$3 listen=$4 ssl=$5
    local conf="$data/needlewatch.conf"
    as_run_user sh -c "cat > '$conf'" <<EOF
# Written by scripts/pg.sh on every start; edit pg.sh, not this file.
listen_addresses = '$listen'
port = $port
unix_socket_directories = '$sock'
fsync = on
logging_collector = off
max_connections = 100
shared_buffers = 64MB
EOF
    if [ "$ssl" = 1 ]; then
        as_run_user sh -c "cat >> '$conf'" <<EOF
ssl = on
ssl_cert_file = 'needlewatch-server.crt'
ssl_key_file = 'needlewatch-server.key'
ssl_min_protocol_version = 'TLSv1.2'
EOF
    fi
    if ! grep -q "^include_if_exists = 'needlewatch.conf'" "$data/postgresql.conf"; then
        as_run_user sh -c "echo \"include_if_exists = 'needlewatch.conf'\" >> '$data/postgresql.conf'"
    fi
}

# install_ssl DATA CERTDIR: copies the certificate and key to where the
# server reads them, as its own files (the key readable by it alone, as
# PostgreSQL demands), and makes pg_hba.conf refuse TCP without TLS. The
# block between the marker lines is rewritten each time, at the top, since
# the first matching line wins.
install_ssl() {
    local data=$1 certs=$2
    local hba="$data/pg_hba.conf"
    as_run_user sh -c "umask 077 && cat > '$data/needlewatch-server.key'" <"$certs/server.key"
    as_run_user sh -c "cat > '$data/needlewatch-server.crt'" <"$certs/server.crt"
    as_run_user sh -c "{
        echo '# pg.sh --ssl begin: TCP only with TLS (scripts/pg.sh rewrites this block)'
        echo 'hostnossl all all 127.0.0.1/32 reject'
        echo 'hostssl   all all 127.0.0.1/32 trust'
        echo '# pg.sh --ssl end'
        sed '/^# pg.sh --ssl begin/,/^# pg.sh --ssl end/d' '$hba'
    } > '$hba.new' && mv '$hba.new' '$hba'"
}

is_running() {
    local data
    data=$(state_get data)
    [ -n "$data" ] && [ -f "$data/PG_VERSION" ] || return 1
    as_run_user "$bindir/pg_ctl" status -D "$data" >/dev/null 2>&1
}

psql_admin() { # runs psql as the bootstrap superuser over the socket
    as_run_user "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$(state_get socket)" \
        -p "$(state_get port)" -U "$run_user" -d postgres
}

ensure_roles_and_db() {
    # The group roles, from their one list (stdin: the server's user may not
    # be able to read this repository).
    psql_admin <"$roles_sql" >/dev/null
    # The invoking OS user (root, or whoever runs the demo) gets a superuser
    # role, so plain `psql` works for them; the app uses needlewatch.
    local me
    me=$(id -un)
    psql_admin <<EOF
SELECT 'CREATE ROLE needlewatch LOGIN'
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'needlewatch') \gexec
SELECT format('CREATE ROLE %I LOGIN SUPERUSER', '$me')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$me') \gexec
SELECT 'CREATE DATABASE needlewatch OWNER needlewatch'
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'needlewatch') \gexec
EOF
    # Let the owner create schemas and the public-schema tables it needs.
    as_run_user "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$(state_get socket)" \
        -p "$(state_get port)" -U "$run_user" -d needlewatch \
        -c "GRANT ALL ON SCHEMA public TO needlewatch" >/dev/null
}

do_start() {
    lock_dir
    setup_layout
    local data sock port listen
    data=$(state_get data)
    sock=$(state_get socket)

    if [ ! -f "$data/PG_VERSION" ]; then
        say "initdb in $data (as $run_user)"
        mkdir -p "$data"
        own "$data"
        chmod 0700 "$data"
        as_run_user "$bindir/initdb" -D "$data" -U "$run_user" --auth-local=trust \
            --auth-host=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
            { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    fi

    if is_running; then
        say "already running ($data)"
        [ -z "$ssl_dir" ] || say "warning: --ssl ignored: the cluster is already running"
    else
        local ssl=0
        if [ -n "$ssl_dir" ]; then
            install_ssl "$data" "$ssl_dir"
            state_set ssl 1
        fi
        [ "$(state_get ssl)" = 1 ] && ssl=1
        port=$(state_get port)
        if [ "$tcp" -eq 1 ] || [ "$(state_get tcp)" = 1 ]; then
            # A cluster first started on the socket alone has port 5432,
            # which on 127.0.0.1 other clusters would want too: pick anew.
            [ "$(state_get tcp)" = 1 ] || port=""
            state_set tcp 1
            listen=127.0.0.1
            if [ -z "$port" ] || port_in_use "$port"; then port=$(pick_port); fi
        else
            listen=""
            [ -n "$port" ] || port=5432
        fi
        state_set port "$port"
        write_conf "$data" "$sock" "$port" "$listen" "$ssl"
        local logfile
        logfile="$(dirname "$data")/postgres.log"
        touch "$logfile"
        own "$logfile"
        if ! as_run_user "$bindir/pg_ctl" start -D "$data" -l "$logfile" -w -t 60 >/dev/null; then
            tail -n 20 "$logfile" >&2
            die "PostgreSQL did not start (log: $logfile)"
        fi
        say "started on ${listen:+$listen:$port$([ "$ssl" = 1 ] && echo ' with TLS') and }socket $sock (port $port)"
    fi

    port=$(state_get port)
    local i
    for i in $(seq 1 100); do
        if "$bindir/pg_isready" -q -h "$sock" -p "$port"; then break; fi
        [ "$i" -eq 100 ] && die "PostgreSQL is not accepting connections"
        sleep 0.1
    done
    [ "$empty" -eq 1 ] && state_set empty 1
    [ "$(state_get empty)" = 1 ] || ensure_roles_and_db
    print_env >&2
}

do_stop() {
    lock_dir
    local data
    data=$(state_get data)
    if [ -z "$data" ] || [ ! -f "$data/PG_VERSION" ]; then
        say "no cluster in $dir"
        return 0
    fi
    if ! is_running; then
        say "not running"
        return 0
    fi
    as_run_user "$bindir/pg_ctl" stop -D "$data" -m "$stop_mode" -w -t 60 >/dev/null
    say "stopped"
}

print_env() {
    local sock port
    sock=$(state_get socket)
    port=$(state_get port)
    [ -n "$sock" ] || die "no cluster in $dir (run: $prog start $dir)"
    if [ "$(state_get tcp)" = 1 ]; then
        printf 'export PGHOST=127.0.0.1\n' # the socket works too: PGHOST=$sock
    else
        printf 'export PGHOST=%q\n' "$sock"
    fi
    printf 'export PGPORT=%q\n' "$port"
    if [ "$(state_get empty)" = 1 ]; then
        printf 'export PGUSER=%q\n' "$run_user"
        printf 'export PGDATABASE=postgres\n'
    else
        printf 'export PGUSER=needlewatch\n'
        printf 'export PGDATABASE=needlewatch\n'
    fi
}

bindir=$(find_bindir)
case "$cmd" in
start) do_start ;;
stop) do_stop ;;
status)
    if is_running; then
        echo "running: data $(state_get data), socket $(state_get socket), port $(state_get port)"
        exit 0
    fi
    echo "stopped"
    exit 3
    ;;
env) print_env ;;
destroy)
    do_stop
    data=$(state_get data)
    sock=$(state_get socket)
    case "$data" in /tmp/needlewatch-pg.*) rm -rf "$(dirname "$data")" ;; esac
    case "$sock" in /tmp/nwpg.*) rm -rf "$sock" ;; esac
    rm -rf "$dir"
    say "destroyed $dir"
    ;;
esac
