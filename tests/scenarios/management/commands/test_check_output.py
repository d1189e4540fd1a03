"""``manage.py check_output``: the output checks on a microdata file, for operators."""

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

ROOT = Path(__file__).resolve().parents[4]


@pytest.fixture
def calls(tmp_path):
    """Port calls: Qingdao has 12 vessels, Xiamen 3; Ningbo 12 with a negative value."""
    rows = [["Qingdao", f"Q{i}", 100 + i] for i in range(12)]
    rows += [["Xiamen", f"X{i}", 50] for i in range(3)]
    path = tmp_path / "calls.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["port", "vessel", "tonnage"])
        writer.writerows(rows)
    return path


def run(*args) -> tuple[int, str]:
    out = _Buffer()
    try:
        call_command("check_output", *map(str, args), stdout=out)
    except SystemExit as stop:
        return stop.code, out.getvalue()
    return 0, out.getvalue()


class _Buffer:
    def __init__(self):
        self.parts = []

    def write(self, text):
        self.parts.append(text)

    def flush(self):
        pass

    def getvalue(self):
        return "".join(self.parts)


def test_json_output_lists_per_cell_verdicts_and_exits_1_on_fail(calls):
    code, output = run(calls, "--group-by", "port", "--entity", "vessel", "--format", "json")

    record = json.loads(output)
    assert code == 1
    assert record["status"] == "fail"
    cells = {cell["key"][0]: cell for cell in record["aggregate"]["cells"]}
    assert cells["Xiamen"]["status"] == "fail"
    assert cells["Xiamen"]["failed"] == ["MinimumThresholdCheck"]
    assert cells["Qingdao"]["status"] == "pass"
    assert record["parameters"]["threshold"] == 10


def test_pass_exits_0_with_a_lower_threshold(calls):
    code, output = run(calls, "--group-by", "port", "--threshold", "3", "--format", "json")

    assert code == 0
    assert json.loads(output)["status"] == "pass"


def test_text_output_shows_each_cell_and_rule(calls):
    code, output = run(
        calls, "--group-by", "port", "--value", "tonnage", "--agg", "sum", "--entity", "vessel"
    )

    assert code == 1
    lines = output.splitlines()
    assert lines[0] == "status: fail"
    assert "MinimumThresholdCheck: fail" in output
    assert "NKCheck: pass" in output
    assert any(
        line.split()[:5] == ["Xiamen", "3", "3", "fail", "MinimumThresholdCheck"] for line in lines
    )
    assert any(line.split() == ["Qingdao", "12", "12", "pass"] for line in lines)


def test_negative_values_exit_2_for_review(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("port,tonnage\n" + "".join(f"A,{-1 if i == 0 else 5}\n" for i in range(12)))

    code, output = run(
        path, "--group-by", "port", "--value", "tonnage", "--agg", "mean", "--format", "json"
    )

    assert code == 2
    assert json.loads(output)["checks"]["NegativeOrMissingCheck"]["status"] == "review"


def test_dominance_parameters_are_used(calls):
    code, output = run(
        calls,
        *("--group-by", "port", "--value", "tonnage", "--agg", "sum", "--threshold", "3"),
        *("--dominance-n", "11", "--dominance-k", "0.9", "--format", "json"),
    )

    record = json.loads(output)
    assert code == 1
    assert record["parameters"]["dominance_n"] == 11
    assert record["checks"]["NKCheck"]["cells"] == [["Qingdao"], ["Xiamen"]]


def test_missing_file_and_column_are_clear_errors(calls, tmp_path):
    with pytest.raises(CommandError, match="No data file") as missing:
        run(tmp_path / "absent.csv", "--group-by", "port")
    with pytest.raises(CommandError, match="No column 'berth'") as column:
        run(calls, "--group-by", "port,berth")
    with pytest.raises(CommandError, match="needs a value column"):
        run(calls, "--group-by", "port", "--agg", "sum")

    assert missing.value.returncode == 4
    assert column.value.returncode == 4


@pytest.mark.slow
def test_command_line_exit_status(calls):
    command = [sys.executable, "manage.py", "check_output", str(calls), "--group-by", "port"]

    failing = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    passing = subprocess.run(
        [*command, "--threshold", "3"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    broken = subprocess.run(
        [*command[:3], str(calls), "--group-by", "nope"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    usage = subprocess.run(command[:4], cwd=ROOT, capture_output=True, text=True, timeout=60)

    assert failing.returncode == 1, failing.stderr
    assert failing.stdout.startswith("status: fail")
    assert passing.returncode == 0, passing.stderr
    assert broken.returncode == 4
    assert "No column 'nope'" in broken.stderr
    assert usage.returncode == 4
