//! Random conditions, rendered as ConditionExpression text (placeholders or bare names, any
//! keyword case, parentheses only where precedence needs them), parsed and evaluated by the
//! crate, against a direct interpretation of the same tree.

use proptest::prelude::*;
use riffle_dynamo::expr::{CmpOp as Op, Kind, Params, eval, parse_condition};
use riffle_dynamo::number::Number;
use riffle_dynamo::value::{Item, Value};
use std::cmp::Ordering;
use std::collections::BTreeMap;

const ATTRS: usize = 4;

#[derive(Debug, Clone, PartialEq)]
enum V {
    N(i64),
    S(String),
}

#[derive(Debug, Clone)]
enum T {
    Cmp(usize, Op, V),
    Between(usize, V, V),
    In(usize, Vec<V>),
    Exists(usize),
    NotExists(usize),
    BeginsWith(usize, String),
    Size(usize, Op, i64),
    And(Box<T>, Box<T>),
    Or(Box<T>, Box<T>),
    Not(Box<T>),
}

fn v() -> impl Strategy<Value = V> {
    prop_oneof![(-3i64..4).prop_map(V::N), "[ab]{0,3}".prop_map(V::S)]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![Just(Op::Eq), Just(Op::Ne), Just(Op::Lt), Just(Op::Le), Just(Op::Gt), Just(Op::Ge)]
}

fn tree() -> impl Strategy<Value = T> {
    let a = 0..ATTRS;
    let leaf = prop_oneof![
        (a.clone(), op(), v()).prop_map(|(a, o, v)| T::Cmp(a, o, v)),
        (a.clone(), v(), v()).prop_map(|(a, x, y)| {
            // Constant bounds in the wrong order are refused at parse time; keep them ordered.
            match (&x, &y) {
                (V::N(p), V::N(q)) if p > q => T::Between(a, y, x),
                (V::S(p), V::S(q)) if p > q => T::Between(a, y, x),
                _ => T::Between(a, x, y),
            }
        }),
        (a.clone(), prop::collection::vec(v(), 1..4)).prop_map(|(a, l)| T::In(a, l)),
        a.clone().prop_map(T::Exists),
        a.clone().prop_map(T::NotExists),
        (a.clone(), "[ab]{0,2}").prop_map(|(a, p)| T::BeginsWith(a, p)),
        (a, op(), 0i64..4).prop_map(|(a, o, n)| T::Size(a, o, n)),
    ];
    leaf.prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(l, r)| T::And(Box::new(l), Box::new(r))),
            (inner.clone(), inner.clone()).prop_map(|(l, r)| T::Or(Box::new(l), Box::new(r))),
            inner.prop_map(|x| T::Not(Box::new(x))),
        ]
    })
}

fn item() -> impl Strategy<Value = BTreeMap<usize, V>> {
    prop::collection::btree_map(0..ATTRS, v(), 0..=ATTRS)
}

