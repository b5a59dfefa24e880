//! Simulated time: integer nanoseconds, never a float.
//!
//! [`SimTime`] is an instant since the start of a run, [`SimDuration`] a span.
//! Both are `u64` nanoseconds (584 years of range), so ordering and equality
//! are exact and independent of the machine. Events at the same instant are
//! ordered by the event queue's insertion sequence (see
//! [`EventQueue`](super::queue::EventQueue)), never by anything else.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// Nanoseconds per unit, for readability below.
const NS_PER_US: u64 = 1_000;
const NS_PER_MS: u64 = 1_000_000;
const NS_PER_S: u64 = 1_000_000_000;

/// An instant of simulated time, in nanoseconds since the start of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(u64);

/// A span of simulated time, in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(u64);

impl SimTime {
    /// The start of every run.
    pub const ZERO: SimTime = SimTime(0);
    /// Later than any event a run can schedule.
    pub const MAX: SimTime = SimTime(u64::MAX);

    /// The instant `n` nanoseconds after the start.
    pub const fn from_nanos(n: u64) -> SimTime {
        SimTime(n)
    }

    /// The instant `n` whole seconds after the start, saturating at [`SimTime::MAX`].
    pub const fn from_secs(n: u64) -> SimTime {
        SimTime(n.saturating_mul(NS_PER_S))
    }

    /// Nanoseconds since the start.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Seconds since the start, as a float (for output and rates only).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NS_PER_S as f64
    }

    /// The instant `secs` seconds after the start (rounded to the nanosecond).
    pub fn from_secs_f64(secs: f64) -> SimTime {
        SimTime(SimDuration::from_secs_f64(secs).0)
    }

    /// The span since `earlier`, or zero if `earlier` is later.
    pub fn saturating_since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }

    /// `self - d`, clamped at the start of the run.
    pub fn saturating_sub(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_sub(d.0))
    }
}

impl SimDuration {
    /// No time at all.
    pub const ZERO: SimDuration = SimDuration(0);

    /// `n` nanoseconds.
    pub const fn from_nanos(n: u64) -> Self {
        SimDuration(n)
    }
    /// `n` microseconds.
    pub const fn from_micros(n: u64) -> Self {
        SimDuration(n * NS_PER_US)
    }
    /// `n` milliseconds.
    pub const fn from_millis(n: u64) -> Self {
        SimDuration(n * NS_PER_MS)
    }
    /// `n` seconds.
    pub const fn from_secs(n: u64) -> Self {
        SimDuration(n * NS_PER_S)
    }
    /// `secs` seconds, rounded to the nearest nanosecond; negative or NaN is zero.
    pub fn from_secs_f64(secs: f64) -> Self {
        if secs.is_nan() || secs <= 0.0 {
            return SimDuration::ZERO;
        }
        let ns = secs * NS_PER_S as f64;
        if ns >= u64::MAX as f64 { SimDuration(u64::MAX) } else { SimDuration((ns + 0.5) as u64) }
    }
    /// Nanoseconds.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    /// Seconds as a float (for output and rates only).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NS_PER_S as f64
    }
    /// Milliseconds as a float (for output only).
    pub fn as_millis_f64(self) -> f64 {
        self.0 as f64 / NS_PER_MS as f64
    }
    /// Whether this is zero.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }
    /// `self × k`, saturating.
    pub const fn saturating_mul(self, k: u64) -> Self {
        SimDuration(self.0.saturating_mul(k))
    }
    /// `self × f`, rounded; for scaling demands by a factor.
    pub fn mul_f64(self, f: f64) -> Self {
        SimDuration::from_secs_f64(self.as_secs_f64() * f)
    }

    /// Parses a human duration: a non-negative number followed by a unit,
    /// `ns`, `us` (or `µs`), `ms`, `s`, `m`, `h` or `d`, or several such parts
    /// as Go and Kubernetes write them (`"1h30m"`, `"5d19h"`); for example
    /// `"250ms"`, `"1.5s"`, `"5m"`. `"0"` alone is zero. The error says why.
    pub fn parse(text: &str) -> Result<SimDuration, DurationError> {
        let s = text.trim();
        if s == "0" {
            return Ok(SimDuration::ZERO);
        }
        if s.starts_with('-') {
            return Err(DurationError::Negative);
        }
        let mut rest = s;
        let mut total = SimDuration::ZERO;
        while !rest.is_empty() {
            let digits = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).ok_or(DurationError::MissingUnit)?;
            let (number, tail) = rest.split_at(digits);
            let unit_len = tail.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(tail.len());
            let (unit, next) = tail.split_at(unit_len);
            total = total.0.checked_add(parse_part(number, unit)?.0).map(SimDuration).ok_or(DurationError::TooLarge)?;
            rest = next;
        }
        Ok(total)
    }
}

