#!/usr/bin/env python3
"""Solve a Muster planning instance with OR-Tools CP-SAT, to compare quota
coverage with Muster's planner.

Write the instance with
    muster plan --brigade B --syllabus S --from D1 --to D2 --export-instance inst.json
then run
    python3 benches/cpsat/plan_cpsat.py inst.json [--time-limit 60] [--workers 2]

It prints one JSON object: {"coverage", "coverage_bound", "violations",
"seconds", "status", ...}. Coverage is met over required member-minutes,
summed over every quota period and member, each member counted up to the
quota: the same measure as Muster's `Plan::coverage`.

The instance already applies duty, leave, the shift leader, skills and the
equipment each squadron holds (see `muster_core::schedule::Instance`). It
lists one candidate per day, squadron and item; Muster's rules let a
squadron hold an item more than once a day (at other times, or with
another instructor), so the model may hold each candidate up to `--copies`
times (default 2; a copy opens only when the one before it does, and only
the first counts as the rule occurrence). With one copy the model is not a
relaxation of Muster's rules, and Muster can beat its bound. The model
adds: a session is open or not; an open session has one instructor
when its item needs one and between the item's fewest and most attendees,
each allowed to attend; nobody is both; a member trains at most the day's
limit of minutes, and their sessions plus the rest between them fit in the
training day. Times of day are not modelled (nor are overlapping sessions
sharing equipment), so the model is a relaxation of Muster's: its coverage
is an upper bound on what a plan with times of day and at most `--copies`
sessions of an item a day can reach.

The objective is quota coverage first, then as many of the items' rule
occurrences as possible (Muster places every occurrence it can).
"""

import argparse
import json
import sys
import time
from collections import defaultdict

