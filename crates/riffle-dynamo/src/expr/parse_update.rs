//! Update and projection expressions: SET (with `+`, `-`, `if_not_exists`, `list_append`),
//! REMOVE, ADD and DELETE clauses, each at most once; comma-separated document paths. Paths
//! written by one update, or read by one projection, may not overlap.

use super::ast::{Path, SetOperand, SetValue, Step, Update};
use super::lexer::Tok;
use super::params::Params;
use super::parser::{CONDITION_FUNCTIONS, Kind, Parser, invalid};
use crate::error::DynamoError;
use crate::value::Value;

type R<T> = Result<T, DynamoError>;

/// Parses an UpdateExpression.
pub fn parse_update(src: &str, params: &mut Params) -> R<Update> {
    let mut p = Parser::new(src, Kind::Update, params)?;
    let u = p.update()?;
    p.end()?;
    let paths: Vec<&Path> = u.paths().collect();
    check_overlaps(&paths, Kind::Update)?;
    Ok(u)
}

/// Parses a ProjectionExpression.
pub fn parse_projection(src: &str, params: &mut Params) -> R<Vec<Path>> {
    let mut p = Parser::new(src, Kind::Projection, params)?;
    let mut paths = vec![p.path()?];
    while p.eat_sym(",") {
        paths.push(p.path()?);
    }
    p.end()?;
    check_overlaps(&paths.iter().collect::<Vec<_>>(), Kind::Projection)?;
    Ok(paths)
}

/// No two paths of an update or projection may overlap (one a prefix of the other) or
/// conflict (one indexes a list where the other names a map member).
pub fn check_overlaps(paths: &[&Path], kind: Kind) -> R<()> {
    for (i, a) in paths.iter().enumerate() {
        for b in &paths[i + 1..] {
            let diverge = a.0.iter().zip(b.0.iter()).find(|(x, y)| x != y);
            let what = match diverge {
                None => "overlap",
                Some((Step::Attr(_), Step::Index(_)) | (Step::Index(_), Step::Attr(_))) => "conflict",
                Some(_) => continue,
            };
            return Err(invalid(
                kind,
                format!(
                    "Two document paths {what} with each other; must remove or rewrite one of these paths; \
                     path one: {a}, path two: {b}"
                ),
            ));
        }
    }
    Ok(())
}

impl Parser<'_> {
    fn update(&mut self) -> R<Update> {
        let mut u = Update::default();
        let mut seen: Vec<String> = Vec::new();
        while *self.cur() != Tok::Eof {
            let Tok::Ident(word) = self.cur().clone() else { return Err(self.syntax()) };
            let clause = word.to_ascii_uppercase();
            if !matches!(clause.as_str(), "SET" | "REMOVE" | "ADD" | "DELETE") {
                return Err(self.syntax());
            }
            if seen.contains(&clause) {
                return Err(
                    self.err(format!("The \"{clause}\" section can only be used once in an update expression;"))
                );
            }
            seen.push(clause.clone());
            self.bump();
            loop {
                match clause.as_str() {
                    "SET" => {
                        let p = self.path()?;
                        self.expect_sym("=")?;
                        let v = self.set_value()?;
                        u.set.push((p, v));
                    }
                    "REMOVE" => u.remove.push(self.path()?),
                    op => {
                        let p = self.path()?;
                        let Tok::Value(ph) = self.cur().clone() else { return Err(self.syntax()) };
                        self.bump();
                        let v = self.value(&ph)?;
                        let ok = if op == "ADD" { matches!(v, Value::N(_)) || v.is_set() } else { v.is_set() };
                        if !ok {
                            return Err(self.err(format!(
                                "Incorrect operand type for operator or function; operator: {op}, operand type: {}",
                                v.type_word()
                            )));
                        }
                        if op == "ADD" { u.add.push((p, v)) } else { u.delete.push((p, v)) }
                    }
                }
                if !self.eat_sym(",") {
                    break;
                }
            }
        }
        Ok(u)
    }

    fn set_value(&mut self) -> R<SetValue> {
        let a = self.set_operand()?;
        if self.eat_sym("+") {
            Ok(SetValue::Plus(a, self.set_operand()?))
        } else if self.eat_sym("-") {
            Ok(SetValue::Minus(a, self.set_operand()?))
        } else {
            Ok(SetValue::Operand(a))
        }
    }

    fn set_operand(&mut self) -> R<SetOperand> {
        self.deeper()?;
        let out = self.set_operand_inner();
        self.depth -= 1;
        out
    }

    fn set_operand_inner(&mut self) -> R<SetOperand> {
        match self.cur().clone() {
            Tok::Value(p) => {
                self.bump();
                Ok(SetOperand::Value(self.value(&p)?))
            }
            Tok::Ident(f) if *self.peek() == Tok::Sym("(") => {
                match f.as_str() {
                    "if_not_exists" | "list_append" => {}
                    f if CONDITION_FUNCTIONS.contains(&f) => {
                        return Err(
                            self.err(format!("The function is not allowed in an update expression; function: {f}"))
                        );
                    }
                    f => return Err(self.err(format!("Invalid function name; function: {f}"))),
                }
                self.bump();
                self.expect_sym("(")?;
                let out = if f == "if_not_exists" {
                    let p = self.path()?;
                    self.expect_sym(",")?;
                    SetOperand::IfNotExists(p, Box::new(self.set_operand()?))
                } else {
                    let a = self.set_operand()?;
                    self.expect_sym(",")?;
                    SetOperand::ListAppend(Box::new(a), Box::new(self.set_operand()?))
                };
                self.expect_sym(")")?;
                Ok(out)
            }
            Tok::Ident(_) | Tok::Name(_) => Ok(SetOperand::Path(self.path()?)),
            _ => Err(self.syntax()),
        }
    }
}
