"""A job's reason in the reader's language: every reason the engine, output collection,
the worker and the job services can give has a Chinese wording, and records made before
the codes are read back from their sentences in either language."""

import re
from pathlib import Path

import pytest
from django.utils import translation

from scenarios.jobreasons import TEMPLATES, reason_read, reason_text, say
from scenarios.sandbox.engine import SIGNAL_LIMITS

PRODUCERS = [
    "scenarios/sandbox/engine.py",
    "scenarios/sandbox/collect.py",
    "scenarios/worker/jobs.py",
    "scenarios/services/jobs.py",
    "scenarios/services/scenarios.py",
]
ROOT = Path(__file__).resolve().parents[2]
# Parameters a sentence of each kind can hold.
SAMPLE = {
    "seconds": 60,
    "mb": 512,
    "max": 3,
    "line": 4,
    "n": 2,
    "user": "dev1",
    "comment": "核查 misuse",
    "error": "ValueError",
}


def _params(code: str) -> dict:
    return {name: SAMPLE[name] for name in re.findall(r"%\((\w+)\)s", TEMPLATES[code])}


def _said_codes() -> set[str]:
    codes = set(SIGNAL_LIMITS.values())
    for path in PRODUCERS:
        source = (ROOT / path).read_text()
        codes |= set(re.findall(r'say\(\s*"(\w+)"', source))
        for pair in re.findall(r'"(\w+)" if [^\n]+? else "(\w+)"', source):
            codes |= set(pair) & set(TEMPLATES)
    return codes


def test_every_producer_says_its_reasons_by_code():
    """No producer writes a job's reason as a sentence of its own: each says a code."""
    for path in PRODUCERS[:-1]:
        source = (ROOT / path).read_text()
        for line in source.splitlines():
            if re.search(r"reason\s*=\s*(f?\"|_\()", line):
                assert "say(" in line or "exc.reason" in line, (path, line)
        assert not re.search(r"OutputRefused\(\s*f?\"", source), path
    # A scenario that stops cancels its jobs (its own reason is the staff's words).
    calls = re.findall(
        r"jobs_cancel_for_scenario\((.*?)\)\n", (ROOT / PRODUCERS[-1]).read_text(), re.DOTALL
    )
    assert calls and all("reason=say(" in re.sub(r"\s", "", call) for call in calls)
    assert _said_codes() == set(TEMPLATES)


@pytest.mark.parametrize("code", TEMPLATES)
def test_every_reason_has_a_chinese_wording_and_reads_back(code):
    reason = say(code, **_params(code))
    with translation.override("en"):
        english = reason_text(reason.english, reason.code, reason.params)
    with translation.override("zh-hans"):
        chinese = reason_text(reason.english, reason.code, reason.params)
    assert english == reason.english
    assert chinese != english and re.search(r"[\u4e00-\u9fff]", chinese)
    for field in ("The", "Stopped", "Cancelled", "limit", "job"):
        assert field not in chinese
    # Old records: the English sentence, and one a worker wrote in Chinese.
    assert reason_read(reason.english) == reason
    assert reason_read(chinese) == reason


def test_an_old_record_reads_in_the_readers_language():
    with translation.override("zh-hans"):
        assert reason_text("ValueError at line 4.") == "计算任务在第 4 行出错：ValueError。"
        assert reason_text("Error.") == "计算任务出错。"
        assert reason_text("an output grew while it was collected") == (
            "一个输出文件在收集期间仍在变大。"
        )
    with translation.override("en"):
        assert reason_text("由 dev1 取消。") == "Cancelled by dev1."
        assert reason_text("运行该计算任务的工作节点已失联（已尝试 2 次）。") == (
            "The worker running the job was lost (2 attempts)."
        )


def test_a_sentence_of_no_known_shape_is_shown_as_stored():
    """A staff member's words on an old record, or a word that is no error class."""
    with translation.override("zh-hans"):
        assert reason_text("核查") == "核查"
        assert reason_text("Misuse.") == "Misuse."
