//! The domain: one noun a file — traffic, requests, the balancer's routing,
//! instances, the metrics pipeline, and how attempts fail. These are plain
//! structs and pure logic; `sim` wires them into the event loop.

pub mod balancer;
pub mod cache;
pub mod database;
pub mod instance;
pub mod metrics;
pub mod outcome;
pub mod pool;
pub mod replication;
pub mod request;
pub mod trace;
pub mod traffic;
