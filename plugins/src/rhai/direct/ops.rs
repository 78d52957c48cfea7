//! Operators and native functions, as rhai's built-ins and standard
//! packages define them, for the types the direct path holds.
//!
//! Each returns `None` where rhai would raise an error or would look for a
//! function this file does not mirror; the call then runs on rhai.

use std::rc::Rc;

use super::lower::{BinOp, Native};
use super::value::{Text, Val, write_float};

/// rhai's `calc_index` with negative indices counting from the end.
pub(super) fn calc_index(len: usize, index: i64) -> Option<usize> {
    if len == 0 {
        None
    } else if index < 0 {
        let abs = usize::try_from(index.unsigned_abs()).ok()?;
        (abs <= len).then(|| len - abs)
    } else {
        let i = usize::try_from(index).ok()?;
        (i < len).then_some(i)
    }
}

fn shift_left(x: i64, y: i64) -> i64 {
    if y > i64::from(u32::MAX) {
        0
    } else if y < 0 {
        shift_right(x, y.checked_abs().unwrap_or(i64::MAX))
    } else {
        // `y` fits a `u32` here.
        x.checked_shl(y as u32).unwrap_or(0)
    }
}

fn shift_right(x: i64, y: i64) -> i64 {
    if y > i64::from(u32::MAX) {
        x.wrapping_shr(u32::MAX)
    } else if y < 0 {
        shift_left(x, y.checked_abs().unwrap_or(i64::MAX))
    } else {
        x.checked_shr(y as u32)
            .unwrap_or_else(|| x.wrapping_shr(u32::MAX))
    }
}

/// Integer arithmetic, checked as rhai checks it.
fn int_arith(op: BinOp, x: i64, y: i64) -> Option<i64> {
    match op {
        BinOp::Add => x.checked_add(y),
        BinOp::Sub => x.checked_sub(y),
        BinOp::Mul => x.checked_mul(y),
        BinOp::Div if y == 0 => None,
        BinOp::Div => x.checked_div(y),
        BinOp::Rem => x.checked_rem(y),
        BinOp::Pow if y > i64::from(u32::MAX) || y < 0 => None,
        BinOp::Pow => x.checked_pow(y as u32),
        BinOp::Shl => Some(shift_left(x, y)),
        BinOp::Shr => Some(shift_right(x, y)),
        BinOp::And => Some(x & y),
        BinOp::Or => Some(x | y),
        BinOp::Xor => Some(x ^ y),
        _ => None,
    }
}

fn float_arith(op: BinOp, x: f64, y: f64) -> Option<f64> {
    Some(match op {
        BinOp::Add => x + y,
        BinOp::Sub => x - y,
        BinOp::Mul => x * y,
        BinOp::Div => x / y,
        BinOp::Rem => x % y,
        BinOp::Pow => x.powf(y),
        _ => return None,
    })
}

/// rhai's float comparisons: relative to the larger magnitude, within
/// `f64::EPSILON`.
#[allow(clippy::float_cmp)]
fn float_cmp(op: BinOp, x: f64, y: f64) -> Option<bool> {
    let max = if x * y == 0.0 {
        1.0
    } else {
        x.abs().max(y.abs())
    };
    let eps = f64::EPSILON;
    Some(match op {
        BinOp::Eq => max == 0.0 || (x - y).abs() / max <= eps,
        BinOp::Ne => max != 0.0 && (x - y).abs() / max > eps,
        BinOp::Gt => max != 0.0 && (x - y) / max > eps,
        BinOp::Ge => max == 0.0 || (x - y) / max > -eps,
        BinOp::Lt => max != 0.0 && (y - x) / max > eps,
        BinOp::Le => max == 0.0 || (y - x) / max > -eps,
        _ => return None,
    })
}

fn float_op<'a>(op: BinOp, x: f64, y: f64) -> Option<Val<'a>> {
    match float_arith(op, x, y) {
        Some(f) => Some(Val::Float(f)),
        None => float_cmp(op, x, y).map(Val::Bool),
    }
}

