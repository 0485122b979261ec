"""What an audit finding is, and how it is said in Chinese."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    """One inconsistency of a report. severity "error" (错误) is a contradiction a person confirms on
    the page; "info" (提示) depends on a reading the tool is not sure of — `why` says which."""

    kind: str
    severity: str  # error | info
    message: str
    expected: str
    found: str
    page: int | None
    section: str
    quote: str
    cells: tuple[str, ...] = ()  # the cells or amounts it summed or compared, each with its place
    arithmetic: str = ""  # the sum or ratio worked out
    fix: str = ""  # what the report should probably say
    why: str = ""  # for 提示: what the reading is unsure of


# what each kind of finding checks, as a reader says it
KIND_LABELS = {
    "budget_change": "增减比例",
    "growth_rate": "增幅",
    "execution_rate": "执行率",
    "share": "占比",
    "direction": "增减方向",
    "zero_total": "零值与增减",
    "parts_whole": "分项与总数",
    "row_sum": "行合计",
    "code_sum": "科目汇总",
    "narrative_table": "文字与表格",
    "unit_slip": "计量单位",
    "two_amounts": "同一项两个数",
    "same_figure": "同一数字两处不同",
    "cross_table": "表与表之间",
    "year_ref": "年份",
    "empty_table": "空表",
    "missing_table": "缺少报表",
    "placeholder": "占位符",
}
SEVERITY_LABELS = {"error": "错误", "warning": "提示", "info": "提示"}


def unique_findings(findings: list[Finding]) -> list[Finding]:
    """One finding per (kind, found, quote): overlapping chunks repeat a sentence, and two checks may read it."""
    seen: set[tuple[str, str, str]] = set()
    out = []
    for f in findings:
        k = (f.kind, f.found, f.quote)
        if k not in seen:
            seen.add(k)
            out.append(f)
    return out
