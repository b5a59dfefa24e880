//! Criterion benches (filled in as the engine lands).
fn main() {}
