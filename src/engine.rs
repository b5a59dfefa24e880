//! The simulation engine's generic parts: integer time, the event queue,
//! seeded random streams and the processor-sharing station.

pub mod time;
