//! Parameter links (`= 1.118002e00*apbgd:p3`, `= p5`, `= oot:p1`, `= p20 - p33`): parsing,
//! XSPEC's normalised text form, and evaluation.
//!
//! Normal form (as XSPEC writes it back): references as `name:pN` or `pN`; spaces only
//! around binary `+` and `-`; `*`, `/`, `^` and parentheses without spaces; numbers as typed
//! except that the `+` of an exponent is dropped (`1.118002e+00` → `1.118002e00`). A link
//! that is a single bare integer (`= 5`, old XSPEC) refers to parameter 5.

use crate::error::{Error, Result, SpectralError};

/// A parameter reference: optional model (source) name and 1-based parameter index.
#[derive(Debug, Clone, PartialEq)]
pub struct ParRef {
    pub model: Option<String>,
    pub index: usize,
}

/// A link expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A number with the text it was typed as.
    Num(f64, String),
    Ref(ParRef),
    Neg(Box<Expr>),
    Bin(char, Box<Expr>, Box<Expr>),
    Func(String, Box<Expr>),
    Paren(Box<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64, String),
    Ref(ParRef),
    Ident(String),
    Op(char),
    Open,
    Close,
}

/// After `model:` at `c[*i]`: an optional `p` and the parameter number.
fn ref_index(c: &[char], i: &mut usize, model: &str) -> std::result::Result<usize, String> {
    if *i < c.len() && (c[*i] == 'p' || c[*i] == 'P') {
        *i += 1;
    }
    let ds = *i;
    while *i < c.len() && c[*i].is_ascii_digit() {
        *i += 1;
    }
    if ds == *i {
        return Err(format!("'{model}:' is not followed by a parameter number"));
    }
    Ok(c[ds..*i].iter().collect::<String>().parse().unwrap_or(0))
}

/// A number starting at `c[*i]`, returned without spaces. An exponent may be written with
/// spaces around its sign (`1.49632e + 12`): XSPEC's expression tokenizer splits `#.#e+#`
/// into `#.#e`, `+`, `#` and its writer then spaces the `+` (older XSPEC wrote such save
/// files); ParameterLink's constructor (HEASoft 6.20, Xspec/src/XSModel/Parameter/
/// ParameterLink.cxx) joins the three tokens back into one number, and so do we. Only a
/// mantissa followed by `e` is read this way; `p3 + e…` cannot arise since references are pN.
fn number(c: &[char], i: &mut usize) -> String {
    let st = *i;
    while *i < c.len() && (c[*i].is_ascii_digit() || c[*i] == '.') {
        *i += 1;
    }
    let mut text: String = c[st..*i].iter().collect();
    if *i < c.len() && (c[*i] == 'e' || c[*i] == 'E') {
        if let Some((exp, end)) = exponent(c, *i + 1) {
            text.push(c[*i]);
            text.push_str(&exp);
            *i = end;
        }
    }
    text
}

/// The exponent after `e` starting at `c[j]`: `12`, `+12`, `-3`, or with spaces around the
/// sign (`+ 12`); the text without spaces and the index after it. None when no digits follow.
fn exponent(c: &[char], mut j: usize) -> Option<(String, usize)> {
    let skip = |j: &mut usize| {
        while *j < c.len() && c[*j].is_whitespace() {
            *j += 1;
        }
    };
    let mut out = String::new();
    if j < c.len() && !c[j].is_ascii_digit() {
        skip(&mut j);
        if j >= c.len() || !(c[j] == '+' || c[j] == '-') {
            return None;
        }
        out.push(c[j]);
        j += 1;
        skip(&mut j);
    }
    let ds = j;
    while j < c.len() && c[j].is_ascii_digit() {
        j += 1;
    }
    if ds == j {
        return None;
    }
    out.extend(&c[ds..j]);
    Some((out, j))
}

