//! Applying an update to an item. Every SET value is computed from the item as it was before
//! the update, then the clauses apply in order: SET, REMOVE, ADD, DELETE.

use super::ast::{Path, SetOperand, SetValue, Step, Update};
use super::eval::get;
use crate::error::DynamoError;
use crate::value::{Item, Value};

fn bad_operand() -> DynamoError {
    DynamoError::validation("An operand in the update expression has an incorrect data type")
}

fn bad_path() -> DynamoError {
    DynamoError::validation("The document path provided in the update expression is invalid for update")
}

/// Applies `u` to `item` in place. On error the item may be partly changed: callers work on a
/// copy.
pub fn apply(u: &Update, item: &mut Item) -> Result<(), DynamoError> {
    let values = u.set.iter().map(|(_, v)| set_value(v, item)).collect::<Result<Vec<_>, _>>()?;
    for ((path, _), value) in u.set.iter().zip(values) {
        set_path(item, path, value)?;
    }
    // Later list elements first, so each index still means what the client meant.
    let mut removes: Vec<&Path> = u.remove.iter().collect();
    removes.sort_by(|a, b| b.cmp(a));
    for path in removes {
        remove_path(item, path)?;
    }
    for (path, v) in &u.add {
        let new = match (get(item, path), v) {
            (None, v) => v.clone(),
            (Some(Value::N(a)), Value::N(b)) => Value::N(a.add(b)?),
            (Some(Value::Ss(a)), Value::Ss(b)) => Value::Ss(a.union(b).cloned().collect()),
            (Some(Value::Ns(a)), Value::Ns(b)) => Value::Ns(a.union(b).cloned().collect()),
            (Some(Value::Bs(a)), Value::Bs(b)) => Value::Bs(a.union(b).cloned().collect()),
            // Only the legacy AttributeUpdates ADD reaches here with a list: it appends.
            (Some(Value::L(a)), Value::L(b)) => Value::L(a.iter().chain(b).cloned().collect()),
            _ => return Err(bad_operand()),
        };
        set_path(item, path, new)?;
    }
    for (path, v) in &u.delete {
        let new = match (get(item, path), v) {
            (None, _) => continue,
            (Some(Value::Ss(a)), Value::Ss(b)) => Value::Ss(a.difference(b).cloned().collect()),
            (Some(Value::Ns(a)), Value::Ns(b)) => Value::Ns(a.difference(b).cloned().collect()),
            (Some(Value::Bs(a)), Value::Bs(b)) => Value::Bs(a.difference(b).cloned().collect()),
            _ => return Err(bad_operand()),
        };
        let empty = match &new {
            Value::Ss(s) => s.is_empty(),
            Value::Ns(s) => s.is_empty(),
            Value::Bs(s) => s.is_empty(),
            _ => false,
        };
        if empty { remove_path(item, path)? } else { set_path(item, path, new)? }
    }
    Ok(())
}

fn set_value(v: &SetValue, item: &Item) -> Result<Value, DynamoError> {
    match v {
        SetValue::Operand(o) => operand(o, item),
        SetValue::Plus(a, b) | SetValue::Minus(a, b) => {
            let (Value::N(x), Value::N(y)) = (operand(a, item)?, operand(b, item)?) else {
                return Err(bad_operand());
            };
            Ok(Value::N(if matches!(v, SetValue::Plus(..)) { x.add(&y)? } else { x.sub(&y)? }))
        }
    }
}

fn operand(o: &SetOperand, item: &Item) -> Result<Value, DynamoError> {
    match o {
        SetOperand::Value(v) => Ok(v.clone()),
        SetOperand::Path(p) => get(item, p).cloned().ok_or_else(|| {
            DynamoError::validation("The provided expression refers to an attribute that does not exist in the item")
        }),
        SetOperand::IfNotExists(p, default) => match get(item, p) {
            Some(v) => Ok(v.clone()),
            None => operand(default, item),
        },
        SetOperand::ListAppend(a, b) => match (operand(a, item)?, operand(b, item)?) {
            (Value::L(mut x), Value::L(y)) => {
                x.extend(y);
                Ok(Value::L(x))
            }
            _ => Err(bad_operand()),
        },
    }
}

/// The container holding the last step of `path`, if every step before it exists.
fn parent_mut<'a>(item: &'a mut Item, path: &Path) -> Result<Option<&'a mut Value>, DynamoError> {
    let steps = &path.0[..path.0.len() - 1];
    let Some((Step::Attr(first), rest)) = steps.split_first() else { return Err(bad_path()) };
    let Some(mut v) = item.get_mut(first) else { return Ok(None) };
    for s in rest {
        v = match (s, v) {
            (Step::Attr(k), Value::M(m)) => match m.get_mut(k) {
                Some(c) => c,
                None => return Ok(None),
            },
            (Step::Index(i), Value::L(l)) => match l.get_mut(*i) {
                Some(c) => c,
                None => return Ok(None),
            },
            _ => return Err(bad_path()),
        };
    }
    Ok(Some(v))
}

pub(crate) fn set_path(item: &mut Item, path: &Path, value: Value) -> Result<(), DynamoError> {
    if let [Step::Attr(a)] = path.0.as_slice() {
        item.insert(a.clone(), value);
        return Ok(());
    }
    match (parent_mut(item, path)?.ok_or_else(bad_path)?, path.0.last()) {
        (Value::M(m), Some(Step::Attr(k))) => {
            m.insert(k.clone(), value);
        }
        (Value::L(l), Some(Step::Index(i))) => match l.get_mut(*i) {
            Some(slot) => *slot = value,
            None => l.push(value),
        },
        _ => return Err(bad_path()),
    }
    Ok(())
}

fn remove_path(item: &mut Item, path: &Path) -> Result<(), DynamoError> {
    if let [Step::Attr(a)] = path.0.as_slice() {
        item.remove(a);
        return Ok(());
    }
    match (parent_mut(item, path)?, path.0.last()) {
        (None, _) => {}
        (Some(Value::M(m)), Some(Step::Attr(k))) => {
            m.remove(k);
        }
        (Some(Value::L(l)), Some(Step::Index(i))) => {
            if *i < l.len() {
                l.remove(*i);
            }
        }
        _ => return Err(bad_path()),
    }
    Ok(())
}
