//! Tokens of DynamoDB's expression language, with their byte spans so syntax errors can quote
//! the text "near" the offending token, as DynamoDB does.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok {
    /// A bare word: attribute name, keyword or function name.
    Ident(String),
    /// `#name`, with the `#`.
    Name(String),
    /// `:value`, with the `:`.
    Value(String),
    /// A run of digits (a list index).
    Int(String),
    Sym(&'static str),
    /// A character the language has no use for.
    Bad(char),
    Eof,
}

#[derive(Debug, Clone)]
pub struct Token {
    pub tok: Tok,
    pub start: usize,
    pub end: usize,
}

impl Token {
    /// The token as DynamoDB quotes it in a syntax error.
    pub fn text<'a>(&self, src: &'a str) -> &'a str {
        match self.tok {
            Tok::Eof => "<EOF>",
            _ => &src[self.start..self.end],
        }
    }
}

const SYMBOLS: [&str; 14] = ["<>", "<=", ">=", "=", "<", ">", "(", ")", "[", "]", ",", ".", "+", "-"];

fn word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Splits an expression into tokens; the last is always `Eof`.
pub fn tokenize(src: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < src.len() {
        let rest = &src[i..];
        let Some(c) = rest.chars().next() else { break };
        if c.is_whitespace() {
            i += c.len_utf8();
            continue;
        }
        let start = i;
        let word_len = |from: usize| rest[from..].find(|c: char| !word_char(c)).unwrap_or(rest.len() - from);
        let tok = if c == '#' || c == ':' {
            let n = word_len(1);
            i += 1 + n;
            if n == 0 {
                Tok::Bad(c)
            } else if c == '#' {
                Tok::Name(src[start..i].to_string())
            } else {
                Tok::Value(src[start..i].to_string())
            }
        } else if word_char(c) {
            let n = word_len(0);
            i += n;
            let w = &src[start..i];
            if w.bytes().all(|b| b.is_ascii_digit()) { Tok::Int(w.to_string()) } else { Tok::Ident(w.to_string()) }
        } else if let Some(s) = SYMBOLS.iter().find(|s| rest.starts_with(**s)) {
            i += s.len();
            Tok::Sym(s)
        } else {
            i += c.len_utf8();
            Tok::Bad(c)
        };
        out.push(Token { tok, start, end: i });
    }
    out.push(Token { tok: Tok::Eof, start: src.len(), end: src.len() });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits() {
        let t: Vec<Tok> = tokenize("SET #a.b[10] = :v + a <> <=@").into_iter().map(|t| t.tok).collect();
        assert_eq!(
            t,
            vec![
                Tok::Ident("SET".into()),
                Tok::Name("#a".into()),
                Tok::Sym("."),
                Tok::Ident("b".into()),
                Tok::Sym("["),
                Tok::Int("10".into()),
                Tok::Sym("]"),
                Tok::Sym("="),
                Tok::Value(":v".into()),
                Tok::Sym("+"),
                Tok::Ident("a".into()),
                Tok::Sym("<>"),
                Tok::Sym("<="),
                Tok::Bad('@'),
                Tok::Eof,
            ]
        );
    }
}
