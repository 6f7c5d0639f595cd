# mwx: the two commands a new user needs are `make demo` and `make check`.
# Everything is built by CMake; this file only strings the steps together.
BUILD      ?= build
BUILD_ASAN ?= build-asan
BUILD_FUZZ ?= build-fuzz
JOBS       ?= 2
# quiet sub-makes: cmake's build is verbose enough
MAKEFLAGS  += --no-print-directory
FUZZ_SECONDS ?= 10

.PHONY: all build deps check test asan fuzz-build fuzz-short fuzz demo bench clean

all: build

deps:
	@scripts/setup-deps

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

asan: deps
	@cmake -S . -B $(BUILD_ASAN) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
	  -DMWX_SANITIZE=ON -DMWX_BENCH=OFF >/dev/null
	@cmake --build $(BUILD_ASAN) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(BUILD_ASAN) -L unit --output-on-failure -j $(JOBS)

fuzz-build: deps
	@cmake -S . -B $(BUILD_FUZZ) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DMWX_FUZZ=ON >/dev/null
	@cmake --build $(BUILD_FUZZ) -j $(JOBS)

fuzz-short: fuzz-build
	scripts/run-fuzz $(BUILD_FUZZ) $(FUZZ_SECONDS)

fuzz: fuzz-build
	scripts/run-fuzz $(BUILD_FUZZ) 300

# set-up, build, every test, the sanitizer build of the unit tests, a short fuzz run,
# and one closing line "check: N passed, M failed" over all of them
check:
	@scripts/check

demo: build
	$(BUILD)/mwx demo

bench: build
	scripts/run-bench $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ)
