//! Lowering: a compiled script's AST into the direct path's program.
//!
//! The program keeps the AST's shape — the same statements, the same
//! expressions, dot and index chains nested as rhai nests them — so that
//! the evaluator can follow rhai's own evaluation step for step and count
//! the same operations. What changes is what is resolved once here instead
//! of on every call: variables become slots in the function's frame, calls
//! name a script function or one of the native functions the direct path
//! knows, literals become constants.
//!
//! Lowering refuses (returns `None`) anything outside what the evaluator
//! mirrors exactly: modules, closures and function pointers, `this`,
//! `switch`, `try`, characters, custom syntax, calls with a namespace or
//! capturing the caller's scope, functions it does not know, and script
//! functions called as methods. A script that uses any of them runs on
//! rhai's interpreter alone.

use std::collections::HashMap;

use super::value::Key;
use rhai::{AST, ASTFlags, ASTNode, Dynamic, Expr as RExpr, FnCallExpr, Stmt as RStmt, Token};

/// A lowered script: every script function, and which one is `score`.
pub(in crate::rhai) struct Program {
    pub(super) funcs: Vec<Func>,
    pub(super) score: usize,
}

pub(super) struct Func {
    /// Slots of the frame: parameters, then every variable declared.
    pub(super) slots: usize,
    /// The body's statements. A call to a function with none costs no
    /// operation, as in rhai.
    pub(super) body: Box<[Stmt]>,
}

pub(super) type Block = Box<[Stmt]>;

pub(super) enum Stmt {
    Noop,
    Expr(Expr),
    /// A function call as a statement: rhai evaluates it without counting
    /// an expression.
    Call(Box<Call>),
    Block(Block),
    Let(u32, Expr),
    /// `var = value` or `var op= value`.
    Assign(u32, Option<BinOp>, Expr),
    /// `a.b[c] = value` or with an operator.
    SetChain(Box<CBin>, Kind, Option<BinOp>, Expr),
    If(Expr, Block, Block),
    /// `loop` and `while true`.
    Loop(Block),
    While(Expr, Block),
    /// `do { } while/until cond`; `true` for `until`.
    Do(Block, Expr, bool),
    For(Box<For>),
    Break(Option<Expr>),
    Continue(Option<Expr>),
    Return(Option<Expr>),
    /// `throw`: always an error, which only rhai words.
    Throw,
}

pub(super) struct For {
    pub(super) var: u32,
    pub(super) counter: Option<u32>,
    pub(super) iter: Expr,
    pub(super) body: Block,
}

/// A constant.
#[derive(Clone)]
pub(super) enum Konst {
    Unit,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Box<str>),
    Array(Box<[Konst]>),
    Map(Box<[(Box<str>, Konst)]>),
    Range(i64, i64),
    RangeIncl(i64, i64),
}

pub(super) enum Expr {
    /// A literal rhai returns without evaluating anything else.
    Const(Konst),
    Var(u32),
    Interp(Box<[Expr]>),
    Array(Box<[Expr]>),
    /// A map literal: its entries in the order written.
    Map(Box<[(Box<str>, Expr)]>),
    And(Box<[Expr]>),
    Or(Box<[Expr]>),
    Coalesce(Box<[Expr]>),
    Call(Box<Call>),
    Block(Block),
    /// A dot or index chain.
    Chain(Box<CBin>, Kind),
}

/// A function argument: a literal costs rhai one operation and no
/// evaluation.
pub(super) enum Arg {
    Lit(Konst),
    Expr(Expr),
}

pub(super) struct Call {
    pub(super) kind: CallKind,
    pub(super) args: Box<[Arg]>,
}

pub(super) enum CallKind {
    Unary(UnOp),
    Binary(BinOp),
    /// A call by name. `first_var` is set when the first argument is a
    /// variable, which rhai passes by reference: `(slot, is constant)`;
    /// the first argument in `args` is then not evaluated.
    Func {
        callee: Callee,
        first_var: Option<(u32, bool)>,
    },
}

#[derive(Clone, Copy)]
pub(super) enum Callee {
    Script(usize),
    Native(Native),
    TypeOf,
    /// `print` and `debug`: rhai's log is kept by rhai.
    Bail,
}

