"""Statements with roles (ingest/statements.py): each rate is recomputed from the amounts of its own
period and item, whatever stands between them — sentences of real reports, as printed."""

from __future__ import annotations

from decimal import Decimal

from ingest.statements import derived_figures, read_figures


def _one(text: str, stated: str) -> tuple[str, Decimal, bool, str]:
    d = next(d for d in derived_figures(text) if str(d.stated) == stated)
    return d.status, round(d.computed, 2), d.certain, d.kind


def test_budget_form_with_years_between_the_amounts() -> None:
    """putuo-sifaju-2026-bumen-yusuan p.8: 43269.3 → 3845.49 is a fall of 91.11%, not +17.62%."""
    s = "2025年当年预算执行数为43269.3万元，2026年预算安排3845.49万元，比2025年预算执行数增加17.62%。主要原因是："
    roles = [(f.role, f.period) for f in read_figures(s)]
    assert roles == [("执行数", 2025), ("预算安排", 2026), ("增减率", 2025)]
    assert _one(s, "17.62") == ("mismatch", Decimal("-91.11"), True, "budget_change")
    ok = "2025年当年预算执行数为118.46万元，2026年预算安排124.29万元，比2025年预算执行数增加4.92%。"
    assert _one(ok, "4.92")[0] == "verified"


def test_change_in_the_sentence_after_its_amount() -> None:
    """beiguan-gongxinju-2024-juesuan: the level is stated, then "与上年度相比，…减少C，下降Y%"."""
    s = "2024 年度收、支总计均为 395.87 万元。与上年度相比，\n\n收、支总计各减少 417.27 万元，下降 54.35%。主要原因是"
    assert _one(s, "54.35") == ("mismatch", Decimal("51.32"), True, "growth_rate")


def test_growth_belongs_to_the_actual_amount_not_the_budget() -> None:
    """ "预算A，实际完成B，为预算的X%，比上年增加C，增长Y%": Y = C/(B−C), X = B/A."""
    s = "一般公共预算收入预算为500万元，实际完成520万元，为预算的104%，比上年增加20万元，增长4%。"
    found = {str(d.stated): (d.kind, d.status) for d in derived_figures(s)}
    assert found == {"104": ("execution_rate", "verified"), "4": ("growth_rate", "verified")}


def test_a_base_is_taken_from_its_own_list_item() -> None:
    """qujiang-gongxinju-2021-jixiao: "…完成预算20000.00元的98.27%…；公务接待费5385.00元，比年初预算安排增加
    3169.00元，增长143.01%" — the 143.01% is of 公务接待费 (3169/2216), not of the 公务用车 budget before it."""
    s = (
        "公务用车购置及运行费19653.43元，完成预算20000.00元的98.27%，全年实际支出比预算有所节约；"
        "公务接待费5385.00元，比年初预算安排增加3169.00元，增长143.01%，主要原因是招商接待费增加。"
    )
    assert {str(d.stated): d.status for d in derived_figures(s)} == {"98.27": "verified", "143.01": "verified"}


def test_budget_after_completion_words_is_not_the_current_amount() -> None:
    """qingcheng: "决算为9.84万元，完成全年预算22万元的44.7%，比上年决算数减少1.86万元，下降15.9%" → 1.86/11.70."""
    s = "2024年度“三公”经费财政拨款支出决算为9.84万元，完成全年预算22万元的44.7%，比上年决算数减少1.86万元，下降15.9%。"
    assert {str(d.stated): d.status for d in derived_figures(s)} == {"44.7": "verified", "15.9": "verified"}


def test_a_change_with_no_amount_of_its_own_is_not_checked() -> None:
    s = "主要原因是人员增加。与上年相比，增加10万元，增长50%。"
    assert derived_figures(s) == []


def test_a_budget_of_another_year_is_not_the_base() -> None:
    """beijing-shangwuju-2026-bumen-yusuan p.10: the 2026 预算 is the current amount; the base is 2025's (B+C)."""
    s = "2026年财政拨款“三公”经费预算231.48万元，比2025年财政拨款“三公”经费年初预算减少53.34万元，下降18.73%，主要原因："
    assert _one(s, "18.73") == ("verified", Decimal("18.73"), True, "growth_rate")