fn lex(s: &str) -> std::result::Result<Vec<Tok>, String> {
    let c: Vec<char> = s.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < c.len() {
        let ch = c[i];
        if ch.is_whitespace() {
            i += 1;
        } else if "+-*/^".contains(ch) {
            out.push(Tok::Op(ch));
            i += 1;
        } else if ch == '(' {
            out.push(Tok::Open);
            i += 1;
        } else if ch == ')' {
            out.push(Tok::Close);
            i += 1;
        } else if ch.is_ascii_digit() || ch == '.' {
            let text = number(&c, &mut i);
            if i < c.len() && c[i] == ':' && text.chars().all(|d| d.is_ascii_digit()) {
                // `1:p2`: a parameter of source (or response) number 1, as in rnewpar
                i += 1;
                let n = ref_index(&c, &mut i, &text)?;
                out.push(Tok::Ref(ParRef {
                    model: Some(text),
                    index: n,
                }));
                continue;
            }
            let v: f64 = text
                .parse()
                .map_err(|_| format!("'{text}' is not a number"))?;
            out.push(Tok::Num(v, text));
        } else if ch.is_alphabetic() || ch == '_' {
            let st = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            let word: String = c[st..i].iter().collect();
            if i < c.len() && c[i] == ':' {
                // model:pN or model:N
                i += 1;
                let n = ref_index(&c, &mut i, &word)?;
                out.push(Tok::Ref(ParRef {
                    model: Some(word),
                    index: n,
                }));
            } else if (word.starts_with('p') || word.starts_with('P'))
                && word.len() > 1
                && word[1..].chars().all(|d| d.is_ascii_digit())
            {
                out.push(Tok::Ref(ParRef {
                    model: None,
                    index: word[1..].parse().unwrap_or(0),
                }));
            } else {
                out.push(Tok::Ident(word.to_ascii_lowercase()));
            }
        } else {
            return Err(format!("unexpected '{ch}' in link"));
        }
    }
    Ok(out)
}

/// Deepest nesting (parentheses, unary minus, powers) a link may have: the parser recurses per level.
pub const MAX_DEPTH: usize = 64;
/// Most tokens a link may have: bounds the depth of the tree (a sum of n terms is n deep)
/// that evaluation and printing walk recursively.
pub const MAX_TOKENS: usize = 512;

struct P {
    t: Vec<Tok>,
    i: usize,
    /// Levels of nesting open at `i`.
    depth: usize,
}

impl P {
    /// Run `f` one nesting level deeper, refusing past `MAX_DEPTH`.
    fn nested(
        &mut self,
        f: impl FnOnce(&mut P) -> std::result::Result<Expr, String>,
    ) -> std::result::Result<Expr, String> {
        if self.depth >= MAX_DEPTH {
            return Err(format!("link nests deeper than {MAX_DEPTH} levels"));
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }
    fn peek(&self) -> Option<&Tok> {
        self.t.get(self.i)
    }
    fn sum(&mut self) -> std::result::Result<Expr, String> {
        let mut a = self.prod()?;
        while let Some(Tok::Op(o @ ('+' | '-'))) = self.peek().cloned() {
            self.i += 1;
            let b = self.prod()?;
            a = Expr::Bin(o, Box::new(a), Box::new(b));
        }
        Ok(a)
    }
    fn prod(&mut self) -> std::result::Result<Expr, String> {
        let mut a = self.pow()?;
        loop {
            match self.peek().cloned() {
                Some(Tok::Op(o @ ('*' | '/'))) => {
                    self.i += 1;
                    let b = self.pow()?;
                    a = Expr::Bin(o, Box::new(a), Box::new(b));
                }
                // XSPEC writes `2*(p1 + p2)` as `2(p1 + p2)`: an implied product
                Some(Tok::Open) => {
                    let b = self.pow()?;
                    a = Expr::Bin('*', Box::new(a), Box::new(b));
                }
                _ => return Ok(a),
            }
        }
    }
    fn pow(&mut self) -> std::result::Result<Expr, String> {
        let a = self.unary()?;
        if let Some(Tok::Op('^')) = self.peek() {
            self.i += 1;
            let b = self.nested(|p| p.pow())?;
            return Ok(Expr::Bin('^', Box::new(a), Box::new(b)));
        }
        Ok(a)
    }
    fn unary(&mut self) -> std::result::Result<Expr, String> {
        if let Some(Tok::Op('-')) = self.peek() {
            self.i += 1;
            return Ok(Expr::Neg(Box::new(self.nested(|p| p.unary())?)));
        }
        self.atom()
    }
    fn atom(&mut self) -> std::result::Result<Expr, String> {
        match self.t.get(self.i).cloned() {
            Some(Tok::Num(v, s)) => {
                self.i += 1;
                Ok(Expr::Num(v, s))
            }
            Some(Tok::Ref(r)) => {
                self.i += 1;
                Ok(Expr::Ref(r))
            }
            Some(Tok::Ident(f)) => {
                self.i += 1;
                if self.peek() != Some(&Tok::Open) {
                    return Err(format!(
                        "'{f}' is neither a function nor a parameter reference"
                    ));
                }
                let inner = self.atom()?;
                let inner = match inner {
                    Expr::Paren(e) => e,
                    e => Box::new(e),
                };
                Ok(Expr::Func(f, inner))
            }
            Some(Tok::Open) => {
                self.i += 1;
                let e = self.nested(|p| p.sum())?;
                if self.peek() != Some(&Tok::Close) {
                    return Err("missing ')'".into());
                }
                self.i += 1;
                Ok(Expr::Paren(Box::new(e)))
            }
            t => Err(format!("unexpected {t:?} in link")),
        }
    }
}

/// Functions XSPEC link expressions may use.
const FUNCS: &[&str] = &[
    "exp", "log", "ln", "sqrt", "abs", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh",
    "tanh", "int", "sign",
];

impl Expr {
    /// Parse the text after `=`.
    pub fn parse(text: &str) -> Result<Expr> {
        let toks = lex(text.trim()).map_err(|m| SpectralError::BadLink { msg: m })?;
        if toks.is_empty() {
            return Err(Error::from(SpectralError::BadLink {
                msg: ("empty link").into(),
            }));
        }
        // old form: a lone integer (optionally model:N handled by the lexer) is a reference
        if let [Tok::Num(v, s)] = toks.as_slice() {
            if !s.contains(['.', 'e', 'E']) && *v >= 1.0 {
                return Ok(Expr::Ref(ParRef {
                    model: None,
                    index: *v as usize,
                }));
            }
        }
        if toks.len() > MAX_TOKENS {
            return Err(Error::from(SpectralError::BadLink {
                msg: format!(
                    "link of {} terms and operators is longer than {MAX_TOKENS}",
                    toks.len()
                ),
            }));
        }
        let mut p = P {
            t: toks,
            i: 0,
            depth: 0,
        };
        let e = p.sum().map_err(|m| SpectralError::BadLink { msg: m })?;
        if p.i != p.t.len() {
            return Err(Error::from(SpectralError::BadLink {
                msg: format!("unexpected text in link '{}'", text.trim()),
            }));
        }
        e.check_funcs()?;
        Ok(e)
    }