/// The native functions the direct path runs itself, for the argument
/// types it knows; any other types leave the call to rhai.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Native {
    ToFloat,
    ToInt,
    ToString,
    Len,
    IsEmpty,
    Contains,
    Keys,
    Values,
    Push,
    Abs,
    Sign,
    Floor,
    Ceiling,
    Round,
    Int,
    Fraction,
    Sqrt,
    Min,
    Max,
}

/// The native functions by name and arity.
const NATIVES: &[(&str, usize, Native)] = &[
    ("to_float", 1, Native::ToFloat),
    ("to_int", 1, Native::ToInt),
    ("to_string", 1, Native::ToString),
    ("len", 1, Native::Len),
    ("is_empty", 1, Native::IsEmpty),
    ("contains", 2, Native::Contains),
    ("keys", 1, Native::Keys),
    ("values", 1, Native::Values),
    ("push", 2, Native::Push),
    ("abs", 1, Native::Abs),
    ("sign", 1, Native::Sign),
    ("floor", 1, Native::Floor),
    ("ceiling", 1, Native::Ceiling),
    ("round", 1, Native::Round),
    ("int", 1, Native::Int),
    ("fraction", 1, Native::Fraction),
    ("sqrt", 1, Native::Sqrt),
    ("min", 2, Native::Min),
    ("max", 2, Native::Max),
];

impl Native {
    fn lookup(name: &str, arity: usize) -> Option<Native> {
        NATIVES
            .iter()
            .find(|(n, a, _)| *n == name && *a == arity)
            .map(|(.., f)| *f)
    }

    /// Whether the function changes its first argument.
    pub(super) fn mutates(self) -> bool {
        self == Native::Push
    }
}

/// Whether a script function may not take this name for the direct path
/// to run it: rhai would resolve a call of it to the script's function
/// and the direct path to its own, or to its own syntax (`type_of`).
fn native_name(name: &str) -> bool {
    NATIVES.iter().any(|(n, ..)| *n == name) || ["type_of", "print", "debug"].contains(&name)
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum UnOp {
    Not,
    Neg,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Pow,
    Shl,
    Shr,
    And,
    Or,
    Xor,
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    Range,
    RangeIncl,
}

impl BinOp {
    /// `+ - * / % **`: the operators of an op-assignment that rhai
    /// expands to `x = x op y` when no built-in op-assignment fits.
    pub(super) fn is_arithmetic(self) -> bool {
        matches!(
            self,
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem | BinOp::Pow
        )
    }

    fn from_token(t: &Token) -> Option<BinOp> {
        Some(match t {
            Token::Plus => BinOp::Add,
            Token::Minus => BinOp::Sub,
            Token::Multiply => BinOp::Mul,
            Token::Divide => BinOp::Div,
            Token::Modulo => BinOp::Rem,
            Token::PowerOf => BinOp::Pow,
            Token::LeftShift => BinOp::Shl,
            Token::RightShift => BinOp::Shr,
            Token::Ampersand => BinOp::And,
            Token::Pipe => BinOp::Or,
            Token::XOr => BinOp::Xor,
            Token::EqualsTo => BinOp::Eq,
            Token::NotEqualsTo => BinOp::Ne,
            Token::GreaterThan => BinOp::Gt,
            Token::GreaterThanEqualsTo => BinOp::Ge,
            Token::LessThan => BinOp::Lt,
            Token::LessThanEqualsTo => BinOp::Le,
            Token::ExclusiveRange => BinOp::Range,
            Token::InclusiveRange => BinOp::RangeIncl,
            _ => return None,
        })
    }
}

/// Dot (`.`) or index (`[]`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Dot,
    Index,
}

/// The two sides of a dot or index expression, with its flags.
pub(super) struct CBin {
    pub(super) lhs: CExpr,
    pub(super) rhs: CExpr,
    /// `?.` or `?[`.
    pub(super) negated: bool,
    /// The chain ends here: the rhs is an index value, not a further step.
    pub(super) brk: bool,
    /// Whether the rhs has a method that changes its target.
    pub(super) writes: bool,
}

/// An expression inside a chain, shaped as rhai's.
pub(super) enum CExpr {
    Dot(Box<CBin>),
    Index(Box<CBin>),
    Property(Box<Prop>),
    Method(Box<Method>),
    /// The root variable: `(slot, is constant)`.
    Var(u32, bool),
    /// Any other expression: the root, or an index value.
    Value(Arg),
}

pub(super) struct Prop {
    pub(super) name: Box<str>,
    pub(super) key: Key,
}

pub(super) struct Method {
    pub(super) native: Native,
    pub(super) args: Box<[Arg]>,
}

