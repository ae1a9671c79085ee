#!/usr/bin/env bash
# A private PostgreSQL server for the test suites.
#
#   scripts/pg-test-server.sh start STATE_DIR   initdb into STATE_DIR/data as an
#       unprivileged user, start on a free 127.0.0.1 port with the unix socket in
#       STATE_DIR, create database "offerledger", write the URL to STATE_DIR/url
#       and print it.
#   scripts/pg-test-server.sh stop STATE_DIR    stop the server, remove STATE_DIR.
#   scripts/pg-test-server.sh halt STATE_DIR [fast|immediate|smart]
#       stop the server (pg_ctl -m MODE, default fast) but keep its data and port,
#       so that tests can take the database away from running clients.
#   scripts/pg-test-server.sh resume STATE_DIR  start a halted server again, with
#       the same data, on the same port (the URL stays valid).
#
# The server runs with fsync=off (a test server: a crash of the machine may lose
# it, which is fine for tests). PG_TEST_FSYNC=on starts it durable instead, as a
# benchmark comparing it with SQLite's synchronous=FULL needs (bench/scale_load);
# PG_TEST_OPTIONS adds postgres options, e.g. "-c synchronous_commit=off".
#
# The binaries come from Debian's postgresql-15 (/usr/lib/postgresql/15/bin, or
# PG_BIN). As root the server runs as the system user `offerledger-test`
# (created if missing, falling back to `nobody`); otherwise as the caller.
set -euo pipefail

cmd=${1:-}
state=${2:-}
usage="usage: $0 start|stop|resume STATE_DIR, or $0 halt STATE_DIR [fast|immediate|smart]"
[[ -n $cmd && -n $state ]] || { echo "$usage" >&2; exit 2; }

PG_BIN=${PG_BIN:-}
if [[ -z $PG_BIN ]]; then
  for v in 17 16 15; do
    if [[ -x /usr/lib/postgresql/$v/bin/pg_ctl ]]; then PG_BIN=/usr/lib/postgresql/$v/bin; break; fi
  done
fi
[[ -n $PG_BIN && -x $PG_BIN/pg_ctl ]] || {
  echo "pg-test-server: PostgreSQL server binaries not found (apt-get install postgresql, or set PG_BIN)" >&2
  exit 1
}

run_as=""
if [[ $(id -u) -eq 0 ]]; then
  run_as=offerledger-test
  if ! id "$run_as" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin "$run_as" 2>/dev/null || run_as=nobody
  fi
fi
as_user() {
  if [[ -n $run_as ]]; then
    runuser -u "$run_as" -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 - <<'PY' 2>/dev/null || echo $((20000 + RANDOM % 20000))
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
PY
}

fsync=${PG_TEST_FSYNC:-off}
[[ $fsync == on || $fsync == off ]] || { echo "pg-test-server: PG_TEST_FSYNC must be on or off" >&2; exit 2; }

case $cmd in
  start)
    rm -rf "$state"
    mkdir -p "$state"
    state=$(cd "$state" && pwd)
    [[ -n $run_as ]] && chown "$run_as" "$state"
    chmod 700 "$state"
    as_user "$PG_BIN/initdb" -D "$state/data" -U postgres --auth=trust --encoding=UTF8 \
      --locale=C.UTF-8 -N >"$state/initdb.log" 2>&1 || {
      cat "$state/initdb.log" >&2
      exit 1
    }
    for attempt in 1 2 3 4 5; do
      port=$(free_port)
      if as_user "$PG_BIN/pg_ctl" -D "$state/data" -l "$state/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$state -c fsync=$fsync -c max_connections=300 -c shared_buffers=32MB ${PG_TEST_OPTIONS:-}" \
        start >/dev/null; then
        echo "$port" >"$state/port"
        break
      fi
      [[ $attempt == 5 ]] && { cat "$state/server.log" >&2; exit 1; }
    done
    as_user "$PG_BIN/createdb" -h "$state" -p "$port" -U postgres offerledger
    url="postgresql://postgres@127.0.0.1:$port/offerledger"
    echo "$url" >"$state/url"
    echo "$url"
    ;;
  stop)
    if [[ -d $state/data ]]; then
      as_user "$PG_BIN/pg_ctl" -D "$state/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$state"
    ;;
  halt)
    mode=${3:-fast}
    [[ $mode == fast || $mode == immediate || $mode == smart ]] || { echo "$usage" >&2; exit 2; }
    [[ -f $state/port ]] || { echo "pg-test-server: no server in $state" >&2; exit 1; }
    as_user "$PG_BIN/pg_ctl" -D "$state/data" -m "$mode" -w -t 60 stop >/dev/null
    ;;
  resume)
    [[ -f $state/port ]] || { echo "pg-test-server: no server in $state" >&2; exit 1; }
    state=$(cd "$state" && pwd)
    # `pg_ctl restart` of a stopped server starts it with the options of its
    # last start (data/postmaster.opts): same port, socket and settings. After
    # an immediate stop it runs crash recovery first; -w waits for that.
    as_user "$PG_BIN/pg_ctl" -D "$state/data" -l "$state/server.log" -w -t 60 restart \
      >/dev/null 2>&1 || { tail -n 20 "$state/server.log" >&2; exit 1; }
    ;;
  *)
    echo "$usage" >&2
    exit 2
    ;;
esac
