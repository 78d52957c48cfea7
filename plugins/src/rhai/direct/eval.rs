//! The evaluator: runs a lowered program the way rhai's interpreter runs
//! the AST it came from.
//!
//! Each function here follows the rhai function of the same role
//! (`eval_stmt`, `eval_expr`, `eval_fn_call_expr`, the three functions of
//! a dot/index chain, `call_script_fn`) and counts an operation wherever
//! that function does, so a call that finishes here reports the count rhai
//! would have reported. Whatever rhai would have turned into an error —
//! and whatever this evaluator does not mirror — stops the call with
//! [`Flow::Bail`]; the caller then runs it on rhai, which words the error.

use std::rc::Rc;
use std::time::Instant;

use smallvec::SmallVec;

use super::lower::{
    Arg, BinOp, CBin, CExpr, Call, CallKind, Callee, Expr, For, Kind, Konst, Native, Program, Stmt,
    UnOp,
};
use super::ops;
use super::value::{Map, Text, Val};

/// Why evaluation left the straight path.
pub(super) enum Flow<'a> {
    /// Leave the call to rhai; the reason is for tests and profiling.
    Bail(&'static str),
    Return(Val<'a>),
    Break(Val<'a>),
    Continue,
}

pub(super) type R<'a, T> = Result<T, Flow<'a>>;

/// A call's arguments, or a chain's index values: held inline.
type Vals<'a> = SmallVec<[Val<'a>; 4]>;

pub(super) fn bail<'a, T>(why: &'static str) -> R<'a, T> {
    Err(Flow::Bail(why))
}

/// The limits a call runs under, as rhai's engine holds them.
#[derive(Clone, Copy)]
pub(in crate::rhai) struct Bounds {
    pub(in crate::rhai) max_operations: u64,
    pub(in crate::rhai) max_call_levels: usize,
    pub(in crate::rhai) max_string: usize,
    pub(in crate::rhai) max_array: usize,
    pub(in crate::rhai) max_map: usize,
    pub(in crate::rhai) deadline: Instant,
}

/// What a `for` loop runs over: a snapshot of the array (or array view),
/// or a range of integers.
enum Items<'a> {
    Ints(i64, i64),
    Incl(std::ops::RangeInclusive<i64>),
    Array(Val<'a>, usize, usize),
}

impl<'a> Iterator for Items<'a> {
    type Item = Val<'a>;

    fn next(&mut self) -> Option<Val<'a>> {
        match self {
            Items::Ints(a, b) => (*a < *b).then(|| {
                *a += 1;
                Val::Int(*a - 1)
            }),
            Items::Incl(r) => r.next().map(Val::Int),
            Items::Array(v, i, len) => (*i < *len).then(|| {
                *i += 1;
                v.item(*i - 1).unwrap_or_default()
            }),
        }
    }
}

/// Most bytes of the host's stack a call's evaluation may take below
/// where it started: past this it leaves the call to rhai, whose own
/// limits are sized for the host's stack. A debug build's frames are
/// about three times an optimised build's, so it is given twice the room:
/// simple recursion reaches rhai's call-level limit either way, and the
/// deepest expressions at every level leave to rhai, the whole call
/// fitting a 1 MiB thread (tested).
const STACK_BUDGET: usize = if cfg!(debug_assertions) {
    256 * 1024
} else {
    128 * 1024
};

/// Where on the host's stack the caller is (the address of a local).
#[inline(always)]
fn stack_here() -> usize {
    let marker = 0u8;
    std::ptr::addr_of!(marker) as usize
}

/// How often the deadline is read, in operations (as the rhai runtime's
/// progress callback does).
const CLOCK_EVERY: u64 = 1024;

pub(super) struct Machine<'a> {
    prog: &'a Program,
    bounds: Bounds,
    pub(super) ops: u64,
    /// rhai's call level of the running function.
    level: usize,
    /// Array items, map entries and string bytes made so far in this call,
    /// an upper bound on the sizes of any value it holds: while each stays
    /// within its limit, no value can break one of rhai's size checks.
    made: (usize, usize, usize),
    /// The frames of the running functions, one after another.
    stack: SmallVec<[Val<'a>; 16]>,
    base: usize,
    /// Text being interpolated, kept between uses.
    scratch: String,
    /// Where on the host's stack the call started.
    stack_top: usize,
}

impl<'a> Machine<'a> {
    pub(super) fn new(prog: &'a Program, bounds: Bounds) -> Self {
        Machine {
            prog,
            bounds,
            ops: 0,
            level: 0,
            made: (0, 0, 0),
            stack: SmallVec::new(),
            base: 0,
            scratch: String::new(),
            stack_top: stack_here(),
        }
    }

