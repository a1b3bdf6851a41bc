#![no_main]
//! DynamoDB expressions: any text must parse to a tree or a ValidationException, never a
//! panic; whatever parses must evaluate, project and apply to an item without panicking, and
//! an update's errors must be ValidationExceptions too.
//!
//! Input layout: byte 0 picks the expression kind (condition, update, projection, key
//! condition), the rest is the expression text (lossy UTF-8). Placeholders `#a #b #c` and
//! `:s :n :l :m :ss :ns :b` are defined; an unused one is an error like any other.

use riffle_dynamo::ErrorKind;
use riffle_dynamo::expr::{Kind, Params, apply, eval, parse_condition, parse_projection, parse_update, project};
use riffle_dynamo::value::{Item, item_from_json};
use serde_json::json;

fn values() -> Item {
    item_from_json(&json!({
        ":s": {"S": "ab"}, ":n": {"N": "-1.5"}, ":l": {"L": [{"N": "1"}, {"S": "x"}]},
        ":m": {"M": {"k": {"BOOL": true}}}, ":ss": {"SS": ["a", "b"]}, ":ns": {"NS": ["1", "2"]}, ":b": {"B": "AAE="},
    }))
    .unwrap()
}

fn item() -> Item {
    item_from_json(&json!({
        "a": {"S": "abc"}, "b": {"N": "3"}, "c": {"L": [{"M": {"d": {"NS": ["1"]}}}, {"NULL": true}]},
        "leaseCounter": {"N": "9"}, "tags": {"SS": ["a"]},
    }))
    .unwrap()
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&kind, text)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(text);
    let names = [("#a", "a"), ("#b", "b"), ("#c", "c")].iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let mut params = Params::new(Some(names), Some(values()), true).unwrap();
    let item = item();
    let check = |e: &riffle_dynamo::DynamoError| assert_eq!(e.kind, ErrorKind::Validation, "{e}");
    match kind % 4 {
        0 | 3 => {
            let k = if kind % 4 == 0 { Kind::Condition } else { Kind::KeyCondition };
            match parse_condition(&text, k, &mut params) {
                Ok(c) => {
                    eval(&c, &item);
                    eval(&c, &Item::new());
                }
                Err(e) => check(&e),
            }
        }
        1 => match parse_update(&text, &mut params) {
            Ok(u) => {
                for mut target in [item.clone(), Item::new()] {
                    if let Err(e) = apply(&u, &mut target) {
                        check(&e);
                    }
                }
            }
            Err(e) => check(&e),
        },
        _ => match parse_projection(&text, &mut params) {
            Ok(paths) => {
                project(&item, &paths);
            }
            Err(e) => check(&e),
        },
    }
});
