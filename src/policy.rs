//! Scaling policies: each one sees observations from the metrics pipeline and
//! returns a decision with a human-readable reason.
pub mod hpa;
