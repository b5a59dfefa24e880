//! Criterion benches: one binary, a module per area.

mod sweep;

use criterion::{criterion_group, criterion_main};

criterion_group!(sweeps, sweep::bench);
criterion_main!(sweeps);