/// One `number unit` part of a duration.
fn parse_part(number: &str, unit: &str) -> Result<SimDuration, DurationError> {
    if number.is_empty() {
        return Err(DurationError::NotANumber);
    }
    let scale = match unit.trim() {
        "ns" => 1,
        "us" | "µs" => NS_PER_US,
        "ms" => NS_PER_MS,
        "s" => NS_PER_S,
        "m" | "min" => 60 * NS_PER_S,
        "h" => 3600 * NS_PER_S,
        "d" => 86_400 * NS_PER_S,
        _ => return Err(DurationError::UnknownUnit),
    };
    // Integral values stay exact integers; fractions round to the nanosecond.
    if !number.contains('.') {
        let n: u64 = number.parse().map_err(|_| DurationError::NotANumber)?;
        return n.checked_mul(scale).map(SimDuration).ok_or(DurationError::TooLarge);
    }
    let value: f64 = number.parse().map_err(|_| DurationError::NotANumber)?;
    let ns = value * scale as f64;
    if ns >= u64::MAX as f64 {
        return Err(DurationError::TooLarge);
    }
    Ok(SimDuration((ns + 0.5) as u64))
}

/// Why a duration string did not parse.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// A bare number: the unit is ambiguous.
    #[error("a duration needs a unit")]
    MissingUnit,
    /// The unit is none of ns, us, ms, s, m, h, d.
    #[error("unknown unit")]
    UnknownUnit,
    /// The number part is not a number.
    #[error("not a number")]
    NotANumber,
    /// Durations cannot be negative.
    #[error("durations cannot be negative")]
    Negative,
    /// More than 584 years.
    #[error("too large")]
    TooLarge,
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}

impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, d: SimDuration) {
        self.0 = self.0.saturating_add(d.0);
    }
}

impl Sub<SimTime> for SimTime {
    type Output = SimDuration;
    /// The span from `earlier` to `self`; panics in debug builds if negative.
    fn sub(self, earlier: SimTime) -> SimDuration {
        debug_assert!(self.0 >= earlier.0, "negative duration");
        SimDuration(self.0 - earlier.0)
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, d: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(d.0))
    }
}

impl Sub for SimDuration {
    type Output = SimDuration;
    /// Saturating: a span is never negative.
    fn sub(self, d: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_sub(d.0))
    }
}

impl fmt::Display for SimDuration {
    /// The shortest exact human form: `250ms`, `15s`, `5m`, `1h30m` is `90m`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ns = self.0;
        let units = [
            (86_400 * NS_PER_S, "d"),
            (3600 * NS_PER_S, "h"),
            (60 * NS_PER_S, "m"),
            (NS_PER_S, "s"),
            (NS_PER_MS, "ms"),
            (NS_PER_US, "us"),
        ];
        if ns == 0 {
            return f.write_str("0s");
        }
        for (scale, unit) in units {
            if ns % scale == 0 {
                return write!(f, "{}{unit}", ns / scale);
            }
        }
        write!(f, "{ns}ns")
    }
}

impl fmt::Display for SimTime {
    /// Seconds with millisecond precision, as in the output files.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.3}s", self.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_unit() {
        let cases = [
            ("250ms", SimDuration::from_millis(250)),
            ("15s", SimDuration::from_secs(15)),
            ("5m", SimDuration::from_secs(300)),
            ("2h", SimDuration::from_secs(7200)),
            ("1d", SimDuration::from_secs(86_400)),
            ("100us", SimDuration::from_micros(100)),
            ("7ns", SimDuration::from_nanos(7)),
            ("1.5s", SimDuration::from_millis(1500)),
            ("0.25ms", SimDuration::from_micros(250)),
            ("0", SimDuration::ZERO),
            ("0s", SimDuration::ZERO),
            (" 3s ", SimDuration::from_secs(3)),
            ("1h30m", SimDuration::from_secs(5400)),
            ("5d19h", SimDuration::from_secs(5 * 86_400 + 19 * 3600)),
            ("1m30.5s", SimDuration::from_millis(90_500)),
        ];
        for (text, want) in cases {
            assert_eq!(SimDuration::parse(text), Ok(want), "{text}");
        }
    }

    #[test]
    fn refuses_what_is_not_a_duration() {
        assert_eq!(SimDuration::parse("20"), Err(DurationError::MissingUnit));
        assert_eq!(SimDuration::parse("20 sec"), Err(DurationError::UnknownUnit));
        assert_eq!(SimDuration::parse("-5s"), Err(DurationError::Negative));
        assert_eq!(SimDuration::parse("s"), Err(DurationError::NotANumber));
        assert_eq!(SimDuration::parse("1.2.3s"), Err(DurationError::NotANumber));
        assert_eq!(SimDuration::parse("1h30"), Err(DurationError::MissingUnit));
        assert_eq!(SimDuration::parse("1hour"), Err(DurationError::UnknownUnit));
        assert_eq!(SimDuration::parse("99999999999999d"), Err(DurationError::TooLarge));
    }

    #[test]
    fn displays_shortest_exact_form() {
        assert_eq!(SimDuration::from_millis(250).to_string(), "250ms");
        assert_eq!(SimDuration::from_secs(300).to_string(), "5m");
        assert_eq!(SimDuration::from_secs(90).to_string(), "90s");
        assert_eq!(SimDuration::from_millis(1500).to_string(), "1500ms");
        assert_eq!(SimDuration::ZERO.to_string(), "0s");
    }

    #[test]
    fn float_conversions_round_to_nearest() {
        assert_eq!(SimDuration::from_secs_f64(0.0000000016).as_nanos(), 2);
        assert_eq!(SimDuration::from_secs_f64(-1.0), SimDuration::ZERO);
        assert_eq!(SimTime::from_secs_f64(1.5).as_nanos(), 1_500_000_000);
    }
}
