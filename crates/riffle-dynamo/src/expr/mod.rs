//! DynamoDB's expression language: condition, filter, key condition, update and projection
//! expressions — tokens, parser, evaluation — and the legacy parameters (Expected,
//! AttributeUpdates, AttributesToGet, ScanFilter, QueryFilter, KeyConditions) translated to the
//! same trees, so one evaluator serves both.

mod ast;
mod eval;
pub mod legacy;
mod lexer;
mod params;
mod parse_update;
mod parser;
mod reserved;
mod update;

pub use ast::{CmpOp, Cond, Operand, Path, SetOperand, SetValue, Step, Update};
pub use eval::{compare, eval, get, project};
pub use params::Params;
pub use parse_update::{check_overlaps, parse_projection, parse_update};
pub use parser::{Kind, parse_condition};
pub use update::apply;
