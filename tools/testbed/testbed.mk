# The test bed's make targets (real Xen 4.17 + Linux dom0 inside QEMU/TCG), included by
# the top-level Makefile. See tools/testbed/README.md.
#
#   make e2e [SCENARIO="name ..."]                 scenarios; PASS/FAIL lines, "N passed, M failed"
#   make testbed DOM0_SCRIPT=file [DOM0_FILES="a b"] [PCPUS=n]   run file as root in dom0
#   make run                                       the demo
#   make testbed-fetch                             download/unpack the Debian packages only
#   make testbed-clean                             remove target/testbed (but the download cache)
#   make testbed-selftest                          check the harness's own PASS/FAIL judgement
#   make soak                                      1,000,000 ping-pong rounds (~12 min; not in e2e)
#
# Variables:
#   KERNEL=path           kernel image to test instead of target/xenbell.elf (then `make
#                         kernel` is not run); TESTBED_KERNEL is the same thing
#   TESTBED_DOM0_TOOL     dom0 tool put into dom0 if it exists (default target/xenbell-dom0)
#   TESTBED_TIMEOUT       seconds for DOM0_SCRIPT (default 600)
#   PCPUS=n               `make testbed`: Xen with n physical CPUs (QEMU -smp n, 1..4; default 1)
#   TESTBED_VERBOSE=1     also print every serial line
#   TESTBED_PREREQS       what is built first (default: deps kernel dom0)
#   XEN=4.20              boot Debian trixie's Xen 4.20 instead of bookworm's 4.17 (default);
#                         `make e2e XEN=4.20` runs the compatibility set (`# compat: 4.20`)

TESTBED_PY        ?= python3
XEN               ?= 4.17
TESTBED_KERNEL    ?= $(if $(KERNEL),$(KERNEL),target/xenbell.elf)
TESTBED_DOM0_TOOL ?= target/xenbell-dom0
TESTBED_TIMEOUT   ?= 600
TESTBED_PREREQS   ?= deps $(if $(KERNEL),,kernel) dom0
TESTBED_RUNNER     = $(TESTBED_PY) tools/testbed/runner.py --xen $(XEN) --kernel $(TESTBED_KERNEL) \
                     --dom0-tool $(TESTBED_DOM0_TOOL) $(if $(TESTBED_VERBOSE),--verbose)

.PHONY: e2e testbed testbed-args run testbed-fetch testbed-clean testbed-selftest soak

e2e: $(TESTBED_PREREQS)
	$(TESTBED_RUNNER) e2e $(if $(SCENARIO),--scenario "$(SCENARIO)")

testbed: testbed-args $(TESTBED_PREREQS)
	$(TESTBED_RUNNER) testbed --script $(DOM0_SCRIPT) --timeout $(TESTBED_TIMEOUT) \
	    $(if $(PCPUS),--pcpus $(PCPUS)) $(if $(DOM0_FILES),--files $(DOM0_FILES))

testbed-args:   # fail before building anything
	@test -n "$(DOM0_SCRIPT)" || { echo "usage: make testbed DOM0_SCRIPT=file [DOM0_FILES=\"a b\"]"; exit 2; }

# The soak: scenarios/soak.sh ("# on-request: yes", so `make e2e` leaves it out), then its
# summary line (duration, rate, both sides' counters) from the copied-out output.
soak: $(TESTBED_PREREQS)
	$(TESTBED_RUNNER) e2e --scenario soak; rc=$$?; \
	    grep -h '^soak: ' target/testbed/logs/soak/output.txt 2>/dev/null; exit $$rc

run: $(TESTBED_PREREQS)
	$(TESTBED_RUNNER) run

testbed-fetch: deps
	$(TESTBED_PY) tools/testbed/runner.py --xen $(XEN) fetch

testbed-clean:
	[ ! -d target/testbed ] || find target/testbed -mindepth 1 -maxdepth 1 ! -name cache -exec rm -rf {} +

# The harness judged by itself: scenarios in tools/testbed/selftest/ misbehave on purpose
# (no result line, two lines, timeout, leftover domain, dom0 panic...); each result line
# must match selftest/expected.txt.
testbed-selftest: $(TESTBED_PREREQS)
	$(TESTBED_RUNNER) selftest
