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


def test_planted_share_and_narrative_amount_errors_are_found(tmp_path: Path) -> None:
    """占W% recomputed from its whole; an amount the narrative gives a named item that its table contradicts."""
    text = (CORPUS / NAME).read_text(encoding="utf-8")
    share = "政府采购服务支出3.49万元"
    assert share in text and "一般公共预算财政拨款收入6,268.57万元, 比上年" in text
    text = text.replace(
        "一般公共预算财政拨款收入6,268.57万元, 比上年", "一般公共预算财政拨款收入6,286.57万元, 比上年", 1
    )
    text = text.replace(
        "政府采购货物支出1.01万元、", "政府采购货物支出1.01万元，占14.5%、", 1
    )  # 1.01 / 6.95 = 14.53% → 14.5% is right
    text = text.replace("政府采购服务支出3.49万元", "政府采购服务支出3.49万元，占52.2%", 1)  # 50.2% would be right
    findings = _audit(tmp_path, text)
    shares = [f for f in findings if f.kind == "share"]
    assert [f.found for f in shares if f.severity == "error"] == ["52.2%"], shares
    assert shares[0].expected.startswith("50.2")
    narrative = [f for f in findings if f.kind == "narrative_table" and f.severity == "error"]
    assert narrative and narrative[0].found == "6,286.57万元" and "6268.57" in narrative[0].expected


def test_one_item_with_two_amounts_in_a_paragraph_is_flagged(tmp_path: Path) -> None:
    text = (CORPUS / NAME).read_text(encoding="utf-8")
    marker = "2024年度本单位机关运行经费支出40.01万元"
    assert marker in text
    text = text.replace(marker, marker + "。本单位机关运行经费支出41.01万元", 1)
    two = [f for f in _audit(tmp_path, text) if f.kind == "two_amounts"]
    assert two and two[0].expected == "40.01万元" and two[0].found == "41.01万元"


def test_real_mistakes_of_the_documents_are_found(tmp_path: Path) -> None:
    """Qujiang's narrative moves 3,731.04元 between two items its own table states otherwise
    (2,613,704.45 / 376,347.69 in the table; 2,617,435.49 / 372,616.65 in the text)."""
    docs = tmp_path / "docs"
    docs.mkdir()
    name = "qujiang-gongxinju-2021-jixiao.txt"
    (docs / name).write_bytes((CORPUS / name).read_bytes())
    store = Store(Settings(home=tmp_path / "home"))
    store.ingest([docs])
    found = {(f.kind, f.found, f.expected) for f in audit(store, name.removesuffix(".txt")) if f.severity == "error"}
    assert ("narrative_table", "2,617,435.49 元", "2613704.45元") in found
    assert ("narrative_table", "372,616.65 元", "376347.69元") in found


def test_real_share_mistake_in_a_shanghai_pdf(tmp_path: Path) -> None:
    """putuo-caizhengju-2024-juesuan states 一般公共服务支出 2106.66万元 as 71.73% of 2940.05万元 (it is 71.65%)."""
    from tests.conftest import realdata

    pdf = realdata("putuo-caizhengju-2024-juesuan.pdf")
    store = Store(Settings(home=tmp_path / "home"))
    store.ingest([pdf])
    shares = [f for f in audit(store, pdf.stem) if f.kind == "share" and f.severity == "error"]
    assert [(f.expected, f.found) for f in shares] == [("71.65%", "71.73%")]


def test_same_item_in_two_tables_with_different_totals_is_found(tmp_path: Path) -> None:
    text = (CORPUS / NAME).read_text(encoding="utf-8")
    row = "206\t科学技术支出\t3,227.00\t0.00\t3,227.00\t0.00\t0.00\t0.00"  # 支出决算表
    assert row in text
    text = text.replace(row, "206\t科学技术支出\t3,272.00\t0.00\t3,272.00\t0.00\t0.00\t0.00", 1)
    cross = [f for f in _audit(tmp_path, text) if f.kind == "cross_table" and f.severity == "error"]
    assert cross and "科学技术支出" in cross[0].message and cross[0].expected == "3227.00万元", cross
    assert cross[0].found.startswith("3272.00万元")


def test_tables_of_two_areas_or_levels_are_not_one_figure() -> None:
    """Jinan's 2026 budget report (pp. 107, 125): the city's 政府性基金 table compiled for the whole area (代编)
    and the 高新区's own table list 城乡社区支出 4900059 and 336742 万元 — two areas, not a contradiction."""
    from decimal import Decimal

    from ingest.model import Fact
    from rag.audit_tables import area_of, cross_table_findings

    def cell(table_id: str, title: str, value: str, page: int) -> Fact:
        v = Decimal(value)
        return Fact(
            "jinan", table_id, title, "城乡社区支出", "", "预算数", v, "万元", v * 10000, page, f"城乡社区支出 {value}"
        )

    city = cell("t1", "2026年济南市政府性基金预算支出草案表（代编）", "4900059", 107)
    zone = cell("t2", "2026年济南高新区政府性基金预算支出草案表", "336742", 125)
    assert area_of(city.table_title) == "济南市" and area_of(zone.table_title) == "济南高新区"
    assert area_of("收入支出决算总表") == ""  # a department's tables name no area: still compared
    assert not cross_table_findings([city, zone])
