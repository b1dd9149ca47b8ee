//! ns per dispatched event of the FIFO consumer (`evtchn_fifo::Consumer::run`) with 1, 64,
//! 4096 and 100,000 ports pending, beside the 2-level decoder's numbers (benches/decoder.rs;
//! the 2-level ABI has no 100,000 ports).
//!
//! Each iteration gets a fresh `OwnedFifo` (a 131,072-word event array) with the ports
//! linked the way Xen links them (`XenFifo::set_pending`: PENDING, LINKED, the tail's LINK,
//! head + ready for the first), all at the default priority; only the consume is timed
//! (`iter_batched_ref`), with no step limit so one call drains everything (the kernel stops
//! every 4096 entries; that costs one more upcall per 4096 events, not per event). The
//! handler does `black_box(port)`. make bench divides criterion's time per call by the
//! events (1, 64, 4095, 100,000).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use decoder_bench::fifo_pattern;
use evtchn_fifo::{Consumer, Limits, OwnedFifo, XenFifo, EVTCHN_FIFO_NR_CHANNELS};

fn raised(ports: &[u32]) -> OwnedFifo {
    let mem = OwnedFifo::new(EVTCHN_FIFO_NR_CHANNELS);
    let mut xen = XenFifo::new(EVTCHN_FIFO_NR_CHANNELS);
    for &p in ports {
        xen.set_pending(&mem, p);
    }
    mem
}

fn bench(c: &mut Criterion) {
    for n in [1u32, 64, 4096, 100_000] {
        let ports = fifo_pattern(n);
        let events = ports.len() as u64;
        let mut g = c.benchmark_group(format!("fifo_pending_{n}"));
        g.throughput(Throughput::Elements(events));
        g.bench_function("fifo", |b| {
            b.iter_batched_ref(
                || (raised(&ports), Consumer::with_limits(Limits { max_steps: u32::MAX })),
                |(mem, consumer)| {
                    let st = consumer.run(&mem.source(), |p| {
                        black_box(p);
                    });
                    debug_assert_eq!(u64::from(st.dispatched), events);
                    st
                },
                BatchSize::LargeInput,
            )
        });
        g.finish();
    }
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(700))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
}

criterion_group! { name = benches; config = config(); targets = bench }
criterion_main!(benches);
