#!/usr/bin/env bash
# Runs each libFuzzer target of fuzz/ for FUZZ_SECONDS on a copy of its seed
# corpus (fuzz/corpus/<target>/, left untouched), then prints one summary line
# per target. Exits non-zero if any target crashed, leaked, hit UB or failed an
# invariant; the reproducer is kept in $FUZZ_DIR/artifacts/ (docs/fuzzing.md).
#   usage: scripts/run-fuzz.sh BUILD_DIR [TARGET...]    (default: every target)
set -uo pipefail

build_dir=${1:?usage: run-fuzz.sh BUILD_DIR [TARGET...]}
shift
seconds=${FUZZ_SECONDS:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
work=${FUZZ_DIR:-$build_dir/fuzz-run}
targets=("$@")
if ((${#targets[@]} == 0)); then
  for src in "$root"/fuzz/fuzz_*.cpp; do targets+=("$(basename "$src" .cpp)"); done
fi

mkdir -p "$work/artifacts"
failed=0
summary=()
for t in "${targets[@]}"; do
  bin=$build_dir/fuzz/$t
  if [[ ! -x $bin ]]; then
    summary+=("$(printf '%-24s MISSING (%s not built)' "$t" "$bin")")
    failed=1
    continue
  fi
  corpus=$work/corpus/$t
  rm -rf "$corpus" && mkdir -p "$corpus"
  [[ -d $root/fuzz/corpus/$t ]] && cp "$root/fuzz/corpus/$t"/* "$corpus"/ 2>/dev/null
  log=$work/$t.log
  echo "fuzz: $t for ${seconds}s (log: $log)"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/$t-" "$corpus" >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  if ((rc == 0)); then
    result=ok
  else
    result="CRASH (exit $rc): $(grep -m1 -E 'ERROR: |runtime error|deadly signal' "$log" | cut -c1-120)"
    failed=1
    tail -40 "$log" >&2
  fi
  summary+=("$(printf '%-24s execs %-10s exec/s %-7s cov %-6s ft %-6s %s' \
    "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$result")")
done

echo "fuzz summary (${seconds}s per target):"
printf '  %s\n' "${summary[@]}"
exit $failed
