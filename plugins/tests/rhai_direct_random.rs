//! Random scripts, run with the rhai direct path and without.
//!
//! A seeded generator writes `score` functions from the constructs the
//! direct path runs — every operator on every pair of value kinds, chains
//! into the record, the params and the script's own maps and arrays,
//! assignments through them, loops, script functions, the native
//! functions — and each is run both ways on three records. The two must
//! agree on the card or the error, the operation count and the output
//! size. Many generated calls fail (a type mismatch, an overflow), which
//! leaves the direct path; the test also requires that a good share of
//! calls finished on it, so that it is the direct path being compared.
//!
//! `MUSTER_RANDOM_SCRIPTS=n` runs `n` scripts instead of the default 1,500,
//! and `MUSTER_RANDOM_SEED=s` writes them from another seed.

mod common;

use common::{SHOW, inputs, params};
use muster_plugins::{RhaiLimits, RhaiRoute, RhaiRuntime};

/// The kind of value an expression is written to have.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Ty {
    Int,
    Float,
    Str,
    Bool,
    Array,
    Map,
    /// Anything, including what makes rhai raise an error.
    Any,
}

const TYS: &[Ty] = &[
    Ty::Int,
    Ty::Float,
    Ty::Str,
    Ty::Bool,
    Ty::Array,
    Ty::Map,
    Ty::Any,
];

struct Gen {
    state: u64,
    vars: Vec<(String, Ty)>,
    depth: usize,
    in_loop: usize,
    out: String,
}

