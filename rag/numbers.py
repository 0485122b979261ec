"""The number check: every figure in an answer (or a journalist's sentence) against the report's tables.

verified     equals a table fact of a cited report, within the rounding of the coarser precision
             (1434.89万元 = 14,348,853.34元; 42,400万元 ≠ 4,240万元), or a derived figure (增长Y%,
             占W%, 完成预算的Z%) recomputed from the amounts stated next to it
in_text      appears in a cited passage but in no table
mismatch     the tables give the same item another value
unsupported  found nowhere in the cited reports
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from ingest.facts import UNIT_FACTOR, parse_decimal
from ingest.factstore import FactStore
from ingest.model import CheckedNumber, Fact

NUMBER = re.compile(r"(?<![\d.])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*(亿元|万元|千元|元|%)")
CHANGE = re.compile(
    r"(\d[\d,]*(?:\.\d+)?)\s*(万元|元|亿元)[^。；]{0,40}?(增加|减少|增长|下降)\s*(\d[\d,]*(?:\.\d+)?)\s*(万元|元|亿元)"
    r"[，,、\s]*(?:[^。；\d]{0,6})?(增长|下降|增加|减少)\s*(\d+(?:\.\d+)?)%"
)
EXECUTION = re.compile(
    r"预算(?:数)?为?\s*(\d[\d,]*(?:\.\d+)?)\s*(万元|元)[^。；]{0,60}?(?:决算|执行)(?:数)?为?\s*(\d[\d,]*(?:\.\d+)?)\s*(万元|元)?"
    r"[^。；]{0,20}?(?:完成|执行率)[^。；\d]{0,10}?(\d+(?:\.\d+)?)%"
)
SHARE = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*(万元|元|亿元)[，,、\s]*占(?:[^\d。；%]{0,12}?)(\d+(?:\.\d+)?)%")


@dataclass(frozen=True)
class Mention:
    text: str
    value: Decimal
    unit: str
    start: int
    end: int

    @property
    def decimals(self) -> int:
        s = str(self.value)
        return len(s.split(".")[1]) if "." in s else 0

    @property
    def yuan(self) -> Decimal | None:
        f = UNIT_FACTOR.get(self.unit)
        return self.value * f if f is not None else None

    def half_step_yuan(self) -> Decimal:
        return Decimal("0.5") * Decimal(10) ** -self.decimals * UNIT_FACTOR.get(self.unit, Decimal(1))


def mentions(text: str) -> list[Mention]:
    out = []
    for m in NUMBER.finditer(text):
        v = parse_decimal(m.group(1))
        if v is not None:
            out.append(Mention(m.group(0), v, m.group(2), m.start(), m.end()))
    return out


def _fact_half_step(f: Fact) -> Decimal:
    s = str(f.value)
    d = len(s.split(".")[1]) if "." in s else 0
    return Decimal("0.5") * Decimal(10) ** -d * UNIT_FACTOR.get(f.unit, Decimal(1))


def money_equal(m: Mention, f: Fact) -> bool:
    if m.yuan is None or f.value_yuan is None:
        return False
    tol = max(m.half_step_yuan(), _fact_half_step(f))
    return abs(m.yuan - f.value_yuan) <= tol + Decimal("1e-9")


def _fact_source(f: Fact) -> dict:
    return {
        "table": f.table_title,
        "row": f.row_label,
        "code": f.code,
        "column": f.column,
        "page": f.page,
        "value": f"{f.value}{f.unit}",
        "doc_id": f.doc_id,
        "flagged": f.flagged,
    }


def _norm_label(label: str) -> str:
    label = re.sub(r"^[一二三四五六七八九十]+、|^[（(][一二三四五六七八九十]+[）)]|^\d+[、.．]", "", label)
    return re.sub(r"[（(][类款项][）)]|\s", "", label)


def _item_before(text: str, start: int, facts: list[Fact]) -> list[Fact]:
    """Facts whose row label names the item written just before the number ("…财政拨款收入42,000万元")."""
    window = re.sub(r"\s", "", text[max(0, start - 40) : start])
    best: list[Fact] = []
    best_len = 3
    for f in facts:
        lab = _norm_label(f.row_label)
        if len(lab) >= best_len and window.endswith(lab) or (len(lab) > best_len and lab in window[-len(lab) - 6 :]):
            if len(lab) > best_len:
                best, best_len = [f], len(lab)
            elif len(lab) == best_len:
                best.append(f)
    return best


@dataclass(frozen=True)
class Derived:
    """A percentage stated next to its amounts, recomputed."""

    kind: str  # growth_rate | execution_rate
    end: int  # where the percentage ends in the text
    stated: Decimal
    computed: Decimal
    decimals: int
    how: str
    quote: str

    @property
    def ok(self) -> bool:
        return abs(self.computed - self.stated) <= Decimal("0.5") * Decimal(10) ** -self.decimals + Decimal("0.0001")


def derived_figures(text: str) -> list[Derived]:
    """增加X，增长Y% → Y = X/(A−X); 减少X，下降Y% → Y = X/(A+X); 完成预算的Z% / 执行率Z% → Z = 决算/预算;
    "合计A，其中：B，占W%" → W = B/A (the sentence's first amount is the whole)."""
    out: list[Derived] = []
    for m in CHANGE.finditer(text):
        cur, delta, pct = parse_decimal(m.group(1)), parse_decimal(m.group(4)), parse_decimal(m.group(7))
        if cur is None or delta is None or pct is None or m.group(2) != m.group(5):
            continue
        up = m.group(3) in ("增加", "增长")
        base = cur - delta if up else cur + delta
        if base <= 0:
            continue
        decimals = len(m.group(7).split(".")[1]) if "." in m.group(7) else 0
        how = f"{m.group(4)}/({m.group(1)}{'−' if up else '+'}{m.group(4)}) = {delta / base * 100:.2f}%"
        out.append(Derived("growth_rate", m.end(), pct, delta / base * 100, decimals, how, m.group(0)))
    for m in EXECUTION.finditer(text):
        budget, actual, pct = parse_decimal(m.group(1)), parse_decimal(m.group(3)), parse_decimal(m.group(5))
        if not budget or actual is None or pct is None or (m.group(4) or m.group(2)) != m.group(2):
            continue
        decimals = len(m.group(5).split(".")[1]) if "." in m.group(5) else 0
        calc = actual / budget * 100
        out.append(
            Derived(
                "execution_rate", m.end(), pct, calc, decimals, f"{m.group(3)}/{m.group(1)} = {calc:.2f}%", m.group(0)
            )
        )
    out += _shares(text)
    return out


def _shares(text: str) -> list[Derived]:
    out: list[Derived] = []
    offset = 0
    for sentence in re.split(r"(?<=。)", text):
        ms = mentions(sentence)
        money = [m for m in ms if m.yuan is not None]
        shares = list(SHARE.finditer(sentence))
        # the whole is the sentence's first amount, unless that amount is itself a share ("A费2.86万元，占29.1%；…")
        if money and not any(m.start() <= money[0].start for m in shares):
            whole = money[0]
            for m in shares:
                between = sentence[whole.end : m.start()]
                if not re.search(r"其中|主要用于|包括", between) or re.search(
                    r"增加|减少|比", sentence[: whole.start][-12:]
                ):
                    continue  # the whole is the amount broken down right after it, not a change or another total
                part = parse_decimal(m.group(1))
                pct = parse_decimal(m.group(3))
                if part is None or pct is None or m.start() <= whole.start or not whole.yuan:
                    continue
                if re.search(r"占[^\d。；%]*(的|总额|合计|总计|比重)", m.group(0)):
                    continue  # "占政府采购支出总额的100%": a named whole stated elsewhere
                calc = part * UNIT_FACTOR[m.group(2)] / whole.yuan * 100
                decimals = len(m.group(3).split(".")[1]) if "." in m.group(3) else 0
                how = f"{m.group(1)}{m.group(2)}/{whole.text} = {calc:.2f}%"
                out.append(Derived("share", offset + m.end(), pct, calc, decimals, how, m.group(0)))
        offset += len(sentence)
    return out


def check_numbers(
    text: str, doc_ids: tuple[str, ...], facts_store: FactStore, passages: list[str]
) -> list[CheckedNumber]:
    """Check each number written in `text` against the facts and passages of the given reports."""
    facts = facts_store.facts(doc_ids)
    money = [f for f in facts if f.value_yuan is not None]
    derived = {d.end: (d.ok, d.how) for d in derived_figures(text)}
    joined = "\n".join(passages)
    compact = re.sub(r"[\s,]", "", joined)
    out: list[CheckedNumber] = []
    for m in mentions(text):
        if m.unit == "%":
            hit = derived.get(m.end)
            if hit is not None:
                ok, how = hit
                status = "verified" if ok else "mismatch"
                out.append(CheckedNumber(m.text, m.value, "%", status, {"derived": how}, "recomputed: " + how))
                continue
            pct = [f for f in facts if f.unit == "%" and abs(f.value - m.value) <= Decimal("0.005")]
            if pct:
                out.append(CheckedNumber(m.text, m.value, "%", "verified", _fact_source(pct[0]), "表中同值"))
            elif re.sub(r"[\s,]", "", m.text) in compact:
                out.append(CheckedNumber(m.text, m.value, "%", "in_text", {"quote": m.text}, "见引用段落"))
            else:
                out.append(CheckedNumber(m.text, m.value, "%", "unsupported", {}, "引用的报告中找不到这个数"))
            continue
        yuan = m.yuan
        unit_out = "元"
        value_out = yuan if yuan is not None else m.value
        equal = [f for f in money if money_equal(m, f)]
        item = _item_before(text, m.start, money)
        same_item_equal = [f for f in equal if f in item]
        if same_item_equal or equal and not item:
            f = (same_item_equal or equal)[0]
            out.append(
                CheckedNumber(
                    m.text, value_out, unit_out, "verified", _fact_source(f), f"{f.table_title}：{f.row_label}"
                )
            )
        elif item:
            f = item[0]
            note = f"表中「{f.row_label}」为{f.value}{f.unit}（{f.table_title}），文中为{m.text}"
            out.append(CheckedNumber(m.text, value_out, unit_out, "mismatch", _fact_source(f), note))
        elif equal:
            f = equal[0]
            out.append(
                CheckedNumber(
                    m.text, value_out, unit_out, "verified", _fact_source(f), f"{f.table_title}：{f.row_label}"
                )
            )
        elif re.sub(r"[\s,]", "", m.text) in compact:
            out.append(
                CheckedNumber(m.text, value_out, unit_out, "in_text", {"quote": m.text}, "见引用段落，表中无此数")
            )
        else:
            out.append(CheckedNumber(m.text, value_out, unit_out, "unsupported", {}, "引用的报告中找不到这个数"))
    return out
