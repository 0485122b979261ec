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


def _parts(text: str) -> list[tuple[str, str]]:
    from ingest.model import Chunk
    from rag.audit_text import parts_findings

    chunk = Chunk("c", "d", "t", "s", 1, "text", text, 0, len(text))
    return [(f.found, f.expected) for f in parts_findings([chunk]) if f.severity == "error"]


def test_parts_against_their_whole_in_government_reports() -> None:
    """fujian-pingtan-2016-juesuan-baogao (its SOURCES note lists both): items above the 合计; 结余 ≠ 收入 − 支出."""
    listed = (
        "全区（县）支出合计1,173,366万元，包括：一般公共预算支出918,905万元（含中央专款和上年项目结转等支出），"
        "比上年减支1,112万元，下降0.1%；上解上级支出4,939万元；地方政府一般债务还本支出170,915万元，其中：一般债券"
        "还本支出127,200万元，其他一般债务还本支出43,715万元；调出资金8,890万元；安排预算稳定调节基金87,497万元。"
    )
    assert _parts(listed) == [("1191146万元", "1,173,366万元")]
    balance = (
        "全区（县）社会保险基金收入97,683万元，完成预算的136.74%。全区（县）社会保险基金支出88,778万元，"
        "完成预算的139%。当年收支结余29,841万元，年末滚存结余85,216万元。"
    )
    assert _parts(balance) == [("29,841万元", "8905万元")]


def test_lists_that_are_not_one_whole_split_are_not_summed() -> None:
    """Bracketed breakdowns (harbin), two classifications of one whole (fushun), another body's whole (zhumadian)."""
    assert not _parts(
        "全市到期政府债券本息共计404.1亿元，其中，本金328.8亿元（一般债券本金219.3亿元，专项债券本金109.5亿元），"
        "利息75.3亿元（一般债券利息45.9亿元，专项债券利息29.4亿元），均已如期偿还。"
    )
    assert not _parts(
        "2025年省转贷我市地方政府债券68.9亿元，其中：从地区分布看，市本级44.1亿元，县区24.8亿元；"
        "从债券性质看，再融资债券47亿元，新增债券21.9亿元。"
    )
    assert not _parts(
        "市级政府债务限额78.2亿元（其中：开发区6.4亿元），其中：一般债务50.3亿元，专项债务27.9亿元；"
        "县区政府债务限额186.1亿元，其中：一般债务102.1亿元，专项债务84亿元。"
    )


def test_a_rate_inside_brackets_and_bracketed_parts_are_not_the_amounts_compared() -> None:
    """henan-zhumadian-2019-yusuan-baogao: "预算36.3亿元（其中：开发区4.6亿元），实际完成37.9亿元（其中：开发区5.9亿元），
    为预算的104.2%（其中：市本级为预算的100.6%…）" — 37.9/36.3 = 104.4%: within what 36.3 and 37.9 allow."""
    s = (
        "市级一般公共收入预算36.3亿元（其中：开发区4.6亿元），实际完成37.9亿元（其中：开发区5.9亿元），"
        "为预算的104.2%（其中：市本级为预算的100.6%，开发区为预算的129.2%），增长14.6%。"
    )
    found = {str(d.stated): d.status for d in derived_figures(s)}
    assert found == {"104.2": "verified"}
