"""Tables → facts, and the number check."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ingest.facts import parse_decimal, report_facts
from ingest.parse import parse_file
from rag.numbers import Mention, mentions, money_equal
from tests.conftest import CORPUS, realdata


def _fact(facts, table, row, column):  # noqa: ANN001, ANN202
    hits = [f for f in facts if f.table_title == table and f.row_label == row and f.column.endswith(column)]
    assert hits, (table, row, column)
    return hits[0]


@pytest.mark.parametrize(
    "cell, value",
    [
        ("42,400.00", Decimal("42400.00")),
        ("-", None),
        ("—", None),
        ("", None),
        ("(1.50)", Decimal("-1.50")),
        ("-3.2", Decimal("-3.2")),
        ("74.14%", Decimal("74.14")),
        ("合计", None),
    ],
)
def test_parse_decimal(cell: str, value: Decimal | None) -> None:
    assert parse_decimal(cell) == value


def test_side_by_side_summary_table_is_split_into_halves() -> None:
    facts = report_facts(parse_file(CORPUS / "qingcheng-gongxinju-2024-juesuan.txt"))
    income = _fact(facts, "收入支出决算总表", "一、一般公共预算财政拨款收入", "决算数")
    assert income.value == Decimal("6268.57") and income.unit == "万元" and income.column == "收入 > 决算数"
    science = _fact(facts, "收入支出决算总表", "六、科学技术支出", "决算数")
    assert science.value == Decimal("3227.00") and science.column == "支出 > 决算数"
    assert income.value_yuan == Decimal("62685700")


def test_function_codes_in_one_column() -> None:
    facts = report_facts(parse_file(CORPUS / "qingcheng-gongxinju-2024-juesuan.txt"))
    f = _fact(facts, "支出决算表", "行政运行", "基本支出")
    assert f.code == "2011301" and f.value == Decimal("658.82")


def test_three_column_codes_in_a_shanghai_pdf() -> None:
    facts = report_facts(parse_file(realdata("putuo-sifaju-2026-danwei-yusuan.pdf")))
    hits = [f for f in facts if f.code == "2040601" and f.row_label == "行政运行" and f.column.endswith("合计")]
    assert hits and all(f.value == Decimal("14348853.34") and f.unit == "元" for f in hits)


def test_unaligned_pdftotext_rows_keep_numbers_flagged() -> None:
    facts = report_facts(parse_file(CORPUS / "beiguan-gongxinju-2024-juesuan.txt"))
    flagged = [f for f in facts if f.flagged]
    assert flagged and all(f.column == "" for f in flagged)
    assert any(f.value == Decimal("395.87") for f in flagged)


def test_money_equality_uses_the_coarser_precision() -> None:
    from ingest.model import Fact

    def fact(v: str, unit: str) -> Fact:
        d = Decimal(v)
        return Fact("d", "t", "T", "r", "", "c", d, unit, d * (10000 if unit == "万元" else 1), 1, "")

    m = mentions("1434.89万元")[0]
    assert money_equal(m, fact("14348853.34", "元"))
    assert not money_equal(mentions("42,400万元")[0], fact("4240", "万元"))
    assert money_equal(Mention("42,400万元", Decimal("42400"), "万元", 0, 8), fact("42400.00", "万元"))


def test_answer_numbers_are_checked(qa) -> None:  # noqa: ANN001
    a = qa.ask("清城区工信局2024年政府性基金预算财政拨款收入为什么增加？")
    by_text = {n.text: n for n in a.numbers}
    assert by_text["42,400万元"].status == "verified"
    assert by_text["42,400万元"].source["table"] == "收入支出决算总表"
    assert by_text["123.16%"].status == "verified"


def test_check_flags_a_wrong_amount(qa) -> None:  # noqa: ANN001
    docs, numbers = qa.check("清城区工信局2024年政府性基金预算财政拨款收入42,000万元，增长123.16%")
    assert docs == ("qingcheng-gongxinju-2024-juesuan",)
    wrong = numbers[0]
    assert wrong.status == "mismatch" and "42400" in wrong.note
    _, numbers = qa.check("清城区工信局2024年一般公共预算财政拨款收入6,268.57万元")
    assert numbers[0].status == "verified"
    _, numbers = qa.check("清城区工信局2024年共发放补贴777,777.77万元")
    assert numbers[0].status == "unsupported"
    assert wrong.source["report"] and wrong.source["page"] is None and wrong.source["column"]


def test_check_without_a_named_report_says_so(qa) -> None:  # noqa: ANN001
    import pytest

    from ingest.errors import BadInputError

    with pytest.raises(BadInputError, match="看不出句子说的是已读入的哪份报告"):
        qa.check("一般公共预算财政拨款收入6,268.57万元")


def test_check_cli_json(corpus_settings) -> None:  # noqa: ANN001
    import json

    from tests.test_cli import run

    proc = run(["check", "清城区工信局2024年政府性基金预算财政拨款收入42,000万元", "--json"], corpus_settings.home)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["numbers"][0]["status"] == "mismatch"
