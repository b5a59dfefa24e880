//! scalesim's integration tests: one binary, a module per area.

mod cli;
mod determinism;
mod fleet;
mod memory;
mod queueing;
mod scenarios;
mod support;
mod traffic;
mod tui;
mod validation;
