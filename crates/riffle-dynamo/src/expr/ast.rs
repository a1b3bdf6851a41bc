//! Parsed expressions. Placeholders are already resolved: names to attribute names, values to
//! the values they stand for, so evaluation never looks back at the request.

use crate::value::Value;
use std::fmt;

/// One step of a document path: a map member (or top-level attribute) or a list element.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    Attr(String),
    Index(usize),
}

/// A document path: `a.b[2].c`. Always starts with an attribute name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Path(pub Vec<Step>);

impl Path {
    pub fn attr(name: impl Into<String>) -> Path {
        Path(vec![Step::Attr(name.into())])
    }

    /// The top-level attribute the path starts at.
    pub fn root(&self) -> &str {
        match self.0.first() {
            Some(Step::Attr(a)) => a,
            _ => "",
        }
    }
}

/// As DynamoDB prints paths in its messages: `[a, b, [2]]`.
impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|s| match s {
                Step::Attr(a) => a.clone(),
                Step::Index(i) => format!("[{i}]"),
            })
            .collect();
        write!(f, "[{}]", parts.join(", "))
    }
}

/// A value in a condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Path(Path),
    Value(Value),
    /// `size(path)`.
    Size(Path),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "<>",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

/// A condition (ConditionExpression, FilterExpression, KeyConditionExpression, or the legacy
/// forms translated).
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    Cmp(Operand, CmpOp, Operand),
    Between(Operand, Operand, Operand),
    In(Operand, Vec<Operand>),
    Exists(Path),
    NotExists(Path),
    /// `attribute_type(path, :t)`, the type code already checked.
    AttrType(Path, String),
    BeginsWith(Operand, Operand),
    Contains(Operand, Operand),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    Not(Box<Cond>),
    /// Always true: the condition of a request that has none.
    True,
}

/// The right-hand side of a SET action, before arithmetic.
#[derive(Debug, Clone, PartialEq)]
pub enum SetOperand {
    Path(Path),
    Value(Value),
    IfNotExists(Path, Box<SetOperand>),
    ListAppend(Box<SetOperand>, Box<SetOperand>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum SetValue {
    Operand(SetOperand),
    Plus(SetOperand, SetOperand),
    Minus(SetOperand, SetOperand),
}

/// An update: every action's path, grouped by clause.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Update {
    pub set: Vec<(Path, SetValue)>,
    pub remove: Vec<Path>,
    /// ADD: numbers are added, sets united.
    pub add: Vec<(Path, Value)>,
    /// DELETE: set elements removed.
    pub delete: Vec<(Path, Value)>,
}

impl Update {
    /// Every path the update writes, in clause order.
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.set
            .iter()
            .map(|(p, _)| p)
            .chain(self.remove.iter())
            .chain(self.add.iter().map(|(p, _)| p))
            .chain(self.delete.iter().map(|(p, _)| p))
    }
}
