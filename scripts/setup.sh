#!/usr/bin/env bash
# Installs what sluice needs to build and test, from Debian 12's packages.
# Idempotent: asks apt only for the packages that are missing, so a second run
# costs a dpkg query and nothing else.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config git time procps   # procps: pgrep, for scripts/test.sh
  libsimdjson-dev librdkafka-dev libcpp-httplib-dev libspdlog-dev libfmt-dev
  libcli11-dev libyaml-cpp-dev libcurl4-openssl-dev libsqlite3-dev libssl-dev
  zlib1g-dev liblz4-dev libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev   # libFuzzer targets and sanitizer runtimes
  libhowardhinnant-date-dev tzdata   # the scheduler: IANA time zones (GCC 12's <chrono> has none)
  python3 python3-venv   # scripts/airflow_check.sh: Apache Airflow from PyPI in a venv
  chromium   # the dashboard's browser test (driven by playwright-core from npm)
  kcat openjdk-17-jre-headless maven   # Kafka/Cassandra tests: a client no one here wrote, the servers' JVM and jars
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed'; then
    missing+=("$p")
  fi
done

# The dashboard's assets are built from npm packages: node and npm from Debian unless a
# node with npm is installed already (e.g. NodeSource's, which bundles npm).
if ! command -v npm >/dev/null; then
  for p in nodejs npm; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed' || missing+=("$p")
  done
fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