const FLOATS: &[&str] = &[
    "0.0",
    "-0.0",
    "1.5",
    "0.1",
    "2.5",
    "1e300",
    "1e-300",
    "123.456",
    "-7.25",
    "3.0",
    "0.2",
    "0.3",
    "0.30000000000000004",
    "1.0000000000000002",
    "2555.0",
    "3600.0",
];
const INTS: &[&str] = &[
    "0",
    "1",
    "2",
    "-3",
    "7",
    "100",
    "9223372036854775807",
    "-9223372036854775807",
    "64",
    "-1",
];
const STRS: &[&str] = &[
    "\"\"",
    "\"a\"",
    "\"done\"",
    "\"muster\"",
    "\"南塘\"",
    "\"unsafe-act\"",
    "\"x y\"",
    "\"base\"",
];
const BINOPS: &[&str] = &[
    "+", "-", "*", "/", "%", "**", "==", "!=", "<", "<=", ">", ">=", "&", "|", "^", "<<", ">>",
];
const ASSIGN_OPS: &[&str] = &["=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "**="];
const METHODS0: &[&str] = &[
    "len",
    "is_empty",
    "keys",
    "values",
    "to_float",
    "to_int",
    "to_string",
    "abs",
    "sign",
    "floor",
    "ceiling",
    "round",
    "int",
    "fraction",
    "sqrt",
];
const PATHS: &[&str] = &[
    "record",
    "record.tasks",
    "record.critical",
    "record.penalties",
    "record.elapsed",
    "record.time_limit",
    "record.team",
    "record.attempt",
    "params",
    "params.nested",
    "params.nested.list",
    "params.penalty_points",
    "params.dq_codes",
    "params.base",
    "params.ratio",
    "params.nothing",
];

impl Gen {
    fn new(seed: u64) -> Gen {
        Gen {
            state: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
            vars: Vec::new(),
            depth: 0,
            in_loop: 0,
            out: String::new(),
        }
    }

    fn next(&mut self) -> u64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.state
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'s>(&mut self, from: &[&'s str]) -> &'s str {
        from[self.below(from.len())]
    }

    /// A variable of this type, if there is one.
    fn var(&mut self, ty: Ty) -> Option<String> {
        let of: Vec<String> = self
            .vars
            .iter()
            .filter(|(_, t)| ty == Ty::Any || *t == ty)
            .map(|(n, _)| n.clone())
            .collect();
        if of.is_empty() {
            return None;
        }
        let i = self.below(of.len());
        Some(of[i].clone())
    }

    /// A literal, half the time through `id()` so that rhai's optimizer
    /// does not fold it away before the evaluator sees it.
    fn lit(&mut self, from: &[&str]) -> String {
        let l = self.pick(from);
        if self.below(2) == 0 {
            format!("id({l})")
        } else {
            l.to_string()
        }
    }

    fn any_ty(&mut self) -> Ty {
        TYS[self.below(TYS.len())]
    }

    /// An expression of type `ty`, kept shallow.
    fn expr(&mut self, ty: Ty) -> String {
        self.depth += 1;
        let leaf = self.depth > 3;
        let e = match self.var(ty) {
            Some(v) if self.below(3) == 0 => v,
            _ => match ty {
                Ty::Int => self.int(leaf),
                Ty::Float => self.float(leaf),
                Ty::Str => self.string(leaf),
                Ty::Bool => self.boolean(leaf),
                Ty::Array => self.array(leaf),
                Ty::Map => self.map(leaf),
                Ty::Any => self.any(leaf),
            },
        };
        self.depth -= 1;
        e
    }

    fn int(&mut self, leaf: bool) -> String {
        match if leaf { self.below(3) } else { self.below(12) } {
            0 => self.lit(INTS),
            1 => self
                .pick(&[
                    "record.attempt",
                    "params.base",
                    "params.nested.list[0]",
                    "params.penalty_points[\"unsafe-act\"]",
                ])
                .to_string(),
            2 => self.pick(&["3", "5", "-2"]).to_string(),
            3 => {
                let op = self.pick(&["+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>"]);
                format!("({} {op} {})", self.int(true), self.expr(Ty::Int))
            }
            4 => format!("-{}", self.expr(Ty::Int)),
            5 => format!("{}.len()", self.target(Ty::Array)),
            6 => format!("len({})", self.expr(Ty::Str)),
            7 => format!("{}.to_int()", self.expr(Ty::Float)),
            8 => format!(
                "{}({}, {})",
                self.pick(&["min", "max"]),
                self.expr(Ty::Int),
                self.expr(Ty::Int)
            ),
            9 => format!("abs({})", self.expr(Ty::Int)),
            10 => format!("sign({})", self.expr(Ty::Float)),
            _ => format!(
                "if {} {{ {} }} else {{ {} }}",
                self.expr(Ty::Bool),
                self.expr(Ty::Int),
                self.expr(Ty::Int)
            ),
        }
    }

    fn float(&mut self, leaf: bool) -> String {
        match if leaf { self.below(2) } else { self.below(10) } {
            0 => self.lit(FLOATS),
            1 => self
                .pick(&["record.elapsed", "params.ratio", "params.nested.list[1]"])
                .to_string(),
            2 | 3 => {
                let op = self.pick(&["+", "-", "*", "/", "%", "**"]);
                let (a, b) = if self.below(2) == 0 {
                    (self.expr(Ty::Float), self.expr(Ty::Int))
                } else {
                    (self.expr(Ty::Int), self.expr(Ty::Float))
                };
                format!("({a} {op} {b})")
            }
            4 => format!("-{}", self.expr(Ty::Float)),
            5 => format!("{}.to_float()", self.expr(Ty::Int)),
            6 => format!(
                "{}.{}()",
                self.expr(Ty::Float),
                self.pick(&[
                    "floor", "ceiling", "round", "int", "fraction", "sqrt", "abs"
                ])
            ),
            7 => format!(
                "{}({}, {})",
                self.pick(&["min", "max"]),
                self.expr(Ty::Float),
                self.expr(Ty::Int)
            ),
            8 => format!(
                "({} ?? {})",
                self.pick(&["record.time_limit", "params.nothing"]),
                self.expr(Ty::Float)
            ),
            _ => format!(
                "({} {} {})",
                self.expr(Ty::Float),
                self.pick(&["+", "*", "-", "/"]),
                self.expr(Ty::Float)
            ),
        }
    }

    fn string(&mut self, leaf: bool) -> String {
        match if leaf { self.below(2) } else { self.below(8) } {
            0 => self.lit(STRS),
            1 => self
                .pick(&[
                    "record.team",
                    "record.scenario",
                    "record.version",
                    "params.nested.list[2]",
                ])
                .to_string(),
            2 => format!("({} + {})", self.expr(Ty::Str), self.expr(Ty::Str)),
            3 => {
                let t = self.any_ty();
                format!(
                    "`{} ${{{}}} {}`",
                    self.pick(&["x", "", "南"]),
                    self.expr(t),
                    self.pick(&["", "y"])
                )
            }
            4 => {
                let t = self.pick_scalar();
                format!("to_string({})", self.expr(t))
            }
            5 => format!("type_of({})", self.any(true)),
            6 => format!(
                "{}.keys()[{}]",
                self.target(Ty::Map),
                self.pick(&["0", "-1", "1"])
            ),
            _ => format!(
                "({} ?? {})",
                self.pick(&["params.nothing", "record.tasks.muster.rating"]),
                self.expr(Ty::Str)
            ),
        }
    }

    fn pick_scalar(&mut self) -> Ty {
        [Ty::Int, Ty::Float, Ty::Str, Ty::Bool][self.below(4)]
    }

    fn boolean(&mut self, leaf: bool) -> String {
        match if leaf { self.below(2) } else { self.below(10) } {
            0 => self
                .pick(&["true", "false", "params.nested.list.is_empty()"])
                .to_string(),
            1 => self
                .pick(&[
                    "(\"rating\" in record.tasks.move)",
                    "(\"muster\" in record.tasks)",
                    "record.critical.is_empty()",
                ])
                .to_string(),
            2 | 3 => {
                let t = self.pick_scalar();
                let op = self.pick(&["==", "!=", "<", ">", "<=", ">="]);
                let t2 = if self.below(4) == 0 {
                    self.pick_scalar()
                } else {
                    t
                };
                format!("({} {op} {})", self.expr(t), self.expr(t2))
            }
            4 => format!("!{}", self.expr(Ty::Bool)),
            5 => format!(
                "({} {} {})",
                self.expr(Ty::Bool),
                self.pick(&["&&", "||", "&", "|", "^"]),
                self.expr(Ty::Bool)
            ),
            6 => format!("({} in {})", self.expr(Ty::Str), self.target(Ty::Map)),
            7 => format!(
                "{}.contains({})",
                self.target(Ty::Array),
                self.expr(Ty::Str)
            ),
            8 => format!("({} == ())", self.any(true)),
            _ => format!("{}.contains({})", self.expr(Ty::Str), self.expr(Ty::Str)),
        }
    }

    fn array(&mut self, leaf: bool) -> String {
        match if leaf { self.below(2) } else { self.below(6) } {
            0 => self.pick(&["[]", "[1, 2]", "[\"a\"]"]).to_string(),
            1 => self
                .pick(&[
                    "record.critical",
                    "record.penalties",
                    "params.dq_codes",
                    "params.nested.list",
                ])
                .to_string(),
            2 => {
                let (a, b) = (self.any_ty(), self.any_ty());
                format!("[{}, {}]", self.expr(a), self.expr(b))
            }
            3 => format!("{}.keys()", self.target(Ty::Map)),
            4 => format!("{}.values()", self.target(Ty::Map)),
            _ => {
                let t = self.any_ty();
                format!("helper({}, {})", self.expr(t), self.expr(t))
            }
        }
    }

    fn map(&mut self, leaf: bool) -> String {
        match if leaf { self.below(2) } else { self.below(5) } {
            0 => self
                .pick(&["#{}", "#{ a: 1 }", "#{ x: \"y\", b: [] }"])
                .to_string(),
            1 => self
                .pick(&[
                    "record",
                    "record.tasks",
                    "record.tasks.muster",
                    "params",
                    "params.nested",
                    "params.penalty_points",
                    "record.penalties[0]",
                ])
                .to_string(),
            2 => {
                let (a, b) = (self.any_ty(), self.any_ty());
                format!("#{{ a: {}, b: {} }}", self.expr(a), self.expr(b))
            }
            3 => format!(
                "record.tasks[{}]",
                self.pick(&["\"muster\"", "\"move\"", "\"a\"", "record.critical[0]"])
            ),
            _ => format!(
                "{}[{}]",
                self.pick(&["record.tasks", "params"]),
                self.expr(Ty::Str)
            ),
        }
    }

    /// Anything: mostly well-typed, sometimes not.
    fn any(&mut self, leaf: bool) -> String {
        if leaf {
            return self.pick(PATHS).to_string();
        }
        match self.below(8) {
            0 => {
                let (a, op, b) = (self.any(true), self.pick(BINOPS), self.any(true));
                format!("({a} {op} {b})")
            }
            1 => format!("{}.{}()", self.any(true), self.pick(METHODS0)),
            2 => format!("{}[{}]", self.any(true), self.index()),
            3 => format!(
                "{}{}{}",
                self.any(true),
                self.pick(&[".", "?."]),
                self.pick(&["a", "b", "muster", "base", "list", "code", "team", "x"])
            ),
            4 => format!("-{}", self.any(true)),
            5 => format!("!{}", self.any(true)),
            _ => {
                let t = self.any_ty();
                self.expr(t)
            }
        }
    }

    fn target(&mut self, ty: Ty) -> String {
        match self.var(ty) {
            Some(v) if self.below(2) == 0 => v,
            _ => {
                let e = self.expr(ty);
                format!("({e})")
            }
        }
    }

    fn index(&mut self) -> String {
        match self.below(4) {
            0 => self.pick(&["0", "1", "-1", "2", "5"]).to_string(),
            1 => self.pick(STRS).to_string(),
            2 => self
                .pick(&[
                    "\"muster\"",
                    "\"move\"",
                    "\"a\"",
                    "\"list\"",
                    "\"missing-kit\"",
                ])
                .to_string(),
            _ => self.expr(Ty::Any),
        }
    }

    fn line(&mut self, s: &str) {
        self.out.push_str(s);
        self.out.push('\n');
    }

    fn declare(&mut self, ty: Ty) -> String {
        let name = format!("v{}", self.vars.len());
        self.vars.push((name.clone(), ty));
        name
    }

    fn stmt(&mut self, budget: &mut usize) {
        if *budget == 0 {
            return;
        }
        *budget -= 1;
        match self.below(15) {
            0..=2 => {
                let ty = self.any_ty();
                let e = self.expr(ty);
                let name = self.declare(ty);
                self.line(&format!("let {name} = {e};"));
            }
            3 => {
                let ty = self.any_ty();
                if let Some(v) = self.var(ty) {
                    let op = match ty {
                        Ty::Int => self.pick(ASSIGN_OPS),
                        Ty::Float => self.pick(&["=", "+=", "-=", "*=", "/=", "%=", "**="]),
                        Ty::Str => self.pick(&["=", "+="]),
                        Ty::Bool => self.pick(&["=", "&=", "|=", "^="]),
                        _ => "=",
                    };
                    let rhs = if op != "=" && self.below(3) == 0 {
                        self.any_ty()
                    } else if op != "=" && ty == Ty::Float && self.below(2) == 0 {
                        Ty::Int
                    } else {
                        ty
                    };
                    let e = self.expr(rhs);
                    self.line(&format!("{v} {op} {e};"));
                }
            }
            4 => {
                if let Some(v) = self.var(Ty::Map) {
                    let prop = self.pick(&["a", "b", "x", "base", "muster"]);
                    let ty = self.any_ty();
                    let e = self.expr(ty);
                    if self.below(2) == 0 {
                        self.line(&format!("{v}[\"{prop}\"] = {e};"));
                    } else {
                        self.line(&format!("{v}.{prop} = {e};"));
                    }
                } else if let Some(v) = self.var(Ty::Array) {
                    let i = self.pick(&["0", "-1", "1"]);
                    let ty = self.any_ty();
                    let e = self.expr(ty);
                    self.line(&format!("{v}[{i}] = {e};"));
                }
            }
            5 => {
                if let Some(v) = self.var(Ty::Array) {
                    let ty = self.any_ty();
                    let e = self.expr(ty);
                    if self.below(2) == 0 {
                        self.line(&format!("{v}.push({e});"));
                    } else {
                        self.line(&format!("push({v}, {e});"));
                    }
                }
            }
            6 => {
                let c = self.expr(Ty::Bool);
                self.line(&format!("if {c} {{"));
                let depth = self.vars.len();
                self.stmt(budget);
                self.vars.truncate(depth);
                self.line("} else {");
                self.stmt(budget);
                self.vars.truncate(depth);
                self.line("}");
            }
            7 => {
                let (over, ty) = match self.below(5) {
                    0 => (format!("0..{}", self.below(4)), Ty::Int),
                    1 => (format!("1..={}", self.below(4)), Ty::Int),
                    2 => ("record.critical".into(), Ty::Str),
                    3 => ("record.penalties".into(), Ty::Map),
                    _ => (self.expr(Ty::Array), Ty::Any),
                };
                let depth = self.vars.len();
                let name = self.declare(ty);
                self.line(&format!("for {name} in {over} {{"));
                self.in_loop += 1;
                self.stmt(budget);
                self.stmt(budget);
                self.in_loop -= 1;
                self.vars.truncate(depth);
                self.line("}");
            }
            8 => {
                let n = self.below(4);
                let depth = self.vars.len();
                let name = self.declare(Ty::Int);
                self.line(&format!(
                    "let {name} = 0; while {name} < {n} {{ {name} += 1;"
                ));
                self.in_loop += 1;
                self.stmt(budget);
                self.in_loop -= 1;
                self.vars.truncate(depth);
                self.line("}");
            }
            11 => {
                // Assignment deep in a chain, maybe with an operator.
                if let Some(v) = self.var(Ty::Map) {
                    let (p, q) = (self.pick(&["a", "b", "x"]), self.pick(&["a", "b", "list"]));
                    let op = self.pick(&["=", "+=", "*=", "-="]);
                    let ty = self.any_ty();
                    let e = self.expr(ty);
                    match self.below(3) {
                        0 => self.line(&format!("{v}.{p}.{q} {op} {e};")),
                        1 => self.line(&format!("{v}[\"{p}\"][0] {op} {e};")),
                        _ => self.line(&format!("{v}.{p}[-1] {op} {e};")),
                    }
                }
            }
            12 => {
                let depth = self.vars.len();
                let name = self.declare(Ty::Int);
                let kind = self.below(3);
                match kind {
                    0 => self.line(&format!("let {name} = 0; do {{ {name} += 1;")),
                    1 => self.line(&format!(
                        "let {name} = 0; loop {{ {name} += 1; if {name} > 3 {{ break; }}"
                    )),
                    _ => {
                        let c = self.below(5);
                        self.line(&format!("const {name} = {c}; {{"));
                    }
                }
                self.in_loop += usize::from(kind < 2);
                self.stmt(budget);
                self.in_loop -= usize::from(kind < 2);
                self.vars.truncate(depth);
                let n = self.below(4);
                match (kind, self.below(2)) {
                    (0, 0) => self.line(&format!("}} while {name} < {n};")),
                    (0, _) => self.line(&format!("}} until {name} >= {n};")),
                    _ => self.line("}"),
                }
            }
            9 if self.in_loop > 0 => {
                let s = self.pick(&["break;", "continue;"]);
                let c = self.expr(Ty::Bool);
                self.line(&format!("if {c} {{ {s} }}"));
            }
            10 if self.below(4) == 0 => {
                let ty = self.any_ty();
                let e = self.expr(ty);
                self.line(&format!(
                    "return #{{ total: 1.0, status: \"valid\", notes: [show({e})] }};"
                ));
            }
            _ => {
                let ty = self.any_ty();
                let e = self.expr(ty);
                self.line(&format!("out.push(show({e}));"));
            }
        }
    }

    fn script(&mut self) -> String {
        self.out.clear();
        self.vars.clear();
        let mut budget = 6 + self.below(8);
        while budget > 0 {
            self.stmt(&mut budget);
        }
        format!(
            "{SHOW}\nfn helper(a, b) {{ if type_of(a) == type_of(b) {{ [a, b] }} else {{ [a] }} }}\n\
             fn score(record, params) {{\n    let out = [];\n{}\n    \
             #{{ total: 0.0, status: \"valid\", reason: \"\", notes: out }}\n}}\n",
            self.out
        )
    }
}

