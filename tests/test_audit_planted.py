"""audit: each check class finds the one error planted in a copy of a public report page
(tests/data/audit_planted/, made from corpus/ and ../shared/realdata), and the clean originals give no 错误."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.pipeline import Store
from rag.audit import audit, audit_report, summary
from tests.conftest import CORPUS, ingested_home

PLANTED = Path(__file__).parent / "data" / "audit_planted"
Q = "qingcheng-gongxinju-2024-juesuan"
# file stem → (check class, what the finding must show as found)
CASES = {
    f"{Q}-growth": ("growth_rate", "132.16%"),
    f"{Q}-execution": ("execution_rate", "47.4%"),
    f"{Q}-share": ("share", "10%"),
    f"{Q}-zero": ("zero_total", "增加12万元"),
    f"{Q}-parts": ("parts_whole", "7.95万元"),
    f"{Q}-narrative": ("narrative_table", "6,286.57万元"),
    f"{Q}-unit": ("unit_slip", "6,268.57元"),
    f"{Q}-rowsum": ("row_sum", "684.82"),
    f"{Q}-codesum": ("code_sum", "815.22"),
    f"{Q}-crosstable": ("cross_table", "3272.00万元"),
    f"{Q}-year": ("year_ref", "截至2023年12月31日"),
    f"{Q}-placeholder": ("placeholder", "XX"),
    f"{Q}-empty": ("empty_table", "（无说明）"),
    f"{Q}-heading": ("year_ref", "2023年"),
    f"{Q}-sangong": ("narrative_table", "9.84万元"),
    f"{Q}-missing": ("missing_table", "（未见此表）"),
    "beiguan-gongxinju-2024-juesuan-p38-direction": ("direction", "大于"),
    "putuo-sifaju-2026-bumen-yusuan-p8-rate": ("budget_change", "49.2%"),
}
CLEAN = (Q, "beiguan-gongxinju-2024-juesuan-p38", "putuo-sifaju-2026-bumen-yusuan-p8")


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Store:
    home = tmp_path_factory.mktemp("planted")
    settings = ingested_home(home, [PLANTED, CORPUS / f"{Q}.txt"])
    return Store(settings, write=False)


@pytest.mark.parametrize("stem", sorted(CASES))
def test_planted_error_is_found(planted: Store, stem: str) -> None:
    kind, found = CASES[stem]
    errors = [f for f in audit(planted, stem) if f.severity == "error"]
    hits = [f for f in errors if f.kind == kind and found in f.found]
    assert hits, [(f.kind, f.found, f.expected) for f in errors]
    assert hits[0].quote or hits[0].cells or hits[0].kind == "missing_table"


@pytest.mark.parametrize("stem", CLEAN)
def test_clean_original_has_no_error(planted: Store, stem: str) -> None:
    result = audit_report(planted, stem)
    errors = [(f.kind, f.found, f.quote[:60]) for f in result.findings if f.severity == "error"]
    assert not errors
    assert "0 个错误" in summary(result) or "未发现问题" in summary(result)


def test_summary_says_which_checks_could_not_run(planted: Store) -> None:
    """A text page without tables: the table checks are named as not run, never silently passed."""
    text = summary(audit_report(planted, "putuo-sifaju-2026-bumen-yusuan-p8"))
    assert "未核对" in text and "表内行合计（报告中没有读出表格）" in text


def test_rate_of_the_budget_form_names_its_direction(planted: Store) -> None:
    """ "比2025年预算执行数增加49.2%" where the amounts give +4.92%: the finding shows the arithmetic and the fix."""
    f = next(f for f in audit(planted, "putuo-sifaju-2026-bumen-yusuan-p8-rate") if f.kind == "budget_change")
    assert f.expected == "4.92%" and "124.29" in f.arithmetic and "增加4.92%" in f.fix


def test_store_is_the_planted_one(planted: Store) -> None:
    assert set(CASES) | set(CLEAN) <= set(planted.catalog.doc_ids())
