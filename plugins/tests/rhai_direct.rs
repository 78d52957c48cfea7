//! The rhai direct path against rhai's interpreter.
//!
//! Every script here runs both ways on several records; the two must give
//! the same card (or the same error), the same operation count, the same
//! output size and the same log. Each check also states which way the
//! calls must have gone, so that a construct meant to run directly is
//! known to have run directly, and one that must leave the direct path
//! (an error, `print`, a limit) is known to have left it.

use muster_core::{DrillRecord, Format, ScoreInput};
use muster_plugins::{Package, PackageOptions, RhaiLimits, RhaiRoute, RhaiRun, RhaiRuntime};
use serde_json::{Value, json};

mod common;

use common::{SHOW, inputs, params};

/// Runs a script with the direct path and without on every input.
fn both(script: &str, params: &Value) -> Vec<(RhaiRun, RhaiRun)> {
    let direct = RhaiRuntime::new(RhaiLimits::default())
        .load("t.rhai", script)
        .expect("the script loads");
    let interpreted = RhaiRuntime::new(RhaiLimits::default())
        .direct(false)
        .load("t.rhai", script)
        .expect("the script loads");
    inputs()
        .iter()
        .map(|input| (direct.run(input, params), interpreted.run(input, params)))
        .collect()
}

/// Which way the calls of a check must have gone.
#[derive(Debug, PartialEq, Clone, Copy)]
enum Way {
    Direct,
    Rhai,
}

/// Compares the two ways, and checks every call went `way`.
fn compare(script: &str, params: &Value, way: Way) {
    for (i, (d, r)) in both(script, params).into_iter().enumerate() {
        let show = |run: &RhaiRun| match &run.result {
            Ok(card) => format!("{card:?}"),
            Err(e) => format!("error: {e}"),
        };
        assert_eq!(show(&d), show(&r), "input {i} of:\n{script}");
        assert_eq!(
            d.stats.work_used,
            r.stats.work_used,
            "operations, input {i} of:\n{script}\n{}",
            show(&d)
        );
        assert_eq!(
            d.stats.output_bytes, r.stats.output_bytes,
            "output, input {i}"
        );
        assert_eq!(d.log, r.log, "log, input {i}");
        let went = match d.route() {
            RhaiRoute::Direct => Way::Direct,
            _ => Way::Rhai,
        };
        assert_eq!(went, way, "route {:?}, input {i} of:\n{script}", d.route());
    }
}

/// A `score` whose notes are `out`, shown.
fn script(body: &str) -> String {
    format!(
        "{SHOW}\nfn score(record, params) {{\n    let out = [];\n{body}\n    #{{ total: 0.0, status: \"valid\", reason: \"\", notes: out }}\n}}\n"
    )
}

fn check(body: &str, way: Way) {
    compare(&script(body), &params(), way);
}

/// Checks each line of `lines` as a body of its own.
fn each(lines: &str, way: Way) {
    for line in lines.lines().map(str::trim).filter(|l| !l.is_empty()) {
        check(line, way);
    }
}

