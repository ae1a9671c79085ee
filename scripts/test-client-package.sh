#!/usr/bin/env bash
# The partner SDK as a partner's developer gets it (ctest: client_package).
#
#   scripts/test-client-package.sh OFFERLEDGER_BIN BUILD_DIR SOURCE_DIR [CXX_FLAGS]
#
# 1. `cmake --install BUILD_DIR --component client` into a temp prefix;
# 2. a fresh configure + build of examples/partner-optout against that prefix
#    only (find_package(offerledger) -> offerledger::client), checking that
#    nothing in it points back into the source or build tree;
# 3. `offerledger serve` on a temp SQLite db with a partner made by
#    `offerledger partner add --json`, a quote made with `offerledger client`;
# 4. the built example opts that package out durably, and GET shows the
#    package OPTED_OUT.
# CXX_FLAGS go to the example's compile and link (the sanitizer flags when
# BUILD_DIR is a sanitized build, whose static libraries need them).
set -euo pipefail

bin=${1:?usage: $0 OFFERLEDGER_BIN BUILD_DIR SOURCE_DIR [CXX_FLAGS]}
build=${2:?build dir}
src=${3:?source dir}
cxx_flags=${4:-}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ol-client-package.XXXXXX")
server_pid=
cleanup() {
  if [[ -n $server_pid ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  for f in "$tmp"/serve.err "$tmp"/example.out; do
    [[ -s $f ]] && { echo "--- $f" >&2; cat "$f" >&2; }
  done
  exit 1
}

# The top-level string field NAME of the JSON object on stdin.
if command -v jq >/dev/null; then
  json_field() { jq -r --arg k "$1" '.[$k] // empty'; }
else
  json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1], ""))' "$1"; }
fi

echo "== install the client component into $tmp/prefix"
cmake --install "$build" --component client --prefix "$tmp/prefix" >"$tmp/install.log" ||
  { cat "$tmp/install.log" >&2; fail "cmake --install"; }
for f in lib/libol_client.a lib/cmake/offerledger/offerledgerConfig.cmake \
         lib/cmake/offerledger/offerledgerTargets.cmake include/offerledger/client/client.h; do
  [[ -f $tmp/prefix/$f ]] || fail "not installed: $f"
done
if grep -rlF -e "$src" -e "$build" "$tmp/prefix/lib/cmake"; then
  fail "the installed package names the source or build tree"
fi

echo "== configure and build examples/partner-optout against the prefix"
cp -r "$src/examples/partner-optout" "$tmp/example-src"
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S "$tmp/example-src" -B "$tmp/example" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_PREFIX_PATH="$tmp/prefix" -DCMAKE_CXX_FLAGS="$cxx_flags" \
  -DCMAKE_EXE_LINKER_FLAGS="$cxx_flags" "${launcher[@]}" >"$tmp/configure.log" 2>&1 ||
  { cat "$tmp/configure.log" >&2; fail "configuring the example"; }
cmake --build "$tmp/example" >"$tmp/build.log" 2>&1 ||
  { cat "$tmp/build.log" >&2; fail "building the example"; }
if grep -qF -e "$src/src" -e "$build" "$tmp/example/build.ninja"; then
  fail "the example's build reaches into the offerledger tree instead of the prefix"
fi

echo "== start offerledger serve on a temp db"
db="sqlite:$tmp/ol.db"
creds=$("$bin" partner add DEMO --db "$db" --json) || fail "partner add"
key=$(json_field api_key <<<"$creds")
secret=$(json_field api_secret <<<"$creds")
[[ -n $key && -n $secret ]] || fail "no key/secret in: partner add --json"
"$bin" serve --listen 127.0.0.1:0 --db "$db" >"$tmp/serve.out" 2>"$tmp/serve.err" &
server_pid=$!
port=
for _ in $(seq 100); do
  port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/serve.out")
  [[ -n $port ]] && break
  kill -0 "$server_pid" 2>/dev/null || fail "offerledger serve exited"
  sleep 0.1
done
[[ -n $port ]] || fail "offerledger serve did not print its port"

export XC_BASE_URL="http://127.0.0.1:$port/xcover/" XC_PARTNER_CODE=DEMO \
  XC_AUTH_API_KEY="$key" XC_AUTH_API_SECRET="$secret" XC_OUTBOX="$tmp/outbox.db"
quote=$("$bin" client quote "$src/tests/fixtures/demo-quote.json") || fail "client quote"
id=$(json_field id <<<"$quote")
[[ $id =~ ^[A-Z0-9]{5}-[A-Z0-9]{5}-INS$ ]] || fail "no package id in: $quote"

echo "== the example opts $id out"
"$tmp/example/partner_optout" "$id" >"$tmp/example.out" 2>&1 || fail "partner_optout exited $?"
grep -qx "delivered" "$tmp/example.out" || fail "partner_optout did not deliver"
status=$("$bin" client get "$id" | json_field status)
[[ $status == OPTED_OUT ]] || fail "package $id is '$status', not OPTED_OUT"
echo "OK: installed SDK built examples/partner-optout, which opted $id out (status $status)"
