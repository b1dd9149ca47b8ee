//! ns per dispatched event: `Decoder::run` (the kernel's fair decoder) vs `naive_scan`
//! (the scan-everything-from-bit-0 baseline), with 1, 64 and 4096 ports pending.
//!
//! Each iteration gets fresh `OwnedBitmaps` with the ports raised the way Xen raises them
//! (`xen_set_pending`: pending bit, selector bit, upcall flag); only the decode is
//! timed (`iter_batched_ref`). The handler does `black_box(port)`. criterion reports time
//! per iteration; make bench divides by the events dispatched (1, 64, 4095).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use decoder_bench::pattern;
use evtchn_2l::{naive_scan, Decoder, Limits, OwnedBitmaps};

fn raised(ports: &[u32]) -> OwnedBitmaps {
    let b = OwnedBitmaps::new();
    for &p in ports {
        b.xen_set_pending(p);
    }
    b
}

fn bench(c: &mut Criterion) {
    for n in [1u32, 64, 4096] {
        let ports = pattern(n);
        let events = ports.len() as u64;
        let mut g = c.benchmark_group(format!("pending_{n}"));
        g.throughput(Throughput::Elements(events));
        g.bench_function("decoder", |b| {
            b.iter_batched_ref(
                || (raised(&ports), Decoder::new()),
                |(bits, dec)| {
                    let st = dec.run(&bits.source(), |p| {
                        black_box(p);
                    });
                    debug_assert_eq!(u64::from(st.dispatched), events);
                    st
                },
                BatchSize::SmallInput,
            )
        });
        g.bench_function("naive", |b| {
            b.iter_batched_ref(
                || raised(&ports),
                |bits| {
                    let st = naive_scan(&bits.source(), Limits::DEFAULT.max_passes, |p| {
                        black_box(p);
                    });
                    debug_assert_eq!(u64::from(st.dispatched), events);
                    st
                },
                BatchSize::SmallInput,
            )
        });
        g.finish();
    }
}

fn config() -> Criterion {
    // Short runs: make bench has ~10 minutes for everything (6 benchmarks, ~3 s each).
    Criterion::default()
        .warm_up_time(Duration::from_millis(700))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50)
}

criterion_group! { name = benches; config = config(); targets = bench }
criterion_main!(benches);
