# The README's two commands: `make run` and `make test`. Both install missing packages first.
BUILD_DIR ?= build
JOBS ?= 2
SLUICE := $(BUILD_DIR)/sluice
# The sanitizer builds of `make test` (clang): ASan+UBSan with the fuzz targets, and TSan.
ASAN_DIR ?= $(BUILD_DIR)-asan
TSAN_DIR ?= $(BUILD_DIR)-tsan
# `make fuzz` has its own ASan+UBSan build at -O1 (make test's are -O0: quicker to build).
FUZZ_DIR ?= $(BUILD_DIR)-fuzz
# CI sets SLUICE_WERROR=ON (.ci/run): every build of `make test` then fails on a warning.
SLUICE_WERROR ?= OFF
FUZZ_SECONDS ?= 600
# `make soak-rss`: seconds per query of the RSS soak (Q2, then Q1, on the generator at --rate max).
SOAK_SECONDS ?= 600
FUZZ_TARGETS := sql record_parser duration_time kafka_url checkpoint aggregate_state
# What the TSan stage builds and runs: the engine's threads, the Kafka clients' and source's threads.
TSAN_TESTS := exec_test kafka_test source_test
STAGE_TIMES := $(abspath $(BUILD_DIR))/stage-times.txt
STAGE := $(CURDIR)/scripts/stage.sh $(STAGE_TIMES)
SAN_ENV := ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$(CURDIR)/tests/sanitizers/tsan.supp"

.PHONY: all deps deps-test build binary run test test-release test-asan test-tsan soak soak-rss bench fuzz \
  format format-check tidy clean

all: build

deps:
	@scripts/install-deps.sh

# The tests also drive the UI in Debian's headless Chromium.
deps-test:
	@SLUICE_WITH_BROWSER=1 scripts/install-deps.sh

$(BUILD_DIR)/CMakeCache.txt:
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release -DSLUICE_WERROR=$(SLUICE_WERROR)

$(ASAN_DIR)/CMakeCache.txt:
	cmake -S . -B $(ASAN_DIR) -DCMAKE_CXX_COMPILER=clang++ -DSLUICE_SANITIZE=ON -DSLUICE_FUZZ=ON \
	  -DSLUICE_SANITIZE_OPT=-O0 -DSLUICE_WERROR=$(SLUICE_WERROR)

$(TSAN_DIR)/CMakeCache.txt:
	cmake -S . -B $(TSAN_DIR) -DCMAKE_CXX_COMPILER=clang++ -DSLUICE_SANITIZE=thread \
	  -DSLUICE_SANITIZE_OPT=-O0 -DSLUICE_WERROR=$(SLUICE_WERROR)

$(FUZZ_DIR)/CMakeCache.txt:
	cmake -S . -B $(FUZZ_DIR) -DCMAKE_CXX_COMPILER=clang++ -DSLUICE_SANITIZE=ON -DSLUICE_FUZZ=ON

build: deps $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j$(JOBS)

# The sluice binary alone, without the test binaries (what `make run` needs).
binary: deps $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j$(JOBS) --target sluice

# Crash monitoring (Q2) on the built-in generator, batches on the console.
run: binary
	$(SLUICE) run --watermark 5s --trigger 5s --ui 127.0.0.1:4040 \
	  "SELECT window.start AS window_start, window.end AS window_end, user_id, count(*) AS crash_count \
	   FROM logs WHERE lower(content) LIKE '%crash%' AND severity IN ('High', 'Critical') \
	   GROUP BY window(timestamp, '10 seconds'), user_id HAVING count(*) > 2"

# Three stages, each timed into $(STAGE_TIMES) (docs/testing.md has the figures).
test: deps-test
	@rm -f $(STAGE_TIMES)
	@$(MAKE) --no-print-directory test-release test-asan test-tsan
	@cat $(STAGE_TIMES)

# The Release build of what the end-to-end tests drive, and every test but the soak and unit
# tests (the unit tests run in the ASan+UBSan stage; -E: the unit test binaries not built here;
# kafka_test for fetch_memory_release, which needs glibc's own allocator).
test-release: $(BUILD_DIR)/CMakeCache.txt
	$(STAGE) "release build" cmake --build $(BUILD_DIR) -j$(JOBS) --target sluice ui_demo kafka_consume kafka_test
	cd $(BUILD_DIR) && $(STAGE) "release tests" \
	  ctest --output-on-failure -j$(JOBS) -LE '^(soak|unit)$$' -E '_NOT_BUILT$$'

# ASan+UBSan: the unit tests, the differential test on small inputs (label sanitize), and each
# fuzz target for 20 s over its seeds.
test-asan: $(ASAN_DIR)/CMakeCache.txt
	$(STAGE) "asan build" cmake --build $(ASAN_DIR) -j$(JOBS)
	cd $(ASAN_DIR) && $(SAN_ENV) $(STAGE) "asan tests" \
	  ctest --output-on-failure -j$(JOBS) -L '^(unit|fuzz|sanitize)$$'

# TSan: only the engine's and the Kafka clients' tests are built and run (the tests of targets
# not built are left out by -L unit; the Python self-test by -LE reference).
test-tsan: $(TSAN_DIR)/CMakeCache.txt
	$(STAGE) "tsan build" cmake --build $(TSAN_DIR) -j$(JOBS) --target $(TSAN_TESTS)
	cd $(TSAN_DIR) && $(SAN_ENV) $(STAGE) "tsan tests" \
	  ctest --output-on-failure -j$(JOBS) -L unit -LE reference

# Each fuzz target for FUZZ_SECONDS, one after another; crashing inputs in $(FUZZ_DIR)/fuzz/artifacts.
fuzz: $(FUZZ_DIR)/CMakeCache.txt
	cmake --build $(FUZZ_DIR) -j$(JOBS) --target $(FUZZ_TARGETS:%=%_fuzz)
	for t in $(FUZZ_TARGETS); do \
	  $(SAN_ENV) tests/fuzz/run_fuzz.sh $(FUZZ_DIR)/tests/fuzz/$${t}_fuzz $(FUZZ_SECONDS) \
	    $(FUZZ_DIR)/fuzz tests/fuzz/corpus/$$t || exit 1; \
	done

# Longer runs kept out of `make test` (soak_rss among them: 10 minutes per query).
soak: build
	cd $(BUILD_DIR) && ctest --output-on-failure -L soak

# The RSS soak alone, SOAK_SECONDS per query: fails when RssAnon grows (docs/testing.md).
soak-rss: binary
	python3 tests/e2e/rss_soak_test.py --sluice $(SLUICE) --seconds $(SOAK_SECONDS)

# The performance report: bench/out/report/report.md and report.html (docs/performance.md).
bench: build
	$(SLUICE) bench --out bench/out/report

format:
	find src bench tests/fuzz -name '*.h' -o -name '*.cc' | xargs clang-format -i

# What the format_check test runs (ctest, once SLUICE_FORMAT_CHECK is ON: see docs/testing.md).
format-check:
	scripts/format-check.sh

tidy: build
	find src -name '*.cc' ! -name '*_test.cc' | xargs clang-tidy -p $(BUILD_DIR) --quiet

clean:
	rm -rf $(BUILD_DIR)
