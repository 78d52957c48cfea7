#!/usr/bin/env python3
"""Runs Muster's benchmarks and writes BENCHMARKS.md from what they measured.

    python3 benches/report.py            # run every bench, then write BENCHMARKS.md
    python3 benches/report.py --no-run   # only rewrite BENCHMARKS.md from the last run

Every figure in BENCHMARKS.md comes from this run: criterion's estimates
under target/criterion/, the figures the custom harnesses write under
target/muster-bench/, and the CP-SAT script's answer. Nothing is typed in by
hand; a figure that was not measured says so.
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
CRITERION = TARGET / "criterion"
EXTRA = TARGET / "muster-bench"

# The bench targets of crate muster-benches, in the order they run.
BENCHES = ["analysis", "ledger", "scoring", "rescore", "planning"]


def run(cmd, **kw):
    print("+", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.run(cmd, cwd=ROOT, **kw)


def run_benches():
    EXTRA.mkdir(parents=True, exist_ok=True)
    present = {p.stem for p in (ROOT / "benches" / "benches").glob("*.rs")}
    for bench in BENCHES:
        if bench not in present:
            print(f"(no bench `{bench}` in benches/benches; skipped)")
            continue
        r = run(["cargo", "bench", "-p", "muster-benches", "--bench", bench])
        if r.returncode != 0:
            sys.exit(f"cargo bench --bench {bench} failed with {r.returncode}")
    cpsat = ROOT / "benches" / "cpsat" / "plan_cpsat.py"
    instance = EXTRA / "plan-instance.json"
    if cpsat.exists() and instance.exists():
        try:
            import ortools  # noqa: F401
        except ImportError:
            print("ortools is not installed: `python3 -m pip install ortools` to compare with CP-SAT")
            return
        r = run(
            [sys.executable, str(cpsat), str(instance), "--time-limit", "60", "--workers", "2"],
            capture_output=True,
            text=True,
        )
        if r.returncode == 0:
            (EXTRA / "cpsat.json").write_text(r.stdout)
        else:
            print(r.stdout, r.stderr)
            sys.exit(f"the CP-SAT script failed with {r.returncode}")


def criterion_results():
    """Every criterion estimate, by its full id: mean ns and elements per iteration."""
    out = {}
    for bench in CRITERION.glob("**/new/benchmark.json"):
        meta = json.loads(bench.read_text())
        est = json.loads((bench.parent / "estimates.json").read_text())
        elements = (meta.get("throughput") or {}).get("Elements")
        out[meta["full_id"]] = {
            "ns": est["mean"]["point_estimate"],
            "lo": est["mean"]["confidence_interval"]["lower_bound"],
            "hi": est["mean"]["confidence_interval"]["upper_bound"],
            "elements": elements,
        }
    return out


def extra_results():
    out = {}
    if EXTRA.exists():
        for f in EXTRA.glob("*.json"):
            if f.name == "plan-instance.json":
                continue
            try:
                out[f.stem] = json.loads(f.read_text())
            except json.JSONDecodeError as e:
                sys.exit(f"{f}: not JSON ({e})")
    return out


def fmt_time(ns):
    if ns is None:
        return "not measured"
    if ns < 1e3:
        return f"{ns:.1f} ns"
    if ns < 1e6:
        return f"{ns / 1e3:.2f} µs"
    if ns < 1e9:
        return f"{ns / 1e6:.2f} ms"
    return f"{ns / 1e9:.2f} s"


def fmt_rate(per_s):
    if per_s is None:
        return "not measured"
    if per_s >= 1e6:
        return f"{per_s / 1e6:.2f} M/s"
    if per_s >= 1e3:
        return f"{per_s / 1e3:.1f} k/s"
    return f"{per_s:.0f}/s"


def machine():
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"{model}, {os.cpu_count()} cores{mem}; {platform.system()} {platform.release()}; "
        f"{rustc}; load average at the end of the run {load}"
    )


def speed_line(speed):
    if not speed:
        return "**Host speed:** not measured in this run."
    return (
        f"**Host speed:** a fixed loop of plain Python (`host_speed` in this script, best of five) "
        f"took {speed[0]} ms before the benches and {speed[1]} ms after; a host shared with other "
        "work runs it slower, and every figure of the run with it. Compare figures across reports "
        "with this in mind, and ratios within one report."
    )


def host_speed():
    """Milliseconds a fixed piece of plain Python work takes, best of five:
    the same on every host of a kind, so it shows how fast this host ran
    when the figures were measured (a host shared with other work runs it
    slower, and every figure of the run with it)."""
    import time

    best = None
    for _ in range(5):
        t = time.perf_counter()
        total = 0
        for i in range(2_000_000):
            total += i * i % 7
        ms = (time.perf_counter() - t) * 1000
        best = ms if best is None else min(best, ms)
    return round(best, 1)


class Report:
    def __init__(self, crit, extra):
        self.crit = crit
        self.extra = extra
        self.rows = []

    def ns(self, full_id):
        r = self.crit.get(full_id)
        return None if r is None else r["ns"]

    def per_item(self, full_id):
        """ns per element for a throughput bench, else per iteration."""
        r = self.crit.get(full_id)
        if r is None:
            return None
        return r["ns"] / (r["elements"] or 1)

    def find(self, prefix):
        """The one full id starting with `prefix` (names that carry a size)."""
        ids = sorted(k for k in self.crit if k.startswith(prefix))
        return ids[0] if ids else None

    def row(self, measure, muster, peer, ratio, goal, met):
        if isinstance(met, str):
            verdict = met
        else:
            verdict = "not measured" if met is None else ("met" if met else "**missed**")
        self.rows.append((measure, muster, peer, ratio, goal, verdict))

    def table(self):
        out = [
            "| measure | Muster | peer or limit | ratio | goal | |",
            "|---|---|---|---|---|---|",
        ]
        for r in self.rows:
            out.append("| " + " | ".join(r) + " |")
        self.rows = []
        return "\n".join(out)


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def fmt_ratio(r):
    return "—" if r is None else f"{r:.2f}×"


def analysis(rep):
    cpm = rep.ns("cpm_1000_tasks/muster")
    peer = rep.ns("cpm_1000_tasks/straightforward_petgraph")
    rep.row(
        "CPM, generated 1,000-task graph",
        fmt_time(cpm),
        f"straightforward petgraph version: {fmt_time(peer)}",
        fmt_ratio(ratio(cpm, peer)),
        "≤ 1 ms",
        None if cpm is None else cpm <= 1e6,
    )
    mc = rep.ns("monte_carlo_10000_runs_60_tasks/muster")
    mc1 = rep.ns("monte_carlo_10000_runs_60_tasks/muster, one thread")
    rep.row(
        "Monte Carlo, 10,000 runs of a 60-task scenario (every core)",
        fmt_time(mc),
        f"one thread: {fmt_time(mc1)}",
        fmt_ratio(ratio(mc, mc1)),
        "≤ 15 ms",
        None if mc is None else mc <= 15e6,
    )
    return rep.table()


def ledger(rep):
    ours = rep.per_item("ledger-append/muster durable batch of 20k")
    raw = rep.per_item("ledger-append/raw rusqlite batch of 20k, same rows")
    rate = None if ours is None else 1e9 / ours
    share = ratio(raw, ours)
    rep.row(
        "durable append, batches of 20,000",
        fmt_rate(rate),
        f"plain rusqlite, same rows and table: {fmt_rate(None if raw is None else 1e9 / raw)}",
        "—" if share is None else f"{share * 100:.0f}% of raw",
        "≥ 20,000/s and ≥ 50% of raw",
        None if rate is None else rate >= 20_000 and share >= 0.5,
    )
    one = rep.ns("ledger-append-one/muster durable single entry")
    rep.row(
        "durable append, one entry per write",
        fmt_time(one),
        "—",
        "—",
        "no goal; reported",
        "reported" if one is not None else None,
    )
    # The read goals are stated for 1,000,000 entries; a smaller run
    # (MUSTER_BENCH_ENTRIES) is reported but not judged.
    def size(full_id):
        try:
            return int(full_id.rsplit(" ", 2)[-2])
        except (AttributeError, ValueError, IndexError):
            return 0

    hours_id = rep.find("ledger-read/one member's hours over ")
    hours = rep.ns(hours_id) if hours_id else None
    n = size(hours_id)
    rep.row(
        f"one member's hours, ledger of {n:,} entries",
        fmt_time(hours),
        "—",
        "—",
        "≤ 5 ms at 1,000,000 entries",
        None if hours is None or n < 1_000_000 else hours <= 5e6,
    )
    verify_id = rep.find("ledger-read/verify ")
    v = rep.ns(verify_id) if verify_id else None
    n = size(verify_id)
    rep.row(
        f"verify a chain of {n:,} entries",
        fmt_time(v),
        "—",
        "—",
        "≤ 2 s at 1,000,000 entries",
        None if v is None or n < 1_000_000 else v <= 2e9,
    )
    return rep.table()


def planning(rep):
    t = rep.ns("year_plan_80_members_20_items/muster")
    rules = rep.ns("year_plan_80_members_20_items/muster_rules_only")
    fig = rep.extra.get("planning", {})
    year = fig.get("year", {})
    rep.row(
        "year plan: {} members, {} days, {} items".format(
            year.get("members", 80), year.get("days", 365), year.get("items", 20)
        ),
        fmt_time(t),
        f"rule occurrences alone, no sessions added for quotas: {fmt_time(rules)}",
        fmt_ratio(ratio(t, rules)),
        "≤ 2 s",
        None if t is None else t <= 2e9,
    )
    if year:
        rep.row(
            "year plan: quota coverage and hard violations",
            f"{year['coverage'] * 100:.1f}%, {year['violations']} violations "
            f"({year['sessions']} sessions, {year['added']} added for quotas)",
            f"rules alone: {year['rules_coverage'] * 100:.1f}%",
            "—",
            "0 violations",
            year["violations"] == 0,
        )
    dec = fig.get("december", {})
    cp = rep.extra.get("cpsat", {})
    if dec:
        ours = dec["coverage"]
        theirs = cp.get("coverage")
        peer = (
            "CP-SAT not run"
            if theirs is None
            else f"CP-SAT, 2 workers, 60 s, up to {cp.get('copies', 1)} sessions of an item a day: "
            f"{theirs * 100:.1f}% "
            f"(bound {cp.get('coverage_bound', 0) * 100:.1f}%, {cp.get('violations')} violations, "
            f"{cp.get('seconds', 0):.0f} s, {cp.get('status')})"
        )
        rep.row(
            "sample brigade's December: quota coverage",
            f"{ours * 100:.1f}%, {dec['violations']} violations",
            peer,
            "—" if theirs is None else f"{(ours - theirs) * 100:+.1f} points",
            "within 2 points of CP-SAT",
            None if theirs is None else ours >= theirs - 0.02,
        )
    return rep.table()


def scoring(rep):
    per = {
        name: rep.per_item(f"score-per-record/{name}")
        for name in [
            "native",
            "lua",
            "lua-limited",
            "rhai",
            "rhai-interpreter",
            "wasm-fresh-instance",
            "wasm-reused-instance",
        ]
    }
    if all(v is None for v in per.values()):
        return ""
    lua = per["lua"]

    def rate(ns):
        return None if ns is None else 1e9 / ns

    rep.row(
        "native Rust (the limit), per record",
        fmt_time(per["native"]),
        f"Lua 5.4 (mlua): {fmt_time(lua)}",
        fmt_ratio(ratio(per["native"], lua)),
        "—",
        "—",
    )
    rep.row(
        "Lua with a memory cap and an instruction hook, per record",
        fmt_time(per["lua-limited"]),
        f"bare Lua: {fmt_time(lua)}",
        fmt_ratio(ratio(per["lua-limited"], lua)),
        "—",
        "—",
    )
    r = per["rhai"]
    rep.row(
        "rhai, sandboxed, per record",
        f"{fmt_time(r)} ({fmt_rate(rate(r))})",
        f"bare Lua: {fmt_time(lua)}; native: {fmt_time(per['native'])}",
        fmt_ratio(ratio(r, lua)) + " of Lua",
        "≤ 1.0× Lua and ≥ 200,000/s",
        None if r is None or lua is None else r <= lua and rate(r) >= 200_000,
    )
    ri = per["rhai-interpreter"]
    if ri is not None:
        rep.row(
            "rhai with the direct path off (the interpreter alone), per record",
            f"{fmt_time(ri)} ({fmt_rate(rate(ri))})",
            f"rhai as scorers run it: {fmt_time(r)}",
            fmt_ratio(ratio(ri, r)),
            "—",
            "—",
        )
    w = per["wasm-fresh-instance"]
    rep.row(
        "wasm, fresh instance per record",
        fmt_time(w),
        f"native: {fmt_time(per['native'])}",
        fmt_ratio(ratio(w, per["native"])) + " of native",
        "≤ 10 µs",
        None if w is None else w <= 10_000,
    )
    b = per["wasm-reused-instance"]
    rep.row(
        "wasm, batch on one instance, per record",
        f"{fmt_time(b)} ({fmt_rate(rate(b))})",
        f"native: {fmt_time(per['native'])}",
        fmt_ratio(ratio(b, per["native"])) + " of native",
        "≥ 500,000/s",
        None if b is None else rate(b) >= 500_000,
    )
    for name in [
        "rhai runtime + cold compile",
        "rhai cached load",
        "lua state + load",
        "wasm runtime only",
        "wasm runtime + cold compile",
        "wasm cached load",
    ]:
        t = rep.ns(f"start-up/{name}")
        if t is not None:
            rep.row(f"start: {name}", fmt_time(t), "—", "—", "reported", "—")
    rs = rep.extra.get("rescore")
    if rs:
        n = rs["records"]
        scale = 1_000_000 / n
        cpu = rs.get("append_cpu_s")
        append = f"append {rs['append_s']:.2f}" + (
            f", {cpu:.2f} of it CPU" if cpu is not None else ""
        )
        lib = rs.get("library", {})
        for rt, goal in [("wasm", 3.0), ("rhai", 5.0)]:
            t = lib.get(f"library_{rt}_s")
            if t is None:
                continue
            peak, before = lib.get(f"library_{rt}_peak_mib"), lib.get(f"library_{rt}_rss_before_mib")
            memory = (
                f", resident {before:.0f} MiB before, {peak:.0f} MiB at the peak"
                if peak is not None and before is not None
                else ""
            )
            call_cpu = lib.get(f"library_{rt}_cpu_s")
            if call_cpu is not None:
                memory = f" ({call_cpu:.2f} s of CPU){memory}"
            rep.row(
                f"re-score a season from the ledger and back: `ledger::rescore` "
                f"(`muster ledger rescore`), {rt}, {n:,} records, every core",
                f"{t:.2f} s{memory}",
                "—",
                "—",
                f"≤ {goal:.0f} s at 1,000,000",
                t * scale <= goal if n >= 1_000_000 else (False if t * scale > goal else None),
            )
        for rt in ["wasm", "rhai"]:
            t = rs[f"end_to_end_{rt}_s"]
            rep.row(
                f"the same phase by phase (read all, score all, append all), {rt}, "
                f"{rs['threads']} threads",
                f"{t:.2f} s (read {rs['read_s']:.2f}, score {rs[f'score_{rt}_s']:.2f}, "
                f"{append})",
                "—",
                "—",
                "—",
                "breakdown",
            )
    return rep.table()


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-run", action="store_true", help="only rewrite BENCHMARKS.md")
    args = ap.parse_args()
    if not args.no_run:
        before = host_speed()
        run_benches()
        # The machine as the run ends, so that a later --no-run still names
        # the load the figures were measured under.
        (EXTRA / "run.json").write_text(
            json.dumps(
                {
                    "machine": machine(),
                    "ended": f"{utc_now():%Y-%m-%d %H:%M}",
                    "speed": [before, host_speed()],
                }
            )
        )
    rep = Report(criterion_results(), extra_results())
    run_info = rep.extra.get("run") or {}
    if args.no_run and not run_info:
        print("no record of the run's machine under target/muster-bench: naming this one as it is now")
    sections = [
        "# Benchmarks",
        "",
        "Written by `python3 benches/report.py`, which runs every criterion bench of",
        "`benches/` (`cargo bench -p muster-benches`) and the CP-SAT comparison, then",
        "writes this file from what they measured. Each Muster figure is set against",
        "its peer or limit measured in the same run.",
        "",
        f"**Machine:** {run_info.get('machine') or machine()}.",
        f"**Measured:** run ended {run_info.get('ended', 'at an unrecorded time')} UTC; "
        f"**written:** {utc_now():%Y-%m-%d %H:%M} UTC.",
        speed_line(run_info.get("speed")),
        "",
        "## Analysis",
        "",
        analysis(rep),
        "",
        "## Ledger",
        "",
        ledger(rep),
        "",
        "## Planning",
        "",
        planning(rep),
        "",
        "## Scoring (the initial attack's time-bonus rule)",
        "",
        scoring(rep),
        "",
    ]
    for name, section in SECTIONS:
        body = section(rep)
        if body:
            sections += [f"## {name}", "", body, ""]
    notes = ROOT / "benches" / "NOTES.md"
    if notes.exists():
        sections += [notes.read_text().rstrip(), ""]
    (ROOT / "BENCHMARKS.md").write_text("\n".join(sections))
    print(f"wrote {ROOT / 'BENCHMARKS.md'}")


# Further sections, added by the benches that measure them: (title, function).
SECTIONS = []

if __name__ == "__main__":
    main()
