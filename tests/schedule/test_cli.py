"""The ``yuzhi schedule`` commands through the root CLI (clean errors, exit codes, JSON contract)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from yuzhi.cli import app
from yuzhi.errors import InvalidInput

runner = CliRunner()


def test_solve_check_gantt_on_ft06(sched_data, tmp_path):
    inst = sched_data / "jsp" / "ft06.txt"
    out = tmp_path / "s.json"
    r = runner.invoke(app, ["schedule", "solve", str(inst), "--time-limit", "5", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "status     optimal" in r.output and "gap        0.00%" in r.output
    d = json.loads(out.read_text())
    assert (d["status"], d["makespan"], d["lower_bound"]) == ("optimal", 55, 55)
    assert len(d["operations"]) == 36 and set(d["operations"][0]) == {"job", "operation", "machine", "start", "end"}
    r = runner.invoke(app, ["schedule", "check", str(inst), str(out)])
    assert r.exit_code == 0 and "no violation" in r.output
    r = runner.invoke(app, ["schedule", "gantt", str(out), "--out", str(tmp_path / "g.html")])
    assert r.exit_code == 0 and (tmp_path / "g.html").read_text().count("<svg") == 2
    # break the schedule: check lists the violations and exits 1
    d["operations"][1]["start"] -= 1
    out.write_text(json.dumps(d))
    r = runner.invoke(app, ["schedule", "check", str(inst), str(out)])
    assert r.exit_code == 1
    assert (
        "duration: job 0 (J0) operation 1 lasts 4 on machine 0 (M0), but its processing time there is 3" in r.output
        and "violation(s)" in r.output
    )


def test_template_solve_reschedule(tmp_path):
    wb = tmp_path / "plan.xlsx"
    assert runner.invoke(app, ["schedule", "template", "--example", "--out", str(wb)]).exit_code == 0
    out = tmp_path / "plan.json"
    r = runner.invoke(
        app, ["schedule", "solve", str(wb), "--objective", "weighted-tardiness", "--time-limit", "5", "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    assert "weighted-tardiness = 90" in r.output
    rush = tmp_path / "rush.json"
    rush.write_text(
        json.dumps(
            {
                "name": "RUSH",
                "due": 300,
                "weight": 5,
                "operations": [{"modes": [["LATHE", 60]]}, {"modes": [["CNC-1", 20]]}],
            }
        )
    )
    new = tmp_path / "new.json"
    r = runner.invoke(
        app,
        [
            "schedule",
            "reschedule",
            str(out),
            "--at",
            "100",
            "--down",
            "0:120-200",
            "--rush",
            str(rush),
            "--time-limit",
            "5",
            "--out",
            str(new),
        ],
    )
    assert r.exit_code == 0, r.output
    d = json.loads(new.read_text())
    assert d["rescheduled_at"] == 100 and len(d["problem"]["jobs"]) == 6
    assert [0, 120, 200] in [[0, *p] for p in d["problem"]["machines"][0]["unavailable"]] or any(
        p[0] >= 120 for p in d["problem"]["machines"][0]["unavailable"]
    )


def test_malformed_instance_is_a_clean_error(tmp_path):
    f = tmp_path / "bad.txt"
    f.write_text("2 2\n0 3 1 4\n1 2 0\n")
    r = runner.invoke(app, ["schedule", "solve", str(f), "--format", "jsplib", "--out", str(tmp_path / "o.json")])
    # The root CLI's main() prints a DomainError cleanly and exits 2; here we see the error itself.
    assert isinstance(r.exception, InvalidInput)
    assert str(r.exception).startswith("[bad.txt, line 3] a job line needs 2 pairs")


def test_infeasible_exit_code(tmp_path):
    f = tmp_path / "p.json"
    f.write_text(
        json.dumps({"machines": 1, "jobs": [{"name": "A", "deadline": 2, "operations": [{"modes": [[0, 5]]}]}]})
    )
    r = runner.invoke(app, ["schedule", "solve", str(f), "--out", str(tmp_path / "o.json")])
    assert r.exit_code == 1
    assert "status     infeasible" in r.output and "cannot meet its deadline 2" in r.output
