"""audit: quiet on a consistent report, finds planted growth-rate and row-sum errors."""

from __future__ import annotations

from pathlib import Path

from ingest.pipeline import Store
from ingest.settings import Settings
from rag.audit import audit
from tests.conftest import CORPUS

NAME = "qingcheng-gongxinju-2024-juesuan.txt"


def _audit(tmp_path: Path, text: str) -> list:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / NAME).write_text(text, encoding="utf-8")
    store = Store(Settings(home=tmp_path / "home"))
    store.ingest([docs])
    return audit(store, NAME.removesuffix(".txt"))


def test_unmodified_report_has_few_errors(tmp_path: Path) -> None:
    findings = _audit(tmp_path, (CORPUS / NAME).read_text(encoding="utf-8"))
    assert len([f for f in findings if f.severity == "error"]) <= 2


def test_planted_growth_rate_and_row_sum_errors_are_found(tmp_path: Path) -> None:
    text = (CORPUS / NAME).read_text(encoding="utf-8")
    assert "增长123.16%" in text and "2011301\t行政运行\t664.82\t658.82\t6.00" in text
    text = text.replace("增长123.16%", "增长132.16%", 1)
    text = text.replace("2011301\t行政运行\t664.82\t658.82\t6.00", "2011301\t行政运行\t684.82\t658.82\t6.00", 1)
    findings = _audit(tmp_path, text)
    errors = [f for f in findings if f.severity == "error"]
    growth = [f for f in errors if f.kind == "growth_rate"]
    assert growth and growth[0].expected == "123.16%" and growth[0].found == "132.16%"
    rows = [f for f in errors if f.kind == "row_sum" and "行政运行" in f.message]
    assert rows and rows[0].found == "684.82" and rows[0].expected == "664.82"
