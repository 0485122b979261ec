"""Real PDFs from ../shared/realdata (skipped with a reason when absent)."""

from __future__ import annotations

import pytest

from ingest.chunking import chunk_report
from ingest.parse import parse_file
from ingest.pdf import figures_ascii, read_page
from tests.conftest import REALDATA, realdata


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


def test_a_city_report_keeps_its_annex_tables_whole_and_its_prose_unbroken() -> None:
    """Harbin: page numbers printed above the margin band are not glued into sentences running over the
    page break; a 附表 whose title is repeated on 18 pages is one table; a title wrapped over two lines
    is one title; letter-spaced cells ("合 计") are words."""
    from ingest.pdf import parse_pdf

    r = parse_pdf(realdata("harbin-2021-shibenji-juesuan-baogao.pdf"))
    assert "其中，一般债务限额1619.1亿元" in r.text and "一般4债务" not in r.text
    tables = [b.table for b in r.blocks if b.kind == "table"]
    spending = [t for t in tables if t.title == "2021年哈尔滨市本级一般公共预算支出决算表" and t.code == "附件3-3"]
    assert len(spending) == 1 and len(spending[0].rows) > 500
    assert any(
        t.title.endswith("税收返还和转移支付补助决算表（分项目）") and t.title.startswith("2021年") for t in tables
    )
    assert not any(c == "合 计" for t in tables for row in t.rows for c in row)


def test_a_city_report_figure_is_checked_against_its_annex_table(tmp_path) -> None:  # noqa: ANN001
    """142.4亿元 税收收入 of 市本级 is the 附表's "(一)税收收入小计" 1,424,221万元 — not the 全市 row."""
    from ingest.pipeline import Store
    from ingest.settings import Settings
    from rag.service import QA

    path = realdata("harbin-2021-shibenji-juesuan-baogao.pdf")
    settings = Settings(home=tmp_path)
    store = Store(settings)
    assert not store.ingest([path]).errors
    store.close()
    _, numbers = QA(settings).check("2021年哈尔滨市本级一般公共预算收入中税收收入完成142.4亿元")
    assert [n.status for n in numbers] == ["verified"]
    assert numbers[0].source.get("row") == "(一)税收收入小计"


def _chars(text: str, x: float, top: float, size: float = 10.0) -> list[dict]:
    return [
        {"text": ch, "x0": x + i * size, "x1": x + (i + 1) * size, "top": top, "bottom": top + size, "size": size}
        for i, ch in enumerate(text)
    ]


def test_digits_on_a_far_shifted_baseline_rejoin_their_line() -> None:
    """A Word/WPS export: "收入安排" "亿元，比" at top 100, the digits "390.4" in the gap between them
    set 6 points lower — they form a line of their own unless rejoined."""
    from ingest.pdf import _cluster_lines, _line_text

    chars = _chars("收入安排", 0, 100) + _chars("390.4", 40, 106, 8.0) + _chars("亿元，比", 80, 100)
    chars += _chars("下一行文字", 0, 130)
    lines = [_line_text(ln) for ln in _cluster_lines(chars)]
    assert lines == ["收入安排390.4亿元，比", "下一行文字"]
    # a line of figures of a table row of its own, below the text and overlapping it, stays apart
    table = _chars("收入安排", 0, 100) + _chars("2025", 0, 112)
    assert [_line_text(ln) for ln in _cluster_lines(table)] == ["收入安排", "2025"]


WIDE_GOV = REALDATA.parent / "realdata-wide" / "gov"


def _page_text(name: str, page_no: int) -> str:
    """One real page read as the ingest reads it: its text lines joined (tables left out)."""
    path = WIDE_GOV / name
    if not path.exists():
        pytest.skip(f"{path} is absent: the real PDFs live in ../shared/realdata-wide and are never committed")
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        items, _ = read_page(pdf.pages[page_no - 1], page_no)
    return "".join(ln.text for _, ln in items if ln.table is None)


def test_figures_set_below_the_line_stay_in_their_sentence() -> None:
    # Regression: digits and punctuation set in another font ~11 pt below the Chinese text formed
    # lines of their own ("…亿元增长其中" / ", 860.0 , 5%"), and a year opening an indented line
    # ("2026" + "年预算的报告") fell outside the line's x-range.
    text = _page_text("beijing-2026-yusuan-baogao.pdf", 22)
    assert "安排市政府固定资产投资860.0亿元,增长5%,其中:一般公共预算安排676.0亿元" in text
    title = _page_text("beijing-2026-yusuan-baogao.pdf", 1)
    assert title.startswith("关于北京市2025年预算执行情况和2026年预算的报告")


def test_full_width_figures_with_a_private_use_point_read_as_ascii() -> None:
    # Regression: "２０２５" opening an indented line landed mid-sentence ("外部压２０２５力加大"),
    # and "７６\U001001b0１％" (a 方正 export's private-use decimal point) was not a number.
    first = _page_text("tianjin-2026-yusuan-baogao.pdf", 1)
    assert "2025年是天津大事要事难事集中交织的一年" in first
    second = _page_text("tianjin-2026-yusuan-baogao.pdf", 2)
    assert "全市一般公共预算收入突破2200亿元" in second
    assert "税收收入占一般公共预算收入比重达76.1%," in second


def test_figures_ascii() -> None:
    assert figures_ascii("比重达７６\U001001b0１％，增长\ue010") == "比重达76.1%，增长\ue010"


def test_a_junk_text_layer_is_read_by_ocr() -> None:
    """淮安市's budget report (page 1, cut from ../shared/realdata-wide): its fonts' broken Unicode map gives
    '!"#$%&’()*+,-' for the title; the page is read by OCR, and its identity with it."""
    from pathlib import Path

    import pdfplumber

    from ingest.chunking import render_table
    from ingest.identity import read_identity
    from ingest.ocr import ocr_missing
    from ingest.pdf import junk_text_layer, pdf_lines
    from ingest.structure import events_to_blocks, lines_to_events

    path = Path(__file__).parent / "data" / "identity" / "huaian-2026-yusuan-baogao-p1.pdf"
    with pdfplumber.open(path) as pdf:
        assert junk_text_layer([c["text"] for c in pdf.pages[0].chars if c["text"].strip()])
    if ocr_missing():
        pytest.skip("the OCR extra (rapidocr) is not installed")
    lines, _, _, scan = pdf_lines(path)
    assert scan.read == (1,)
    text = events_to_blocks(lines_to_events(lines), render_table)[0]
    assert "335.3亿元" in text
    ident = read_identity(lines, text, path.stem)
    assert ident.place == "淮安市" and ident.years == (2025, 2026) and ident.kind == "政府预算报告"


def test_clean_text_layers_are_not_junk() -> None:
    """Prose pages and a dense table of figures with a 、 or two (东莞's 转移支付 by town) keep their text."""
    import pdfplumber

    from ingest.pdf import junk_text_layer

    with pdfplumber.open(realdata("putuo-caizhengju-2024-juesuan.pdf")) as pdf:
        for page in pdf.pages[:8]:
            assert not junk_text_layer([c["text"] for c in page.chars if c["text"].strip()])
    dense = REALDATA.parent / "realdata-wide" / "gov" / "guangdong-dongguan-2026-yusuan-baogao.pdf"
    if dense.exists():
        with pdfplumber.open(dense) as pdf:
            chars = [c["text"] for c in pdf.pages[58].chars if c["text"].strip()]
        assert len(chars) > 1000 and not junk_text_layer(chars)
