"""The cited page: quotes and checked cells boxed on real PDF pages, rendered offline and cached;
text reports shown in context; answers to take away carry their sources."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from conftest import ingested_home, realdata

from ingest.errors import BadInputError
from ingest.model import Answer, CheckedNumber, Citation
from ingest.pipeline import Store
from ingest.settings import Settings
from rag.pages import PageViewer

WANLI_2025 = "putuo-wanli-2025-bumen-yusuan.pdf"
SIFAJU = "putuo-sifaju-2026-danwei-yusuan.pdf"


@pytest.fixture(scope="module")
def pdf_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return ingested_home(tmp_path_factory.mktemp("pages"), [realdata(WANLI_2025), realdata(SIFAJU)])


def _red_pixels(path: Path, box: tuple[float, float, float, float]) -> tuple[int, int]:
    """Red pixels on the box's outline and in the whole image (2 px per point)."""
    from PIL import Image

    im = Image.open(path).convert("RGB")
    x0, top, x1, bottom = (int(v * 2) for v in box)
    border = [im.getpixel((x, top - 2)) for x in range(x0, x1, 4)]
    on_border = sum(1 for r, g, b in border if r > 180 and g < 80 and b < 80)
    px = np.asarray(im).astype(int)
    everywhere = int(((px[..., 0] > 180) & (px[..., 1] < 80) & (px[..., 2] < 80)).sum())
    return on_border, everywhere


@pytest.mark.slow
def test_a_quoted_sentence_is_boxed_on_its_page(pdf_settings: Settings) -> None:
    viewer = PageViewer(Store(pdf_settings))
    doc = "putuo-sifaju-2026-danwei-yusuan"
    found = viewer.quote_boxes(doc, 21, "2026年“三公”经费预算数为10.71万元，与2025年预算数持平。")
    assert [h.page for h in found] == [21] and len(found[0].boxes) == 1
    x0, top, x1, bottom = found[0].boxes[0]
    assert 130 < top < 145 and bottom - top < 20  # one printed line, not the page
    png = viewer.render(doc, 21, found[0].boxes)
    on_border, everywhere = _red_pixels(png, found[0].boxes[0])
    assert on_border > 10 and everywhere > 200
    assert viewer.render(doc, 21, found[0].boxes) == png  # cached
    plain_red = _red_pixels(viewer.render(doc, 21), found[0].boxes[0])[1]
    assert plain_red < everywhere / 10  # the plain page has no box
    assert viewer.quote_boxes(doc, 21, "这句话不在报告里，任何一页都没有它。") == []  # no box rather than a wrong one


@pytest.mark.slow
def test_a_checked_figure_boxes_its_own_cell_not_an_equal_one(pdf_settings: Settings) -> None:
    """支出总计 holds 189,767,551 three times (合计, 一般公共预算, and the income side's 收入总计): the
    figure checked against the 一般公共预算 column boxes that cell and the row label only."""
    viewer = PageViewer(Store(pdf_settings))
    doc = "putuo-wanli-2025-bumen-yusuan"
    found = viewer.cell_boxes(doc, 19, "支出总计", Decimal("189767551"), "财政拨款支出 > 一般公共预算")
    assert [h.page for h in found] == [19]
    xs = sorted(b[0] for b in found[0].boxes)
    assert len(xs) == 2 and xs[1] > 500  # the label and the 一般公共预算 cell, right of 合计
    n = CheckedNumber(
        "18,976.76万元",
        Decimal("18976.76"),
        "万元",
        "verified",
        {"doc_id": doc, "page": 19, "row": "支出总计", "column": "财政拨款支出 > 一般公共预算", "value": "189767551元"},
    )
    view = viewer.number_view(n)
    assert view is not None and view.highlights == tuple(found)
    assert viewer.render_view(view).exists()
    with pytest.raises(BadInputError, match="没有第 99 页"):
        viewer.render(doc, 99)


