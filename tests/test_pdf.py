"""Real PDFs from ../shared/realdata (skipped with a reason when absent)."""

from __future__ import annotations

from ingest.chunking import chunk_report
from ingest.parse import parse_file
from tests.conftest import realdata


def test_digits_on_a_shifted_baseline_stay_in_the_sentence() -> None:
    # Regression: pdfplumber's extract_text puts "减少 万元，下降 。" and "56.95 1.87%" on two lines.
    r = parse_file(realdata("putuo-caizhengju-2024-juesuan.pdf"))
    assert "收入支出总计减少56.95万元，下降1.87%" in r.text
    block = next(b for b in r.blocks if "收入支出总计减少56.95万元" in b.text)
    assert block.page == 21
    assert block.section_path[-1] == "一、收入支出决算总体情况说明"


def test_pdf_tables_and_pages() -> None:
    r = parse_file(realdata("putuo-caizhengju-2024-juesuan.pdf"))
    assert r.pages == 25 and r.year == 2024 and r.kind == "决算"
    titles = [b.table.title for b in r.tables if b.table]
    assert "收入支出决算总表" in titles and "财政拨款“三公”经费支出决算表" in titles
    summary = next(b for b in r.tables if b.table and b.table.title == "收入支出决算总表")
    assert summary.table.unit == "万元" and summary.page == 6


def test_budget_pdf_with_leader_dot_contents_has_sections() -> None:
    # Regression: a 目录 with "……" leaders swallowed the whole document.
    r = parse_file(realdata("putuo-caizhengju-2025-bumen-yusuan.pdf"))
    assert len(r.sections) > 5
    assert r.title == "上海市普陀区财政局2025年区级部门预算"
    chunks = chunk_report(r)
    assert any("收入预算3,121.42万元" in c.text for c in chunks)


def test_running_page_numbers_are_dropped() -> None:
    r = parse_file(realdata("putuo-sifaju-2026-danwei-yusuan.pdf"))
    assert all(not b.text.strip().isdigit() for b in r.blocks)


def test_a_city_report_takes_its_title_from_the_cover_and_its_place_from_the_tables() -> None:
    """Harbin: the title is set over two lines in large type and names no city; the place comes from
    the 附表 titles ("2021年哈尔滨市本级…"), never from a sentence ("我受市政府委托")."""
    from ingest.pdf import parse_pdf

    r = parse_pdf(realdata("harbin-2021-shibenji-juesuan-baogao.pdf"))
    assert r.title == "哈尔滨市人民政府关于2021年市本级决算草案和2022年上半年预算执行情况的报告"
    assert r.department == "哈尔滨市人民政府"
    assert (r.year, r.kind) == (2021, "决算")
