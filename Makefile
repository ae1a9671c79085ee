# offerledger — the two commands: `make run` and `make test`.
# Everything else is a convenience around CMake.
BUILD_DIR   ?= build
ASAN_DIR    ?= build-asan
BUILD_TYPE  ?= RelWithDebInfo
JOBS        ?= $(shell nproc)
LISTEN      ?= 127.0.0.1:8080
DB          ?= sqlite:./offerledger.db

.PHONY: all deps configure build run test bench bench-scale bench-report soak asan test-asan fuzz format tidy clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD_DIR)/build.ninja: | deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

configure: $(BUILD_DIR)/build.ninja

build: deps configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

# Builds, creates the demo partner on first start, prints its credentials and
# a signed curl command, then serves on $(LISTEN) until Ctrl-C.
run: build
	@LISTEN=$(LISTEN) DB=$(DB) BIN=$(BUILD_DIR)/offerledger scripts/run-demo.sh

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

# Micro benchmarks, then the HTTP benchmark (wrk against the real server and against
# nginx, durability check, start-up on a million packages; ~2-3 minutes, plus a few
# minutes the first time to build its cached ledgers), then one table; JSON in
# $(BUILD_DIR)/bench/results.json. See bench/README.md.
#   make bench BUILD_DIR=build-bench BENCH_HTTP_ARGS='--duration 20 --connections 128'
# The opt-out group-commit benchmark (1 vs 32 connections) is separate:
#   $(BUILD_DIR)/bench/optout_load
BENCH_OUT        ?= $(BUILD_DIR)/bench
BENCH_MICRO_ARGS ?= --benchmark_min_time=0.2 --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
BENCH_HTTP_ARGS  ?=
bench: build
	@mkdir -p $(BENCH_OUT)
	$(BUILD_DIR)/bench/micro_bench $(BENCH_MICRO_ARGS) \
	  --benchmark_out=$(BENCH_OUT)/micro.json --benchmark_out_format=json
	$(BUILD_DIR)/bench/http_bench --bin $(BUILD_DIR)/offerledger --cache-dir $(BENCH_OUT) \
	  --json $(BENCH_OUT)/http.json $(BENCH_HTTP_ARGS)
	@$(BUILD_DIR)/bench/bench_report --micro $(BENCH_OUT)/micro.json \
	  --http $(BENCH_OUT)/http.json --out $(BENCH_OUT)/results.json
	@if [ "$(BENCH_WITH_REPORT)" = 1 ]; then $(MAKE) --no-print-directory bench-report; fi

# Scale-out on PostgreSQL: quote and opt-out throughput of 1, 2 and 4 server processes on
# one private, durable (fsync=on) PostgreSQL against one process on SQLite, in the same run
# (~2-3 minutes); JSON in $(BENCH_OUT)/scale.json. See bench/README.md.
#   make bench-scale BENCH_SCALE_ARGS='--connections 64 --pg-setting synchronous_commit=off'
BENCH_SCALE_ARGS ?=
bench-scale: build
	@mkdir -p $(BENCH_OUT)
	$(BUILD_DIR)/bench/scale_load --bin $(BUILD_DIR)/offerledger --json $(BENCH_OUT)/scale.json \
	  $(BENCH_SCALE_ARGS)

# The soak of issue 8: mixed traffic (quote, read, opt-out 3/5 or booking 2/5) at half the
# measured peak for SOAK_MINUTES minutes, one wrk run per minute (requests, rate, p50/p99/p99.9,
# statuses, server RSS); fails on a 5xx, RSS growth > 5% after minute 1, or a 2xx missing from
# the ledger. JSON in $(BENCH_OUT)/soak.json. See bench/README.md.
#   make soak SOAK_MINUTES=2 SOAK_ARGS='--rate 400 --connections 16'
SOAK_MINUTES ?= 10
SOAK_ARGS    ?=
soak: build
	@mkdir -p $(BENCH_OUT)
	$(BUILD_DIR)/bench/soak --bin $(BUILD_DIR)/offerledger --cache-dir $(BENCH_OUT) \
	  --minutes $(SOAK_MINUTES) --json $(BENCH_OUT)/soak.json $(SOAK_ARGS)

# The conversion report benchmark: ledgers of EVENTS events (comma-separated sizes) built
# through the real store, cached in $(BENCH_OUT)/ledger-N.db, then a monthly report timed
# from the roll-ups against a scan of the events; JSON in $(BENCH_OUT)/report.json.
# Building a 10M-event ledger takes ~20-30 minutes the first time, so it is not part of
# `make bench` unless BENCH_WITH_REPORT=1. The full check:
#   make bench-report EVENTS=1000000,10000000
EVENTS            ?= 1000000
BENCH_WITH_REPORT ?= 0
BENCH_REPORT_ARGS ?=
bench-report: build
	@mkdir -p $(BENCH_OUT)
	$(BUILD_DIR)/bench/report_bench --events $(EVENTS) --dir $(BENCH_OUT) \
	  --json $(BENCH_OUT)/report.json $(BENCH_REPORT_ARGS)

# The whole suite under AddressSanitizer + UndefinedBehaviorSanitizer.
asan: deps
	cmake -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DOFFERLEDGER_SANITIZE=ON
	cmake --build $(ASAN_DIR) -j $(JOBS)

test-asan: asan
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(ASAN_DIR) --output-on-failure -j $(JOBS)

# The libFuzzer targets of fuzz/ (docs/fuzzing.md), built with clang and
# ASan+UBSan in $(FUZZ_DIR), each run for FUZZ_SECONDS on a copy of its seed
# corpus; a crash, leak, UB or broken invariant fails. One summary line per target.
#   make fuzz FUZZ_SECONDS=300 FUZZ_TARGETS=fuzz_router
FUZZ_DIR     ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
FUZZ_CXX     ?= clang++-14
fuzz: deps
	cmake -S . -B $(FUZZ_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_COMPILER=$(FUZZ_CXX) -DOFFERLEDGER_FUZZ=ON -DOFFERLEDGER_TESTS=OFF \
	  -DOFFERLEDGER_BENCH=OFF -DOFFERLEDGER_DASHBOARD=OFF
	cmake --build $(FUZZ_DIR) -j $(JOBS) --target fuzz_all
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/run-fuzz.sh $(FUZZ_DIR) $(FUZZ_TARGETS)

format:
	find src tests bench -name '*.cpp' -o -name '*.h' | xargs clang-format -i

tidy: configure
	run-clang-tidy -p $(BUILD_DIR) -quiet src/ 2>/dev/null || clang-tidy -p $(BUILD_DIR) $$(find src -name '*.cpp')

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR)