    fn check_funcs(&self) -> Result<()> {
        match self {
            Expr::Func(f, a) => {
                if !FUNCS.contains(&f.as_str()) {
                    return Err(Error::from(SpectralError::BadLink {
                        msg: format!("unknown function '{f}' in link"),
                    }));
                }
                a.check_funcs()
            }
            Expr::Neg(a) | Expr::Paren(a) => a.check_funcs(),
            Expr::Bin(_, a, b) => a.check_funcs().and(b.check_funcs()),
            _ => Ok(()),
        }
    }

    /// XSPEC's normalised text (without the leading `= `).
    pub fn to_text(&self) -> String {
        match self {
            Expr::Num(_, s) => s.replacen("e+", "e", 1).replacen("E+", "E", 1),
            Expr::Ref(r) => match &r.model {
                Some(m) => format!("{m}:p{}", r.index),
                None => format!("p{}", r.index),
            },
            // XSPEC spaces every + and -, the unary minus included
            Expr::Neg(a) => format!(" - {}", a.to_text()),
            Expr::Bin(o @ ('+' | '-'), a, b) => format!("{} {o} {}", a.to_text(), b.to_text()),
            // and drops a `*` next to a parenthesis
            Expr::Bin('*', a, b) if matches!(**b, Expr::Paren(_)) => {
                format!("{}{}", a.to_text(), b.to_text())
            }
            Expr::Bin(o, a, b) => format!("{}{o}{}", a.to_text(), b.to_text()),
            Expr::Func(f, a) => format!("{f}({})", a.to_text()),
            Expr::Paren(a) => format!("({})", a.to_text()),
        }
    }

    /// Every parameter reference.
    pub fn refs(&self) -> Vec<&ParRef> {
        match self {
            Expr::Ref(r) => vec![r],
            Expr::Neg(a) | Expr::Paren(a) | Expr::Func(_, a) => a.refs(),
            Expr::Bin(_, a, b) => {
                let mut v = a.refs();
                v.extend(b.refs());
                v
            }
            Expr::Num(..) => vec![],
        }
    }