impl CExpr {
    /// Whether evaluating the chain may change its root: a method that
    /// changes its target.
    pub(super) fn writes(&self) -> bool {
        match self {
            CExpr::Dot(b) | CExpr::Index(b) => b.writes,
            CExpr::Method(m) => m.native.mutates(),
            _ => false,
        }
    }
}

/// Lowers every script function of `ast`; `None` when any part of any
/// function is outside what the direct path runs.
pub(in crate::rhai) fn lower(ast: &AST, max_variables: usize) -> Option<Program> {
    // Script functions by name and arity; methods on a type and
    // anonymous functions (closures) are not run directly.
    let mut sigs: HashMap<(String, usize), usize> = HashMap::new();
    let mut ranges = Vec::new();
    for (i, def) in ast.iter_fn_def().enumerate() {
        if def.this_type.is_some() || def.name.starts_with("anon$") {
            return None;
        }
        if native_name(&def.name) {
            return None;
        }
        sigs.insert((def.name.to_string(), def.params.len()), i);
        ranges.push((
            def.body.start_position(),
            def.body.end_position(),
            def.params.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
        ));
    }
    let score = *sigs.get(&("score".to_string(), 2))?;

    // The function bodies' statements are only reachable through a walk of
    // the AST: the main statements come first, then each function's in
    // turn, each inside its function's span.
    let mut lowerers: Vec<Lowerer<'_>> = ranges
        .iter()
        .map(|(_, _, params)| Lowerer::new(params, &sigs))
        .collect();
    let mut bodies: Vec<Vec<Stmt>> = ranges.iter().map(|_| Vec::new()).collect();
    let mut main_left = ast.statements().len();
    let mut cur = 0;
    let mut ok = true;
    ast.walk(&mut |path: &[ASTNode<'_>]| {
        let [ASTNode::Stmt(stmt)] = path else {
            return true;
        };
        if main_left > 0 {
            main_left -= 1;
            return true;
        }
        let at = stmt.position();
        while cur < ranges.len() && !(ranges[cur].0 <= at && at <= ranges[cur].1) {
            cur += 1;
        }
        let lowered = (cur < ranges.len())
            .then(|| lowerers[cur].stmt(stmt))
            .flatten();
        match lowered {
            Some(s) => {
                bodies[cur].push(s);
                true
            }
            None => {
                ok = false;
                false
            }
        }
    });
    if !ok {
        return None;
    }
    let mut funcs = Vec::with_capacity(bodies.len());
    for (lowerer, body) in lowerers.into_iter().zip(bodies) {
        if lowerer.slots >= max_variables {
            return None;
        }
        funcs.push(Func {
            slots: lowerer.slots,
            body: body.into_boxed_slice(),
        });
    }
    Some(Program { funcs, score })
}

/// Lowers one function's statements, resolving its variables to slots.
struct Lowerer<'s> {
    slots: usize,
    /// Variables in scope: name, slot, whether constant; innermost last.
    scope: Vec<(String, u32, bool)>,
    sigs: &'s HashMap<(String, usize), usize>,
}

impl<'s> Lowerer<'s> {
    fn new(params: &[String], sigs: &'s HashMap<(String, usize), usize>) -> Self {
        Lowerer {
            slots: params.len(),
            scope: params
                .iter()
                .enumerate()
                .map(|(i, p)| (p.clone(), i as u32, false))
                .collect(),
            sigs,
        }
    }

    /// Whether the script defines a function of this name, of any arity.
    fn script_fn(&self, name: &str) -> bool {
        self.sigs.keys().any(|(n, _)| n == name)
    }

    fn declare(&mut self, name: &str, constant: bool) -> u32 {
        let slot = self.slots as u32;
        self.slots += 1;
        self.scope.push((name.to_string(), slot, constant));
        slot
    }

    fn resolve(&self, name: &str) -> Option<(u32, bool)> {
        self.scope
            .iter()
            .rev()
            .find(|(n, ..)| n == name)
            .map(|(_, slot, c)| (*slot, *c))
    }

    fn block(&mut self, stmts: &[RStmt]) -> Option<Block> {
        let depth = self.scope.len();
        let out = stmts
            .iter()
            .map(|s| self.stmt(s))
            .collect::<Option<Vec<_>>>();
        self.scope.truncate(depth);
        out.map(Vec::into_boxed_slice)
    }