fn cmp<T: PartialOrd + ?Sized>(op: BinOp, x: &T, y: &T) -> Option<bool> {
    Some(match op {
        BinOp::Eq => x == y,
        BinOp::Ne => x != y,
        BinOp::Gt => x > y,
        BinOp::Ge => x >= y,
        BinOp::Lt => x < y,
        BinOp::Le => x <= y,
        _ => return None,
    })
}

/// Which of rhai's types a value is, for the rule on operands of
/// different types.
#[derive(PartialEq, Eq, Clone, Copy)]
enum Type {
    Unit,
    Bool,
    Int,
    Float,
    Str,
    Range,
    RangeIncl,
    Array,
    Map,
}

fn type_of(v: &Val<'_>) -> Type {
    match v {
        Val::Unit => Type::Unit,
        Val::Bool(_) => Type::Bool,
        Val::Int(_) => Type::Int,
        Val::Float(_) => Type::Float,
        Val::Str(_) => Type::Str,
        Val::Range(..) => Type::Range,
        Val::RangeIncl(..) => Type::RangeIncl,
        Val::Array(_) => Type::Array,
        Val::Map(_) => Type::Map,
        Val::View(v) if v.is_map() => Type::Map,
        Val::View(_) => Type::Array,
    }
}

/// A binary operator as rhai's built-in operators compute it
/// (`get_builtin_binary_op_fn`).
pub(super) fn binary<'a>(op: BinOp, l: &Val<'a>, r: &Val<'a>) -> Option<Val<'a>> {
    use Val as V;
    match (l, r) {
        (V::Int(x), V::Int(y)) => {
            return match op {
                BinOp::Range => Some(V::Range(*x, *y)),
                BinOp::RangeIncl => Some(V::RangeIncl(*x, *y)),
                _ => match int_arith(op, *x, *y) {
                    Some(i) => Some(V::Int(i)),
                    None if matches!(
                        op,
                        BinOp::Eq | BinOp::Ne | BinOp::Gt | BinOp::Ge | BinOp::Lt | BinOp::Le
                    ) =>
                    {
                        cmp(op, x, y).map(V::Bool)
                    }
                    None => None,
                },
            };
        }
        (V::Bool(x), V::Bool(y)) => {
            return match op {
                BinOp::And => Some(V::Bool(*x & *y)),
                BinOp::Or => Some(V::Bool(*x | *y)),
                BinOp::Xor => Some(V::Bool(*x ^ *y)),
                _ => cmp(op, x, y).map(V::Bool),
            };
        }
        (V::Str(x), V::Str(y)) => {
            return match op {
                BinOp::Add => {
                    let mut s = String::with_capacity(x.len() + y.len());
                    s.push_str(x);
                    s.push_str(y);
                    Some(V::Str(Text::from(s)))
                }
                _ => cmp(op, &**x, &**y).map(V::Bool),
            };
        }
        (V::Unit, V::Unit) => {
            return match op {
                BinOp::Eq => Some(V::Bool(true)),
                BinOp::Ne | BinOp::Gt | BinOp::Ge | BinOp::Lt | BinOp::Le => Some(V::Bool(false)),
                _ => None,
            };
        }
        (V::Float(x), V::Float(y)) => return float_op(op, *x, *y),
        (V::Float(x), V::Int(y)) => return float_op(op, *x, *y as f64),
        (V::Int(x), V::Float(y)) => return float_op(op, *x as f64, *y),
        (V::Int(x), V::Unit) if op == BinOp::Range => return Some(V::Range(*x, i64::MAX)),
        (V::Unit, V::Int(y)) if op == BinOp::Range => return Some(V::Range(0, *y)),
        (V::Int(x), V::Unit) if op == BinOp::RangeIncl => {
            return Some(V::RangeIncl(*x, i64::MAX));
        }
        (V::Unit, V::Int(y)) if op == BinOp::RangeIncl => return Some(V::RangeIncl(0, *y)),
        (V::Unit, V::Str(s)) | (V::Str(s), V::Unit) => {
            return match op {
                BinOp::Add => Some(V::Str(s.clone())),
                BinOp::Eq | BinOp::Gt | BinOp::Ge | BinOp::Lt | BinOp::Le => Some(V::Bool(false)),
                BinOp::Ne => Some(V::Bool(true)),
                _ => None,
            };
        }
        _ => {}
    }
    let (t1, t2) = (type_of(l), type_of(r));
    match (l, r) {
        (V::Range(a, b), V::Range(c, d)) | (V::RangeIncl(a, b), V::RangeIncl(c, d)) => {
            return match op {
                BinOp::Eq => Some(V::Bool((a, b) == (c, d))),
                BinOp::Ne => Some(V::Bool((a, b) != (c, d))),
                _ => None,
            };
        }
        (V::Range(..), V::RangeIncl(..)) | (V::RangeIncl(..), V::Range(..)) => {
            return match op {
                BinOp::Ne => Some(V::Bool(true)),
                _ => None,
            };
        }
        _ => {}
    }
    let numeric = |t: Type| matches!(t, Type::Int | Type::Float);
    if t1 != t2 && (!numeric(t1) || !numeric(t2)) {
        return match op {
            BinOp::Ne => Some(V::Bool(true)),
            BinOp::Eq | BinOp::Gt | BinOp::Ge | BinOp::Lt | BinOp::Le => Some(V::Bool(false)),
            _ => None,
        };
    }
    None
}