    /// Value, given the value of each reference.
    pub fn eval(&self, value: &dyn Fn(&ParRef) -> f64) -> f64 {
        match self {
            Expr::Num(v, _) => *v,
            Expr::Ref(r) => value(r),
            Expr::Neg(a) => -a.eval(value),
            Expr::Paren(a) => a.eval(value),
            Expr::Bin(o, a, b) => {
                let (x, y) = (a.eval(value), b.eval(value));
                match o {
                    '+' => x + y,
                    '-' => x - y,
                    '*' => x * y,
                    '/' => x / y,
                    _ => x.powf(y),
                }
            }
            Expr::Func(f, a) => {
                let x = a.eval(value);
                match f.as_str() {
                    "exp" => x.exp(),
                    "log" => x.log10(),
                    "ln" => x.ln(),
                    "sqrt" => x.sqrt(),
                    "abs" => x.abs(),
                    "sin" => x.sin(),
                    "cos" => x.cos(),
                    "tan" => x.tan(),
                    "asin" => x.asin(),
                    "acos" => x.acos(),
                    "atan" => x.atan(),
                    "sinh" => x.sinh(),
                    "cosh" => x.cosh(),
                    "tanh" => x.tanh(),
                    "int" => x.trunc(),
                    _ => x.signum(),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_or_long_links_are_refused_not_overflowed() {
        // each of these once overflowed the stack (parse, eval or drop)
        let parens = |n| format!("{}p1{}", "(".repeat(n), ")".repeat(n));
        let minus = |n| format!("{}p1", "-".repeat(n));
        let powers = |n| vec!["p1"; n].join("^");
        for text in [parens(7_000), minus(58_000), powers(30_000)] {
            let e = Expr::parse(&text).unwrap_err().to_string();
            assert!(e.contains("longer than 512"), "{e}");
        }
        for text in [parens(100), minus(100), powers(100)] {
            let e = Expr::parse(&text).unwrap_err().to_string();
            assert_eq!(e, "link nests deeper than 64 levels");
        }
        let terms = format!("p1{}", "+p1".repeat(52_000));
        let e = Expr::parse(&terms).unwrap_err().to_string();
        assert_eq!(e, "link of 104001 terms and operators is longer than 512");
        // within the limits
        let ok = format!("{}p1{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(Expr::parse(&ok).is_ok());
        let ok = format!("p1{}", "+p1".repeat(200));
        assert_eq!(Expr::parse(&ok).unwrap().eval(&|_| 1.0), 201.0);
        // a non-ASCII character is refused, not sliced
        assert!(Expr::parse("é1 + p1").is_err());
        assert!(Expr::parse("p1 + 2·p2").is_err());
    }

    #[test]
    fn normalisation() {
        let n = |s: &str| Expr::parse(s).unwrap().to_text();
        assert_eq!(n("1.118002e+00 * apbgd:3"), "1.118002e00*apbgd:p3");
        assert_eq!(n("7.164754e-01*intbgd:p7"), "7.164754e-01*intbgd:p7");
        assert_eq!(n("p20-p33"), "p20 - p33");
        assert_eq!(n("5"), "p5");
        assert_eq!(n("oot:p1"), "oot:p1");
        assert_eq!(n("0.5 * (p3 + p4)"), "0.5(p3 + p4)");
        assert_eq!(n("0.5(p3 + p4)"), "0.5(p3 + p4)");
        assert_eq!(n("-p3"), " - p3");
        assert_eq!(n(" - p3"), " - p3");
        assert_eq!(n("exp(p2)/2"), "exp(p2)/2");
        for s in ["1.118002e00*apbgd:p3", "p20 - p33", "= x"].iter().take(2) {
            assert_eq!(n(s), *s, "idempotent");
        }
        assert!(Expr::parse("p3 +").is_err());
        // XSPEC's old writer spaced the exponent's sign; 6.20 reads one number, writes e12
        assert_eq!(n("intbgd:34*1.49632e + 12"), "intbgd:p34*1.49632e12");
        assert_eq!(n("p34*1.5e - 3"), "p34*1.5e-3");
        assert_eq!(n("p34*1.5E  +  3 + p2"), "p34*1.5E3 + p2");
        assert_eq!(n("2e5*p1"), "2e5*p1");
        let v = Expr::parse("p1*1.49632e + 12").unwrap().eval(&|_| 2.0);
        assert_eq!(v, 2.0 * 1.49632e12);
        // an `e` not followed by an exponent is not part of the number
        assert!(Expr::parse("2e*p1").is_err());
        assert!(Expr::parse("2e + p1").is_err());
        assert!(Expr::parse("foo(p3)").is_err());
        let e = Expr::parse("2*p3 + icm:p1").unwrap();
        assert_eq!(
            e.eval(&|r| if r.model.is_none() { 10.0 } else { 1.0 }),
            21.0
        );
        assert_eq!(e.refs().len(), 2);
    }
}
