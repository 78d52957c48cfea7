"""Muster from Python, through the UniFFI bindings generated at test time.

Run by tests/python.rs with the generated `muster` module and the built
library on PYTHONPATH; the paths it needs come in environment variables.
"""

import os
import tempfile
import unittest

import muster

RECORD = os.environ["MUSTER_RECORD"]

BAD_SCENARIO = """[scenario]
id = "bad"
version = "1.0.0"
name = "Bad"
hazard = "forest-fire"

[[tasks]]
id = "a"
name = "A"
duration = "5m"
after = ["nowhere"]
"""


class ScenarioTest(unittest.TestCase):
    def test_bad_scenario_has_located_diagnostics(self):
        check = muster.check_scenario("bad.toml", BAD_SCENARIO)
        self.assertFalse(check.valid)
        d = check.diagnostics[0]
        self.assertEqual((d.file, d.line, d.severity), ("bad.toml", 11, "error"))
        self.assertIn("nowhere", d.message)
        self.assertTrue(d.display.startswith("bad.toml:11:"))

    def test_loading_a_bad_scenario_raises_invalid_with_every_line(self):
        with self.assertRaises(muster.MusterError.Invalid) as caught:
            muster.Scenario.from_text("bad.toml", BAD_SCENARIO)
        self.assertIn("bad.toml:11:", caught.exception.message)
        self.assertIn("nowhere", caught.exception.message)

    def test_analysis_of_a_builtin(self):
        s = muster.Scenario.from_path("builtin:forest-fire.initial-attack")
        self.assertEqual(s.id(), "forest-fire.initial-attack")
        a = s.analyse(muster.AnalysisOptions(runs=500, seed=7))
        self.assertGreater(a.length_secs, 0)
        self.assertEqual(len(a.tasks), s.task_count())
        self.assertTrue(a.critical_path)
        mc = a.monte_carlo
        self.assertLessEqual(mc.p50_secs, mc.p80_secs)
        self.assertLessEqual(mc.p80_secs, mc.p95_secs)
        again = s.analyse(muster.AnalysisOptions(runs=500, seed=7))
        self.assertEqual(a, again)

    def test_zero_runs_is_refused(self):
        s = muster.Scenario.from_path("builtin:forest-fire.initial-attack")
        with self.assertRaises(muster.MusterError.Invalid) as caught:
            s.analyse(muster.AnalysisOptions(runs=0, seed=7))
        self.assertIn("runs must be between 1 and", caught.exception.message)

    def test_unknown_builtin_lists_the_builtins(self):
        with self.assertRaises(muster.MusterError.NotFound) as caught:
            muster.Scenario.from_path("builtin:no-such-drill")
        self.assertIn("the built-ins are: ", caught.exception.message)
        self.assertIn("forest-fire.initial-attack", caught.exception.message)


class ScoreTest(unittest.TestCase):
    def test_builtin_scores_the_sample_record(self):
        p = muster.Package.open("forest-fire.initial-attack")
        with open(RECORD, encoding="utf-8") as f:
            card = p.score("record-nantang.json", f.read())
        self.assertEqual(f"{card.total:.2f}", "109.83")
        self.assertEqual(card.status, "valid")
        self.assertEqual(card.scorer_kind, "rhai")
        self.assertTrue(card.scorer_hash.startswith("sha256:"))

    def test_bad_record_names_its_place(self):
        p = muster.Package.open("builtin:forest-fire.initial-attack")
        with self.assertRaises(muster.MusterError.Invalid) as caught:
            p.score("run.json", '{ "team": ')
        self.assertIn("run.json:1:", caught.exception.message)


DRAFTS = """[
 {"author": "m001", "at": "2026-12-01T08:00:00+08:00", "entry": {"kind": "member_joined",
  "member": "m001", "name": "Li", "squadron": "nantang", "speciality": "forest-fire"}},
 {"author": "m001", "at": "2026-12-01T09:00:00+08:00", "entry": {"kind": "qualification_granted",
  "member": "m001", "skill": "boat", "level": 1, "valid_until": "2026-12-20"}},
 {"author": "m001", "at": "2026-12-01T10:00:00+08:00", "entry": {"kind": "training_attended",
  "member": "m001", "item": "pt", "category": "physical", "hours": 1.5, "instructor": "m001"}}
]"""


class LedgerTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.ledger = muster.Ledger.open(os.path.join(self.dir.name, "ledger.db"))

    def tearDown(self):
        del self.ledger
        self.dir.cleanup()

    def test_append_query_verify(self):
        self.assertEqual(self.ledger.append(DRAFTS), [1, 2, 3])
        self.assertEqual(self.ledger.entry_count(), 3)
        hours = self.ledger.hours(muster.HoursQuery(member="m001", category=None, since=None, until=None))
        self.assertEqual([(h.member, h.category, h.hours) for h in hours], [("m001", "physical", 1.5)])
        currency = self.ledger.currency("2026-12-10")
        self.assertEqual([(c.skill, c.days_left) for c in currency], [("boat", 10)])
        report = self.ledger.verify()
        self.assertEqual((report.entries, report.sources, report.problem), (3, 0, None))

    def test_keep_source_and_replay(self):
        self.ledger.append(DRAFTS)
        package = muster.Package.open("forest-fire.initial-attack")
        self.ledger.keep_source(package)
        self.ledger.keep_source(package)
        self.assertEqual(self.ledger.verify().sources, 1)
        report = self.ledger.replay()
        self.assertEqual((report.replayed, report.identical, report.unresolved), (0, 0, []))
        summary = self.ledger.rescore(package, "m001", "2026-12-02T08:00:00+08:00")
        self.assertEqual((summary.runs, summary.first_entry, summary.failed), (0, None, []))
        with self.assertRaises(muster.MusterError.Invalid) as caught:
            self.ledger.rescore(package, "m001", "tomorrow")
        self.assertIn("not an RFC 3339 time", caught.exception.message)

    def test_rescore_with_progress_reports_and_cancels(self):
        self.ledger.append(DRAFTS)
        package = muster.Package.open("forest-fire.initial-attack")

        class Seen(muster.ProgressListener):
            def __init__(self, go_on):
                self.calls, self.go_on = [], go_on

            def update(self, done, total):
                self.calls.append((done, total))
                return self.go_on

        go = Seen(True)
        summary = self.ledger.rescore_with_progress(package, "m001", "2026-12-02T08:00:00+08:00", go)
        self.assertEqual((summary.runs, summary.first_entry), (0, None))
        self.assertEqual(go.calls, [(3, 3)])
        stop = Seen(False)
        with self.assertRaises(muster.MusterError.Cancelled) as caught:
            self.ledger.rescore_with_progress(package, "m001", "2026-12-02T08:00:00+08:00", stop)
        self.assertIn("re-score cancelled after reading 3 of 3 entries; nothing was written",
                      caught.exception.message)
        self.assertEqual(stop.calls, [(3, 3)])
        self.assertEqual(self.ledger.entry_count(), 3)

        class Raises(muster.ProgressListener):
            def update(self, done, total):
                raise ValueError("the screen went away")

        with self.assertRaises(muster.MusterError.Cancelled) as caught:
            self.ledger.rescore_with_progress(package, "m001", "2026-12-02T08:00:00+08:00", Raises())
        self.assertIn("re-score stopped: the progress callback failed: ValueError('the screen went away'); "
                      "nothing was written", caught.exception.message)
        # The ledger is still usable and unchanged.
        self.assertEqual(self.ledger.entry_count(), 3)
        self.assertEqual(self.ledger.verify().problem, None)

    def test_refused_entry_writes_nothing(self):
        self.ledger.append(DRAFTS)
        bad = DRAFTS.replace('"member": "m001", "item"', '"member": "m404", "item"')
        with self.assertRaises(muster.MusterError.Ledger) as caught:
            self.ledger.append(bad)
        self.assertIn("nothing was written", caught.exception.message)
        self.assertEqual(self.ledger.entry_count(), 3)

    def test_bad_json_and_dates(self):
        with self.assertRaises(muster.MusterError.Invalid) as caught:
            self.ledger.append("[{]")
        self.assertIn("<drafts>:1:", caught.exception.message)
        with self.assertRaises(muster.MusterError.Invalid) as caught:
            self.ledger.currency("10/12/2026")
        self.assertIn("write YYYY-MM-DD", caught.exception.message)
        with self.assertRaises(muster.MusterError.Invalid) as caught:
            self.ledger.hours(muster.HoursQuery(member=None, category=None, since="yesterday", until=None))
        self.assertIn("not an RFC 3339 time", caught.exception.message)


class PlanTest(unittest.TestCase):
    def request(self, **kw):
        base = dict(brigade="builtin:brigade.toml", syllabus="builtin:syllabus.toml",
                    first_day="2026-12-01", last_day="2026-12-07", seed=0)
        base.update(kw)
        return muster.PlanRequest(**base)

    def test_plans_a_week(self):
        plan = muster.plan_period(self.request())
        self.assertEqual(plan.time_zone, "Asia/Shanghai")
        self.assertTrue(plan.sessions)
        self.assertTrue(all("2026-12-01" <= s.date <= "2026-12-07" for s in plan.sessions))
        self.assertEqual(plan, muster.plan_period(self.request()))

    def test_reversed_days_and_bad_brigade(self):
        with self.assertRaises(muster.MusterError.Invalid) as caught:
            muster.plan_period(self.request(first_day="2026-12-07", last_day="2026-12-01"))
        self.assertIn("is before first_day", caught.exception.message)
        with self.assertRaises(muster.MusterError.Invalid) as caught:
            muster.plan_period(self.request(brigade="[brigade]\nname = 3\n"))
        self.assertIn("<brigade>:", caught.exception.message)


if __name__ == "__main__":
    unittest.main()