/// An op-assignment as rhai's built-in op-assignments compute it
/// (`get_builtin_op_assignment_fn`): the new value of the target.
pub(super) fn op_assign<'a>(op: BinOp, x: &Val<'a>, y: &Val<'a>) -> Option<Val<'a>> {
    use Val as V;
    match (x, y) {
        (V::Int(x), V::Int(y)) => int_arith(op, *x, *y).map(V::Int),
        (V::Bool(x), V::Bool(y)) => match op {
            BinOp::And => Some(V::Bool(*x && *y)),
            BinOp::Or => Some(V::Bool(*x || *y)),
            BinOp::Xor => Some(V::Bool(*x ^ *y)),
            _ => None,
        },
        (V::Str(x), V::Str(y)) if op == BinOp::Add => {
            let mut s = String::with_capacity(x.len() + y.len());
            s.push_str(x);
            s.push_str(y);
            Some(V::Str(Text::from(s)))
        }
        (V::Float(x), V::Float(y)) => float_arith(op, *x, *y).map(V::Float),
        (V::Float(x), V::Int(y)) => float_arith(op, *x, *y as f64).map(V::Float),
        _ => None,
    }
}

/// Writes a value as rhai's `to_string` does for the types that have one
/// here; `false` for any other type.
pub(super) fn write_display(out: &mut String, v: &Val<'_>) -> bool {
    match v {
        Val::Str(s) => out.push_str(s),
        Val::Int(i) => out.push_str(itoa::Buffer::new().format(*i)),
        Val::Float(f) => write_float(out, *f),
        Val::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Val::Unit => {}
        _ => return false,
    }
    true
}

/// Whether an item of an array equals `v`, as the array package's
/// `contains` asks rhai: only for strings and integers here.
fn item_eq(item: &Val<'_>, v: &Val<'_>) -> Option<bool> {
    match (item, v) {
        (Val::Str(a), Val::Str(b)) => Some(**a == **b),
        (Val::Int(a), Val::Int(b)) => Some(a == b),
        (Val::Str(_) | Val::Int(_), Val::Str(_) | Val::Int(_)) => Some(false),
        _ => None,
    }
}

