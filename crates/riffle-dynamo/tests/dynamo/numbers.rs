//! Decimal numbers against i128 arithmetic: canonical text, order, sums.

use proptest::prelude::*;
use riffle_dynamo::number::Number;

fn num(v: i128, scale: u32) -> Number {
    // v × 10^-scale, written with a decimal point (and sometimes an exponent) as clients may.
    let neg = v < 0;
    let digits = v.unsigned_abs().to_string();
    let text = if scale == 0 {
        digits
    } else {
        let padded = format!("{digits:0>width$}", width = scale as usize + 1);
        let (i, f) = padded.split_at(padded.len() - scale as usize);
        format!("{i}.{f}")
    };
    Number::parse(&format!("{}{text}", if neg { "-" } else { "" })).unwrap()
}

proptest! {
    #[test]
    fn integers_agree(a in -10i128.pow(30)..10i128.pow(30), b in -10i128.pow(30)..10i128.pow(30)) {
        let (x, y) = (num(a, 0), num(b, 0));
        prop_assert_eq!(x.to_string(), a.to_string());
        prop_assert_eq!(x.cmp(&y), a.cmp(&b));
        prop_assert_eq!(x.add(&y).unwrap().to_string(), (a + b).to_string());
        prop_assert_eq!(x.sub(&y).unwrap().to_string(), (a - b).to_string());
        prop_assert_eq!(Number::parse(&format!("{a}E3")).unwrap(), num(a * 1000, 0));
    }

    #[test]
    fn decimals_agree(a in -10i128.pow(20)..10i128.pow(20), b in -10i128.pow(20)..10i128.pow(20), sa in 0u32..8, sb in 0u32..8) {
        // Compare at a common scale of 8 decimal places.
        let scale = |v: i128, s: u32| v * 10i128.pow(8 - s);
        let (x, y) = (num(a, sa), num(b, sb));
        prop_assert_eq!(x.cmp(&y), scale(a, sa).cmp(&scale(b, sb)));
        prop_assert_eq!(x.add(&y).unwrap(), num(scale(a, sa) + scale(b, sb), 8));
        // The canonical text parses back to the same number.
        prop_assert_eq!(Number::parse(&x.to_string()).unwrap(), x);
    }
}