    /// Runs `score(record, params)`.
    pub(super) fn score(&mut self, record: Val<'a>, params: Val<'a>) -> R<'a, Val<'a>> {
        self.call_script(self.prog.score, smallvec::smallvec![record, params], 0)
    }

    /// Leaves the call to rhai when it has taken more of the host's stack
    /// than [`STACK_BUDGET`].
    #[inline(always)]
    fn deep(&self) -> R<'a, ()> {
        if self.stack_top.abs_diff(stack_here()) > STACK_BUDGET {
            return bail("host stack");
        }
        Ok(())
    }

    #[inline]
    fn tick(&mut self) -> R<'a, ()> {
        self.ops += 1;
        if self.bounds.max_operations > 0 && self.ops > self.bounds.max_operations {
            return bail("operations");
        }
        if self.ops.is_multiple_of(CLOCK_EVERY) && Instant::now() > self.bounds.deadline {
            return bail("deadline");
        }
        Ok(())
    }

    /// Counts what placing `v` into an array or map adds.
    fn place(&mut self, v: &Val<'a>, array: bool) -> R<'a, ()> {
        let (a, m, s) = v.sizes();
        if array {
            self.made.0 += 1;
        } else {
            self.made.1 += 1;
        }
        self.made = (self.made.0 + a, self.made.1 + m, self.made.2 + s);
        self.check_made()
    }

    fn made_string(&mut self, len: usize) -> R<'a, ()> {
        self.made.2 += len;
        self.check_made()
    }

    fn check_made(&self) -> R<'a, ()> {
        let b = &self.bounds;
        if (b.max_array > 0 && self.made.0 > b.max_array)
            || (b.max_map > 0 && self.made.1 > b.max_map)
            || (b.max_string > 0 && self.made.2 > b.max_string)
        {
            return bail("data size");
        }
        Ok(())
    }

    fn slot(&mut self, slot: u32) -> &mut Val<'a> {
        &mut self.stack[self.base + slot as usize]
    }

    fn konst(&mut self, k: &'a Konst) -> R<'a, Val<'a>> {
        Ok(match k {
            Konst::Unit => Val::Unit,
            Konst::Bool(b) => Val::Bool(*b),
            Konst::Int(i) => Val::Int(*i),
            Konst::Float(f) => Val::Float(*f),
            Konst::Str(s) => Val::Str(Text::Ref(s)),
            Konst::Range(a, b) => Val::Range(*a, *b),
            Konst::RangeIncl(a, b) => Val::RangeIncl(*a, *b),
            Konst::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for k in items.iter() {
                    let v = self.konst(k)?;
                    self.place(&v, true)?;
                    out.push(v);
                }
                Val::Array(Rc::new(out))
            }
            Konst::Map(entries) => {
                let mut out = Map::new();
                for (key, k) in entries.iter() {
                    let v = self.konst(k)?;
                    self.place(&v, false)?;
                    out.insert(Text::Ref(key), v);
                }
                Val::Map(Rc::new(out))
            }
        })
    }

    // ---- functions -------------------------------------------------------

    /// `call_script_fn`: `level` is the caller's level plus what rhai adds
    /// on the way in.
    fn call_script(&mut self, f: usize, args: Vals<'a>, level: usize) -> R<'a, Val<'a>> {
        let func = &self.prog.funcs[f];
        if func.body.is_empty() {
            return Ok(Val::Unit);
        }
        let saved_level = std::mem::replace(&mut self.level, level);
        self.tick()?;
        if self.level > self.bounds.max_call_levels {
            return bail("call levels");
        }
        let saved_base = self.base;
        self.base = self.stack.len();
        self.stack.extend(args);
        self.stack.resize(self.base + func.slots, Val::Unit);
        let out = self.block(&func.body);
        self.stack.truncate(self.base);
        self.base = saved_base;
        self.level = saved_level;
        match out {
            Ok(v) | Err(Flow::Return(v)) => Ok(v),
            Err(Flow::Bail(why)) => bail(why),
            Err(Flow::Break(_) | Flow::Continue) => bail("break outside a loop"),
        }
    }

    /// `exec_fn_call` with evaluated arguments, the first of which is
    /// `first` when it is a variable (passed by reference).
    fn exec(&mut self, callee: Callee, mut args: Vals<'a>) -> R<'a, Val<'a>> {
        match callee {
            Callee::TypeOf => Ok(Val::Str(Text::Ref(args[0].type_name()))),
            Callee::Script(f) => self.call_script(f, args, self.level + 1),
            Callee::Native(n) => {
                self.tick()?;
                let mut first = std::mem::replace(&mut args[0], Val::Unit);
                self.native(n, &mut first, &mut args[1..])
            }
            Callee::Bail => bail("print or debug"),
        }
    }

    /// A native function on evaluated arguments (`exec_native_fn_call`
    /// after its operation is counted).
    fn native(&mut self, n: Native, first: &mut Val<'a>, rest: &mut [Val<'a>]) -> R<'a, Val<'a>> {
        if n == Native::Push {
            let item = std::mem::replace(&mut rest[0], Val::Unit);
            first.own();
            let Val::Array(a) = first else {
                return bail("push on a non-array");
            };
            self.place(&item, true)?;
            Rc::make_mut(a).push(item);
            return Ok(Val::Unit);
        }
        let out = ops::native(n, first, rest).ok_or(Flow::Bail("native arguments"))?;
        match &out {
            Val::Str(s) if matches!(s, Text::Own(_)) => self.made_string(s.len())?,
            Val::Array(a) => {
                for v in a.iter() {
                    self.place(v, true)?;
                }
            }
            _ => {}
        }
        Ok(out)
    }

    fn arg(&mut self, a: &'a Arg) -> R<'a, Val<'a>> {
        match a {
            Arg::Lit(k) => {
                self.tick()?;
                self.konst(k)
            }
            Arg::Expr(e) => self.expr(e),
        }
    }

    /// `eval_fn_call_expr`. Each kind of call has its own function, so
    /// that the frames on the recursion through calls stay small (a debug
    /// build gives every local of a function its own slot).
    fn call(&mut self, c: &'a Call) -> R<'a, Val<'a>> {
        match &c.kind {
            CallKind::Unary(op) => self.call_unary(*op, &c.args[0]),
            CallKind::Binary(op) => self.call_binary(*op, &c.args),
            CallKind::Func {
                callee,
                first_var: Some((slot, constant)),
            } => self.call_on_var(*callee, *slot, *constant, &c.args),
            CallKind::Func {
                callee,
                first_var: None,
            } => self.call_func(*callee, &c.args),
        }
    }

    #[inline]
    fn call_unary(&mut self, op: UnOp, a: &'a Arg) -> R<'a, Val<'a>> {
        match (op, self.arg(a)?) {
            (UnOp::Not, Val::Bool(b)) => Ok(Val::Bool(!b)),
            (UnOp::Neg, Val::Int(i)) => i.checked_neg().map(Val::Int).ok_or(Flow::Bail("overflow")),
            (UnOp::Neg, Val::Float(f)) => Ok(Val::Float(-f)),
            _ => bail("unary operand"),
        }
    }

    #[inline]
    fn call_binary(&mut self, op: BinOp, args: &'a [Arg]) -> R<'a, Val<'a>> {
        let l = self.arg(&args[0])?;
        let r = self.arg(&args[1])?;
        let out = ops::binary(op, &l, &r).ok_or(Flow::Bail("binary operands"))?;
        if let Val::Str(Text::Own(s)) = &out
            && op == BinOp::Add
        {
            self.made_string(s.len())?;
        }
        Ok(out)
    }

    /// A call whose first argument is a variable, passed by reference.
    fn call_on_var(
        &mut self,
        callee: Callee,
        slot: u32,
        constant: bool,
        args: &'a [Arg],
    ) -> R<'a, Val<'a>> {
        self.tick()?;
        let mut vals: Vals<'a> = SmallVec::new();
        vals.push(Val::Unit);
        for a in args[1..].iter() {
            vals.push(self.arg(a)?);
        }
        match callee {
            Callee::Native(n) if n.mutates() && !constant => {
                self.tick()?;
                let mut first = std::mem::take(self.slot(slot));
                let out = self.native(n, &mut first, &mut vals[1..]);
                *self.slot(slot) = first;
                out
            }
            _ => {
                vals[0] = self.slot(slot).clone();
                self.exec(callee, vals)
            }
        }
    }

    fn call_func(&mut self, callee: Callee, args: &'a [Arg]) -> R<'a, Val<'a>> {
        let mut vals: Vals<'a> = SmallVec::new();
        for a in args.iter() {
            vals.push(self.arg(a)?);
        }
        self.exec(callee, vals)
    }

    // ---- statements ------------------------------------------------------

    fn block(&mut self, stmts: &'a [Stmt]) -> R<'a, Val<'a>> {
        let mut last = Val::Unit;
        for s in stmts {
            last = self.stmt(s)?;
        }
        Ok(last)
    }

    fn truth(&mut self, e: &'a Expr) -> R<'a, bool> {
        match self.expr(e)? {
            Val::Bool(b) => Ok(b),
            _ => bail("condition not a boolean"),
        }
    }

    /// A loop body's outcome: `Ok(None)` to go on, `Ok(Some(v))` when it
    /// broke out with `v`.
    fn body(&mut self, body: &'a [Stmt]) -> R<'a, Option<Val<'a>>> {
        match self.block(body) {
            Ok(_) | Err(Flow::Continue) => Ok(None),
            Err(Flow::Break(v)) => Ok(Some(v)),
            Err(e) => Err(e),
        }
    }

    /// `eval_stmt`: a dispatcher, each statement in its own function (see
    /// [`Machine::call`]).
    fn stmt(&mut self, s: &'a Stmt) -> R<'a, Val<'a>> {
        self.deep()?;
        self.tick()?;
        match s {
            Stmt::Noop => Ok(Val::Unit),
            Stmt::Expr(e) => self.expr(e),
            Stmt::Call(c) => self.call(c),
            Stmt::Block(b) => self.block(b),
            Stmt::Let(slot, e) => self.stmt_let(*slot, e),
            Stmt::Assign(slot, op, e) => self.stmt_assign(*slot, *op, e),
            Stmt::SetChain(bin, kind, op, e) => self.stmt_set_chain(bin, *kind, *op, e),
            Stmt::If(cond, then, other) => self.stmt_if(cond, then, other),
            Stmt::Loop(body) => self.stmt_loop(body),
            Stmt::While(cond, body) => self.stmt_while(cond, body),
            Stmt::Do(body, cond, until) => self.stmt_do(body, cond, *until),
            Stmt::For(f) => self.stmt_for(f),
            Stmt::Break(_) | Stmt::Continue(_) | Stmt::Return(_) | Stmt::Throw => self.stmt_jump(s),
        }
    }

    /// `break`, `continue`, `return` and `throw`.
    fn stmt_jump(&mut self, s: &'a Stmt) -> R<'a, Val<'a>> {
        let value = match s {
            Stmt::Break(Some(e)) | Stmt::Continue(Some(e)) | Stmt::Return(Some(e)) => {
                self.expr(e)?
            }
            Stmt::Throw => return bail("throw"),
            _ => Val::Unit,
        };
        Err(match s {
            Stmt::Break(_) => Flow::Break(value),
            Stmt::Continue(_) => Flow::Continue,
            _ => Flow::Return(value),
        })
    }

    fn stmt_let(&mut self, slot: u32, e: &'a Expr) -> R<'a, Val<'a>> {
        let v = self.expr(e)?;
        *self.slot(slot) = v;
        Ok(Val::Unit)
    }

    fn stmt_assign(&mut self, slot: u32, op: Option<BinOp>, e: &'a Expr) -> R<'a, Val<'a>> {
        let v = self.expr(e)?;
        self.tick()?;
        let mut target = std::mem::take(self.slot(slot));
        let out = self.op_assign(&mut target, op, v);
        *self.slot(slot) = target;
        out.map(|()| Val::Unit)
    }

    fn stmt_set_chain(
        &mut self,
        bin: &'a CBin,
        kind: Kind,
        op: Option<BinOp>,
        e: &'a Expr,
    ) -> R<'a, Val<'a>> {
        let v = self.expr(e)?;
        self.chain(bin, kind, Some((v, op)))?;
        Ok(Val::Unit)
    }

    fn stmt_if(&mut self, cond: &'a Expr, then: &'a [Stmt], other: &'a [Stmt]) -> R<'a, Val<'a>> {
        let b = self.truth(cond)?;
        if b && !then.is_empty() {
            self.block(then)
        } else if !b && !other.is_empty() {
            self.block(other)
        } else {
            Ok(Val::Unit)
        }
    }

    fn stmt_loop(&mut self, body: &'a [Stmt]) -> R<'a, Val<'a>> {
        if body.is_empty() {
            loop {
                self.tick()?;
            }
        }
        loop {
            if let Some(v) = self.body(body)? {
                return Ok(v);
            }
        }
    }

    fn stmt_while(&mut self, cond: &'a Expr, body: &'a [Stmt]) -> R<'a, Val<'a>> {
        loop {
            if !self.truth(cond)? {
                return Ok(Val::Unit);
            }
            if body.is_empty() {
                continue;
            }
            if let Some(v) = self.body(body)? {
                return Ok(v);
            }
        }
    }

    fn stmt_do(&mut self, body: &'a [Stmt], cond: &'a Expr, until: bool) -> R<'a, Val<'a>> {
        loop {
            if !body.is_empty() {
                match self.block(body) {
                    Ok(_) => {}
                    // rhai's `continue` in a `do` loop skips the condition.
                    Err(Flow::Continue) => continue,
                    Err(Flow::Break(v)) => return Ok(v),
                    Err(e) => return Err(e),
                }
            }
            if self.truth(cond)? ^ !until {
                return Ok(Val::Unit);
            }
        }
    }

    fn stmt_for(&mut self, f: &'a For) -> R<'a, Val<'a>> {
        let iter = self.expr(&f.iter)?;
        let items = match iter {
            Val::Range(a, b) => Items::Ints(a, b),
            Val::RangeIncl(a, b) => match b.checked_add(1) {
                Some(end) => Items::Ints(a, end),
                None => Items::Incl(a..=b),
            },
            v if v.is_array() => {
                let len = v.len().unwrap_or(0);
                Items::Array(v, 0, len)
            }
            _ => return bail("for over this type"),
        };
        if let Some(c) = f.counter {
            *self.slot(c) = Val::Int(0);
        }
        *self.slot(f.var) = Val::Unit;
        if f.body.is_empty() {
            for _ in items {
                self.tick()?;
            }
            return Ok(Val::Unit);
        }
        for (i, item) in items.enumerate() {
            if let Some(c) = f.counter {
                *self.slot(c) = Val::Int(i as i64);
            }
            *self.slot(f.var) = item;
            if let Some(v) = self.body(&f.body)? {
                return Ok(v);
            }
        }
        Ok(Val::Unit)
    }

    /// `eval_op_assignment` on a target that is not constant.
    fn op_assign(&mut self, target: &mut Val<'a>, op: Option<BinOp>, v: Val<'a>) -> R<'a, ()> {
        match op {
            None => {
                *target = v;
                Ok(())
            }
            Some(op) => {
                if let (Val::Array(_), BinOp::Add) = (&*target, op) {
                    return bail("array op-assignment");
                }
                let out = match ops::op_assign(op, target, &v) {
                    Some(out) => out,
                    // An integer with a float: no built-in op-assignment,
                    // so rhai looks for `op=` (an operation, not found),
                    // then runs `target = target op value` (another).
                    None if matches!((&*target, &v), (Val::Int(_), Val::Float(_))) => {
                        self.tick()?;
                        self.tick()?;
                        ops::binary(op, target, &v)
                            .filter(|_| op.is_arithmetic())
                            .ok_or(Flow::Bail("op-assignment"))?
                    }
                    None => return bail("op-assignment"),
                };
                if let Val::Str(s) = &out {
                    self.made_string(s.len())?;
                }
                *target = out;
                Ok(())
            }
        }
    }

    // ---- expressions -----------------------------------------------------

    /// `eval_expr`: a dispatcher, as [`Machine::stmt`].
    fn expr(&mut self, e: &'a Expr) -> R<'a, Val<'a>> {
        self.deep()?;
        self.tick()?;
        match e {
            Expr::Const(k) => self.konst(k),
            Expr::Var(slot) => Ok(self.slot(*slot).clone()),
            Expr::Interp(parts) => self.expr_interp(parts),
            Expr::Array(items) => self.expr_array(items),
            Expr::Map(entries) => self.expr_map(entries),
            Expr::And(xs) => self.expr_and_or(xs, false),
            Expr::Or(xs) => self.expr_and_or(xs, true),
            Expr::Coalesce(xs) => self.expr_coalesce(xs),
            Expr::Call(c) => self.call(c),
            Expr::Block(b) => self.block(b),
            Expr::Chain(bin, kind) => self.chain(bin, *kind, None),
        }
    }

    fn expr_interp(&mut self, parts: &'a [Expr]) -> R<'a, Val<'a>> {
        let mut s = std::mem::take(&mut self.scratch);
        s.clear();
        for p in parts.iter() {
            let v = self.expr(p)?;
            if let Val::Str(t) = &v {
                s.push_str(t);
            } else {
                // `to_string` through rhai's function call.
                self.tick()?;
                if !ops::write_display(&mut s, &v) {
                    return bail("interpolated value");
                }
            }
            if self.bounds.max_string > 0 && s.len() > self.bounds.max_string {
                return bail("string size");
            }
        }
        self.made_string(s.len())?;
        let text = Text::Own(Rc::from(s.as_str()));
        self.scratch = s;
        Ok(Val::Str(text))
    }

    fn expr_array(&mut self, items: &'a [Expr]) -> R<'a, Val<'a>> {
        let mut out = Vec::with_capacity(items.len());
        for item in items.iter() {
            let v = self.expr(item)?;
            self.place(&v, true)?;
            out.push(v);
        }
        Ok(Val::Array(Rc::new(out)))
    }

    fn expr_map(&mut self, entries: &'a [(Box<str>, Expr)]) -> R<'a, Val<'a>> {
        let mut out = Map::new();
        for (key, value) in entries.iter() {
            let v = self.expr(value)?;
            self.place(&v, false)?;
            out.insert(Text::Ref(key), v);
        }
        Ok(Val::Map(Rc::new(out)))
    }

    /// `&&` (stops at the first false) or `||` (at the first true).
    fn expr_and_or(&mut self, xs: &'a [Expr], or: bool) -> R<'a, Val<'a>> {
        for x in xs.iter() {
            if self.truth(x)? == or {
                return Ok(Val::Bool(or));
            }
        }
        Ok(Val::Bool(!or))
    }

    fn expr_coalesce(&mut self, xs: &'a [Expr]) -> R<'a, Val<'a>> {
        let mut v = Val::Unit;
        for x in xs.iter() {
            v = self.expr(x)?;
            if !matches!(v, Val::Unit) {
                break;
            }
        }
        Ok(v)
    }

    // ---- dot and index chains --------------------------------------------

    /// `eval_dot_index_chain`.
    fn chain(
        &mut self,
        bin: &'a CBin,
        kind: Kind,
        new_val: Option<(Val<'a>, Option<BinOp>)>,
    ) -> R<'a, Val<'a>> {
        // `var.prop`, the commonest chain, read without the machinery
        // below; the same two operations are counted.
        if let (CExpr::Var(slot, _), CExpr::Property(p), Kind::Dot, None) =
            (&bin.lhs, &bin.rhs, kind, &new_val)
        {
            self.tick()?;
            let target = &self.stack[self.base + *slot as usize];
            if bin.negated && matches!(target, Val::Unit) {
                return Ok(Val::Unit);
            }
            if !target.is_map() {
                return bail("property of a non-map");
            }
            let v = target.prop(p.key, &p.name).unwrap_or(Val::Unit);
            self.tick()?;
            return Ok(v);
        }
        let mut idx: Vals<'a> = SmallVec::new();
        match (&bin.rhs, kind) {
            (CExpr::Property(_), Kind::Dot) => {}
            (CExpr::Value(Arg::Lit(k)), Kind::Index) => {
                let v = self.konst(k)?;
                idx.push(v);
            }
            (CExpr::Method(m), Kind::Dot) if m.args.is_empty() => {}
            (rhs, _) => self.chain_args(kind, bin.brk, rhs, &mut idx)?,
        }
        let write = new_val.is_some() || bin.writes;
        match &bin.lhs {
            CExpr::Var(slot, _) => {
                self.tick()?;
                if write {
                    let mut target = std::mem::take(self.slot(*slot));
                    let out = self.raw_write(kind, bin, &mut target, &bin.rhs, &mut idx, new_val);
                    *self.slot(*slot) = target;
                    out
                } else {
                    let target = self.slot(*slot).clone();
                    self.raw_read(kind, bin, target, &bin.rhs, &mut idx)
                }
            }
            CExpr::Value(a) if new_val.is_none() => {
                let v = self.arg(a)?;
                if write {
                    let mut target = v;
                    self.raw_write(kind, bin, &mut target, &bin.rhs, &mut idx, None)
                } else {
                    self.raw_read(kind, bin, v, &bin.rhs, &mut idx)
                }
            }
            _ => bail("chain root"),
        }
    }

    /// The value of an index expression or a chain root.
    fn value(&mut self, e: &'a CExpr) -> R<'a, Val<'a>> {
        match e {
            CExpr::Value(a) => self.arg(a),
            _ => bail("chain value"),
        }
    }

    /// `eval_dot_index_chain_arguments`: index values and method arguments,
    /// innermost first.
    fn chain_args(
        &mut self,
        parent: Kind,
        parent_brk: bool,
        e: &'a CExpr,
        idx: &mut Vals<'a>,
    ) -> R<'a, ()> {
        self.tick()?;
        match (e, parent) {
            (CExpr::Method(m), Kind::Dot) => {
                for a in m.args.iter() {
                    let v = self.arg(a)?;
                    idx.push(v);
                }
            }
            (CExpr::Property(_), Kind::Dot) => {}
            (CExpr::Dot(x) | CExpr::Index(x), _) if !parent_brk => {
                let mut own: Vals<'a> = SmallVec::new();
                match (&x.lhs, parent) {
                    (CExpr::Property(_), Kind::Dot) => {}
                    (CExpr::Method(m), Kind::Dot) => {
                        for a in m.args.iter() {
                            own.push(self.arg(a)?);
                        }
                    }
                    (lhs, Kind::Index) => own.push(self.value(lhs)?),
                    _ => return bail("chain arguments"),
                }
                let kind = if matches!(e, CExpr::Dot(_)) {
                    Kind::Dot
                } else {
                    Kind::Index
                };
                self.chain_args(kind, x.brk, &x.rhs, idx)?;
                idx.extend(own);
            }
            (other, Kind::Index) => {
                let v = self.value(other)?;
                idx.push(v);
            }
            _ => return bail("chain arguments"),
        }
        Ok(())
    }

    fn pop(idx: &mut Vals<'a>) -> R<'a, Val<'a>> {
        idx.pop().ok_or(Flow::Bail("chain index"))
    }

    /// `get_indexed_mut` for reading: an item of an array or a map.
    fn index_get(&mut self, target: &Val<'a>, i: Val<'a>) -> R<'a, Val<'a>> {
        self.tick()?;
        if target.is_array() {
            let Val::Int(i) = i else {
                return bail("array index type");
            };
            let len = target.len().unwrap_or(0);
            return match ops::calc_index(len, i) {
                Some(k) => target.item(k).ok_or(Flow::Bail("array index")),
                None => bail("array bounds"),
            };
        }
        if target.is_map() {
            let Val::Str(key) = i else {
                return bail("map index type");
            };
            return Ok(target.map_get(&key).unwrap_or(Val::Unit));
        }
        bail("index type")
    }

    /// `get_indexed_mut` for writing: the item itself, made owned;
    /// `add` inserts a missing map key.
    fn index_mut<'t>(
        &mut self,
        target: &'t mut Val<'a>,
        i: Val<'a>,
        add: bool,
    ) -> R<'a, &'t mut Val<'a>> {
        self.tick()?;
        self.own(target)?;
        match (target, i) {
            (Val::Array(a), Val::Int(i)) => match ops::calc_index(a.len(), i) {
                Some(k) => Ok(&mut Rc::make_mut(a)[k]),
                None => bail("array bounds"),
            },
            (Val::Map(m), Val::Str(key)) => {
                let m = Rc::make_mut(m);
                if !m.contains_key(&*key) {
                    if !add {
                        return bail("missing map key in a write");
                    }
                    self.made.1 += 1;
                    self.check_made()?;
                    m.insert(key.clone(), Val::Unit);
                }
                m.get_mut(&*key).ok_or(Flow::Bail("map key"))
            }
            _ => bail("index type"),
        }
    }

    /// Makes a view owned before it is written, counting what it holds.
    fn own(&mut self, target: &mut Val<'a>) -> R<'a, ()> {
        if let Val::View(_) = target {
            target.own();
            let (a, m, s) = target.sizes();
            self.made = (self.made.0 + a, self.made.1 + m, self.made.2 + s);
            self.check_made()?;
        }
        Ok(())
    }

    /// A method call on `target` with the last `n` chain values as its
    /// arguments (`make_method_call`).
    fn method(
        &mut self,
        n: Native,
        target: &mut Val<'a>,
        idx: &mut Vals<'a>,
        argc: usize,
    ) -> R<'a, Val<'a>> {
        let at = idx
            .len()
            .checked_sub(argc)
            .ok_or(Flow::Bail("method args"))?;
        let mut args: Vals<'a> = idx.drain(at..).collect();
        self.tick()?;
        self.native(n, target, &mut args)
    }

    fn kind(e: &CExpr) -> Kind {
        if matches!(e, CExpr::Index(_)) {
            Kind::Index
        } else {
            Kind::Dot
        }
    }

    /// `eval_dot_index_chain_raw` without a value to assign and without a
    /// method that writes: values are read, never copied.
    fn raw_read(
        &mut self,
        kind: Kind,
        parent: &'a CBin,
        target: Val<'a>,
        rhs: &'a CExpr,
        idx: &mut Vals<'a>,
    ) -> R<'a, Val<'a>> {
        if parent.negated && matches!(target, Val::Unit) {
            return Ok(Val::Unit);
        }
        match kind {
            Kind::Index => match rhs {
                CExpr::Dot(x) | CExpr::Index(x) if !parent.brk => {
                    let i = Self::pop(idx)?;
                    let item = self.index_get(&target, i)?;
                    self.raw_read(Self::kind(rhs), x, item, &x.rhs, idx)
                }
                _ => {
                    let i = Self::pop(idx)?;
                    self.index_get(&target, i)
                }
            },
            Kind::Dot => match rhs {
                CExpr::Method(m) => {
                    let mut target = target;
                    self.method(m.native, &mut target, idx, m.args.len())
                }
                CExpr::Property(p) if target.is_map() => {
                    self.tick()?;
                    Ok(target.prop(p.key, &p.name).unwrap_or(Val::Unit))
                }
                CExpr::Dot(x) | CExpr::Index(x) => {
                    let item = match &x.lhs {
                        CExpr::Property(p) if target.is_map() => {
                            self.tick()?;
                            target.prop(p.key, &p.name).unwrap_or(Val::Unit)
                        }
                        CExpr::Method(m) => {
                            let mut target = target;
                            self.method(m.native, &mut target, idx, m.args.len())?
                        }
                        _ => return bail("property of a non-map"),
                    };
                    self.raw_read(Self::kind(rhs), x, item, &x.rhs, idx)
                }
                _ => bail("property of a non-map"),
            },
        }
    }

    /// `eval_dot_index_chain_raw` on a target that may be written: an
    /// assignment, or a chain with a method that writes.
    fn raw_write(
        &mut self,
        kind: Kind,
        parent: &'a CBin,
        target: &mut Val<'a>,
        rhs: &'a CExpr,
        idx: &mut Vals<'a>,
        new_val: Option<(Val<'a>, Option<BinOp>)>,
    ) -> R<'a, Val<'a>> {
        if parent.negated && matches!(target, Val::Unit) {
            return Ok(Val::Unit);
        }
        match kind {
            Kind::Index => match (rhs, new_val) {
                (CExpr::Dot(x) | CExpr::Index(x), new_val) if !parent.brk => {
                    let i = Self::pop(idx)?;
                    let item = self.index_mut(target, i, false)?;
                    self.raw_write(Self::kind(rhs), x, item, &x.rhs, idx, new_val)
                }
                (_, Some((v, op))) => {
                    let i = Self::pop(idx)?;
                    let placed = v.clone();
                    let item = self.index_mut(target, i, true)?;
                    self.op_assign(item, op, v)?;
                    self.place(&placed, target.is_array())?;
                    Ok(Val::Unit)
                }
                (_, None) => {
                    let i = Self::pop(idx)?;
                    self.index_get(target, i)
                }
            },
            Kind::Dot => match (rhs, new_val) {
                (CExpr::Method(_), Some(_)) => bail("assignment to a method call"),
                (CExpr::Method(m), None) => self.method(m.native, target, idx, m.args.len()),
                (CExpr::Property(p), Some((v, op))) if target.is_map() => {
                    let placed = v.clone();
                    let item = self.prop_mut(target, &p.name, true)?;
                    self.op_assign(item, op, v)?;
                    self.place(&placed, false)?;
                    Ok(Val::Unit)
                }
                (CExpr::Property(p), None) if target.is_map() => {
                    self.tick()?;
                    Ok(target.prop(p.key, &p.name).unwrap_or(Val::Unit))
                }
                (CExpr::Dot(x) | CExpr::Index(x), new_val) => match &x.lhs {
                    CExpr::Property(p) if target.is_map() => {
                        let item = self.prop_mut(target, &p.name, false)?;
                        self.raw_write(Self::kind(rhs), x, item, &x.rhs, idx, new_val)
                    }
                    CExpr::Method(m) => {
                        let mut temp = self.method(m.native, target, idx, m.args.len())?;
                        self.raw_write(Self::kind(rhs), x, &mut temp, &x.rhs, idx, new_val)
                    }
                    _ => bail("property of a non-map"),
                },
                _ => bail("property of a non-map"),
            },
        }
    }

    /// `get_indexed_mut` of a property of a map, made owned; `add`
    /// inserts a missing key.
    fn prop_mut<'t>(
        &mut self,
        target: &'t mut Val<'a>,
        p: &'a str,
        add: bool,
    ) -> R<'a, &'t mut Val<'a>> {
        self.tick()?;
        self.own(target)?;
        let Val::Map(m) = target else {
            return bail("property of a non-map");
        };
        let m = Rc::make_mut(m);
        if !m.contains_key(p) {
            if !add {
                return bail("missing map key in a write");
            }
            self.made.1 += 1;
            self.check_made()?;
            m.insert(Text::Ref(p), Val::Unit);
        }
        m.get_mut(p).ok_or(Flow::Bail("map key"))
    }
}