/// A native function, as the standard packages define it, on the
/// argument types mirrored here (not `push`, which the evaluator runs).
#[allow(clippy::float_cmp)]
pub(super) fn native<'a>(n: Native, first: &mut Val<'a>, rest: &mut [Val<'a>]) -> Option<Val<'a>> {
    use Val as V;
    let x = &*first;
    Some(match (n, x) {
        (Native::ToFloat, V::Int(i)) => V::Float(*i as f64),
        (Native::ToFloat, V::Float(f)) => V::Float(*f),
        (Native::ToInt, V::Int(i)) => V::Int(*i),
        (Native::ToInt, V::Float(f)) => {
            if *f > i64::MAX as f64 || *f < i64::MIN as f64 {
                return None;
            }
            V::Int(f.trunc() as i64)
        }
        (Native::ToString, V::Str(s)) => V::Str(s.clone()),
        (Native::ToString, V::Int(_) | V::Float(_) | V::Bool(_) | V::Unit) => {
            let mut s = String::new();
            write_display(&mut s, x);
            V::Str(Text::from(s))
        }
        (Native::Len, V::Str(s)) => V::Int(i64::try_from(s.chars().count()).unwrap_or(i64::MAX)),
        (Native::Len, v) if v.is_array() || v.is_map() => {
            V::Int(i64::try_from(v.len()?).unwrap_or(i64::MAX))
        }
        (Native::IsEmpty, V::Str(s)) => V::Bool(s.is_empty()),
        (Native::IsEmpty, v) if v.is_array() || v.is_map() => V::Bool(v.len()? == 0),
        (Native::Contains, v) if v.is_map() => match rest.first()? {
            V::Str(key) => V::Bool(v.map_get(key).is_some()),
            _ => return None,
        },
        (Native::Contains, V::Str(s)) => match rest.first()? {
            V::Str(sub) => V::Bool(s.contains(&**sub)),
            _ => return None,
        },
        (Native::Contains, v) if v.is_array() => {
            let want = rest.first()?;
            let mut found = false;
            for item in v.items() {
                if item_eq(&item, want)? {
                    found = true;
                    break;
                }
            }
            V::Bool(found)
        }
        (Native::Keys, v) if v.is_map() => {
            V::Array(Rc::new(v.map_keys().into_iter().map(V::Str).collect()))
        }
        (Native::Values, v) if v.is_map() => V::Array(Rc::new(v.items())),
        (Native::Abs, V::Int(i)) => V::Int(i.checked_abs()?),
        (Native::Abs, V::Float(f)) => V::Float(f.abs()),
        (Native::Sign, V::Int(i)) => V::Int(i.signum()),
        (Native::Sign, V::Float(f)) => {
            if *f == 0.0 {
                V::Int(0)
            } else if f.is_nan() {
                return None;
            } else {
                V::Int(f.signum() as i64)
            }
        }
        (Native::Floor, V::Float(f)) => V::Float(f.floor()),
        (Native::Ceiling, V::Float(f)) => V::Float(f.ceil()),
        (Native::Round, V::Float(f)) => V::Float(f.round()),
        (Native::Int, V::Float(f)) => V::Float(f.trunc()),
        (Native::Fraction, V::Float(f)) => V::Float(f.fract()),
        (Native::Sqrt, V::Float(f)) => V::Float(f.sqrt()),
        (Native::Min | Native::Max, _) => {
            let y = rest.first()?;
            let max = n == Native::Max;
            match (x, y) {
                (V::Int(a), V::Int(b)) => V::Int(pick(max, *a, *b)),
                (V::Float(a), V::Float(b)) => V::Float(pick(max, *a, *b)),
                (V::Int(a), V::Float(b)) => V::Float(pick(max, *a as f64, *b)),
                (V::Float(a), V::Int(b)) => V::Float(pick(max, *a, *b as f64)),
                _ => return None,
            }
        }
        _ => return None,
    })
}

/// rhai's `max` (`x >= y`, else `y`) and `min` (`x <= y`, else `y`).
fn pick<T: PartialOrd>(max: bool, x: T, y: T) -> T {
    let keep_x = if max { x >= y } else { x <= y };
    if keep_x { x } else { y }
}