#[test]
fn random_scripts_agree_with_the_interpreter() {
    let scripts: u64 = std::env::var("MUSTER_RANDOM_SCRIPTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1500);
    let seed: u64 = std::env::var("MUSTER_RANDOM_SEED")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20261207);
    let params = params();
    let mut limits = RhaiLimits::default();
    limits.max_operations = 20_000;
    let direct_rt = RhaiRuntime::new(limits.clone());
    let rhai_rt = RhaiRuntime::new(limits).direct(false);
    let inputs = inputs();
    let (mut runs, mut direct_runs, mut compiled) = (0, 0, 0);
    let mut writer = Gen::new(seed);
    for n in 0..scripts {
        let src = writer.script();
        let (Ok(direct), Ok(rhai)) = (direct_rt.load("r.rhai", &src), rhai_rt.load("r.rhai", &src))
        else {
            continue;
        };
        compiled += 1;
        for (i, input) in inputs.iter().enumerate() {
            let (d, r) = (direct.run(input, &params), rhai.run(input, &params));
            let show = |run: &muster_plugins::RhaiRun| match &run.result {
                Ok(card) => format!("{card:?}"),
                Err(e) => format!("error: {e}"),
            };
            let at = format!("script {n}, input {i}:\n{src}");
            assert_eq!(show(&d), show(&r), "{at}");
            assert_eq!(
                d.stats.work_used,
                r.stats.work_used,
                "operations, {at}\n{}",
                show(&d)
            );
            assert_eq!(d.stats.output_bytes, r.stats.output_bytes, "output, {at}");
            runs += 1;
            if d.route() == RhaiRoute::Direct {
                direct_runs += 1;
            } else if std::env::var_os("MUSTER_RANDOM_REASONS").is_some() {
                eprintln!(
                    "{:?} | {}",
                    d.route(),
                    show(&r).chars().take(150).collect::<String>()
                );
                if r.result.is_ok() {
                    eprintln!("SCRIPT {src}");
                }
            }
        }
    }
    eprintln!("{compiled} of {scripts} scripts compiled; {direct_runs} of {runs} runs direct");
    assert!(
        compiled * 2 > scripts,
        "only {compiled} of {scripts} scripts compiled"
    );
    assert!(
        direct_runs * 4 > runs,
        "only {direct_runs} of {runs} runs finished on the direct path"
    );
}