    fn stmt(&mut self, s: &RStmt) -> Option<Stmt> {
        Some(match s {
            RStmt::Noop(_) => Stmt::Noop,
            RStmt::Expr(e) => Stmt::Expr(self.expr(e)?),
            RStmt::FnCall(call, _) => Stmt::Call(Box::new(self.call(call)?)),
            RStmt::Block(b) => Stmt::Block(self.block(b.statements())?),
            RStmt::Var(x, flags, _) => {
                let (ident, init, _) = &**x;
                if flags.intersects(ASTFlags::EXPORTED) {
                    return None;
                }
                // The value is evaluated before the name is in scope.
                let value = self.expr(init)?;
                let slot = self.declare(&ident.name, flags.intersects(ASTFlags::CONSTANT));
                Stmt::Let(slot, value)
            }
            RStmt::Assignment(x) => {
                let (op_info, bin) = &**x;
                let op = match op_info.get_op_assignment_info() {
                    None => None,
                    Some((.., op, _)) => Some(BinOp::from_token(op)?),
                };
                let value = self.expr(&bin.rhs)?;
                match &bin.lhs {
                    RExpr::Variable(v, ..) => {
                        if !v.2.is_empty() {
                            return None;
                        }
                        let (slot, constant) = self.resolve(&v.1)?;
                        if constant {
                            return None;
                        }
                        Stmt::Assign(slot, op, value)
                    }
                    RExpr::Dot(b, flags, _) | RExpr::Index(b, flags, _) => {
                        let kind = kind_of(&bin.lhs);
                        let chain = self.cbin(b, *flags, true)?;
                        if let CExpr::Var(_, true) = chain.lhs {
                            return None;
                        }
                        Stmt::SetChain(Box::new(chain), kind, op, value)
                    }
                    _ => return None,
                }
            }
            RStmt::If(x, _) => {
                let cond = self.expr(&x.expr)?;
                Stmt::If(
                    cond,
                    self.block(x.body.statements())?,
                    self.block(x.branch.statements())?,
                )
            }
            RStmt::While(x, _) => match x.expr {
                RExpr::Unit(..) | RExpr::BoolConstant(true, ..) => {
                    Stmt::Loop(self.block(x.body.statements())?)
                }
                ref cond => {
                    let cond = self.expr(cond)?;
                    Stmt::While(cond, self.block(x.body.statements())?)
                }
            },
            RStmt::Do(x, flags, _) => {
                let body = self.block(x.body.statements())?;
                let cond = self.expr(&x.expr)?;
                Stmt::Do(body, cond, flags.intersects(ASTFlags::NEGATED))
            }
            RStmt::For(x, _) => {
                let (var, counter, flow) = &**x;
                let iter = self.expr(&flow.expr)?;
                let depth = self.scope.len();
                let counter = counter.as_ref().map(|c| self.declare(&c.name, false));
                let var = self.declare(&var.name, false);
                let body = self.block(flow.body.statements());
                self.scope.truncate(depth);
                Stmt::For(Box::new(For {
                    var,
                    counter,
                    iter,
                    body: body?,
                }))
            }
            RStmt::BreakLoop(value, flags, _) => {
                let value = match value {
                    Some(v) => Some(self.expr(v)?),
                    None => None,
                };
                if flags.intersects(ASTFlags::BREAK) {
                    Stmt::Break(value)
                } else {
                    Stmt::Continue(value)
                }
            }
            RStmt::Return(_, flags, _) if flags.intersects(ASTFlags::BREAK) => Stmt::Throw,
            RStmt::Return(value, ..) => Stmt::Return(match value {
                Some(v) => Some(self.expr(v)?),
                None => None,
            }),
            _ => return None,
        })
    }

