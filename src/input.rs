//! Reading what users write, below every section that reads it: the merged
//! document with the file and line of each field ([`document`], with
//! Kubernetes manifests as models in [`manifest`]), dotted field paths and
//! located problems ([`problem`]), and the validation context that turns raw
//! values into typed ones while collecting every problem ([`check`]), and
//! the limits on what one run may ask for ([`limits`]), here so that both
//! the checks below the scenario and the scenario itself can apply them.
//!
//! Both the scenario sections and the policies validate their fields with
//! it, so neither has to import the other's plumbing. Every input file is
//! read through [`read`] or [`open`], which bound what they read.

mod bounded;
pub mod check;
pub mod document;
pub mod limits;
pub mod manifest;
pub mod problem;

pub use bounded::{Bounded, DEFAULT_MIB, ENV, Reader, limit, open, read, read_to_string};
