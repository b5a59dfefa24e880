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
//! 14. [`report`]: self-contained HTML reports over run directories and sweep tables; imports the layers before it.
//! 15. [`interrupt`]: SIGINT and SIGTERM, handled alike: a stop flag and the removal of temporaries; imports `error` and `output`.
//! 16. [`tui`]: the game-day dashboard over one simulation; imports the layers before it.
//! 17. [`cli`]: the command line over all of it; imports any layer before it.
#![warn(missing_docs, unreachable_pub)]

pub mod analysis;
pub mod calibrate;
pub mod cli;
pub mod engine;
pub mod error;
pub mod import;
pub mod input;
pub mod interrupt;
pub mod model;
pub mod output;
pub mod policy;
pub mod report;
pub mod scenario;
pub mod sim;
pub mod sweep;
pub mod tui;
pub mod validate;
