//! scalesim's integration tests: one binary, a module per area.

mod advisor;
mod cli;
mod data;
mod determinism;
mod docs;
mod fleet;
mod gallery;
mod memory;
mod policies;
mod queueing;
mod scale;
mod scenarios;
mod support;
mod sweep;
mod traffic;
mod tui;
mod validation;
