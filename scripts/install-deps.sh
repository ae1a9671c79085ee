#!/usr/bin/env bash
# Installs what offerledger needs to build, test and run, from Debian's
# packages. Idempotent and quick when everything is already there. Needs root
# (or sudo) the first time on a fresh machine.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost1.81-dev libboost-json1.81-dev
  libssl-dev openssl libsqlite3-dev sqlite3 libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libyaml-cpp-dev zlib1g-dev
  libplplot-dev plplot-driver-cairo   # `offerledger simulate --plot` (regret curves, PNG via pngcairo)
  libpq-dev postgresql
  libcurl4-openssl-dev   # the email sender's SMTP client (serve --smtp-url, docs/emails.md)
  wrk nginx-light   # `make bench`: the HTTP load generator (Lua scripts) and the reference server
  curl ca-certificates
  chromium   # the dashboard's end-to-end test drives it headless (never a downloaded browser)
  clang-14 libclang-rt-14-dev   # `make fuzz`: clang and libFuzzer (libclang_rt.fuzzer-x86_64.a)
)

missing=()
# The build installs the dashboard's chart library with npm (web/package-lock.json).
# Any Node.js >= 18 will do: Debian's, or one already installed another way
# (NodeSource's nodejs bundles npm and conflicts with Debian's npm package).
if ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
((${#missing[@]} == 0)) && exit 0

echo "install-deps: installing ${missing[*]}"
sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root or install sudo" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
