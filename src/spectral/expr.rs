//! XSPEC model expressions: components joined by `+` and `*` with parentheses
//! (`constant*(cutoffpl + lorentz)`, `apec + lorentz + lorentz`), numbered in order of
//! appearance. A component name seen before is renamed `<name>_<position>` (1-based), as
//! XSPEC does: `apec + lorentz + lorentz` has components apec, lorentz, lorentz_3.
//! Parameters are numbered through the components in the same order.

use crate::error::{Error, Result, SpectralError};
use crate::spectral::models::{self, ComponentSpec, Kind, ParamSpec};

/// One component of an expression.
#[derive(Debug, Clone)]
pub struct Component {
    /// Name as XSPEC assigns it (`lorentz_3`).
    pub name: String,
    /// The component as typed (kept for unknown components such as `atable{f.mod}`).
    pub typed: String,
    /// Known component, or None (kept verbatim; evaluating it is an error).
    pub spec: Option<&'static ComponentSpec>,
}

impl Component {
    /// Parameter descriptions (None for unknown components).
    pub fn params(&self) -> Option<Vec<ParamSpec>> {
        self.spec.map(|s| s.all_params())
    }
}

#[derive(Debug, Clone)]
enum Node {
    Comp(usize),
    Sum(Vec<Node>),
    Prod(Vec<Node>),
}

/// A parsed expression.
#[derive(Debug, Clone)]
pub struct Expression {
    /// The expression text as given.
    pub text: String,
    pub components: Vec<Component>,
    root: Node,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Name(String),
    Plus,
    Star,
    Open,
    Close,
}

/// The braces of a component number written into a name (`lorentz{3}`): named, so that
/// line-based brace counters (the structure check) read the tokenizer's length right.
const OPEN_BRACE: char = '{';
const CLOSE_BRACE: char = '}';

fn tokens(s: &str) -> Result<Vec<Tok>> {
    let mut out = Vec::new();
    let cs: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        match c {
            ' ' | '\t' => i += 1,
            '+' => {
                out.push(Tok::Plus);
                i += 1
            }
            '*' => {
                out.push(Tok::Star);
                i += 1
            }
            '(' => {
                out.push(Tok::Open);
                i += 1
            }
            ')' => {
                out.push(Tok::Close);
                i += 1
            }
            c if c.is_ascii_alphanumeric() || c == '_' => {
                let start = i;
                while i < cs.len()
                    && (cs[i].is_ascii_alphanumeric() || cs[i] == '_' || cs[i] == OPEN_BRACE)
                {
                    if cs[i] == OPEN_BRACE {
                        while i < cs.len() && cs[i] != CLOSE_BRACE {
                            i += 1;
                        }
                    }
                    i += 1;
                }
                out.push(Tok::Name(cs[start..i.min(cs.len())].iter().collect()));
            }
            _ => {
                return Err(Error::from(SpectralError::BadExpression {
                    msg: format!("unexpected '{c}' in model expression '{s}'"),
                }))
            }
        }
    }
    Ok(out)
}

