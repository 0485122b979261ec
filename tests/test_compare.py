"""Comparisons straight from the tables: the three Wanli budgets over years, a ranking across bodies,
a refusal to mix 预算 with 决算, and the CLI. Real PDFs (skipped with a reason when absent)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from ingest.keys import FigureKey
from ingest.settings import Settings
from rag.compare_answer import figure_phrase, is_comparison
from rag.figures import request_from
from rag.question import years_in
from tests.conftest import CORPUS, ingested_home, realdata

WANLI = ("putuo-wanli-2023-bumen-yusuan", "putuo-wanli-2024-bumen-yusuan", "putuo-wanli-2025-bumen-yusuan")
OTHERS = ("putuo-shangwuwei-2025-bumen-yusuan", "putuo-guihuaziyuan-2024-juesuan")


@pytest.fixture(scope="module")
def compare_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    pdfs = [realdata(f"{d}.pdf") for d in WANLI + OTHERS]
    return ingested_home(tmp_path_factory.mktemp("compare-home"), [CORPUS, *pdfs])


@pytest.fixture(scope="module")
def cqa(compare_settings: Settings):  # noqa: ANN201
    from rag.service import QA

    return QA(compare_settings)


def test_requests_are_read_from_item_names_codes_and_flows() -> None:
    assert request_from("三公经费").key.item == "三公经费"
    assert request_from("208").code == "208"
    total = request_from("收入预算")
    assert total is not None and total.key == FigureKey(flow="收入", item="总计", stage="预算")
    assert request_from("火星探测器") is None
    assert years_in("万里街道2023—2025年预算") == {2023, 2024, 2025}
    assert figure_phrase("部门预算和 单位预算 收入预算各") == "收入预算"
    assert is_comparison("这些部门里谁的三公经费最多？") and not is_comparison("三公经费为什么减少？")


def test_one_body_over_three_years_is_a_year_by_year_table_with_computed_changes(cqa) -> None:  # noqa: ANN001
    c = cqa.compare_item("三公经费", department="万里街道")
    assert [r.doc_id for r in c.rows] == list(WANLI)
    assert [str(r.wan()) for r in c.rows] == ["22.91", "47.91", "37.91"]
    assert c.comparable and c.computed[0].startswith("2024年比2023年增加25.00万元")
    assert all(r.fact is not None and r.fact.page for r in c.rows)  # each value's cell has its page


def test_a_question_over_years_is_answered_from_each_years_table_with_both_sources(cqa) -> None:  # noqa: ANN001
    a = cqa.ask("万里街道2023—2025年预算里社会保障和就业支出怎么变的？")
    assert {c.doc_id for c in a.citations} == set(WANLI)
    for figure in ("2,707.32万元", "1,960.41万元", "1,609.19万元"):
        assert figure in a.answer
    assert [n.status for n in a.numbers] == ["verified"] * 3
    assert a.table and a.table[0][0] == "报告" and len(a.table) == 4
    assert any("非报告原文" in n for n in a.notes)  # the changes are the tool's, said so


def test_a_ranking_across_bodies_cites_each_cell_and_the_reports_sentence(cqa) -> None:  # noqa: ANN001
    a = cqa.ask(
        'Compare the 2025 "three public expenses" budgets of the Wanli subdistrict office and the Putuo Commerce Commission.'
    )
    assert "37.91万元" in a.answer and "1.00万元" in a.answer
    quotes = [c.quote for c in a.citations]
    assert "2025年“三公”经费预算数为37.91万元，比2024年预算减少10万元。" in quotes  # the narrative, cited too
    assert all(n.status in ("verified", "quoted") for n in a.numbers)


def test_a_budget_is_not_ranked_against_a_final_account(cqa) -> None:  # noqa: ANN001
    c = cqa.compare_item("三公经费", doc_ids=("putuo-wanli-2024-bumen-yusuan", "putuo-guihuaziyuan-2024-juesuan"))
    assert not c.comparable and "预算数" in c.reason and "决算数" in c.reason
    assert not c.computed
    a = cqa.ask("这些部门里谁的三公经费最多？")
    assert a.answer.startswith("这些数字不能直接比较")


def test_compare_cli_writes_csv_and_rejects_what_no_table_holds(
    compare_settings: Settings, tmp_path: Path, capsys, monkeypatch
) -> None:  # noqa: ANN001
    from ui.cli import main

    monkeypatch.setenv("BUDGETQA_HOME", str(compare_settings.home))
    out = tmp_path / "c.csv"
    assert main(["compare", "三公经费", "--department", "万里", "--csv", str(out)]) == 0
    rows = list(csv.reader(out.open(encoding="utf-8-sig")))
    assert rows[0][:3] == ["报告", "年度", "数值（万元）"] and len(rows) == 4
    assert main(["compare", "火星探测器"]) == 2
    assert "这一项" in capsys.readouterr().err


def test_web_compare_tab_gives_table_csv_chart_and_one_line_errors(compare_settings: Settings) -> None:
    from ui.web import App, compare_rows

    app = App(compare_settings)
    frame, msg, files, chart, facts = compare_rows(app, "三公经费", list(WANLI), False)
    assert list(frame["数值（万元）"]) == ["22.91", "47.91", "37.91"]
    csv_path, xlsx_path = files
    assert "计算" in msg and Path(csv_path).read_text(encoding="utf-8-sig").startswith("报告,")
    from openpyxl import load_workbook

    sheet = load_workbook(xlsx_path).active
    assert sheet.cell(1, 1).value == "报告" and sheet.max_row == 4  # header and one row per Wanli budget
    assert len(chart) == 3
    # each value's cell opens its own page, boxed
    from types import SimpleNamespace

    from ui.web import compare_cell

    for i, f in enumerate(facts):
        image, caption = compare_cell(app, facts, SimpleNamespace(index=[i, 2]))
        assert image and f"第{f.page}页" in caption and "红框" in caption, caption
        view = app.viewer.fact_view(f)
        assert view.highlights and view.highlights[0].page == f.page
    frame, msg, csv_path, _, _ = compare_rows(app, "火星探测器", [], False)
    assert frame.empty and msg.startswith("⚠") and "\n" not in msg and csv_path is None