from ortools.sat.python import cp_model


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("instance", help="JSON written by muster plan --export-instance")
    ap.add_argument("--time-limit", type=float, default=60.0, help="seconds (default 60)")
    ap.add_argument("--workers", type=int, default=2, help="search workers (default 2)")
    ap.add_argument("--copies", type=int, default=2,
                    help="sessions of one item a squadron may hold a day (default 2)")
    args = ap.parse_args()
    if args.copies < 1:
        print("error: --copies must be at least 1", file=sys.stderr)
        return 2
    try:
        with open(args.instance, encoding="utf-8") as f:
            inst = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        print(f"{args.instance}: error: {e}; give the file muster plan --export-instance wrote",
              file=sys.stderr)
        return 1

    started = time.monotonic()
    members = inst["members"]
    squadron = inst["squadrons"]
    max_day = inst["max_minutes_per_day"]
    rest = inst["rest_minutes"]
    # Each candidate up to `copies` times; copy j > 0 opens only if copy j-1 does.
    cands = []
    copy_of = []
    for c in inst["candidates"]:
        for j in range(args.copies):
            cands.append(dict(c, recurring=c["recurring"] and j == 0))
            copy_of.append(len(cands) - 2 if j else None)

    m = cp_model.CpModel()
    open_ = []
    attend = {}  # (member, candidate) -> var
    teach = {}
    per_member_day = defaultdict(list)  # (member, date) -> [(minutes, var)]
    day_window = {}  # (squadron, date) -> minutes of the training day
    for k, c in enumerate(cands):
        y = m.NewBoolVar(f"open{k}")
        open_.append(y)
        lo, hi = c["group"]
        xs = []
        for p in c["eligible"]:
            v = m.NewBoolVar(f"x{p}_{k}")
            attend[p, k] = v
            xs.append(v)
            m.AddImplication(v, y)
            per_member_day[p, c["date"]].append((c["minutes"], v))
        if copy_of[k] is not None:
            m.Add(y <= open_[copy_of[k]])
        m.Add(sum(xs) >= lo * y)
        m.Add(sum(xs) <= hi * y)
        if c["needs_instructor"]:
            ts = []
            for p in c["instructors"]:
                v = m.NewBoolVar(f"i{p}_{k}")
                teach[p, k] = v
                ts.append(v)
                if (p, k) in attend:
                    m.AddBoolOr([attend[p, k].Not(), v.Not()])
                per_member_day[p, c["date"]].append((c["minutes"], v))
            m.Add(sum(ts) == y)
        s, e = c["window"]
        if e - s > c["minutes"]:  # not a fixed start: the squadron's training day
            key = (c["squadron"], c["date"])
            day_window[key] = max(day_window.get(key, 0), e - s)
    for (p, d), items in per_member_day.items():
        m.Add(sum(mins * v for mins, v in items) <= max_day)
        window = day_window.get((squadron[p], d))
        if window is not None:
            m.Add(sum((mins + rest) * v for mins, v in items) <= window + rest)

    # Coverage: each member's minutes of a category in a quota period, up to the quota.
    by_cat = defaultdict(list)
    for k, c in enumerate(cands):
        by_cat[c["category"]].append(k)
    cov = []
    required = 0
    for q in inst["quotas"]:
        need = q["minutes"]
        ks = [k for k in by_cat[q["category"]] if q["first"] <= cands[k]["date"] <= q["last"]]
        for p in range(len(members)):
            required += need
            terms = []
            for k in ks:
                if cands[k]["squadron"] != squadron[p]:
                    continue
                for var in (attend.get((p, k)), teach.get((p, k))):
                    if var is not None:
                        terms.append(cands[k]["minutes"] * var)
            if not terms or need == 0:
                continue
            v = m.NewIntVar(0, need, f"cov{p}_{len(cov)}")
            m.Add(v <= sum(terms))
            cov.append(v)
    recurring = [open_[k] for k, c in enumerate(cands) if c["recurring"]]
    weight = len(recurring) + 1
    m.Maximize(weight * sum(cov) + sum(recurring))

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = args.time_limit
    solver.parameters.num_workers = args.workers
    status = solver.Solve(m)
    seconds = time.monotonic() - started
    out = {
        "status": solver.StatusName(status),
        "seconds": round(seconds, 1),
        "candidates": len(inst["candidates"]),
        "copies": args.copies,
        "variables": len(open_) + len(attend) + len(teach) + len(cov),
        "required_hours": required / 60,
    }
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        out.update({"coverage": None, "violations": None})
        print(json.dumps(out))
        return 1
    met = sum(solver.Value(v) for v in cov)
    bound = solver.BestObjectiveBound() / weight
    out["met_hours"] = met / 60
    out["coverage"] = round(met / required, 4) if required else 1.0
    out["coverage_bound"] = round(min(bound, required) / required, 4) if required else 1.0
    out["sessions"] = sum(solver.Value(y) for y in open_)
    out["rule_occurrences_placed"] = sum(solver.Value(y) for y in recurring)
    out["rule_occurrences"] = len(recurring)
    out["violations"] = check(inst, cands, solver, open_, attend, teach)
    print(json.dumps(out))
    return 0


def check(inst, cands, solver, open_, attend, teach):
    """Re-checks the modelled hard rules on the solution; returns how many break."""
    bad = 0
    minutes = defaultdict(int)
    for k, c in enumerate(cands):
        people = [p for p in c["eligible"] if solver.Value(attend[p, k])]
        teachers = [p for p in c["instructors"] if (p, k) in teach and solver.Value(teach[p, k])]
        if not solver.Value(open_[k]):
            bad += len(people) + len(teachers)
            continue
        lo, hi = c["group"]
        bad += not (lo <= len(people) <= hi)
        bad += c["needs_instructor"] and len(teachers) != 1
        bad += len(set(people) & set(teachers))
        for p in people + teachers:
            minutes[p, c["date"]] += c["minutes"]
    bad += sum(1 for v in minutes.values() if v > inst["max_minutes_per_day"])
    return bad


if __name__ == "__main__":
    sys.exit(main())