    fn expr(&mut self, e: &RExpr) -> Option<Expr> {
        Some(match e {
            RExpr::DynamicConstant(..)
            | RExpr::BoolConstant(..)
            | RExpr::IntegerConstant(..)
            | RExpr::FloatConstant(..)
            | RExpr::StringConstant(..)
            | RExpr::Unit(..) => Expr::Const(konst(&e.get_literal_value(None)?)?),
            RExpr::CharConstant(..) => return None,
            RExpr::InterpolatedString(parts, _) => Expr::Interp(self.exprs(parts)?),
            RExpr::Array(items, _) => Expr::Array(self.exprs(items)?),
            RExpr::Map(x, _) => {
                let (entries, template) = &**x;
                // Every key of the template is written in the literal.
                if template.len() != entries.len() {
                    return None;
                }
                let mut out = Vec::with_capacity(entries.len());
                for (key, value) in entries {
                    out.push((Box::from(key.name.as_str()), self.expr(value)?));
                }
                Expr::Map(out.into_boxed_slice())
            }
            RExpr::Variable(v, ..) => {
                if !v.2.is_empty() {
                    return None;
                }
                Expr::Var(self.resolve(&v.1)?.0)
            }
            RExpr::FnCall(call, _) => Expr::Call(Box::new(self.call(call)?)),
            RExpr::Stmt(b) => Expr::Block(self.block(b.statements())?),
            RExpr::And(x, _) => Expr::And(self.exprs(x)?),
            RExpr::Or(x, _) => Expr::Or(self.exprs(x)?),
            RExpr::Coalesce(x, _) => Expr::Coalesce(self.exprs(x)?),
            RExpr::Dot(b, flags, _) | RExpr::Index(b, flags, _) => {
                let kind = kind_of(e);
                let chain = self.cbin(b, *flags, false)?;
                Expr::Chain(Box::new(chain), kind)
            }
            _ => return None,
        })
    }

    fn exprs(&mut self, es: &[RExpr]) -> Option<Box<[Expr]>> {
        es.iter()
            .map(|e| self.expr(e))
            .collect::<Option<Vec<_>>>()
            .map(Vec::into_boxed_slice)
    }

    fn arg(&mut self, e: &RExpr) -> Option<Arg> {
        Some(match e.get_literal_value(None) {
            Some(v) => Arg::Lit(konst(&v)?),
            None => Arg::Expr(self.expr(e)?),
        })
    }

    fn args(&mut self, es: &[RExpr]) -> Option<Box<[Arg]>> {
        es.iter()
            .map(|e| self.arg(e))
            .collect::<Option<Vec<_>>>()
            .map(Vec::into_boxed_slice)
    }

    fn call(&mut self, call: &FnCallExpr) -> Option<Call> {
        if !call.namespace.is_empty() || call.capture_parent_scope {
            return None;
        }
        let argc = call.args.len();
        if let Some(op) = &call.op_token {
            if argc == 1 {
                let op = match op {
                    Token::Bang => UnOp::Not,
                    Token::Minus | Token::UnaryMinus => UnOp::Neg,
                    _ => return None,
                };
                return Some(Call {
                    kind: CallKind::Unary(op),
                    args: self.args(&call.args)?,
                });
            }
            if argc == 2 {
                return Some(Call {
                    kind: CallKind::Binary(BinOp::from_token(op)?),
                    args: self.args(&call.args)?,
                });
            }
            return None;
        }
        let name = call.name.as_str();
        let callee = if name == "type_of" && argc == 1 {
            Callee::TypeOf
        } else if (name == "print" || name == "debug") && argc <= 1 {
            Callee::Bail
        } else if let Some(&i) = self
            .sigs
            .get(&(name.to_string(), argc))
            .filter(|_| !call.hashes.is_native_only())
        {
            Callee::Script(i)
        } else if self.script_fn(name) {
            // A script function of this name with another arity: rhai
            // would look it up first; leave the call to rhai.
            return None;
        } else {
            Callee::Native(Native::lookup(name, argc)?)
        };
        let first_var = match call.args.first() {
            Some(RExpr::Variable(v, ..)) if v.2.is_empty() => Some(self.resolve(&v.1)?),
            Some(RExpr::Variable(..)) => return None,
            _ => None,
        };
        let args = match first_var {
            Some(_) => {
                let mut args = vec![Arg::Lit(Konst::Unit)];
                args.extend(self.args(&call.args[1..])?.into_vec());
                args.into_boxed_slice()
            }
            None => self.args(&call.args)?,
        };
        Some(Call {
            kind: CallKind::Func { callee, first_var },
            args,
        })
    }

