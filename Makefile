# mwx: the two commands a new user needs are `make demo` and `make check`.
# Everything is built by CMake; this file only strings the steps together.
BUILD      ?= build
BUILD_ASAN ?= build-asan
BUILD_FUZZ ?= build-fuzz
JOBS       ?= 2
# quiet sub-makes: cmake's build is verbose enough
MAKEFLAGS  += --no-print-directory
FUZZ_SECONDS ?= 10
# Our builds treat warnings as errors; a plain `cmake` (a user's, a packager's) does not.
WERROR     ?= ON
BUILD_REL_GCC   ?= build-release-gcc
BUILD_REL_CLANG ?= build-release-clang

.PHONY: all build deps check format-check test asan release-gcc release-clang install-check fuzz-build fuzz-short fuzz demo bench clean

all: build

deps:
	@scripts/setup-deps

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMWX_WERROR=$(WERROR) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# the C sources against .clang-format (scripts/format-check --fix reformats)
format-check:
	@scripts/format-check

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

asan: deps
	@cmake -S . -B $(BUILD_ASAN) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
	  -DMWX_SANITIZE=ON -DMWX_BENCH=OFF -DMWX_WERROR=$(WERROR) >/dev/null
	@cmake --build $(BUILD_ASAN) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(BUILD_ASAN) -L unit --output-on-failure -j $(JOBS)

fuzz-build: deps
	@cmake -S . -B $(BUILD_FUZZ) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DMWX_FUZZ=ON -DMWX_WERROR=$(WERROR) >/dev/null
	@cmake --build $(BUILD_FUZZ) -j $(JOBS)

# What users build: Release (-O3) with gcc and with clang, so that an optimiser-only
# warning fails here and not for them. The gcc one is configured as a package would be
# (prefix /usr, no source-tree fallback) and install-check installs and packages it.
release-gcc: deps
	@cmake -S . -B $(BUILD_REL_GCC) -DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=Release \
	  -DMWX_WERROR=$(WERROR) -DCMAKE_INSTALL_PREFIX=/usr -DMWX_SOURCE_FALLBACK=OFF >/dev/null
	@cmake --build $(BUILD_REL_GCC) -j $(JOBS)

release-clang: deps
	@cmake -S . -B $(BUILD_REL_CLANG) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Release \
	  -DMWX_WERROR=$(WERROR) >/dev/null
	@cmake --build $(BUILD_REL_CLANG) -j $(JOBS)

install-check: release-gcc
	scripts/check-install $(BUILD_REL_GCC)

fuzz-short: fuzz-build
	scripts/run-fuzz $(BUILD_FUZZ) $(FUZZ_SECONDS)

fuzz: fuzz-build
	scripts/run-fuzz $(BUILD_FUZZ) 300

# the format check, set-up, build, every test, the sanitizer build of the unit tests, gcc and clang Release
# builds, the install/package check, a short fuzz run, and one closing line "check: N passed, M failed" over all of them
check:
	@scripts/check

demo: build
	$(BUILD)/mwx demo

bench: build
	scripts/run-bench $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ) $(BUILD_REL_GCC) $(BUILD_REL_CLANG)
