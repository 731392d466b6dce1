#!/usr/bin/env bash
# deps.sh - installs what needlewatch needs to build, test and run its demo
# on Debian 12, from Debian's own packages. Safe to run again: it only calls
# apt-get when something is missing. Needs root (or sudo). The Apache Kafka
# jars come from Maven Central, fetched by scripts/kafka.sh on first use.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config           # the build
  librdkafka-dev libpq-dev libcjson-dev libcmocka-dev   # the four dependencies
  libmicrohttpd-dev curl                    # the metrics endpoint, and scraping it in tests
  postgresql-15 postgresql-client-15        # private PostgreSQL for the demo and tests
  kcat                                      # a Kafka client we did not write, for tests
  python3                                   # test oracles (independent recomputation)
  chromium fonts-dejavu-core                # renders the HTML report headless in tests
  clang libclang-rt-14-dev                  # libFuzzer and LeakSanitizer runtimes
  procps psmisc util-linux                  # ps, kill, runuser in scripts
  time                                      # /usr/bin/time -v: peak RSS in bench/run.sh
  docker-compose python3-yaml               # tests/docker: `docker-compose config` (no engine)
  shellcheck systemd                        # lint.shellcheck; systemd-analyze for the units
  r-base-core r-cran-surveillance           # R's reference methods: alert tests and benchmark
  openjdk-17-jre-headless maven             # Apache Kafka for the real-cluster tier (scripts/kafka.sh)
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
