//! Filters: `skip_if` expressions that drop combinations a sweep should not
//! run (`autoscaler.min_replicas > autoscaler.max_replicas`), each with a
//! reason that is counted.
//!
//! The language is small on purpose: comparisons (`< <= > >= == !=`) of
//! arithmetic (`+ - * /`, parentheses) over numbers, durations (`30s`,
//! `"2m"`, compared in seconds), quoted strings, `true`/`false` and field
//! paths, combined with `and`, `or` and `not`. A path names a swept
//! parameter, or else a field the base scenario sets. A string that reads as
//! a duration (`"45s"`) is a duration, so `autoscaler.cooldown >= metrics.window`
//! compares times.

use std::fmt;

use toml::Value;

use crate::engine::time::SimDuration;
use crate::input::problem::FieldPath;

/// A parsed expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A number (durations are seconds).
    Num(f64),
    /// A string.
    Str(String),
    /// `true` or `false`.
    Bool(bool),
    /// A field's value.
    Path(FieldPath),
    /// `-x`.
    Neg(Box<Expr>),
    /// `not x`.
    Not(Box<Expr>),
    /// `a op b`.
    Binary(Op, Box<Expr>, Box<Expr>),
}

/// A binary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `and`
    And,
    /// `or`
    Or,
}

impl Op {
    fn symbol(self) -> &'static str {
        match self {
            Op::Add => "+",
            Op::Sub => "-",
            Op::Mul => "*",
            Op::Div => "/",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::And => "and",
            Op::Or => "or",
        }
    }
}

/// A value during evaluation.
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    /// A number.
    Num(f64),
    /// A string that is not a duration.
    Str(String),
    /// A truth value.
    Bool(bool),
}

impl fmt::Display for Val {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Val::Num(x) => write!(f, "{x}"),
            Val::Str(s) => write!(f, "{s}"),
            Val::Bool(b) => write!(f, "{b}"),
        }
    }
}

impl Val {
    /// A scenario value as a filter sees it; `None` for tables and lists.
    pub fn from_toml(v: &Value) -> Option<Val> {
        Some(match v {
            Value::Integer(n) => Val::Num(*n as f64),
            Value::Float(x) => Val::Num(*x),
            Value::Boolean(b) => Val::Bool(*b),
            Value::String(s) => string(s),
            _ => return None,
        })
    }
}

fn string(s: &str) -> Val {
    match SimDuration::parse(s) {
        Ok(d) => Val::Num(d.as_secs_f64()),
        Err(_) => Val::Str(s.to_string()),
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Num(f64),
    Str(String),
    Word(String),
    Op(&'static str),
    Open,
    Close,
}

fn tokenize(text: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit())) {
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                // exponents: 1e-3
                if (chars[i] == 'e' || chars[i] == 'E') && matches!(chars.get(i + 1), Some('-' | '+')) {
                    i += 1;
                }
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            match word.parse::<f64>() {
                Ok(x) => out.push(Tok::Num(x)),
                Err(_) => match SimDuration::parse(&word) {
                    Ok(d) => out.push(Tok::Num(d.as_secs_f64())),
                    Err(_) => return Err(format!("'{word}' is neither a number nor a duration")),
                },
            }
        } else if c == '"' || c == '\'' {
            let end = chars[i + 1..].iter().position(|d| *d == c).ok_or("a string is not closed")?;
            out.push(Tok::Str(chars[i + 1..i + 1 + end].iter().collect()));
            i += end + 2;
        } else if c.is_alphabetic() || c == '_' {
            while i < chars.len() && (chars[i].is_alphanumeric() || matches!(chars[i], '_' | '.' | '[' | ']')) {
                i += 1;
            }
            out.push(Tok::Word(chars[start..i].iter().collect()));
        } else if c == '(' || c == ')' {
            out.push(if c == '(' { Tok::Open } else { Tok::Close });
            i += 1;
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let op = ["<=", ">=", "==", "!="]
                .into_iter()
                .find(|o| *o == two)
                .or_else(|| ["<", ">", "+", "-", "*", "/"].into_iter().find(|o| o.starts_with(c)));
            match op {
                Some(o) => {
                    out.push(Tok::Op(o));
                    i += o.len();
                }
                None if c == '=' => return Err("'=' is not a comparison; write '=='".into()),
                None => return Err(format!("unexpected '{c}'")),
            }
        }
    }
    Ok(out)
}