fn cmp(a: &V, b: &V) -> Option<Ordering> {
    match (a, b) {
        (V::N(x), V::N(y)) => Some(x.cmp(y)),
        (V::S(x), V::S(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        _ => None,
    }
}

fn holds(o: Op, x: Option<&V>, y: &V) -> bool {
    let Some(x) = x else { return matches!(o, Op::Ne) };
    match o {
        Op::Eq => x == y,
        Op::Ne => x != y,
        Op::Lt => cmp(x, y) == Some(Ordering::Less),
        Op::Le => cmp(x, y).is_some_and(Ordering::is_le),
        Op::Gt => cmp(x, y) == Some(Ordering::Greater),
        Op::Ge => cmp(x, y).is_some_and(Ordering::is_ge),
    }
}

/// The model: DynamoDB's semantics written out directly.
fn model(t: &T, item: &BTreeMap<usize, V>) -> bool {
    match t {
        T::Cmp(a, o, v) => holds(*o, item.get(a), v),
        T::Between(a, lo, hi) => item
            .get(a)
            .is_some_and(|x| cmp(x, lo).is_some_and(Ordering::is_ge) && cmp(x, hi).is_some_and(Ordering::is_le)),
        T::In(a, l) => item.get(a).is_some_and(|x| l.contains(x)),
        T::Exists(a) => item.contains_key(a),
        T::NotExists(a) => !item.contains_key(a),
        T::BeginsWith(a, p) => matches!(item.get(a), Some(V::S(s)) if s.starts_with(p.as_str())),
        T::Size(a, o, n) => {
            let size = match item.get(a) {
                Some(V::S(s)) => Some(V::N(s.chars().count() as i64)),
                _ => None,
            };
            holds(*o, size.as_ref(), &V::N(*n))
        }
        T::And(l, r) => model(l, item) && model(r, item),
        T::Or(l, r) => model(l, item) || model(r, item),
        T::Not(x) => !model(x, item),
    }
}

fn value(v: &V) -> Value {
    match v {
        V::N(n) => Value::N(Number::from_i64(*n)),
        V::S(s) => Value::S(s.clone()),
    }
}

/// Renders `t` as expression text, collecting placeholder values and names.
struct Render {
    values: Item,
    names: BTreeMap<String, String>,
    placeholders: bool,
    lower: bool,
}

impl Render {
    fn val(&mut self, v: &V) -> String {
        let p = format!(":v{}", self.values.len());
        self.values.insert(p.clone(), value(v));
        p
    }

    fn attr(&mut self, a: usize) -> String {
        if self.placeholders {
            let p = format!("#n{a}");
            self.names.insert(p.clone(), format!("a{a}"));
            p
        } else {
            format!("a{a}")
        }
    }

    fn kw(&self, k: &str) -> String {
        if self.lower { k.to_lowercase() } else { k.to_string() }
    }

    fn prec(t: &T) -> u8 {
        match t {
            T::Or(..) => 1,
            T::And(..) => 2,
            T::Not(..) => 3,
            _ => 4,
        }
    }

    fn render(&mut self, t: &T, min: u8) -> String {
        let s = match t {
            T::Cmp(a, o, v) => format!("{} {} {}", self.attr(*a), o.symbol(), self.val(v)),
            T::Between(a, lo, hi) => {
                let (x, l, h) = (self.attr(*a), self.val(lo), self.val(hi));
                format!("{x} {} {l} {} {h}", self.kw("BETWEEN"), self.kw("AND"))
            }
            T::In(a, l) => {
                let x = self.attr(*a);
                let list: Vec<String> = l.iter().map(|v| self.val(v)).collect();
                format!("{x} {} ({})", self.kw("IN"), list.join(", "))
            }
            T::Exists(a) => format!("attribute_exists({})", self.attr(*a)),
            T::NotExists(a) => format!("attribute_not_exists ( {} )", self.attr(*a)),
            T::BeginsWith(a, p) => {
                let x = self.attr(*a);
                format!("begins_with({x}, {})", self.val(&V::S(p.clone())))
            }
            T::Size(a, o, n) => {
                let x = self.attr(*a);
                format!("size({x}) {} {}", o.symbol(), self.val(&V::N(*n)))
            }
            T::And(l, r) => format!("{} {} {}", self.render(l, 2), self.kw("AND"), self.render(r, 3)),
            T::Or(l, r) => format!("{} {} {}", self.render(l, 1), self.kw("OR"), self.render(r, 2)),
            T::Not(x) => format!("{} {}", self.kw("NOT"), self.render(x, 3)),
        };
        if Self::prec(t) < min { format!("({s})") } else { s }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parsed_conditions_evaluate_as_the_model(t in tree(), it in item(), placeholders: bool, lower: bool) {
        let mut r = Render { values: Item::new(), names: BTreeMap::new(), placeholders, lower };
        let text = r.render(&t, 0);
        let names = (!r.names.is_empty()).then_some(r.names);
        let values = (!r.values.is_empty()).then_some(r.values);
        let mut params = Params::new(names, values, true).unwrap();
        let cond = parse_condition(&text, Kind::Condition, &mut params).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        params.check_all_used().unwrap();
        let item: Item = it.iter().map(|(a, v)| (format!("a{a}"), value(v))).collect();
        prop_assert_eq!(eval(&cond, &item), model(&t, &it), "{}", text);
    }
}