    /// The outermost dot or index expression of a chain, whose lhs is the
    /// chain's root: a variable, or (when not assigned through) any
    /// expression.
    fn cbin(&mut self, b: &rhai::BinaryExpr, flags: ASTFlags, assign: bool) -> Option<CBin> {
        let lhs = match &b.lhs {
            RExpr::Variable(v, ..) if v.2.is_empty() => {
                let (slot, constant) = self.resolve(&v.1)?;
                CExpr::Var(slot, constant)
            }
            // Only a variable can be assigned through.
            _ if assign => return None,
            RExpr::Variable(..) | RExpr::ThisPtr(..) => return None,
            other => CExpr::Value(Arg::Expr(self.expr(other)?)),
        };
        let rhs = self.cexpr(&b.rhs, flags.intersects(ASTFlags::BREAK))?;
        let chain = CBin {
            lhs,
            writes: rhs.writes(),
            rhs,
            negated: flags.intersects(ASTFlags::NEGATED),
            brk: flags.intersects(ASTFlags::BREAK),
        };
        // A method that changes its target, on a constant root: rhai
        // refuses it at run time.
        if let CExpr::Var(_, true) = chain.lhs
            && chain.rhs.writes()
        {
            return None;
        }
        Some(chain)
    }

    /// The rest of a chain, below its root. Below a node that ends the
    /// chain (`brk`), the rhs is a whole expression: an index value.
    fn cexpr(&mut self, e: &RExpr, parent_brk: bool) -> Option<CExpr> {
        if parent_brk {
            return Some(CExpr::Value(self.arg(e)?));
        }
        Some(match e {
            RExpr::Dot(b, flags, _) | RExpr::Index(b, flags, _) => {
                let lhs = self.cexpr_step(&b.lhs)?;
                let rhs = self.cexpr(&b.rhs, flags.intersects(ASTFlags::BREAK))?;
                let bin = Box::new(CBin {
                    writes: lhs.writes() || rhs.writes(),
                    lhs,
                    rhs,
                    negated: flags.intersects(ASTFlags::NEGATED),
                    brk: flags.intersects(ASTFlags::BREAK),
                });
                match e {
                    RExpr::Dot(..) => CExpr::Dot(bin),
                    _ => CExpr::Index(bin),
                }
            }
            other => self.cexpr_step(other)?,
        })
    }

    /// One step of a chain: a property, a method, or an index value.
    fn cexpr_step(&mut self, e: &RExpr) -> Option<CExpr> {
        Some(match e {
            RExpr::Property(p, _) => CExpr::Property(Box::new(Prop {
                name: Box::from(p.2.as_str()),
                key: Key::of(p.2.as_str()),
            })),
            RExpr::MethodCall(call, _) => {
                if !call.namespace.is_empty() || call.capture_parent_scope {
                    return None;
                }
                let name = call.name.as_str();
                // A script function called as a method binds `this`.
                if self.script_fn(name) {
                    return None;
                }
                let native = Native::lookup(name, call.args.len() + 1)?;
                CExpr::Method(Box::new(Method {
                    native,
                    args: self.args(&call.args)?,
                }))
            }
            other => CExpr::Value(self.arg(other)?),
        })
    }
}

fn kind_of(e: &RExpr) -> Kind {
    match e {
        RExpr::Index(..) => Kind::Index,
        _ => Kind::Dot,
    }
}

/// A constant from rhai's literal value; `None` for kinds the direct path
/// does not hold (characters, function pointers, blobs, ...).
fn konst(v: &Dynamic) -> Option<Konst> {
    if v.is_unit() {
        return Some(Konst::Unit);
    }
    if let Ok(b) = v.as_bool() {
        return Some(Konst::Bool(b));
    }
    if let Ok(i) = v.as_int() {
        return Some(Konst::Int(i));
    }
    if let Ok(f) = v.as_float() {
        return Some(Konst::Float(f));
    }
    if let Some(s) = v.read_lock::<rhai::ImmutableString>() {
        return Some(Konst::Str(Box::from(s.as_str())));
    }
    if let Some(a) = v.read_lock::<rhai::Array>() {
        return a
            .iter()
            .map(konst)
            .collect::<Option<Vec<_>>>()
            .map(|a| Konst::Array(a.into_boxed_slice()));
    }
    if let Some(m) = v.read_lock::<rhai::Map>() {
        return m
            .iter()
            .map(|(k, v)| konst(v).map(|v| (Box::from(k.as_str()), v)))
            .collect::<Option<Vec<_>>>()
            .map(|m| Konst::Map(m.into_boxed_slice()));
    }
    if let Some(r) = v.read_lock::<std::ops::Range<i64>>() {
        return Some(Konst::Range(r.start, r.end));
    }
    if let Some(r) = v.read_lock::<std::ops::RangeInclusive<i64>>() {
        return Some(Konst::RangeIncl(*r.start(), *r.end()));
    }
    None
}
