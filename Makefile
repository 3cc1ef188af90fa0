# The README's two commands: `make run` and `make test`. Both install missing packages first.
BUILD_DIR ?= build
JOBS ?= 2
SLUICE := $(BUILD_DIR)/sluice

.PHONY: all deps deps-test build binary run test soak bench format tidy clean

all: build

deps:
	@scripts/install-deps.sh

# The tests also drive the UI in Debian's headless Chromium.
deps-test:
	@SLUICE_WITH_BROWSER=1 scripts/install-deps.sh

$(BUILD_DIR)/CMakeCache.txt:
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release

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

test: deps-test build
	cd $(BUILD_DIR) && ctest --output-on-failure -j$(JOBS) -LE soak

# Longer runs kept out of `make test`.
soak: build
	cd $(BUILD_DIR) && ctest --output-on-failure -L soak

# The performance report: bench/out/report/report.md and report.html (docs/performance.md).
bench: build
	$(SLUICE) bench --out bench/out/report

format:
	find src bench -name '*.h' -o -name '*.cc' | xargs clang-format -i

tidy: build
	find src -name '*.cc' ! -name '*_test.cc' | xargs clang-tidy -p $(BUILD_DIR) --quiet

clean:
	rm -rf $(BUILD_DIR)
