//! Recursive-descent parsers for condition, update and projection expressions, reporting
//! errors in DynamoDB's words (`Invalid UpdateExpression: Syntax error; token: "=", near: ...`).
//!
//! Condition precedence, loosest first: OR, AND, NOT, then comparisons, BETWEEN, IN and
//! functions; parentheses group.

use super::ast::{CmpOp, Cond, Operand, Path, Step};
use super::lexer::{Tok, Token, tokenize};
use super::params::Params;
use super::reserved::is_reserved;
use crate::error::DynamoError;
use crate::value::Value;

/// Which request parameter an expression came from; errors name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Condition,
    Filter,
    KeyCondition,
    Update,
    Projection,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Condition => "ConditionExpression",
            Kind::Filter => "FilterExpression",
            Kind::KeyCondition => "KeyConditionExpression",
            Kind::Update => "UpdateExpression",
            Kind::Projection => "ProjectionExpression",
        }
    }
}

type R<T> = Result<T, DynamoError>;

/// Parses a ConditionExpression, FilterExpression or KeyConditionExpression.
pub fn parse_condition(src: &str, kind: Kind, params: &mut Params) -> R<Cond> {
    let mut p = Parser::new(src, kind, params)?;
    let c = p.or()?;
    p.end()?;
    Ok(c)
}

pub(super) fn invalid(kind: Kind, msg: impl std::fmt::Display) -> DynamoError {
    DynamoError::validation(format!("Invalid {}: {msg}", kind.label()))
}

/// Functions usable in conditions; named in update expressions they get their own error.
pub(super) const CONDITION_FUNCTIONS: [&str; 6] =
    ["attribute_exists", "attribute_not_exists", "attribute_type", "begins_with", "contains", "size"];

const TYPE_CODES: [&str; 10] = ["B", "NULL", "SS", "BOOL", "L", "BS", "N", "NS", "S", "M"];

/// DynamoDB's limit on an expression's length.
const MAX_EXPRESSION_BYTES: usize = 4096;
/// Nested parentheses, NOTs and function arguments deeper than this are refused, so a
/// pathological expression cannot exhaust the stack of the recursive parser.
const MAX_DEPTH: usize = 64;

pub(super) struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    pos: usize,
    kind: Kind,
    params: &'a mut Params,
    pub(super) depth: usize,
}

impl<'a> Parser<'a> {
    pub(super) fn new(src: &'a str, kind: Kind, params: &'a mut Params) -> R<Self> {
        if src.trim().is_empty() {
            return Err(invalid(kind, "The expression can not be empty;"));
        }
        if src.len() > MAX_EXPRESSION_BYTES {
            return Err(invalid(
                kind,
                format!("Expression size has exceeded the maximum allowed size; expression size: {}", src.len()),
            ));
        }
        Ok(Parser { src, toks: tokenize(src), pos: 0, kind, params, depth: 0 })
    }

    pub(super) fn cur(&self) -> &Tok {
        &self.toks[self.pos].tok
    }

    pub(super) fn peek(&self) -> &Tok {
        &self.toks[(self.pos + 1).min(self.toks.len() - 1)].tok
    }

