# make bench: xenbell against a Linux PVH guest in the test bed (round trip and the guest's
# share of it, exits per round from Xen's trace, idle cost, boot and its phases, n guests
# pinged at once, how many guests fit, vchan echo throughput and small-message latency against
# Xen's vchan-socket-proxy in a Linux guest and in dom0), its footprint (stripped image,
# smallest memory=) and the event decoder's cost on the host (criterion). Writes
# target/bench/report.json, report.md and SVG pictures beside them.
# Included by the top-level Makefile; README.md ("Benchmarks") describes the method and figures.
#
#   make bench                      everything (~12-15 min here, plus any wait for the test bed)
#   make bench BENCH_ARGS=--quick   fewer runs and guests (~5 min), for trying it out
#   BENCH_ARGS: --quick, --skip-decoder, --skip-testbed (reuse the last raw data), --verbose,
#               --only "exits vchan" (only these test-bed phases: boot rtt exits idle variants
#               memory scale density vchan ports smp; smp runs in a second boot, Xen on 2
#               physical CPUs), --rounds N (rounds per ping batch),
#               --alt-kernel ELF (A/B of a second kernel in the exits phase)
#   make bench BENCH_ARGS="--skip-decoder --only exits"   exits per round only (~4 min)
#   make bench BENCH_ARGS="--skip-decoder --only vchan"   the vchan phase alone (~1.5 min)
#   make bench BENCH_ARGS="--skip-decoder --only smp"     K ports on 1, 2, 4 vCPUs (~1 min)
#   make bench BENCH_ARGS="--skip-decoder --only ports"   rounds/s against ports per guest (~5 min)

BENCH_PY   ?= python3
BENCH_ARGS ?=

.PHONY: bench

bench: deps kernel dom0
	$(BENCH_PY) tools/bench/bench.py --cargo "$(CARGO)" $(BENCH_ARGS)
