# Sentinel front door. `make demo` and `make test` are the two set-up commands of the README:
# each installs what is missing (scripts/install-deps.sh), builds, and runs.
JOBS ?= $(shell nproc)
BUILD ?= build/release
ASAN_BUILD ?= build/asan
CMAKE_FLAGS ?=

.PHONY: all deps build demo test test-asan lint format bench clean

all: build

deps:
	@bash scripts/install-deps.sh

# make test-asan is a unity build (docs/testing.md): fastest from scratch. make build (so make
# demo and make test) is not: the Release binary is the one people run, and GCC inlines less in
# the large unity batches (the CloudTrail parse ran 21% more instructions). UNITY=ON makes it one.
# Its command line and sim are unity builds (UNITY_CLI): no hot path there (cli/stats.cc stays
# apart), same instruction counts, ~270 CPU-s less per build.
UNITY ?= OFF
UNITY_CLI ?= ON
ASAN_UNITY ?= ON

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DSENTINEL_UNITY_BUILD=$(UNITY) -DSENTINEL_UNITY_CLI=$(UNITY_CLI) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

demo: build
	@bash scripts/demo.sh $(BUILD)/src/sentinel

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The unit and golden tests under AddressSanitizer and UndefinedBehaviorSanitizer.
test-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DSENTINEL_SANITIZE=ON -DSENTINEL_UNITY_BUILD=$(ASAN_UNITY) >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS)

lint: build
	@bash scripts/lint.sh $(BUILD)

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

bench:
	@bash bench/run.sh $(ARGS)

clean:
	rm -rf build