    pub(super) fn bump(&mut self) -> Tok {
        let t = self.toks[self.pos].tok.clone();
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    pub(super) fn err(&self, msg: impl std::fmt::Display) -> DynamoError {
        invalid(self.kind, msg)
    }

    /// A syntax error at the current token, quoting the text from the token before it to the
    /// token after it.
    pub(super) fn syntax(&self) -> DynamoError {
        let t = &self.toks[self.pos];
        let from = if self.pos > 0 { self.toks[self.pos - 1].start } else { t.start };
        let to = self.toks.get(self.pos + 1).map_or(t.end, |n| n.end);
        self.err(format!("Syntax error; token: \"{}\", near: \"{}\"", t.text(self.src), &self.src[from..to]))
    }

    pub(super) fn end(&self) -> R<()> {
        if *self.cur() == Tok::Eof { Ok(()) } else { Err(self.syntax()) }
    }

    pub(super) fn eat_sym(&mut self, s: &str) -> bool {
        if matches!(self.cur(), Tok::Sym(x) if *x == s) {
            self.bump();
            true
        } else {
            false
        }
    }

    pub(super) fn expect_sym(&mut self, s: &str) -> R<()> {
        if self.eat_sym(s) { Ok(()) } else { Err(self.syntax()) }
    }

    fn keyword(&mut self, k: &str) -> bool {
        if matches!(self.cur(), Tok::Ident(w) if w.eq_ignore_ascii_case(k)) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> R<Cond> {
        let mut left = self.and()?;
        while self.keyword("OR") {
            left = Cond::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> R<Cond> {
        let mut left = self.not()?;
        while self.keyword("AND") {
            left = Cond::And(Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> R<Cond> {
        self.deeper()?;
        let out = if self.keyword("NOT") { self.not().map(|c| Cond::Not(Box::new(c))) } else { self.primary() };
        self.depth -= 1;
        out
    }

    /// Counts one more level of nesting, refusing too many.
    pub(super) fn deeper(&mut self) -> R<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err("The expression has too many levels of nesting"));
        }
        Ok(())
    }

    fn primary(&mut self) -> R<Cond> {
        if self.eat_sym("(") {
            let c = self.or()?;
            self.expect_sym(")")?;
            return Ok(c);
        }
        if let (Tok::Ident(f), Tok::Sym("(")) = (self.cur(), self.peek())
            && f != "size"
        {
            let f = f.clone();
            return self.condition_function(&f);
        }
        let left = self.operand()?;
        let op = match self.cur() {
            Tok::Sym("=") => Some(CmpOp::Eq),
            Tok::Sym("<>") => Some(CmpOp::Ne),
            Tok::Sym("<") => Some(CmpOp::Lt),
            Tok::Sym("<=") => Some(CmpOp::Le),
            Tok::Sym(">") => Some(CmpOp::Gt),
            Tok::Sym(">=") => Some(CmpOp::Ge),
            _ => None,
        };
        if let Some(op) = op {
            self.bump();
            let right = self.operand()?;
            if !matches!(op, CmpOp::Eq | CmpOp::Ne) {
                self.scalar_constant(op.symbol(), &left)?;
                self.scalar_constant(op.symbol(), &right)?;
            }
            return Ok(Cond::Cmp(left, op, right));
        }
        if self.keyword("BETWEEN") {
            let low = self.operand()?;
            if !self.keyword("AND") {
                return Err(self.syntax());
            }
            let high = self.operand()?;
            for o in [&left, &low, &high] {
                self.scalar_constant("BETWEEN", o)?;
            }
            if let (Operand::Value(l), Operand::Value(h)) = (&low, &high)
                && crate::expr::eval::compare(l, h) == Some(std::cmp::Ordering::Greater)
            {
                return Err(self.err(format!(
                    "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; \
                     lower bound operand: AttributeValue: {{{}}}, upper bound operand: AttributeValue: {{{}}}",
                    show(l),
                    show(h)
                )));
            }
            return Ok(Cond::Between(left, low, high));
        }
        if self.keyword("IN") {
            self.expect_sym("(")?;
            let mut list = vec![self.operand()?];
            while self.eat_sym(",") {
                list.push(self.operand()?);
            }
            self.expect_sym(")")?;
            if list.len() > 100 {
                return Err(self.err("The IN operator is provided with too many operands; number of operands: 101"));
            }
            return Ok(Cond::In(left, list));
        }
        if matches!(left, Operand::Size(_)) {
            return Err(self.err("The function is not allowed to be used this way in an expression; function: size"));
        }
        Err(self.syntax())
    }

    /// `<`, `BETWEEN`, ... compare only strings, numbers and binaries.
    fn scalar_constant(&self, op: &str, o: &Operand) -> R<()> {
        match o {
            Operand::Value(v) if !scalar(v) => Err(self.err(format!(
                "Incorrect operand type for operator or function; operator or function: {op}, operand type: {}",
                v.type_code()
            ))),
            _ => Ok(()),
        }
    }

    fn args(&mut self) -> R<Vec<Operand>> {
        self.expect_sym("(")?;
        let mut args = vec![self.operand()?];
        while self.eat_sym(",") {
            args.push(self.operand()?);
        }
        self.expect_sym(")")?;
        Ok(args)
    }

    fn condition_function(&mut self, f: &str) -> R<Cond> {
        if !CONDITION_FUNCTIONS.contains(&f) {
            return Err(self.err(format!("Invalid function name; function: {f}")));
        }
        self.bump();
        let mut args = self.args()?;
        let want = match f {
            "attribute_exists" | "attribute_not_exists" => 1,
            _ => 2,
        };
        if args.len() != want {
            return Err(self.err(format!(
                "Incorrect number of operands for operator or function; operator or function: {f}, number of operands: {}",
                args.len()
            )));
        }
        let second = if want == 2 { args.pop() } else { None };
        let first = args.pop().unwrap_or(Operand::Value(Value::Null));
        let path_only = |o: Operand| match o {
            Operand::Path(p) => Ok(p),
            Operand::Value(v) => Err(self.err(format!(
                "Incorrect operand type for operator or function; operator or function: {f}, operand type: {}",
                v.type_code()
            ))),
            Operand::Size(_) => Err(self.err(format!(
                "Incorrect operand type for operator or function; operator or function: {f}, operand type: N"
            ))),
        };
        Ok(match (f, second) {
            ("attribute_exists", _) => Cond::Exists(path_only(first)?),
            ("attribute_not_exists", _) => Cond::NotExists(path_only(first)?),
            ("attribute_type", Some(t)) => {
                let path = path_only(first)?;
                match t {
                    Operand::Value(Value::S(code)) if TYPE_CODES.contains(&code.as_str()) => Cond::AttrType(path, code),
                    Operand::Value(Value::S(code)) => {
                        return Err(self.err(format!(
                            "Invalid attribute type name found; type: {code}, valid types: {{ {} }}",
                            TYPE_CODES.join(",")
                        )));
                    }
                    Operand::Value(v) => {
                        return Err(self.err(format!(
                            "Incorrect operand type for operator or function; operator or function: attribute_type, \
                             operand type: {}",
                            v.type_code()
                        )));
                    }
                    _ => return Err(self.err("Incorrect operand type for operator or function; operator or function: attribute_type, operand type: N")),
                }
            }
            ("begins_with", Some(prefix)) => {
                for o in [&first, &prefix] {
                    if let Operand::Value(v) = o
                        && !matches!(v, Value::S(_) | Value::B(_))
                    {
                        return Err(self.err(format!(
                            "Incorrect operand type for operator or function; operator or function: begins_with, \
                             operand type: {}",
                            v.type_code()
                        )));
                    }
                }
                Cond::BeginsWith(first, prefix)
            }
            ("contains", Some(needle)) => Cond::Contains(first, needle),
            _ => {
                return Err(
                    self.err("The function is not allowed to be used this way in an expression; function: size")
                );
            }
        })
    }

    fn operand(&mut self) -> R<Operand> {
        match self.cur().clone() {
            Tok::Value(p) => {
                self.bump();
                Ok(Operand::Value(self.value(&p)?))
            }
            Tok::Ident(f) if *self.peek() == Tok::Sym("(") => {
                if f == "size" {
                    self.bump();
                    self.expect_sym("(")?;
                    let p = self.path()?;
                    self.expect_sym(")")?;
                    Ok(Operand::Size(p))
                } else if CONDITION_FUNCTIONS.contains(&f.as_str()) {
                    Err(self.err(format!(
                        "The function is not allowed to be used this way in an expression; function: {f}"
                    )))
                } else {
                    Err(self.err(format!("Invalid function name; function: {f}")))
                }
            }
            Tok::Ident(_) | Tok::Name(_) => Ok(Operand::Path(self.path()?)),
            _ => Err(self.syntax()),
        }
    }

    pub(super) fn value(&mut self, placeholder: &str) -> R<Value> {
        self.params.value(placeholder).ok_or_else(|| {
            self.err(format!(
                "An expression attribute value used in expression is not defined; attribute value: {placeholder}"
            ))
        })
    }

    pub(super) fn path_name(&mut self) -> R<String> {
        match self.cur().clone() {
            Tok::Ident(w) => {
                if is_reserved(&w) {
                    return Err(self.err(format!("Attribute name is a reserved keyword; reserved keyword: {w}")));
                }
                self.bump();
                Ok(w)
            }
            Tok::Name(n) => {
                let name = self.params.name(&n).ok_or_else(|| {
                    self.err(format!(
                        "An expression attribute name used in the document path is not defined; attribute name: {n}"
                    ))
                })?;
                self.bump();
                Ok(name)
            }
            _ => Err(self.syntax()),
        }
    }

    pub(super) fn path(&mut self) -> R<Path> {
        let mut steps = vec![Step::Attr(self.path_name()?)];
        loop {
            if self.eat_sym(".") {
                steps.push(Step::Attr(self.path_name()?));
            } else if self.eat_sym("[") {
                let Tok::Int(n) = self.cur().clone() else { return Err(self.syntax()) };
                let i = n.parse::<usize>().map_err(|_| self.syntax())?;
                self.bump();
                self.expect_sym("]")?;
                steps.push(Step::Index(i));
            } else {
                return Ok(Path(steps));
            }
        }
    }
}

fn scalar(v: &Value) -> bool {
    matches!(v, Value::S(_) | Value::N(_) | Value::B(_))
}

/// `N:5`, as DynamoDB shows a value inside an error message.
fn show(v: &Value) -> String {
    match v {
        Value::S(s) => format!("S:{s}"),
        Value::N(n) => format!("N:{n}"),
        other => format!("{}:{}", other.type_code(), other.to_json()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::{parse_projection, parse_update};

    fn params() -> Params {
        let values = crate::value::item_from_json(&serde_json::json!({":v": {"N": "1"}})).unwrap();
        Params::new(None, Some(values), true).unwrap()
    }

    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        let deep = format!("{}a = :v{}", "(".repeat(2000), ")".repeat(2000));
        let e = parse_condition(&deep, Kind::Condition, &mut params()).unwrap_err();
        assert!(e.message.unwrap().contains("levels of nesting"));
        let nots = format!("{}a = :v", "NOT ".repeat(1000));
        assert!(parse_condition(&nots, Kind::Condition, &mut params()).is_err());
        let nested = format!("SET a = {}:v{}", "if_not_exists(a, ".repeat(500), ")".repeat(500));
        assert!(parse_update(&nested, &mut params()).is_err());
        let fine = format!("{}a = :v{}", "(".repeat(20), ")".repeat(20));
        assert!(parse_condition(&fine, Kind::Condition, &mut params()).is_ok());
    }

    #[test]
    fn errors_quote_the_text_near_the_token() {
        let e = parse_update("SET = :v", &mut params()).unwrap_err();
        assert_eq!(e.message.unwrap(), "Invalid UpdateExpression: Syntax error; token: \"=\", near: \"SET = :v\"");
        let e = parse_condition("a = :v AND", Kind::Condition, &mut params()).unwrap_err();
        assert_eq!(e.message.unwrap(), "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"AND\"");
        let e = parse_update("SET a = :v SET b = :v", &mut params()).unwrap_err();
        assert_eq!(
            e.message.unwrap(),
            "Invalid UpdateExpression: The \"SET\" section can only be used once in an update expression;"
        );
        let e = parse_projection("a, a.b", &mut params()).unwrap_err();
        assert!(e.message.unwrap().ends_with("path one: [a], path two: [a, b]"));
    }
}