/// Deepest nesting of parentheses a model expression may have (the parser recurses per level).
pub const MAX_DEPTH: usize = 64;
/// Longest model expression (characters) read.
pub const MAX_LEN: usize = 10_000;

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    comps: Vec<Component>,
    /// Parentheses open at `pos`.
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }
    fn expr(&mut self) -> Result<Node> {
        let mut terms = vec![self.term()?];
        while self.peek() == Some(&Tok::Plus) {
            self.pos += 1;
            terms.push(self.term()?);
        }
        Ok(if terms.len() == 1 {
            terms.pop().unwrap()
        } else {
            Node::Sum(terms)
        })
    }
    fn term(&mut self) -> Result<Node> {
        let mut f = vec![self.factor()?];
        loop {
            match self.peek() {
                Some(Tok::Star) => {
                    self.pos += 1;
                    f.push(self.factor()?);
                }
                // XSPEC's implicit product: phabs(powerlaw + bbody)
                Some(Tok::Open) => f.push(self.factor()?),
                _ => break,
            }
        }
        Ok(if f.len() == 1 {
            f.pop().unwrap()
        } else {
            Node::Prod(f)
        })
    }
    fn factor(&mut self) -> Result<Node> {
        match self.toks.get(self.pos).cloned() {
            Some(Tok::Name(n)) => {
                self.pos += 1;
                let index = self.comps.len() + 1;
                let spec = models::lookup(&n);
                let base = spec
                    .map(|s| s.name.to_string())
                    .unwrap_or_else(|| n.clone());
                let name = if self.comps.iter().any(|c| {
                    c.name == base
                        || c.name.starts_with(&format!("{base}_"))
                            && c.spec.map(|s| s.name) == spec.map(|s| s.name)
                }) {
                    format!("{base}_{index}")
                } else {
                    base
                };
                self.comps.push(Component {
                    name,
                    typed: n,
                    spec,
                });
                Ok(Node::Comp(index - 1))
            }
            Some(Tok::Open) => {
                if self.depth >= MAX_DEPTH {
                    return Err(Error::from(SpectralError::BadExpression {
                        msg: format!(
                            "model expression nests parentheses deeper than {MAX_DEPTH} levels"
                        ),
                    }));
                }
                self.pos += 1;
                self.depth += 1;
                let e = self.expr()?;
                self.depth -= 1;
                if self.peek() != Some(&Tok::Close) {
                    return Err(Error::from(SpectralError::BadExpression {
                        msg: ("missing ')' in model expression").into(),
                    }));
                }
                self.pos += 1;
                Ok(e)
            }
            other => Err(Error::from(SpectralError::BadExpression {
                msg: format!("expected a component name in model expression, found {other:?}"),
            })),
        }
    }
}

enum Value {
    Flux(Vec<f64>),
    Factor(Vec<f64>),
}

impl Expression {
    /// Parse an expression. Unknown component names are kept (see `Component::spec`).
    pub fn parse(text: &str) -> Result<Expression> {
        let chars = text.chars().count();
        if chars > MAX_LEN {
            return Err(Error::from(SpectralError::BadExpression {
                msg: format!("model expression of {chars} characters is longer than {MAX_LEN}"),
            }));
        }
        let toks = tokens(text)?;
        if toks.is_empty() {
            return Err(Error::from(SpectralError::BadExpression {
                msg: ("empty model expression").into(),
            }));
        }
        let mut p = Parser {
            toks,
            pos: 0,
            comps: Vec::new(),
            depth: 0,
        };
        let root = p.expr()?;
        if p.pos != p.toks.len() {
            return Err(Error::from(SpectralError::BadExpression {
                msg: format!(
                    "unexpected text after position {} in model expression '{text}'",
                    p.pos
                ),
            }));
        }
        Ok(Expression {
            text: text.trim().to_string(),
            components: p.comps,
            root,
        })
    }

    /// Parameter descriptions in XSPEC order, or an error naming the first unknown component.
    pub fn params(&self) -> Result<Vec<ParamSpec>> {
        let mut v = Vec::new();
        for c in &self.components {
            v.extend(c.params().ok_or_else(|| {
                Error::from(SpectralError::UnknownComponent {
                    name: c.typed.to_string(),
                })
            })?);
        }
        Ok(v)
    }

    /// Index of the first parameter of each component.
    fn offsets(&self) -> Result<Vec<usize>> {
        let mut off = Vec::new();
        let mut n = 0;
        for c in &self.components {
            off.push(n);
            n += c
                .params()
                .ok_or_else(|| {
                    Error::from(SpectralError::UnknownComponent {
                        name: c.typed.to_string(),
                    })
                })?
                .len();
        }
        Ok(off)
    }

    /// Photon flux per bin (photons cm⁻² s⁻¹ per bin) on `edges` for all parameters in
    /// XSPEC order.
    pub fn eval(&self, params: &[f64], edges: &[f64]) -> Result<Vec<f64>> {
        models::check_grid(edges)?;
        let specs = self.params()?;
        if params.len() != specs.len() {
            return Err(Error::from(SpectralError::CountMismatch {
                msg: format!(
                    "model '{}' has {} parameters, {} given",
                    self.text,
                    specs.len(),
                    params.len()
                ),
            }));
        }
        let off = self.offsets()?;
        match self.node(&self.root, params, &off, edges)? {
            Value::Flux(f) => Ok(f),
            Value::Factor(_) => Err(Error::from(SpectralError::BadExpression {
                msg: format!("model '{}' has no additive component", self.text),
            })),
        }
    }

