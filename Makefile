# xenbell — see README.md. The two commands a person types: `make run`, `make test`.
#
# The kernel is built with Debian's rustc-web/cargo-web 1.96 and its library
# source (rust-web-src) via -Zbuild-std for x86_64-xen.json; host crates, the
# dom0 tool and all host tests use the ordinary `cargo` (rustup stable).

SHELL := /bin/bash
.DEFAULT_GOAL := all

# ---- toolchains -----------------------------------------------------------
KERNEL_RUSTC ?= /usr/bin/rustc
KERNEL_CARGO ?= /usr/bin/cargo
# RUSTC must be explicit, or /usr/bin/cargo finds rustup's proxy on PATH.
# RUSTC_BOOTSTRAP=1: Debian's compiler is a stable one; -Z flags need it.
KERNEL_ENV := RUSTC_BOOTSTRAP=1 RUSTC=$(KERNEL_RUSTC) RUSTDOC=$(dir $(KERNEL_RUSTC))rustdoc \
              RUSTFLAGS="-C force-frame-pointers=yes"
# opt-level "z" for the kernel only (the host crates and the dom0 tool keep the release
# profile's "s"): 7 KiB smaller than "s", round trip and exits unchanged (docs/benchmarks.md).
KERNEL_FLAGS := --release -p xenbell --target x86_64-xen.json --target-dir target/kernel \
                -Zjson-target-spec -Zbuild-std=core,alloc,compiler_builtins \
                -Zbuild-std-features=compiler-builtins-mem --config 'profile.release.opt-level="z"'
KERNEL_OUT := target/kernel/x86_64-xen/release/xenbell
KERNEL_ELF := target/xenbell.elf

CARGO ?= cargo
DOM0_OUT := target/release/xenbell-dom0
DOM0_BIN := target/xenbell-dom0

.PHONY: all deps kernel dom0 man install uninstall deb install-test smoke test host-test lint pyflakes clippy fmt fmt-check check layers e2e testbed run bench clean

all: kernel dom0

# ---- prerequisites ----------------------------------------------------------
# Installs whatever is missing (apt), idempotent; a no-op when all is there.
deps:
	@tools/deps.sh

# ---- builds -------------------------------------------------------------------
kernel: deps
	$(KERNEL_ENV) $(KERNEL_CARGO) build $(KERNEL_FLAGS)
	@cp $(KERNEL_OUT) $(KERNEL_ELF)
	@echo "kernel: $(KERNEL_ELF) ($$(stat -c %s $(KERNEL_ELF)) bytes)"

# Static, so it runs in any dom0 (and in the test bed's initramfs).
dom0: deps
	RUSTFLAGS="-C target-feature=+crt-static" $(CARGO) build --release -p xenbell-dom0 \
	    --target-dir target/dom0 --target x86_64-unknown-linux-gnu
	@cp target/dom0/x86_64-unknown-linux-gnu/release/xenbell-dom0 $(DOM0_BIN)

# Man pages, generated from the tool's clap definition (tools/xenbell-dom0/examples/man.rs).
man:
	@rm -rf target/man && mkdir -p target/man
	$(CARGO) run -q -p xenbell-dom0 --example man -- target/man

# ---- install ------------------------------------------------------------------
# `make && sudo make install`: the kernel in $(PREFIX)/lib/xenbell/, the tool in
# $(PREFIX)/sbin/, xl configs (kernel = the installed image) in $(PREFIX)/share/xenbell/,
# man pages and shell completions (tools/install/install.sh has the list).
PREFIX ?= /usr/local
DESTDIR ?=

install: all man
	@tools/install/install.sh install $(PREFIX) "$(DESTDIR)"

uninstall: man
	@tools/install/install.sh uninstall $(PREFIX) "$(DESTDIR)"

# target/xenbell_<version>_amd64.deb: the same files with PREFIX=/usr (dpkg-deb).
deb: all man
	@tools/install/deb.sh

# Host test: install into a DESTDIR, uninstall, build the .deb and list it.
install-test: all man
	@tools/install/test.sh

# ---- tests --------------------------------------------------------------------
# XENBELL_REQUIRE_HEADERS=1: the tests that compile C against the real Xen
# and Linux headers fail where they are missing (`make check` skips them).
host-test: deps
	XENBELL_REQUIRE_HEADERS=1 $(CARGO) test

# clippy with warnings as errors; the workspace denies undocumented unsafe
# blocks. The kernel is type-checked for the host target (it links only for
# x86_64-xen.json, but checking needs no linking).
lint: deps fmt-check clippy layers pyflakes

# The Python of the test bed, benchmarks and tools: pyflakes (Debian's pyflakes3, `make deps`).
pyflakes:
	pyflakes3 $$(git ls-files '*.py' 2>/dev/null || find tools -name '*.py')

# Every host crate of the workspace (the bench crates too, so a rename cannot
# break `make bench` unseen); the kernel on its own line (see below).
clippy:
	$(CARGO) clippy --workspace --exclude xenbell --all-targets -- -D warnings
	$(CARGO) clippy -p xenbell -- -D warnings

# One style (rustfmt.toml): the workspace and the fuzz crate (outside it).
fmt:
	$(CARGO) fmt --all
	cd fuzz && $(CARGO) fmt

fmt-check:
	$(CARGO) fmt --all --check
	cd fuzz && $(CARGO) fmt --check

# The fast, offline gate: formatting, clippy, host tests and the test bed's
# own unit tests. No apt, no sudo, no QEMU (tests that need the real Xen
# headers from libxen-dev skip themselves where they are not installed;
# `make test` installs them and requires them).
check: fmt-check clippy layers
	$(CARGO) test -q
	$(TESTBED_PY) -m unittest discover -s tools/testbed -p 'test_*.py' -q
	$(TESTBED_PY) -m unittest discover -s tools/layers -p 'test_*.py' -q

# The kernel's module graph: dependencies point down, no cycles (tools/layers).
layers:
	@python3 tools/layers/layers.py

smoke: kernel
	@tools/smoke/run.sh $(KERNEL_ELF)

test: deps
	@tools/test-all.sh

clean:
	$(CARGO) clean

-include tools/testbed/testbed.mk
-include tools/bench/bench.mk
-include tools/fuzz/fuzz.mk