#[test]
fn arithmetic_and_comparison() {
    each(
        r#"
        out.push(show(1 + 2)); out.push(show(7 - 10)); out.push(show(6 * 7)); out.push(show(7 / 2));
        out.push(show(-7 / 2)); out.push(show(7 % 3)); out.push(show(-7 % 3)); out.push(show(2 ** 10));
        out.push(show(1.5 + 2)); out.push(show(2 - 0.25)); out.push(show(3 * 0.1)); out.push(show(1 / 3.0));
        out.push(show(7.5 % 2)); out.push(show(2.0 ** 0.5)); out.push(show(2 ** 0.5)); out.push(show(1e300 * 1e10));
        out.push(show(-(1e300 * 1e10))); out.push(show(0.0 / 0.0)); out.push(show(-0.0)); out.push(show(1e-20)); out.push(show(123456789012345.0));
        let a = params.base; let b = params.seconds_per_point; out.push(show(a / b)); out.push(show(a % b)); out.push(show(-a));
        let x = params.ratio; out.push(show(x * 3 - 0.75)); out.push(show(-x));
        out.push(show(1 << 3)); out.push(show(256 >> 4)); out.push(show(1 << -1)); out.push(show(5 & 3)); out.push(show(5 | 3)); out.push(show(5 ^ 3));
        out.push(show(1 < 2)); out.push(show(2 <= 2)); out.push(show(3 > 4)); out.push(show(3 >= 4)); out.push(show(1 == 1)); out.push(show(1 != 1));
        out.push(show(0.1 + 0.2 == 0.3)); out.push(show(0.1 + 0.2 != 0.3)); out.push(show(1 == 1.0)); out.push(show(1.0000000000000002 > 1.0));
        out.push(show(0.0 == -0.0)); out.push(show(0.0 < 1e-300)); out.push(show(params.ratio >= 0.25)); out.push(show(2 < 2.5));
        out.push(show(true == false)); out.push(show(true & false)); out.push(show(true | false)); out.push(show(true ^ true)); out.push(show(!true));
        out.push(show("a" < "b")); out.push(show("b" == "b")); out.push(show("南" > "a")); out.push(show("x" + "y"));
        out.push(show(() == ())); out.push(show(() != ())); out.push(show(1 == ())); out.push(show(() == "a")); out.push(show("a" != ()));
        out.push(show("a" + ())); out.push(show(() + "b")); out.push(show(1 == "1")); out.push(show([] == ())); out.push(show(#{} != 1));
        out.push(show(true == 1)); out.push(show(1 != true)); out.push(show(record.tasks == ())); out.push(show(record.critical != 5));
        let i = 9223372036854775807; out.push(show(i)); out.push(show(-i - 1));
        out.push(show(params.big)); out.push(show(params.big * 2)); out.push(show(params.neg ** 2));
        "#,
        Way::Direct,
    );
}

/// The same, with every operand a call's result: rhai folds operators on
/// literals when it compiles, so only these reach the evaluator.
#[test]
fn arithmetic_and_comparison_at_run_time() {
    each(
        r#"
        let a = [1, 2, 3]; out.push(show([a[id(-3)], a[id(-1)], a[id(2)], a[-3]]));
        out.push(show([1.0 / max(id(0.0), id(-0.0)), 1.0 / min(id(0.0), id(-0.0)), 1.0 / max(id(-0.0), id(0.0)), 1.0 / min(id(-0.0), id(0.0))]));
        out.push(show([max(id(2), id(2.0)), min(id(2.0), id(2)), 1.0 / max(id(0), id(-0.0)), 1.0 / min(id(-0.0), id(0))]));
        out.push(show([id(1) << id(64), id(1) << id(63), id(-8) >> id(70), id(1) << id(-2), id(16) >> id(-2), id(1) << id(4294967296)]));
        let a = id(0.1) + id(0.2); let b = id(0.3); out.push(show([a == b, a != b, a < b, a <= b, a > b, a >= b, b < a, b <= a, b > a, b >= a]));
        let a = id(1e-320); let b = id(0.0); out.push(show([a == b, a != b, a < b, a <= b, a > b, a >= b, id(0.0) == id(-0.0), id(0.0) >= id(-0.0)]));
        let a = id(1.0); let b = id(1); out.push(show([a == b, a < b, a >= b, b <= a, b != a, id(2) > id(1.9999999999999998)]));
        let n = id(0.0) / id(0.0); out.push(show([n == n, n != n, n < id(1.0), n >= id(1.0), n > n]));
        out.push(show(id(1) + id(2))); out.push(show(id(7) - id(10))); out.push(show(id(6) * id(7))); out.push(show(id(7) / id(2)));
        out.push(show(-id(7) / id(2))); out.push(show(id(7) % id(3))); out.push(show(-id(7) % id(3))); out.push(show(id(2) ** id(10)));
        out.push(show(id(1.5) + id(2))); out.push(show(id(2) - id(0.25))); out.push(show(id(3) * id(0.1))); out.push(show(id(1) / id(3.0)));
        out.push(show(id(7.5) % id(2))); out.push(show(id(2.0) ** id(0.5))); out.push(show(id(2) ** id(0.5))); out.push(show(id(1e300) * id(1e10)));
        out.push(show(-(id(1e300) * id(1e10)))); out.push(show(id(0.0) / id(0.0))); out.push(show(-id(0.0))); out.push(show(id(1e-20))); out.push(show(id(123456789012345.0)));
        let a = params.base; let b = params.seconds_per_point; out.push(show(a / b)); out.push(show(a % b)); out.push(show(-a));
        let x = params.ratio; out.push(show(x * id(3) - id(0.75))); out.push(show(-x));
        out.push(show(id(1) << id(3))); out.push(show(id(256) >> id(4))); out.push(show(id(1) << -id(1))); out.push(show(id(5) & id(3))); out.push(show(id(5) | id(3))); out.push(show(id(5) ^ id(3)));
        out.push(show(id(1) < id(2))); out.push(show(id(2) <= id(2))); out.push(show(id(3) > id(4))); out.push(show(id(3) >= id(4))); out.push(show(id(1) == id(1))); out.push(show(id(1) != id(1)));
        out.push(show(id(0.1) + id(0.2) == id(0.3))); out.push(show(id(0.1) + id(0.2) != id(0.3))); out.push(show(id(1) == id(1.0))); out.push(show(id(1.0000000000000002) > id(1.0)));
        out.push(show(id(0.0) == -id(0.0))); out.push(show(id(0.0) < id(1e-300))); out.push(show(params.ratio >= id(0.25))); out.push(show(id(2) < id(2.5)));
        out.push(show(id(true) == id(false))); out.push(show(id(true) & id(false))); out.push(show(id(true) | id(false))); out.push(show(id(true) ^ id(true))); out.push(show(!id(true)));
        out.push(show(id("a") < id("b"))); out.push(show(id("b") == id("b"))); out.push(show(id("南") > id("a"))); out.push(show(id("x") + id("y")));
        out.push(show(id(()) == id(()))); out.push(show(id(()) != id(()))); out.push(show(id(1) == id(()))); out.push(show(id(()) == id("a"))); out.push(show(id("a") != id(())));
        out.push(show(id("a") + id(()))); out.push(show(id(()) + id("b"))); out.push(show(id(1) == id("1"))); out.push(show([] == id(()))); out.push(show(#{} != id(1)));
        out.push(show(id(true) == id(1))); out.push(show(id(1) != id(true))); out.push(show(record.tasks == id(()))); out.push(show(record.critical != id(5)));
        let i = 9223372036854775807; out.push(show(i)); out.push(show(-i - id(1)));
        out.push(show(params.big)); out.push(show(params.big * id(2))); out.push(show(params.neg ** id(2)));
        "#,
        Way::Direct,
    );
}

#[test]
fn arithmetic_errors_leave_the_direct_path() {
    each(
        r#"
        let i = 9223372036854775807; out.push(show(i + 1));
        let i = -9223372036854775807 - 1; out.push(show(-i));
        out.push(show(params.base / 0));
        out.push(show(params.base % 0));
        out.push(show(2 ** -1));
        out.push(show(params.base ** 100));
        out.push(show(record.team - "a"));
        let a = [1]; out.push(show(a + [2]));
        out.push(show(record.team + 1));
        out.push(show(-record.team));
        out.push(show(!record.attempt));
        if record.attempt { out.push("x"); }
        "#,
        Way::Rhai,
    );
}

#[test]
fn strings_and_interpolation() {
    each(
        r#"
        out.push(`a ${1} b ${2.5} c ${true} d ${()} e ${"s"}`);
        out.push(`${100.0} ${1e15} ${1e16} ${1.5e-5} ${-0.0} ${0.1 + 0.2} ${1.0 / 3.0} ${2.0 ** 60}`);
        out.push(`${params.name}${record.team}${record.attempt}`);
        let s = "ab"; s += "cd"; s += ""; out.push(s);
        out.push(show("héllo".len())); out.push(show("".len())); out.push(show("".is_empty()));
        out.push(show("abc".contains("bc"))); out.push(show(record.team.contains("a")));
        out.push(show(to_string(5))); out.push(show(5.5.to_string())); out.push(show(true.to_string())); out.push(show(().to_string()));
        out.push(`${record.elapsed / 3.0}`);
        "#,
        Way::Direct,
    );
}

#[test]
fn the_record_and_params_read_in_place() {
    each(
        r#"
        out.push(show(record));
        out.push(show(params));
        out.push(show(record.tasks)); out.push(show(record.critical)); out.push(show(record.penalties));
        out.push(show(record.time_limit)); out.push(show(record.nope)); out.push(show(record.elapsed));
        for id in record.critical { out.push(show(record.tasks[id])); }
        for t in record.tasks.values() { out.push(show(t.rating)); out.push(show("rating" in t)); }
        for p in record.penalties { out.push(show(p.task)); out.push(show("task" in p)); out.push(show(p.count * 2)); }
        out.push(show(record.tasks.keys())); out.push(show(record.keys())); out.push(show(record.len())); out.push(show(record.tasks.len()));
        out.push(show(params.nested.list[1])); out.push(show(params.nested.list[-1])); out.push(show(params.nested.list[3][0]));
        out.push(show(params.nested.deep.er.est)); out.push(show(params.nested["deep"]["er"])); out.push(show(params.penalty_points["unsafe-act"]));
        out.push(show(params.nothing)); out.push(show(params.flag)); out.push(show(params.missing));
        out.push(show(params.dq_codes.contains("unsafe-act"))); out.push(show(params.dq_codes.contains("x"))); out.push(show(params.dq_codes.contains(1)));
        out.push(show("muster" in record.tasks)); out.push(show(!("ghost" in record.tasks)));
        out.push(show(params.nested?.list)); out.push(show(params.nothing?.x)); out.push(show(params.nothing?[1]));
        out.push(show(params.penalty_points.values())); out.push(show(type_of(record))); out.push(show(type_of(record.critical)));
        let t = record.tasks; out.push(show(t.muster)); let c = record.critical; out.push(show(c.len())); out.push(show(c.is_empty()));
        "#,
        Way::Direct,
    );
}

#[test]
fn writing_into_copies_of_the_record_and_params() {
    each(
        r#"
        let r = record; r.team = "changed"; r.extra = 1; out.push(show(r)); out.push(show(record.team));
        let t = record.tasks; t.muster = 5; out.push(show(t)); out.push(show(record.tasks.len()));
        let p = params; p.penalty_points["new"] = 9; p.penalty_points["unsafe-act"] += 1; p.penalty_points.base = 0; out.push(show(p.penalty_points));
        let c = record.critical; c.push("extra"); out.push(show(c)); out.push(show(record.critical));
        let n = params.nested; n.list[0] = 100; n.list[-1].five += 1; out.push(show(n));
        let x = params.nested.list; push(x, "pushed"); out.push(show(x)); out.push(show(params.nested.list.len()));
        let m = #{ a: 1 }; m.b = 2; m["c"] = 3; m.a *= 10; out.push(show(m));
        let a = [1, 2, 3]; a[0] = 9; a[-1] += 1; a.push(4); out.push(show(a)); out.push(show(a.len()));
        let q = #{ inner: #{ list: [] } }; q.inner.list.push(1); q.inner.list.push(2); out.push(show(q));
        let f = 1.5; f += 1; f *= 2.0; let g = 1; g += 0.5; g *= id(3); out.push(show(g)); let h = 2; h **= 0.5; h %= id(1.0); out.push(show(h)); f -= 0.5; f /= 2; f %= 1.0; out.push(show(f));
        let i = 7; i += 1; i -= 2; i *= 3; i /= 4; i %= 3; i **= 3; i <<= 2; i >>= 1; i &= 6; i |= 1; i ^= 3; out.push(show(i));
        let b = true; b &= false; out.push(show(b)); b |= true; out.push(show(b)); b ^= true; out.push(show(b));
        "#,
        Way::Direct,
    );
}

#[test]
fn control_flow() {
    each(
        r#"
        let n = 0; while n < 5 { n += 1; if n == 2 { continue; } out.push(show(n)); }
        let n = 0; loop { n += 1; if n > 3 { break; } } out.push(show(n));
        let v = loop { break 42; }; out.push(show(v));
        let n = 0; do { n += 2; } while n < 7; out.push(show(n));
        let n = 0; do { n += 2; } until n >= 7; out.push(show(n));
        let n = 0; do { n += 1; if n < 3 { continue; } } while n < 2; out.push(show(n));
        for i in 0..5 { out.push(show(i)); }
        for i in 5..=7 { out.push(show(i)); } for i in 3..1 { out.push("never"); }
        for (x, i) in ["a", "b"] { out.push(show(x) + show(i)); }
        for (p, i) in record.penalties { out.push(show(i)); }
        for i in 0..10 {} out.push("after");
        let r = for x in [1, 2, 3] { if x == 2 { break x * 10; } }; out.push(show(r));
        let s = if record.elapsed > 100.0 { "long" } else { "short" }; out.push(s);
        let y = if false { 1 }; out.push(show(y));
        let z = { let a = 1; a + 1 }; out.push(show(z));
        out.push(show(true && false || true)); out.push(show(false && (1 / 0 == 0))); out.push(show(true || (1 / 0 == 0)));
        out.push(show(() ?? 5)); out.push(show(3 ?? 5)); out.push(show(params.nothing ?? params.base));
        let k = 0; for x in record.critical { for y in record.critical { k += 1; } } out.push(show(k));
        "#,
        Way::Direct,
    );
}

#[test]
fn functions_and_natives() {
    let helpers = r#"
fn twice(x) { x * 2 }
fn none() { }
fn fact(n) { if n <= 1 { 1 } else { n * fact(n - 1) } }
fn early(x) { if x > 1 { return "big"; } "small" }
fn bump(a) { a.push(1); a }
fn pick(m, k) { if k in m { m[k] } else { () } }
"#;
    for body in [
        r#"out.push(show(twice(21))); out.push(show(twice(0.5))); out.push(show(none())); out.push(show(fact(10)));"#,
        r#"out.push(early(5)); out.push(early(0)); let a = [0]; let b = bump(a); out.push(show(a)); out.push(show(b));"#,
        r#"out.push(show(pick(params.penalty_points, "unsafe-act"))); out.push(show(pick(record.tasks, "zzz")));"#,
        r#"let x = 5; out.push(show(twice(x))); out.push(show(x)); let t = record; out.push(show(type_of(t)));"#,
        r#"out.push(show(to_float(3))); out.push(show(3.5.to_float())); out.push(show(3.9.to_int())); out.push(show((-3.9).to_int())); out.push(show(to_int(7)));"#,
        r#"out.push(show(abs(-3))); out.push(show((-2.5).abs())); out.push(show(sign(-3))); out.push(show(sign(0.0))); out.push(show(sign(2.5)));"#,
        r#"out.push(show(2.5.floor())); out.push(show((-2.5).ceiling())); out.push(show(2.5.round())); out.push(show((-2.5).round())); out.push(show(2.7.int())); out.push(show(2.75.fraction())); out.push(show(2.0.sqrt()));"#,
        r#"out.push(show(min(1, 2))); out.push(show(max(1, 2))); out.push(show(min(1.5, 2))); out.push(show(max(3, 2.5))); out.push(show(max(2.0, 2))); out.push(show(min(-0.0, 0.0)));"#,
        r#"out.push(show(len([1, 2]))); out.push(show([].is_empty())); out.push(show(#{a: 1}.len())); out.push(show(#{}.is_empty())); out.push(show(keys(#{b: 1, a: 2}))); out.push(show(values(#{b: 1, a: 2})));"#,
        r#"out.push(show([1, "a"].contains("a"))); out.push(show([1, 2].contains(3))); out.push(show([].contains(1))); out.push(show(#{x: 1}.contains("x")));"#,
        r#"let a = []; push(a, 1); a.push(2); out.push(show(a)); const c = [1]; push(c, 2); out.push(show(c));"#,
        r#"out.push(type_of(1)); out.push(type_of(1.0)); out.push(type_of("")); out.push(type_of(())); out.push(type_of(true)); out.push(type_of(1..2)); out.push(type_of(1..=2)); out.push(type_of([])); out.push(type_of(#{}));"#,
    ] {
        compare(
            &format!("{helpers}\n{}", script(body)),
            &params(),
            Way::Direct,
        );
    }
}

#[test]
fn what_leaves_the_direct_path_still_gives_rhais_answer() {
    each(
        r#"
        throw "no";
        print("hello"); out.push("x");
        debug(1); out.push("y");
        let a = [1]; out.push(show(a[5]));
        out.push(show(params.nested.list["x"]));
        out.push(show(record.tasks[1]));
        out.push(show(2.5.to_int() + (1e300).to_int()));
        out.push(show(sign(0.0 / 0.0)));
        out.push(show(abs(-9223372036854775807 - 1)));
        out.push(show(floor(2)));
        out.push(show(record.team.len));
        for x in "abc" { out.push(show(x)); }
        let m = #{a: 1}; for x in m { out.push(show(x)); }
        let x = loop { x }; out.push(x);
        out.push(show([1.5].contains(1.5)));
        let a = [1, 2]; out.push(`${a}`);
        let m = #{}; m.a.b = 1; out.push(show(m));
        "#,
        Way::Rhai,
    );
}

#[test]
fn limits_stop_both_ways_alike() {
    for body in [
        "loop { out.push(1); }",
        "let s = \"x\"; loop { s += s; }",
        "let a = []; for i in 0..20000 { a.push(i); } out.push(show(a.len()));",
        "let m = #{}; for i in 0..2000 { m[`k${i}`] = i; } out.push(show(m.len()));",
        "fn_deep(0);",
    ] {
        let src = format!("fn fn_deep(n) {{ fn_deep(n + 1) }}\n{}", script(body));
        compare(&src, &params(), Way::Rhai);
    }
    // Just under the operation limit, the direct path finishes; just over,
    // both stop at the same place.
    for n in [100, 1000] {
        check(
            &format!("let i = 0; while i < {n} {{ i += 1; }} out.push(show(i));"),
            Way::Direct,
        );
    }
}

#[test]
fn recursion_up_to_the_call_level_limit() {
    let rt = |direct| {
        RhaiRuntime::new(RhaiLimits::default())
            .direct(direct)
            .load(
                "deep.rhai",
                "fn down(n) { if n == 0 { 0 } else { 1 + down(n - 1) } }\n\
                 fn score(record, params) { #{ total: down(params.depth), status: \"valid\" } }",
            )
            .expect("loads")
    };
    let (direct, interpreted) = (rt(true), rt(false));
    let input = &inputs()[0];
    let mut deepest_direct = None;
    for depth in 0..40 {
        let params = json!({ "depth": depth });
        let (d, r) = (direct.run(input, &params), interpreted.run(input, &params));
        assert_eq!(
            format!("{:?}", d.result),
            format!("{:?}", r.result),
            "depth {depth}"
        );
        assert_eq!(d.stats.work_used, r.stats.work_used, "depth {depth}");
        if d.route() == RhaiRoute::Direct {
            deepest_direct = Some(depth);
        }
    }
    // The direct path goes as deep as rhai allows.
    let deepest = (0..40)
        .rev()
        .find(|depth| {
            interpreted
                .run(input, &json!({ "depth": depth }))
                .result
                .is_ok()
        })
        .expect("some depth succeeds");
    assert_eq!(deepest_direct, Some(deepest));
}

#[test]
fn the_builtin_scripts_run_directly_on_every_record() {
    let runtime = RhaiRuntime::new(RhaiLimits::default());
    let interpreter = RhaiRuntime::new(RhaiLimits::default()).direct(false);
    let mut runs = 0;
    for b in muster_scenarios::builtins()
        .iter()
        .chain(muster_scenarios::generators())
    {
        let files = b
            .files()
            .iter()
            .map(|(n, t)| (n.to_string(), t.as_bytes().to_vec()));
        let package = Package::from_files(b.id(), files, &PackageOptions::default())
            .expect("the built-in package opens");
        let name = package.scoring_file();
        if !name.ends_with(".rhai") {
            continue;
        }
        let source = std::str::from_utf8(package.scorer_source()).expect("text");
        let params = package.params();
        let direct = runtime.load(name, source).expect("loads");
        let rhai = interpreter.load(name, source).expect("loads");
        for (record_name, text) in b.records() {
            let record = DrillRecord::parse(record_name, text, Format::Json, package.scenario())
                .expect("the package's record is valid");
            let input = ScoreInput::new(package.scenario(), &record);
            for variant in variants(&input) {
                let (d, r) = (direct.run(&variant, params), rhai.run(&variant, params));
                let id = format!("{} {record_name}", b.id());
                assert_eq!(format!("{:?}", d.result), format!("{:?}", r.result), "{id}");
                assert_eq!(d.stats.work_used, r.stats.work_used, "{id}");
                assert_eq!(d.stats.output_bytes, r.stats.output_bytes, "{id}");
                if r.result.is_ok() {
                    assert_eq!(d.route(), RhaiRoute::Direct, "{id}");
                }
                runs += 1;
            }
        }
    }
    assert!(runs > 200, "only {runs} runs compared");
}

/// The record and some changed copies of it: slower, faster, a task
/// failed, penalties of every code.
fn variants(input: &ScoreInput) -> Vec<ScoreInput> {
    let mut out = vec![input.clone()];
    for stretch in [0.5, 1.3, 3.0] {
        let mut v = input.clone();
        v.elapsed *= stretch;
        out.push(v);
    }
    for id in input.tasks.keys() {
        let mut v = input.clone();
        if let Some(t) = v.tasks.get_mut(id) {
            t.status = muster_core::TaskStatus::Failed;
            t.rating = None;
        }
        out.push(v);
    }
    let mut v = input.clone();
    v.penalties.clear();
    out.push(v);
    out
}

/// The direct path recurses on the host's stack as rhai's interpreter
/// does, and leaves a call to rhai before it takes more than its stack
/// budget: the deepest expressions a function may hold (eleven nested
/// additions; twelve do not compile), at every call level rhai allows, fit
/// a 1 MiB thread (half of what test threads and most hosts give) both
/// ways. rhai's interpreter itself needs more than 512 KiB for this in an
/// optimised build.
#[test]
fn deep_expressions_at_every_call_level_fit_a_small_stack() {
    let nested = format!("{}down(n + 1){}", "1 + (".repeat(11), ")".repeat(11));
    let src = format!(
        "fn down(n) {{ if n > 100 {{ 0 }} else {{ {nested} }} }}\n\
         fn score(record, params) {{ #{{ total: down(0), status: \"valid\" }} }}"
    );
    let handle = std::thread::Builder::new()
        .stack_size(1024 * 1024)
        .spawn(move || {
            let runs = both(&src, &params());
            runs.iter()
                .map(|(d, r)| {
                    (
                        d.result.clone().map_err(|e| e.to_string()),
                        r.result.clone().map_err(|e| e.to_string()),
                    )
                })
                .collect::<Vec<_>>()
        })
        .expect("spawn a small-stack thread");
    for (d, r) in handle.join().expect("no stack overflow") {
        assert_eq!(d, r);
        let err = d.expect_err("the recursion goes past the call depth limit");
        assert!(err.contains("call depth limit"), "{err}");
    }
}

/// A script whose calls mostly leave the direct path (here every call
/// prints) is run on rhai alone after a trial, so that no call is run
/// twice for nothing; its results are rhai's throughout.
#[test]
fn a_script_that_always_leaves_is_run_on_rhai_alone_after_a_trial() {
    let script = "fn score(record, params) { print(record.team); #{ total: record.elapsed, status: \"valid\" } }";
    let scorer = RhaiRuntime::new(RhaiLimits::default())
        .load("prints.rhai", script)
        .expect("loads");
    let input = &inputs()[0];
    let reasons: Vec<RhaiRoute> = (0..80)
        .map(|_| scorer.run(input, &params()).route())
        .collect();
    assert_eq!(
        reasons[0],
        RhaiRoute::Interpreter {
            reason: "print or debug"
        }
    );
    assert_eq!(
        reasons[79],
        RhaiRoute::Interpreter {
            reason: "most calls of this script leave the direct path"
        }
    );
    let last = scorer.run(input, &params());
    assert_eq!(last.log, vec!["nantang".to_string()]);
    assert_eq!(last.result.expect("scores").total, input.elapsed);
}