    /// For an expression that is a plain sum of known additive components: the range of
    /// each component's parameters (its norm last). None otherwise.
    pub fn additive_terms(&self) -> Option<Vec<std::ops::Range<usize>>> {
        let plain = match &self.root {
            Node::Comp(_) => true,
            Node::Sum(t) => t.iter().all(|n| matches!(n, Node::Comp(_))),
            Node::Prod(_) => false,
        };
        if !plain
            || self
                .components
                .iter()
                .any(|c| c.spec.map(|s| s.kind) != Some(Kind::Additive))
        {
            return None;
        }
        let off = self.offsets().ok()?;
        Some(
            self.components
                .iter()
                .zip(off)
                .map(|(c, o)| o..o + c.params().map_or(0, |p| p.len()))
                .collect(),
        )
    }

    /// Flux of component `i` alone (additive components only).
    pub fn eval_component(&self, i: usize, params: &[f64], edges: &[f64]) -> Result<Vec<f64>> {
        let off = self.offsets()?;
        self.comp(i, params, &off, edges)
    }

    fn comp(&self, i: usize, params: &[f64], off: &[usize], edges: &[f64]) -> Result<Vec<f64>> {
        let c = &self.components[i];
        let spec = c.spec.ok_or_else(|| {
            Error::from(SpectralError::CannotEvaluate {
                name: c.typed.to_string(),
            })
        })?;
        let n = spec.params.len();
        let p = &params[off[i]..off[i] + n];
        let mut out = vec![0.0; edges.len() - 1];
        (spec.eval)(p, edges, &mut out).map_err(|e| {
            Error::from(SpectralError::ComponentFailed {
                name: c.name.to_string(),
                inner: Box::new(e),
            })
        })?;
        if spec.kind == Kind::Additive {
            let norm = params[off[i] + n];
            out.iter_mut().for_each(|v| *v *= norm);
        }
        Ok(out)
    }