@pytest.mark.slow
def test_a_table_running_over_two_pages_is_boxed_on_both(pdf_settings: Settings) -> None:
    store = Store(pdf_settings)
    viewer = PageViewer(store)
    doc = "putuo-wanli-2025-bumen-yusuan"
    # a table chunk whose rows stand on two pages: its last row is on the page after its first
    for chunk in store.catalog.doc_chunks(doc):
        if chunk.kind != "table" or not chunk.page:
            continue
        rows = [r for r in chunk.text.splitlines() if r.count("|") >= 2]
        if len(rows) < 4:
            continue
        quote = rows[1] + "……" + rows[-1]
        found = viewer.quote_boxes(doc, chunk.page, quote)
        if len({h.page for h in found}) == 2:
            break
    else:
        pytest.fail("no table of the report runs over a page break")
    assert [h.page for h in found] == [chunk.page, chunk.page + 1]
    from PIL import Image

    stacked = viewer.render_view(
        viewer.citation_view(Citation(1, doc, "t", "s", chunk.page, chunk.chunk_id, "table", chunk.text, quote))
    )
    single = viewer.render(doc, chunk.page)
    assert Image.open(stacked).height > 1.9 * Image.open(single).height  # both pages, one above the other


def test_a_text_report_shows_the_passage_in_context(qa) -> None:  # noqa: ANN001
    viewer = PageViewer(qa.store)
    a = qa.ask("北关区工信局2024年机关运行经费支出多少？")
    view = viewer.citation_view(a.citations[0])
    assert view.context is not None and view.highlights == ()
    assert "机关运行经费" in view.context.passage and view.context.before and view.context.after
    assert viewer.render_view(view) is None


def _answer() -> Answer:
    c = Citation(
        1,
        "d1",
        "某局2024年度部门决算",
        "第三部分 > 三公经费",
        12,
        "c1",
        "text",
        "三公经费9.84万元。",
        "三公经费9.84万元。",
    )
    n = CheckedNumber(
        "9.84万元",
        Decimal("9.84"),
        "万元",
        "verified",
        {"table": "三公经费表", "row": "合计", "column": "决算数", "page": 30},
    )
    return Answer(
        "某局三公经费是多少？",
        "据《某局》，三公经费9.84万元。[1]",
        "extractive",
        False,
        (c,),
        (),
        (n,),
        asked="三公呢？",
    )


def test_plain_text_markdown_and_word_carry_sources_and_spelled_marks(tmp_path: Path) -> None:
    import docx

    from ui.takeaway import answer_markdown, answer_text, conversation_docx

    text = answer_text(_answer())
    assert text.startswith("问：三公呢？\n（理解为：某局三公经费是多少？）")
    assert "9.84万元〔✓与表格中同一项一致〕" in text
    assert "[1] 《某局2024年度部门决算》 第三部分 > 三公经费 · 第12页" in text and "「三公经费9.84万元。」" in text
    assert "三公经费表 · 合计 · 决算数 · 第30页" in text
    md = answer_markdown(_answer())
    assert "**来源**" in md and "> 三公经费9.84万元。" in md and "<sup" not in md
    path = conversation_docx([_answer(), _answer()], tmp_path / "out" / "talk.docx")
    body = "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    assert body.count("第三部分 > 三公经费 · 第12页") == 2 and "〔✓与表格中同一项一致〕" in body


def test_result_tables_export_as_csv_and_xlsx_and_refuse_other_suffixes(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from ui.takeaway import write_rows

    rows = [["d1", "错误", "行合计", "合计不等于各项之和", "10.00", "9.00", 3, "表1", "合计 | 9.00"]]
    csv_path = write_rows(
        ["报告", "级别", "类型", "说明", "应为", "实为", "页", "位置", "原文"], rows, tmp_path / "a.csv"
    )
    assert csv_path.read_text(encoding="utf-8-sig").splitlines()[1].startswith("d1,错误,行合计")
    sheet = load_workbook(write_rows(["报告", "页"], [["d1", 3]], tmp_path / "a.xlsx")).active
    assert [c.value for c in sheet[2]] == ["d1", 3]
    with pytest.raises(BadInputError, match=r"\.csv or \.xlsx"):
        write_rows(["a"], [], tmp_path / "a.pdf")


@pytest.mark.slow
def test_ingest_tells_each_page_as_it_is_read(tmp_path: Path) -> None:
    pdf = realdata(SIFAJU)
    seen: list[tuple[str, int, int]] = []
    store = Store(Settings(home=tmp_path / "home"))
    result = store.ingest([pdf], on_page=lambda name, i, n: seen.append((name, i, n)))
    assert not result.errors
    pages = store.catalog.reports()[0]["pages"]
    assert seen == [(pdf.name, i, pages) for i in range(1, pages + 1)]
