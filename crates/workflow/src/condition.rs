//! Conditions on sequence flows: a small, safe expression language over process variables,
//! in the two dialects modelers write. Anything outside it is refused at deployment, with the
//! flow named; nothing is guessed.
//!
//! **JUEL style** (Camunda 7, bpmn.io): `${approved == true && amount > 1000000}` (also
//! `#{…}`, or bare). Grammar: or := and (('||'|'or') and)* ; and := cmp (('&&'|'and') cmp)* ;
//! cmp := unary (op unary)? ; unary := ('!'|'not') unary | atom ; atom := number |
//! 'string' | "string" | true | false | null | identifier(.identifier)* | '(' or ')' ;
//! op := == != > >= < <= eq ne gt ge lt le. Non-boolean values are truthy as in JUEL
//! (null, false, 0 and "" are false).
//!
//! **FEEL subset** (Camunda 8): a leading `=`, then `=approved`, `= amount > 100`,
//! `a and b`, `a or b`, `not(a)`, comparisons `= != > >= < <=`, "strings" (double quotes),
//! numbers, `true`, `false`, `null`, parentheses, variable paths `applicant.age`. A value
//! counts as true only when it is the boolean `true` (FEEL: anything else is not a match).
//! Not supported (refused): arithmetic, lists, ranges, `in`, `between`, `if`, function calls
//! other than `not`, names with spaces.
//!
//! Variables: `x`, `a.b.c` (a path into objects); `variables.x` and
//! `environment.variables.x` (bpmn-engine's dialect) read x, unless a variable is itself
//! named `variables`. Roots that are another engine's objects (`execution`, `task`,
//! `content`, `environment`, `properties`) are refused rather than read as null.

use serde_json::{Map, Value};

/// A parsed condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A literal value.
    Lit(Value),
    /// A variable, possibly a path into an object (`applicant.age`).
    Var(Vec<String>),
    /// Logical not.
    Not(Box<Expr>),
    /// Logical and.
    And(Box<Expr>, Box<Expr>),
    /// Logical or.
    Or(Box<Expr>, Box<Expr>),
    /// Comparison.
    Cmp(Box<Expr>, CmpOp, Box<Expr>),
    /// FEEL: true only when the value is the boolean true.
    Strict(Box<Expr>),
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// ==
    Eq,
    /// !=
    Ne,
    /// >
    Gt,
    /// >=
    Ge,
    /// <
    Lt,
    /// <=
    Le,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Str(String),
    Ident(String),
    Op(&'static str),
    LParen,
    RParen,
}

