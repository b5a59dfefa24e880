//! scalesim's integration tests: one binary, a module per area.

mod policies;
mod support;
