//! DynamoDB numbers: decimal, up to 38 significant digits, magnitudes from 1E-130 to below
//! 1E+126. Kept exact and in one canonical form, so equal numbers are equal values (and equal
//! keys) however the client spelled them, and answers spell them as DynamoDB does (`1E+2` comes
//! back as `100`).

use crate::error::DynamoError;
use std::cmp::Ordering;
use std::fmt;

const MAX_DIGITS: usize = 38;
/// Power of ten of the largest allowed leading digit (9.99…E+125).
const MAX_MAGNITUDE: i64 = 125;
/// Power of ten of the smallest allowed leading digit (1E-130).
const MIN_MAGNITUDE: i64 = -130;

/// `(-1)^neg × digits × 10^exp`, `digits` without leading or trailing zeros (empty for zero).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Number {
    neg: bool,
    digits: Vec<u8>,
    exp: i64,
}

impl Number {
    pub fn zero() -> Self {
        Number { neg: false, digits: Vec::new(), exp: 0 }
    }

    pub fn from_i64(n: i64) -> Self {
        // Cannot fail: every i64 is in range.
        Number::parse(&n.to_string()).unwrap_or_else(|_| Number::zero())
    }

    /// Parses the text of an `N` value.
    pub fn parse(s: &str) -> Result<Self, DynamoError> {
        let bad = || DynamoError::validation(format!("The parameter cannot be converted to a numeric value: {s}"));
        let t = s.trim();
        let (neg, t) = match t.as_bytes().first() {
            Some(b'-') => (true, &t[1..]),
            Some(b'+') => (false, &t[1..]),
            _ => (false, t),
        };
        let (mantissa, exp_part) = match t.find(['e', 'E']) {
            Some(i) => (&t[..i], Some(&t[i + 1..])),
            None => (t, None),
        };
        let mut exp: i64 = match exp_part {
            Some(e) => {
                let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
                if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad());
                }
                e.parse().map_err(|_| bad())?
            }
            None => 0,
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        if int.is_empty() && frac.is_empty() {
            return Err(bad());
        }
        if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        exp -= frac.len() as i64;
        let digits: Vec<u8> = int.bytes().chain(frac.bytes()).map(|b| b - b'0').collect();
        Number::normalized(neg, digits, exp)
    }

    /// Strips zeros and checks DynamoDB's limits.
    fn normalized(neg: bool, mut digits: Vec<u8>, mut exp: i64) -> Result<Self, DynamoError> {
        let lead = digits.iter().take_while(|&&d| d == 0).count();
        digits.drain(..lead);
        while digits.last() == Some(&0) {
            digits.pop();
            exp += 1;
        }
        if digits.is_empty() {
            return Ok(Number::zero());
        }
        let magnitude = digits.len() as i64 - 1 + exp;
        if magnitude > MAX_MAGNITUDE {
            return Err(DynamoError::validation(
                "Number overflow. Attempting to store a number with magnitude larger than supported range",
            ));
        }
        if magnitude < MIN_MAGNITUDE {
            return Err(DynamoError::validation(
                "Number underflow. Attempting to store a number with magnitude smaller than supported range",
            ));
        }
        if digits.len() > MAX_DIGITS {
            return Err(DynamoError::validation("Attempting to store more than 38 significant digits in a Number"));
        }
        Ok(Number { neg, digits, exp })
    }

    pub fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    /// Number of significant digits, for item size accounting.
    pub fn significant_digits(&self) -> usize {
        self.digits.len()
    }

    pub fn negate(&self) -> Number {
        Number { neg: !self.neg && !self.is_zero(), ..self.clone() }
    }

    /// Exact sum; an error if the result leaves DynamoDB's range or precision.
    pub fn add(&self, other: &Number) -> Result<Number, DynamoError> {
        if self.is_zero() {
            return Ok(other.clone());
        }
        if other.is_zero() {
            return Ok(self.clone());
        }
        let exp = self.exp.min(other.exp);
        let a = self.widened(exp);
        let b = other.widened(exp);
        if self.neg == other.neg {
            return Number::normalized(self.neg, add_mag(&a, &b), exp);
        }
        match cmp_mag(&a, &b) {
            Ordering::Equal => Ok(Number::zero()),
            Ordering::Greater => Number::normalized(self.neg, sub_mag(&a, &b), exp),
            Ordering::Less => Number::normalized(other.neg, sub_mag(&b, &a), exp),
        }
    }

    pub fn sub(&self, other: &Number) -> Result<Number, DynamoError> {
        self.add(&other.negate())
    }

    /// The digits scaled so that the last one stands for `10^exp` (`exp <= self.exp`).
    fn widened(&self, exp: i64) -> Vec<u8> {
        let mut d = self.digits.clone();
        d.resize(d.len() + (self.exp - exp) as usize, 0);
        d
    }

    fn magnitude(&self) -> i64 {
        self.digits.len() as i64 - 1 + self.exp
    }

    fn cmp_abs(&self, other: &Number) -> Ordering {
        match (self.is_zero(), other.is_zero()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            (false, false) => {}
        }
        self.magnitude().cmp(&other.magnitude()).then_with(|| {
            // Same leading power: compare digit by digit, a missing digit being a zero.
            let n = self.digits.len().max(other.digits.len());
            let at = |d: &[u8], i: usize| d.get(i).copied().unwrap_or(0);
            (0..n)
                .map(|i| at(&self.digits, i).cmp(&at(&other.digits, i)))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        })
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.neg, other.neg) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => self.cmp_abs(other),
            (true, true) => other.cmp_abs(self),
        }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Plain decimal notation, as DynamoDB answers: no exponent, no needless zeros.
impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_zero() {
            return f.write_str("0");
        }
        let mut s = String::with_capacity(self.digits.len() + 8);
        if self.neg {
            s.push('-');
        }
        let digits: String = self.digits.iter().map(|d| char::from(b'0' + d)).collect();
        if self.exp >= 0 {
            s.push_str(&digits);
            s.extend(std::iter::repeat_n('0', self.exp as usize));
        } else {
            let point = self.digits.len() as i64 + self.exp;
            if point > 0 {
                s.push_str(&digits[..point as usize]);
                s.push('.');
                s.push_str(&digits[point as usize..]);
            } else {
                s.push_str("0.");
                s.extend(std::iter::repeat_n('0', (-point) as usize));
                s.push_str(&digits);
            }
        }
        f.write_str(&s)
    }
}

fn add_mag(a: &[u8], b: &[u8]) -> Vec<u8> {
    let n = a.len().max(b.len());
    let mut out = Vec::with_capacity(n + 1);
    let mut carry = 0;
    for i in 0..n {
        let x = if i < a.len() { a[a.len() - 1 - i] } else { 0 };
        let y = if i < b.len() { b[b.len() - 1 - i] } else { 0 };
        let s = x + y + carry;
        out.push(s % 10);
        carry = s / 10;
    }
    if carry > 0 {
        out.push(carry);
    }
    out.reverse();
    out
}

/// `a - b` for magnitudes with `a >= b`.
fn sub_mag(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(a.len());
    let mut borrow = 0i8;
    for i in 0..a.len() {
        let x = a[a.len() - 1 - i] as i8;
        let y = if i < b.len() { b[b.len() - 1 - i] as i8 } else { 0 };
        let mut d = x - y - borrow;
        borrow = 0;
        if d < 0 {
            d += 10;
            borrow = 1;
        }
        out.push(d as u8);
    }
    out.reverse();
    out
}

fn cmp_mag(a: &[u8], b: &[u8]) -> Ordering {
    let strip = |d: &[u8]| d.iter().position(|&x| x != 0).map_or(0, |p| d.len() - p);
    strip(a).cmp(&strip(b)).then_with(|| {
        let (a, b) = (&a[a.len() - strip(a)..], &b[b.len() - strip(b)..]);
        a.cmp(b)
    })
}

#[cfg(test)]
mod tests {
    use super::Number;

    fn n(s: &str) -> Number {
        Number::parse(s).unwrap()
    }

    #[test]
    fn canonical_text() {
        for (input, shown) in [
            ("1E+2", "100"),
            ("01.50", "1.5"),
            ("-0", "0"),
            ("0.000", "0"),
            ("-.5", "-0.5"),
            ("12.5e-3", "0.0125"),
            ("+7", "7"),
            ("123456789", "123456789"),
        ] {
            assert_eq!(n(input).to_string(), shown, "{input}");
        }
        for bad in ["", "abc", "1e", "1.2.3", "--1", "e5", ".", "1e+", "0x10"] {
            assert!(Number::parse(bad).is_err(), "{bad}");
        }
        assert!(Number::parse("1E126").is_err());
        assert!(Number::parse("9.9E125").is_ok());
        assert!(Number::parse("1E-131").is_err());
        assert!(Number::parse(&"1".repeat(39)).is_err());
        assert!(Number::parse(&"1".repeat(38)).is_ok());
    }

    #[test]
    fn order_and_arithmetic() {
        let mut v: Vec<Number> = ["3", "-2", "0", "10", "-10.5", "2.999", "1e1"].iter().map(|s| n(s)).collect();
        v.sort();
        let shown: Vec<String> = v.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["-10.5", "-2", "0", "2.999", "3", "10", "10"]);
        assert_eq!(n("1").add(&n("2")).unwrap().to_string(), "3");
        assert_eq!(n("1.5").add(&n("-2.25")).unwrap().to_string(), "-0.75");
        assert_eq!(n("100").sub(&n("100")).unwrap().to_string(), "0");
        assert_eq!(n("-5").sub(&n("-7")).unwrap().to_string(), "2");
        assert_eq!(n("99").add(&n("1")).unwrap(), n("1e2"));
        assert!(n("9.9E125").add(&n("9.9E125")).is_err());
    }
}