fn lex(s: &str, feel: bool) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '(' {
            out.push(Tok::LParen);
            i += 1;
        } else if c == ')' {
            out.push(Tok::RParen);
            i += 1;
        } else if c == '\'' && feel {
            return Err("FEEL: chuỗi viết trong dấu nháy kép \"…\"".into());
        } else if c == '\'' || c == '"' {
            let quote = c;
            let mut j = i + 1;
            let mut text = String::new();
            while j < chars.len() && chars[j] != quote {
                text.push(chars[j]);
                j += 1;
            }
            if j >= chars.len() {
                return Err("chuỗi chưa đóng dấu nháy".into());
            }
            out.push(Tok::Str(text));
            i = j + 1;
        } else if c.is_ascii_digit()
            || (c == '-' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            let mut j = i + 1;
            while j < chars.len() && (chars[j].is_ascii_digit() || chars[j] == '.') {
                j += 1;
            }
            let text: String = chars[i..j].iter().collect();
            out.push(Tok::Num(text.parse().map_err(|_| format!("số không hợp lệ: {text}"))?));
            i = j;
        } else if c.is_alphabetic() || c == '_' {
            let mut j = i + 1;
            while j < chars.len()
                && (chars[j].is_alphanumeric() || chars[j] == '_' || chars[j] == '.')
            {
                j += 1;
            }
            let word: String = chars[i..j].iter().collect();
            out.push(match (word.as_str(), feel) {
                ("and", _) => Tok::Op("&&"),
                ("or", _) => Tok::Op("||"),
                ("not", _) => Tok::Op("!"),
                ("eq", false) => Tok::Op("=="),
                ("ne", false) => Tok::Op("!="),
                ("gt", false) => Tok::Op(">"),
                ("ge", false) => Tok::Op(">="),
                ("lt", false) => Tok::Op("<"),
                ("le", false) => Tok::Op("<="),
                _ => Tok::Ident(word),
            });
            i = j;
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let ops: &[&'static str] =
                if feel { &["!=", ">=", "<="] } else { &["==", "!=", ">=", "<=", "&&", "||"] };
            let op = ops.iter().copied().find(|o| *o == two);
            match op {
                Some(o) => {
                    out.push(Tok::Op(o));
                    i += 2;
                }
                None => match c {
                    '>' => {
                        out.push(Tok::Op(">"));
                        i += 1;
                    }
                    '<' => {
                        out.push(Tok::Op("<"));
                        i += 1;
                    }
                    '!' if !feel => {
                        out.push(Tok::Op("!"));
                        i += 1;
                    }
                    '=' if feel => {
                        out.push(Tok::Op("=="));
                        i += 1;
                    }
                    other => return Err(format!("ký tự không hợp lệ “{other}”")),
                },
            }
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    feel: bool,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn eat_op(&mut self, op: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Op(o)) if *o == op) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// In FEEL a bare value is a match only when it is `true`.
    fn logical(&self, e: Expr) -> Box<Expr> {
        match e {
            Expr::Var(_) | Expr::Lit(_) if self.feel => Box::new(Expr::Strict(Box::new(e))),
            other => Box::new(other),
        }
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut left = self.and()?;
        while self.eat_op("||") {
            let right = self.and()?;
            left = Expr::Or(self.logical(left), self.logical(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut left = self.cmp()?;
        while self.eat_op("&&") {
            let right = self.cmp()?;
            left = Expr::And(self.logical(left), self.logical(right));
        }
        Ok(left)
    }

    fn cmp(&mut self) -> Result<Expr, String> {
        let left = self.unary()?;
        let op = match self.peek() {
            Some(Tok::Op("==")) => CmpOp::Eq,
            Some(Tok::Op("!=")) => CmpOp::Ne,
            Some(Tok::Op(">")) => CmpOp::Gt,
            Some(Tok::Op(">=")) => CmpOp::Ge,
            Some(Tok::Op("<")) => CmpOp::Lt,
            Some(Tok::Op("<=")) => CmpOp::Le,
            _ => return Ok(left),
        };
        self.pos += 1;
        Ok(Expr::Cmp(Box::new(left), op, Box::new(self.unary()?)))
    }

    fn unary(&mut self) -> Result<Expr, String> {
        if self.eat_op("!") {
            if self.feel && self.peek() != Some(&Tok::LParen) {
                return Err("FEEL: viết not(…)".into());
            }
            let e = self.unary()?;
            return Ok(Expr::Not(self.logical(e)));
        }
        let tok = self.toks.get(self.pos).cloned().ok_or("biểu thức kết thúc đột ngột")?;
        self.pos += 1;
        match tok {
            Tok::Num(n) => Ok(Expr::Lit(Value::from(n))),
            Tok::Str(s) => Ok(Expr::Lit(Value::String(s))),
            Tok::Ident(id) => Ok(match id.as_str() {
                "true" => Expr::Lit(Value::Bool(true)),
                "false" => Expr::Lit(Value::Bool(false)),
                "null" => Expr::Lit(Value::Null),
                _ => Expr::Var(variable(&id)?),
            }),
            Tok::LParen => {
                let e = self.or()?;
                match self.toks.get(self.pos) {
                    Some(Tok::RParen) => {
                        self.pos += 1;
                        Ok(e)
                    }
                    _ => Err("thiếu dấu “)”".into()),
                }
            }
            other => Err(format!("không mong đợi {other:?}")),
        }
    }
}

/// A variable path; another engine's objects are refused.
fn variable(id: &str) -> Result<Vec<String>, String> {
    let path: Vec<String> = id.split('.').map(str::to_string).collect();
    if path.iter().any(String::is_empty) {
        return Err(format!("tên biến “{id}” không hợp lệ"));
    }
    match path.first().map(String::as_str) {
        Some("environment") if path.get(1).map(String::as_str) == Some("variables") => {
            match path.get(2..) {
                Some(rest) if !rest.is_empty() => Ok(rest.to_vec()),
                _ => Err(format!("“{id}” thiếu tên biến")),
            }
        }
        Some(root @ ("execution" | "task" | "content" | "environment" | "properties")) => {
            Err(format!(
                "“{id}”: “{root}” là đối tượng của bộ máy khác; chỉ đọc được biến của quy trình"
            ))
        }
        _ => Ok(path),
    }
}

/// Parses a condition: FEEL after a leading `=`, JUEL style with or without `${…}`.
pub fn parse(text: &str) -> Result<Expr, String> {
    let t = text.trim();
    let (inner, feel) = match t.strip_prefix('=') {
        Some(rest) => (rest, true),
        None => (
            t.strip_prefix("${")
                .or_else(|| t.strip_prefix("#{"))
                .and_then(|r| r.strip_suffix('}'))
                .unwrap_or(t),
            false,
        ),
    };
    let toks = lex(inner, feel)?;
    if toks.is_empty() {
        return Err("điều kiện rỗng".into());
    }
    let mut p = Parser { toks, pos: 0, feel };
    let e = p.or()?;
    if p.pos != p.toks.len() {
        return Err("thừa ký tự sau biểu thức".into());
    }
    Ok(*p.logical(e))
}

fn lookup<'a>(vars: &'a Map<String, Value>, path: &[String]) -> &'a Value {
    // `variables.x` is x (a common dialect), unless a variable is named `variables`.
    let path = match path.split_first() {
        Some((root, rest))
            if root == "variables" && !rest.is_empty() && !vars.contains_key(root) =>
        {
            rest
        }
        _ => path,
    };
    let mut cur: Option<&Value> = path.first().and_then(|k| vars.get(k));
    for k in path.iter().skip(1) {
        cur = cur.and_then(|v| v.get(k));
    }
    cur.unwrap_or(&Value::Null)
}

fn value(e: &Expr, vars: &Map<String, Value>) -> Value {
    match e {
        Expr::Lit(v) => v.clone(),
        Expr::Var(p) => lookup(vars, p).clone(),
        other => Value::Bool(eval(other, vars)),
    }
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Null => false,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        _ => true,
    }
}