/// The longest expression, in tokens: a filter is a line, not a program.
/// It also bounds the depth of the tree, which evaluating and dropping walk
/// recursively (`1 + 1 + ...` nests to the left).
const MAX_TOKENS: usize = 1_000;

/// The deepest nesting of parentheses, `not` and unary `-`, which parsing
/// walks recursively.
const MAX_NESTING: usize = 64;

struct Parser {
    toks: Vec<Tok>,
    at: usize,
    /// How deep the parser is in parentheses, `not` and `-`.
    nesting: usize,
}

impl Parser {
    /// Parses one nested operand with `inner`, refusing past [`MAX_NESTING`].
    fn nested(&mut self, inner: fn(&mut Parser) -> Result<Expr, String>) -> Result<Expr, String> {
        if self.nesting == MAX_NESTING {
            return Err(format!("nests deeper than {MAX_NESTING} levels of parentheses, not or -"));
        }
        self.nesting += 1;
        let e = inner(self);
        self.nesting -= 1;
        e
    }

    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at)
    }

    fn word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(x)) if x == w)
    }

    fn op(&self, ops: &[&'static str]) -> Option<&'static str> {
        match self.peek() {
            Some(Tok::Op(o)) if ops.contains(o) => Some(o),
            _ => None,
        }
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut e = self.and()?;
        while self.word("or") {
            self.at += 1;
            e = Expr::Binary(Op::Or, Box::new(e), Box::new(self.and()?));
        }
        Ok(e)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut e = self.not()?;
        while self.word("and") {
            self.at += 1;
            e = Expr::Binary(Op::And, Box::new(e), Box::new(self.not()?));
        }
        Ok(e)
    }

    fn not(&mut self) -> Result<Expr, String> {
        if self.word("not") {
            self.at += 1;
            return Ok(Expr::Not(Box::new(self.nested(Parser::not)?)));
        }
        self.compare()
    }

    fn compare(&mut self) -> Result<Expr, String> {
        let e = self.sum()?;
        let Some(o) = self.op(&["<", "<=", ">", ">=", "==", "!="]) else {
            return Ok(e);
        };
        self.at += 1;
        let op = match o {
            "<" => Op::Lt,
            "<=" => Op::Le,
            ">" => Op::Gt,
            ">=" => Op::Ge,
            "==" => Op::Eq,
            _ => Op::Ne,
        };
        Ok(Expr::Binary(op, Box::new(e), Box::new(self.sum()?)))
    }

    fn sum(&mut self) -> Result<Expr, String> {
        let mut e = self.product()?;
        while let Some(o) = self.op(&["+", "-"]) {
            self.at += 1;
            let op = if o == "+" { Op::Add } else { Op::Sub };
            e = Expr::Binary(op, Box::new(e), Box::new(self.product()?));
        }
        Ok(e)
    }

    fn product(&mut self) -> Result<Expr, String> {
        let mut e = self.unary()?;
        while let Some(o) = self.op(&["*", "/"]) {
            self.at += 1;
            let op = if o == "*" { Op::Mul } else { Op::Div };
            e = Expr::Binary(op, Box::new(e), Box::new(self.unary()?));
        }
        Ok(e)
    }

    fn unary(&mut self) -> Result<Expr, String> {
        if self.op(&["-"]).is_some() {
            self.at += 1;
            return Ok(Expr::Neg(Box::new(self.nested(Parser::unary)?)));
        }
        let tok = self.peek().cloned().ok_or("the expression ends too soon")?;
        self.at += 1;
        Ok(match tok {
            Tok::Num(x) => Expr::Num(x),
            Tok::Str(s) => match string(&s) {
                Val::Num(x) => Expr::Num(x),
                _ => Expr::Str(s),
            },
            Tok::Word(w) if w == "true" || w == "false" => Expr::Bool(w == "true"),
            Tok::Word(w) if matches!(w.as_str(), "and" | "or" | "not") => {
                return Err(format!("'{w}' needs a value before it"));
            }
            Tok::Word(w) => Expr::Path(FieldPath::parse(&w).ok_or_else(|| format!("'{w}' is not a field path"))?),
            Tok::Open => {
                let e = self.nested(Parser::or)?;
                if self.peek() != Some(&Tok::Close) {
                    return Err("a '(' is not closed".into());
                }
                self.at += 1;
                e
            }
            Tok::Close => return Err("unexpected ')'".into()),
            Tok::Op(o) => return Err(format!("unexpected '{o}'")),
        })
    }
}

impl Expr {
    /// Parses a `skip_if` expression.
    pub fn parse(text: &str) -> Result<Expr, String> {
        let mut p = Parser { toks: tokenize(text)?, at: 0, nesting: 0 };
        if p.toks.is_empty() {
            return Err("an empty expression".into());
        }
        if p.toks.len() > MAX_TOKENS {
            return Err(format!("is {} tokens long, more than {MAX_TOKENS}", p.toks.len()));
        }
        let e = p.or()?;
        match p.peek() {
            None => Ok(e),
            Some(t) => Err(format!("unexpected {} after a complete expression", describe(t))),
        }
    }

    /// Every field path it reads.
    pub fn paths(&self) -> Vec<FieldPath> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out
    }

    fn collect(&self, out: &mut Vec<FieldPath>) {
        match self {
            Expr::Path(p) if !out.contains(p) => out.push(p.clone()),
            Expr::Neg(e) | Expr::Not(e) => e.collect(out),
            Expr::Binary(_, a, b) => {
                a.collect(out);
                b.collect(out);
            }
            _ => {}
        }
    }

    /// Evaluates with `lookup` giving each path's value.
    pub fn eval(&self, lookup: &dyn Fn(&FieldPath) -> Option<Val>) -> Result<Val, String> {
        Ok(match self {
            Expr::Num(x) => Val::Num(*x),
            Expr::Str(s) => Val::Str(s.clone()),
            Expr::Bool(b) => Val::Bool(*b),
            Expr::Path(p) => lookup(p).ok_or_else(|| format!("'{p}' has no value a filter can use"))?,
            Expr::Neg(e) => match e.eval(lookup)? {
                Val::Num(x) => Val::Num(-x),
                other => return Err(format!("cannot negate '{other}'")),
            },
            Expr::Not(e) => match e.eval(lookup)? {
                Val::Bool(b) => Val::Bool(!b),
                other => return Err(format!("'not' needs true or false, not '{other}'")),
            },
            Expr::Binary(op, a, b) => {
                let (x, y) = (a.eval(lookup)?, b.eval(lookup)?);
                binary(*op, x, y)?
            }
        })
    }

    /// Evaluates to a truth value (the filter's verdict).
    pub fn test(&self, lookup: &dyn Fn(&FieldPath) -> Option<Val>) -> Result<bool, String> {
        match self.eval(lookup)? {
            Val::Bool(b) => Ok(b),
            other => Err(format!("gives '{other}', not true or false; write a comparison")),
        }
    }
}