    fn node(&self, n: &Node, params: &[f64], off: &[usize], edges: &[f64]) -> Result<Value> {
        match n {
            Node::Comp(i) => {
                let v = self.comp(*i, params, off, edges)?;
                Ok(match self.components[*i].spec.map(|s| s.kind) {
                    Some(Kind::Multiplicative) => Value::Factor(v),
                    _ => Value::Flux(v),
                })
            }
            Node::Sum(terms) => {
                let mut acc = vec![0.0; edges.len() - 1];
                for t in terms {
                    match self.node(t, params, off, edges)? {
                        Value::Flux(f) => acc.iter_mut().zip(f).for_each(|(a, b)| *a += b),
                        Value::Factor(_) => {
                            return Err(Error::from(SpectralError::BadExpression {
                                msg: format!(
                                    "'{}': a multiplicative component cannot be added",
                                    self.text
                                ),
                            }))
                        }
                    }
                }
                Ok(Value::Flux(acc))
            }
            Node::Prod(fs) => {
                let mut factor = vec![1.0; edges.len() - 1];
                let mut flux: Option<Vec<f64>> = None;
                for f in fs {
                    match self.node(f, params, off, edges)? {
                        Value::Factor(v) => factor.iter_mut().zip(v).for_each(|(a, b)| *a *= b),
                        Value::Flux(v) if flux.is_none() => flux = Some(v),
                        Value::Flux(_) => {
                            return Err(Error::from(SpectralError::BadExpression {
                                msg: format!(
                                    "'{}': two additive terms cannot be multiplied",
                                    self.text
                                ),
                            }))
                        }
                    }
                }
                Ok(match flux {
                    Some(mut v) => {
                        v.iter_mut().zip(&factor).for_each(|(a, b)| *a *= b);
                        Value::Flux(v)
                    }
                    None => Value::Factor(factor),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_or_long_expressions_are_refused_not_overflowed() {
        // 10k nested parentheses once overflowed the stack
        let deep = |n| format!("{}apec{}", "(".repeat(n), ")".repeat(n));
        let e = Expression::parse(&deep(10_000)).unwrap_err();
        assert!(e.to_string().contains("longer than 10000"), "{e}");
        let e = Expression::parse(&deep(4_000)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "model expression nests parentheses deeper than 64 levels"
        );
        let ok = format!("{}apec{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(Expression::parse(&ok).is_ok());
        let long = vec!["apec"; 5_000].join("+");
        let e = Expression::parse(&long).unwrap_err();
        assert!(e.to_string().contains("longer than"), "{e}");
    }

    #[test]
    fn names_and_numbering_follow_xspec() {
        let e = Expression::parse("apec + lorentz + lorentz + lorentz").unwrap();
        let names: Vec<&str> = e.components.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["apec", "lorentz", "lorentz_3", "lorentz_4"]);
        assert_eq!(e.params().unwrap().len(), 4 + 3 * 3);
        let e = Expression::parse("constant*(cutoffpl + lorentz)").unwrap();
        assert_eq!(
            e.params()
                .unwrap()
                .iter()
                .map(|p| p.name)
                .collect::<Vec<_>>(),
            ["factor", "PhoIndex", "HighECut", "norm", "LineE", "Width", "norm"]
        );
        let e = Expression::parse("bknpo").unwrap();
        assert_eq!(e.components[0].name, "bknpower");
    }

    #[test]
    fn products_sums_and_unknowns() {
        let edges: Vec<f64> = (0..=10).map(|i| 1.0 + i as f64).collect();
        let e = Expression::parse("constant*powerlaw + constant(powerlaw)").unwrap();
        let f = e.eval(&[2.0, 0.0, 3.0, 7.0, 0.0, 5.0], &edges).unwrap();
        assert!((f[0] - (2.0 * 3.0 + 7.0 * 5.0)).abs() < 1e-12);
        let u = Expression::parse("atable{grxe.mod} + powerlaw").unwrap();
        assert!(u.components[0].spec.is_none());
        assert!(u
            .eval(&[1.0], &edges)
            .unwrap_err()
            .message()
            .contains("atable{grxe.mod}"));
        assert!(Expression::parse("powerlaw +").is_err());
        assert!(Expression::parse("(powerlaw").is_err());
        assert!(Expression::parse("powerlaw*powerlaw")
            .unwrap()
            .eval(&[1.0, 1.0, 1.0, 1.0], &edges)
            .is_err());
    }

    #[test]
    fn line_and_continuum_identities() {
        // lorentz integrates to its norm over E > 0 (a fine grid from 0 to far out)
        let edges: Vec<f64> = (0..=200_000).map(|i| i as f64 * 0.05).collect();
        let e = Expression::parse("lorentz").unwrap();
        let f = e.eval(&[3.54, 0.425, 2.0], &edges).unwrap();
        let total: f64 = f.iter().sum();
        // the tail beyond 10 MeV-equivalent is W/(π E) of the line
        assert!(
            (total - 2.0).abs() < 2.0 * 0.425 / (std::f64::consts::PI * 1e4) * 1.1,
            "{total}"
        );
        // bknpower is continuous: the bin density just below and above the break agree
        let b = Expression::parse("bknpower").unwrap();
        let fine = [9.999, 10.0, 10.001];
        let v = b.eval(&[1.5, 10.0, 2.5, 1.0], &fine).unwrap();
        assert!((v[0] / v[1] - 1.0).abs() < 1e-3);
        // gaussian: total flux 1 and symmetric about a centre on an edge
        let g = Expression::parse("gaussian").unwrap();
        let edges: Vec<f64> = (0..=2000).map(|i| 5.0 + i as f64 * 0.001).collect();
        let f = g.eval(&[6.0, 0.05, 1.0], &edges).unwrap();
        assert!((f.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!((f[999] - f[1000]).abs() < 1e-12);
    }
}
