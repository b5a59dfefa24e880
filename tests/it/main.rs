//! scalesim's integration tests: one binary, a module per area.

mod cli;
mod determinism;
mod queueing;
mod validation;
mod support;