fn binary(op: Op, x: Val, y: Val) -> Result<Val, String> {
    use Val::{Bool, Num};
    Ok(match (op, &x, &y) {
        (Op::And, Bool(a), Bool(b)) => Bool(*a && *b),
        (Op::Or, Bool(a), Bool(b)) => Bool(*a || *b),
        (Op::Add, Num(a), Num(b)) => Num(a + b),
        (Op::Sub, Num(a), Num(b)) => Num(a - b),
        (Op::Mul, Num(a), Num(b)) => Num(a * b),
        (Op::Div, Num(a), Num(b)) => Num(a / b),
        (Op::Lt, Num(a), Num(b)) => Bool(a < b),
        (Op::Le, Num(a), Num(b)) => Bool(a <= b),
        (Op::Gt, Num(a), Num(b)) => Bool(a > b),
        (Op::Ge, Num(a), Num(b)) => Bool(a >= b),
        (Op::Eq, a, b) if std::mem::discriminant(a) == std::mem::discriminant(b) => Bool(a == b),
        (Op::Ne, a, b) if std::mem::discriminant(a) == std::mem::discriminant(b) => Bool(a != b),
        (op, a, b) => return Err(format!("cannot apply '{}' to '{a}' and '{b}'", op.symbol())),
    })
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Num(x) => format!("'{x}'"),
        Tok::Str(s) => format!("'\"{s}\"'"),
        Tok::Word(w) => format!("'{w}'"),
        Tok::Op(o) => format!("'{o}'"),
        Tok::Open => "'('".into(),
        Tok::Close => "')'".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(text: &str, vars: &[(&str, Val)]) -> Result<Val, String> {
        let e = Expr::parse(text)?;
        e.eval(&|p: &FieldPath| {
            vars.iter().find(|(k, _)| FieldPath::parse(k).as_ref() == Some(p)).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn comparisons_arithmetic_and_logic() {
        let vars = [
            ("autoscaler.min_replicas", Val::Num(5.0)),
            ("autoscaler.max_replicas", Val::Num(3.0)),
            ("pool.size", Val::Num(20.0)),
            ("autoscaler.policy", Val::Str("hpa".into())),
            ("autoscaler.cooldown", string("45s")),
        ];
        assert_eq!(eval("autoscaler.min_replicas > autoscaler.max_replicas", &vars), Ok(Val::Bool(true)));
        assert_eq!(eval("autoscaler.max_replicas * pool.size > 500", &vars), Ok(Val::Bool(false)));
        assert_eq!(eval("(1 + 2) * 3 == 9 and not false", &vars), Ok(Val::Bool(true)));
        assert_eq!(eval("1 + 2 * 3", &vars), Ok(Val::Num(7.0)));
        assert_eq!(eval("-2 * -3 >= 6 or 1 / 0 < 0", &vars), Ok(Val::Bool(true)));
        assert_eq!(eval("autoscaler.policy == 'hpa'", &vars), Ok(Val::Bool(true)));
        assert_eq!(eval("autoscaler.cooldown >= 30s and autoscaler.cooldown < \"1m\"", &vars), Ok(Val::Bool(true)));
        assert_eq!(eval("1.5e-3 < 2ms", &vars), Ok(Val::Bool(true)));
    }

    #[test]
    fn errors_say_what_is_wrong() {
        assert!(Expr::parse("a = b").unwrap_err().contains("'=='"));
        assert!(Expr::parse("a > ").unwrap_err().contains("ends too soon"));
        assert!(Expr::parse("(a > b").unwrap_err().contains("not closed"));
        assert!(Expr::parse("a > b c").unwrap_err().contains("unexpected 'c'"));
        assert!(Expr::parse("a > 3parsecs").unwrap_err().contains("neither a number nor a duration"));
        assert!(Expr::parse("a > $").unwrap_err().contains("unexpected '$'"));
        let vars = [("p", Val::Str("hpa".into()))];
        assert!(eval("p > 3", &vars).unwrap_err().contains("cannot apply '>'"));
        assert!(eval("q > 3", &vars).unwrap_err().contains("'q'"));
        let e = Expr::parse("1 + 2").unwrap();
        assert!(e.test(&|_| None).unwrap_err().contains("not true or false"));
    }

    #[test]
    fn deep_or_long_expressions_are_refused_before_they_recurse() {
        let deep = format!("{}a > 1{}", "(".repeat(65), ")".repeat(65));
        assert!(Expr::parse(&deep).unwrap_err().contains("deeper than 64"));
        let fine = format!("{}a > 1{}", "(".repeat(64), ")".repeat(64));
        assert!(Expr::parse(&fine).is_ok());
        assert!(Expr::parse(&"not ".repeat(100)).unwrap_err().contains("deeper than 64"));
        let long = format!("a > 0{}", " + 1".repeat(600));
        assert!(Expr::parse(&long).unwrap_err().contains("more than 1000"));
    }

    #[test]
    fn paths_are_listed_once() {
        let e = Expr::parse("a.b > c[0].d and a.b < 3").unwrap();
        let paths: Vec<String> = e.paths().iter().map(|p| p.to_string()).collect();
        assert_eq!(paths, ["a.b", "c[0].d"]);
    }
}
