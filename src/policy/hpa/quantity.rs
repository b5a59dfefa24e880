//! Kubernetes resource quantities (`"500m"`, `"1.5"`, `"2Ki"`, `"1e3"`), the
//! subset the HPA needs: a quantity's value in milli-units, rounded up the way
//! `resource.Quantity.MilliValue()` rounds, and its approximate float value
//! (`Quantity.AsApproximateFloat64()`), both from
//! `k8s.io/apimachinery/pkg/api/resource/quantity.go`.

use std::fmt;

/// A parsed quantity: its milli-value (rounded up) and its approximate float value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quantity {
    milli: i64,
    approx: f64,
}

/// Why a quantity string did not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "not a quantity: write a number with an optional suffix (m, k, M, G, Ki, Mi, Gi, or an exponent such as e3), e.g. '500m', '1.5', '2Gi'; or it is too large"
)]
pub struct QuantityError;

impl Quantity {
    /// A quantity of exactly `milli` milli-units.
    pub fn from_milli(milli: i64) -> Quantity {
        Quantity { milli, approx: milli as f64 / 1000.0 }
    }

    /// Parses the canonical Kubernetes quantity syntax.
    pub fn parse(text: &str) -> Result<Quantity, QuantityError> {
        let s = text.trim();
        let (negative, rest) = match s.as_bytes().first() {
            Some(b'-') => (true, &s[1..]),
            Some(b'+') => (false, &s[1..]),
            _ => (false, s),
        };
        let number_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let (number, suffix) = rest.split_at(number_end);
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return Err(QuantityError);
        }
        let (int_part, frac_part) = number.split_once('.').unwrap_or((number, ""));
        let digits = format!("{int_part}{frac_part}");
        let digits = digits.trim_start_matches('0');
        if digits.len() > 30 {
            return Err(QuantityError);
        }
        let mantissa: i128 = if digits.is_empty() { 0 } else { digits.parse().map_err(|_| QuantityError)? };
        let (exp10, exp2) = parse_suffix(suffix)?;
        // value = mantissa * 10^(exp10 - frac) * 2^exp2; milli = value * 1000.
        let e = exp10 - frac_part.len() as i32 + 3;
        let mut num = mantissa;
        let mut den: i128 = 1;
        for _ in 0..exp2 {
            num = num.checked_mul(2).ok_or(QuantityError)?;
        }
        if e >= 0 {
            for _ in 0..e {
                num = num.checked_mul(10).ok_or(QuantityError)?;
            }
        } else {
            for _ in 0..(-e) {
                den = den.checked_mul(10).ok_or(QuantityError)?;
            }
        }
        // MilliValue() rounds up (towards +inf for positive values).
        let magnitude = (num + den - 1) / den;
        let milli = if negative { -(num / den) } else { magnitude };
        let milli = i64::try_from(milli).map_err(|_| QuantityError)?;
        let approx = (num as f64 / den as f64) / 1000.0;
        Ok(Quantity { milli, approx: if negative { -approx } else { approx } })
    }

    /// The value in milli-units, rounded up (`Quantity.MilliValue()`).
    pub fn milli_value(self) -> i64 {
        self.milli
    }

    /// The value as a float (`Quantity.AsApproximateFloat64()`).
    pub fn as_approximate_f64(self) -> f64 {
        self.approx
    }
}

fn parse_suffix(suffix: &str) -> Result<(i32, u32), QuantityError> {
    Ok(match suffix {
        "" => (0, 0),
        "n" => (-9, 0),
        "u" => (-6, 0),
        "m" => (-3, 0),
        "k" => (3, 0),
        "M" => (6, 0),
        "G" => (9, 0),
        "T" => (12, 0),
        "P" => (15, 0),
        "E" => (18, 0),
        "Ki" => (0, 10),
        "Mi" => (0, 20),
        "Gi" => (0, 30),
        "Ti" => (0, 40),
        "Pi" => (0, 50),
        "Ei" => (0, 60),
        s if s.starts_with(['e', 'E']) && s.len() > 1 => {
            let exp: i32 = s[1..].parse().map_err(|_| QuantityError)?;
            if !(-40..=40).contains(&exp) {
                return Err(QuantityError);
            }
            (exp, 0)
        }
        _ => return Err(QuantityError),
    })
}

/// Formats a milli-value the way `kubectl` prints a quantity: `870m`, `15`.
pub fn format_milli(milli: i64) -> String {
    if milli % 1000 == 0 { format!("{}", milli / 1000) } else { format!("{milli}m") }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_milli(self.milli))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn milli(s: &str) -> i64 {
        Quantity::parse(s).map(Quantity::milli_value).unwrap_or(i64::MIN)
    }

    #[test]
    fn milli_values_match_apimachinery() {
        assert_eq!(milli("1.0"), 1000);
        assert_eq!(milli("0.9"), 900);
        assert_eq!(milli("100m"), 100);
        assert_eq!(milli("15"), 15_000);
        assert_eq!(milli("1k"), 1_000_000);
        assert_eq!(milli("1Ki"), 1_024_000);
        assert_eq!(milli("1e3"), 1_000_000);
        assert_eq!(milli("+2"), 2000);
        // MilliValue rounds up: 1.5m is 2 milli-units.
        assert_eq!(milli("1.5m"), 2);
        assert_eq!(milli("1n"), 1);
        assert_eq!(milli("0"), 0);
        assert_eq!(milli("-1"), -1000);
    }

    #[test]
    fn approximate_floats() {
        let q = Quantity::parse("0.05").map(Quantity::as_approximate_f64);
        assert_eq!(q, Ok(0.05));
        let q = Quantity::parse("50m").map(Quantity::as_approximate_f64);
        assert_eq!(q, Ok(0.05));
    }

    #[test]
    fn rejects_garbage() {
        for bad in ["", "abc", "1.2.3", "1x", "m", ".", "1e", "9e99"] {
            assert!(Quantity::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn formats_like_kubectl() {
        assert_eq!(format_milli(15_000), "15");
        assert_eq!(format_milli(870), "870m");
        assert_eq!(Quantity::from_milli(2500).to_string(), "2500m");
    }
}