/// Evaluates a condition; missing variables are null, and mismatched types compare unequal.
pub fn eval(e: &Expr, vars: &Map<String, Value>) -> bool {
    match e {
        Expr::Lit(v) => truthy(v),
        Expr::Var(p) => truthy(lookup(vars, p)),
        Expr::Not(x) => !eval(x, vars),
        Expr::Strict(x) => value(x, vars) == Value::Bool(true),
        Expr::And(a, b) => eval(a, vars) && eval(b, vars),
        Expr::Or(a, b) => eval(a, vars) || eval(b, vars),
        Expr::Cmp(a, op, b) => {
            let (x, y) = (value(a, vars), value(b, vars));
            let ord = match (&x, &y) {
                (Value::Number(m), Value::Number(n)) => {
                    m.as_f64().zip(n.as_f64()).and_then(|(m, n)| m.partial_cmp(&n))
                }
                (Value::String(m), Value::String(n)) => Some(m.cmp(n)),
                _ => None,
            };
            match op {
                CmpOp::Eq => ord.map_or(x == y, |o| o.is_eq()),
                CmpOp::Ne => ord.map_or(x != y, |o| o.is_ne()),
                CmpOp::Gt => ord.is_some_and(|o| o.is_gt()),
                CmpOp::Ge => ord.is_some_and(|o| o.is_ge()),
                CmpOp::Lt => ord.is_some_and(|o| o.is_lt()),
                CmpOp::Le => ord.is_some_and(|o| o.is_le()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vars(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn modeler_conditions_are_evaluated_against_variables() {
        let v = vars(
            json!({"approved": true, "amount": 1500000, "result": "dat", "applicant": {"age": 17}}),
        );
        for (cond, want) in [
            ("${approved}", true),
            ("${!approved}", false),
            ("${approved == true && amount > 1000000}", true),
            ("${result == 'dat' || amount < 0}", true),
            ("${result != \"dat\"}", false),
            ("${applicant.age >= 18}", false),
            ("${missing == null}", true),
            ("${(amount <= 1500000) && !(result == 'khong')}", true),
        ] {
            assert_eq!(eval(&parse(cond).expect(cond), &v), want, "{cond}");
        }
    }

    #[test]
    fn variables_dot_x_reads_the_variable_x() {
        let v = vars(json!({"x": 5, "ok": true}));
        for cond in ["${variables.x == 5}", "${environment.variables.x > 4}", "${variables.ok}"] {
            assert!(eval(&parse(cond).expect(cond), &v), "{cond}");
        }
        let nested = vars(json!({"variables": {"x": 1}}));
        assert!(eval(&parse("${variables.x == 1}").expect("nested"), &nested));
    }

    #[test]
    fn a_documented_feel_subset_is_evaluated_and_the_rest_refused() {
        let v = vars(json!({"approved": true, "amount": 150, "kind": "a", "n": 1}));
        for (cond, want) in [
            ("=approved", true),
            ("= amount > 100", true),
            ("= amount > 100 and kind = \"a\"", true),
            ("= not(approved) or amount <= 100", false),
            ("= missing = null", true),
            ("= kind != \"b\"", true),
            ("= n", false),
            ("=(amount >= 150) and true", true),
        ] {
            assert_eq!(eval(&parse(cond).expect(cond), &v), want, "{cond}");
        }
        for bad in [
            "= amount + 1 > 2",
            "= x in [1,2]",
            "= 'a' = kind",
            "= a && b",
            "= not a",
            "= count(x) > 1",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn another_engines_objects_are_refused_not_read_as_null() {
        for bad in [
            "${content.output.ok}",
            "${environment.services.fn()}",
            "${execution.getVariable('x')}",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn malformed_conditions_are_refused() {
        for bad in ["${}", "${a ==}", "${(a}", "${a @ b}", "${'open}", "${a b}"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
