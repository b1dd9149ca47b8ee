# Fuzzing (cargo-fuzz/libFuzzer targets in fuzz/, see tools/fuzz/run.sh).
# Included by the top-level Makefile:
#   make fuzz          every target for FUZZ_SECONDS (default 300 s) each
#   make fuzz-short    every target for FUZZ_SHORT_SECONDS (default 15 s) each;
#                      the bounded run that `make test` uses
# Both print `PASS fuzz/<target>` / `FAIL fuzz/<target>: <reason>` lines and
# close with `fuzz: N passed, M failed`. They need the nightly toolchain and
# a C++ compiler (Debian: g++); cargo-fuzz is installed on first use.

FUZZ_SECONDS ?= 300
FUZZ_SHORT_SECONDS ?= 15

.PHONY: fuzz fuzz-short

fuzz:
	@tools/fuzz/run.sh $(FUZZ_SECONDS)

fuzz-short:
	@tools/fuzz/run.sh $(FUZZ_SHORT_SECONDS)
