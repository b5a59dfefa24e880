//! scalesim's integration tests: one binary, a module per area.

mod advisor;
mod byos;
mod cli;
mod compare;
mod data;
mod determinism;
mod diagnose;
mod docs;
mod elasticity;
mod fleet;
mod gallery;
mod layers;
mod memory;
mod policies;
mod queueing;
mod reliability;
mod report;
mod scale;
mod scenarios;
mod support;
mod sweep;
mod traffic;
mod tui;
mod validation;
