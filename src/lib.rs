//! scalesim: a deterministic discrete-event simulator of autoscaled web services.
//!
//! Clients → load balancer → an autoscaled fleet of app instances → (pools,
//! cache, database), driven by real or synthetic traffic under a scaling
//! policy. See `DESIGN.md` for the model's semantics and `README.md` for use.
#![warn(missing_docs, unreachable_pub)]

pub mod analysis;
pub mod cli;
pub mod engine;
pub mod error;
pub mod input;
pub mod interrupt;
pub mod model;
pub mod output;
pub mod policy;
pub mod scenario;
pub mod sim;
pub mod sweep;
pub mod tui;
