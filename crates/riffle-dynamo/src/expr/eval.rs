//! Evaluating conditions against an item, reading document paths, and projecting items.
//!
//! Semantics follow DynamoDB: a comparison with a missing attribute is false except `<>`,
//! which is true; ordering comparisons hold only between two strings, two numbers or two
//! binaries; sets compare as sets.

use super::ast::{CmpOp, Cond, Operand, Path, Step};
use crate::number::Number;
use crate::value::{Item, Value};
use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// The value at `path`, if the item has one there.
pub fn get<'a>(item: &'a Item, path: &Path) -> Option<&'a Value> {
    let mut steps = path.0.iter();
    let Some(Step::Attr(first)) = steps.next() else { return None };
    let mut v = item.get(first)?;
    for s in steps {
        v = match (s, v) {
            (Step::Attr(k), Value::M(m)) => m.get(k)?,
            (Step::Index(i), Value::L(l)) => l.get(*i)?,
            _ => return None,
        };
    }
    Some(v)
}

/// Order between two strings (bytes), numbers or binaries; `None` for anything else.
pub fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::S(x), Value::S(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (Value::N(x), Value::N(y)) => Some(x.cmp(y)),
        (Value::B(x), Value::B(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn resolve<'a>(o: &'a Operand, item: &'a Item) -> Option<Cow<'a, Value>> {
    match o {
        Operand::Value(v) => Some(Cow::Borrowed(v)),
        Operand::Path(p) => get(item, p).map(Cow::Borrowed),
        Operand::Size(p) => {
            let n = match get(item, p)? {
                Value::S(s) => s.chars().count(),
                Value::B(b) => b.len(),
                Value::Ss(s) => s.len(),
                Value::Ns(s) => s.len(),
                Value::Bs(s) => s.len(),
                Value::L(l) => l.len(),
                Value::M(m) => m.len(),
                Value::N(_) | Value::Null | Value::Bool(_) => return None,
            };
            Some(Cow::Owned(Value::N(Number::from_i64(n as i64))))
        }
    }
}

/// Whether `item` (empty for an item that does not exist) satisfies `cond`.
pub fn eval(cond: &Cond, item: &Item) -> bool {
    match cond {
        Cond::True => true,
        Cond::And(a, b) => eval(a, item) && eval(b, item),
        Cond::Or(a, b) => eval(a, item) || eval(b, item),
        Cond::Not(a) => !eval(a, item),
        Cond::Exists(p) => get(item, p).is_some(),
        Cond::NotExists(p) => get(item, p).is_none(),
        Cond::AttrType(p, code) => get(item, p).is_some_and(|v| v.type_code() == code),
        Cond::Cmp(a, op, b) => {
            let (Some(x), Some(y)) = (resolve(a, item), resolve(b, item)) else {
                return *op == CmpOp::Ne;
            };
            match op {
                CmpOp::Eq => x == y,
                CmpOp::Ne => x != y,
                _ => compare(&x, &y).is_some_and(|o| match op {
                    CmpOp::Lt => o.is_lt(),
                    CmpOp::Le => o.is_le(),
                    CmpOp::Gt => o.is_gt(),
                    _ => o.is_ge(),
                }),
            }
        }
        Cond::Between(a, lo, hi) => {
            let (Some(x), Some(l), Some(h)) = (resolve(a, item), resolve(lo, item), resolve(hi, item)) else {
                return false;
            };
            compare(&x, &l).is_some_and(Ordering::is_ge) && compare(&x, &h).is_some_and(Ordering::is_le)
        }
        Cond::In(a, list) => {
            let Some(x) = resolve(a, item) else { return false };
            list.iter().any(|o| resolve(o, item).is_some_and(|v| v == x))
        }
        Cond::BeginsWith(a, prefix) => match (resolve(a, item).as_deref(), resolve(prefix, item).as_deref()) {
            (Some(Value::S(s)), Some(Value::S(p))) => s.starts_with(p.as_str()),
            (Some(Value::B(s)), Some(Value::B(p))) => s.starts_with(p),
            _ => false,
        },
        Cond::Contains(a, needle) => match (resolve(a, item).as_deref(), resolve(needle, item).as_deref()) {
            (Some(Value::S(s)), Some(Value::S(n))) => s.contains(n.as_str()),
            (Some(Value::B(s)), Some(Value::B(n))) => n.is_empty() || s.windows(n.len()).any(|w| w == n.as_slice()),
            (Some(Value::Ss(s)), Some(Value::S(n))) => s.contains(n),
            (Some(Value::Ns(s)), Some(Value::N(n))) => s.contains(n),
            (Some(Value::Bs(s)), Some(Value::B(n))) => s.contains(n),
            (Some(Value::L(l)), Some(n)) => l.contains(n),
            _ => false,
        },
    }
}

/// Which parts of a value a projection keeps.
enum Node {
    Whole,
    Members(BTreeMap<String, Node>),
    Elements(BTreeMap<usize, Node>),
}

impl Node {
    fn insert(&mut self, steps: &[Step]) {
        let Some((first, rest)) = steps.split_first() else {
            *self = Node::Whole;
            return;
        };
        let child = match (self, first) {
            (Node::Whole, _) => return,
            (Node::Members(m), Step::Attr(k)) => m.entry(k.clone()).or_insert_with(|| Node::empty_for(rest)),
            (Node::Elements(m), Step::Index(i)) => m.entry(*i).or_insert_with(|| Node::empty_for(rest)),
            // Conflicting paths are refused when parsed.
            _ => return,
        };
        child.insert(rest);
    }

    fn empty_for(rest: &[Step]) -> Node {
        match rest.first() {
            None => Node::Whole,
            Some(Step::Attr(_)) => Node::Members(BTreeMap::new()),
            Some(Step::Index(_)) => Node::Elements(BTreeMap::new()),
        }
    }

    fn keep(&self, v: &Value) -> Option<Value> {
        match (self, v) {
            (Node::Whole, v) => Some(v.clone()),
            (Node::Members(want), Value::M(m)) => {
                let out: BTreeMap<String, Value> =
                    want.iter().filter_map(|(k, n)| Some((k.clone(), n.keep(m.get(k)?)?))).collect();
                (!out.is_empty()).then_some(Value::M(out))
            }
            (Node::Elements(want), Value::L(l)) => {
                let out: Vec<Value> = want.iter().filter_map(|(i, n)| n.keep(l.get(*i)?)).collect();
                (!out.is_empty()).then_some(Value::L(out))
            }
            _ => None,
        }
    }
}

/// The parts of `item` the paths name, nested as in the item; list elements keep their order
/// but close up, as DynamoDB returns them.
pub fn project(item: &Item, paths: &[Path]) -> Item {
    let mut root = Node::Members(BTreeMap::new());
    for p in paths {
        root.insert(&p.0);
    }
    match root.keep(&Value::M(item.clone())) {
        Some(Value::M(m)) => m,
        _ => Item::new(),
    }
}
