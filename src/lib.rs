//! scalesim: a deterministic discrete-event simulator of autoscaled web services.
//!
//! Clients → load balancer → an autoscaled fleet of app instances → (pools,
//! cache, database), driven by real or synthetic traffic under a scaling
//! policy. See `DESIGN.md` for the model's semantics and `README.md` for use.
//!
//! # Layers
//!
//! The modules, lowest layer first. A module imports only from modules
//! listed before it, never from one after it; `tests/it/layers.rs` reads
//! every source file and enforces the order of this list.
//!
//! 1. [`engine`]: time, the event queue, random streams and the loop; imports nothing from the crate.
//! 2. [`input`]: documents, field paths, located problems and the validation context; imports only `engine`.
//! 3. [`error`]: the library's error type; imports only `input`'s problems.
//! 4. [`import`]: Prometheus `query_range` exports read into observed series; imports `engine`, `input` and `error`.
//! 5. [`calibrate`]: fits of a service's parameters to its observed series; imports `import`.
//! 6. [`model`]: the domain's nouns and their pure logic; imports `engine` and `input`, never a policy or a scenario.
//! 7. [`output`]: rows, events, the summary and its findings, and their sinks; imports the model's vocabulary.
//! 8. [`policy`]: scaling policies and the validation of their fields; imports the layers before it, never `scenario`.
//! 9. [`scenario`]: the validated scenario built from TOML, calling each policy's validation; imports the layers before it.
//! 10. [`analysis`]: failure-mode detectors and the advisor over a run's outputs; imports the layers before it.
//! 11. [`sim`]: the simulation of one scenario, wiring model, policy and detectors into the engine; imports the layers before it.
//! 12. [`validate`]: a calibrated scenario replayed against the observed series; imports the layers before it.
//! 13. [`sweep`]: many simulations of one scenario's variants; imports the layers before it.
//! 14. [`compare`]: several policies on the same workloads and seeds, ranked by a pairwise tournament; imports the layers before it.
//! 15. [`report`]: self-contained HTML reports over run directories, sweep tables and comparisons; imports the layers before it.
//! 16. [`interrupt`]: SIGINT and SIGTERM, handled alike: a stop flag and the removal of temporaries; imports `error` and `output`.
//! 17. [`diagnose`]: a scenario's symptoms and its counterfactuals run side by side, with a verdict; imports the layers before it.
//! 18. [`tui`]: the game-day dashboard over one simulation; imports the layers before it.
//! 19. [`cli`]: the command line over all of it; imports any layer before it.
//!
//! # The library's surface
//!
//! The `scalesim` binary is the product. The library is what it is built
//! from, and what the tests and benches drive, and its supported surface is
//! this facade: [`Scenario`] (a validated scenario file, with `--set`-style
//! [`Override`]s), [`Simulation`] (one run, whole or step by step), the
//! [`Sink`]s that receive its [`TickRow`]s, [`EventRow`]s and [`Summary`],
//! [`SimTime`] and [`SimDuration`], the [`Error`] type; and three modules
//! that stand on their own: [`hpa`] (the Kubernetes HPA controller, ported
//! with its exact arithmetic), [`sweep`] and [`output`]. The other modules
//! are public for the binary and the tests only: hidden from these docs,
//! with no promise that they stay as they are.
//!
//! ```
//! use std::path::Path;
//! use std::sync::Arc;
//! use scalesim::{NullSink, Scenario, Simulation};
//!
//! let text = r#"
//! name = "doc"
//! duration = "2m"
//! tick = "10s"
//! traffic = { shape = { kind = "constant", rps = 100 } }
//! fleet = { initial = 2, cores = 1, service = { dist = "exponential", mean = "10ms" } }
//! autoscaler = { policy = "fixed" }
//! "#;
//! let scenario = Scenario::from_text(Path::new("doc.toml"), text, &[])?;
//! let summary = Simulation::new(Arc::new(scenario), 1, Box::new(NullSink))?.finish()?;
//! // 100 requests a second for two minutes, on two instances half busy.
//! assert!(summary.requests.completed > 11_000);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs, unreachable_pub)]

pub use engine::time::{SimDuration, SimTime};
pub use error::Error;
pub use output::{DirSink, EventKind, EventRow, MemorySink, NullSink, Sink, Summary, TickRow};
pub use policy::hpa;
pub use scenario::{Override, Scenario};
pub use sim::Simulation;

pub mod output;
pub mod sweep;

#[doc(hidden)]
pub mod analysis;
#[doc(hidden)]
pub mod calibrate;
#[doc(hidden)]
pub mod cli;
pub mod compare;
pub mod diagnose;
#[doc(hidden)]
pub mod engine;
#[doc(hidden)]
pub mod error;
#[doc(hidden)]
pub mod import;
#[doc(hidden)]
pub mod input;
#[doc(hidden)]
pub mod interrupt;
#[doc(hidden)]
pub mod model;
#[doc(hidden)]
pub mod policy;
#[doc(hidden)]
pub mod report;
#[doc(hidden)]
pub mod scenario;
#[doc(hidden)]
pub mod sim;
#[doc(hidden)]
pub mod tui;
#[doc(hidden)]
pub mod validate;
