"""Narrative sentences → keyed statements, in the sentence forms these reports share nationally.

"X收入N万元，比上年增加M万元，增长P%" (a level, a change, a rate), "完成（全年）预算B的Z%", "占W%" after
"其中" or "占<whole>的W%", the full "（类）（款）（项）" path, the 三公 paragraph, "预算数为A…执行数为B…
执行率Z%", and the 预算编制说明 form "A年执行数为X，B年预算安排Y，比…增加Z%". Each amount gets the
key of what it names (ingest/keys.py); a change is never a level, a part ("其中使用上年结转") names
nothing the tables hold. Percentages are recomputed from the amounts they refer to, with the
rounding of the printed amounts taken into account (an interval, not a point).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal

from ingest.facts import UNIT_FACTOR, parse_decimal
from ingest.keys import PATH_FORM, FigureKey, phrase_key, stage_only

AMOUNT = r"(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
NUMBER = re.compile(r"(?<![\d.,])" + AMOUNT + r"\s*(亿元|万元|千元|元|%)")
# "…0.39万（含外宾接待支出0.00万元）": a bracket opening a part of the figure before it starts a clause
CLAUSE_END = re.compile(r"[。；;，,：:、]|其中|[（(](?=含|包括)")
CHANGE_BEFORE = re.compile(r"(?:增加|减少|增长|下降|增|减|多|少|节约|超支)了?$")
COMPARED = re.compile(r"(?:比|较|同比|与)")
SENTENCE = re.compile(r"(?<=[。！？!?\n])")
# "…开展部门评价，涉及一般公共预算支出104.89万元，政府性基金预算支出0万元": after these words a
# sentence lists the money of a subset (projects evaluated, funds involved), not the report's totals
SUBSET = re.compile(r"涉及|覆盖资金|绩效评价|绩效自评|开展评价")


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


@dataclass(frozen=True)
class Statement:
    """One amount of a sentence with what it names. key None: the sentence names nothing a table holds."""

    mention: Mention
    phrase: str
    kind: str  # level | change
    key: FigureKey | None


def _clause_before(text: str, start: int) -> str:
    head = text[:start]
    ends = [m.end() for m in CLAUSE_END.finditer(head)]
    clause = head[ends[-1] :] if ends else head
    # a quoted path "“一般公共服务支出（类）…（项）”" spans brackets: keep it whole
    q = head.rfind("“")
    if q >= 0 and "”" in head[q:] and ("（类）" in head[q:] or "（款）" in head[q:]):
        clause = head[q:]
    return clause.strip()


PARTIAL_YEAR = re.compile(r"上半年|[1一][-—~至到][6六]月|前三季度|[一二三]季度|1[-—~至到]\d{1,2}月")
YEAR = re.compile(r"(?<!\d)(20\d\d)年")


def other_period(text: str, context: str, year: int | None) -> str:
    """The stage a sentence speaks of when it is not the report's year: "期中" for half a year or a
    quarter, "2022年" for a later year (a city 决算 report also reports the next year's execution).
    A report's title quoted in the text ("据《…2022年上半年预算执行情况的报告》") names no period."""
    text = re.sub(r"《[^》]*》", "", text)
    if PARTIAL_YEAR.search(text) or not YEAR.search(text) and PARTIAL_YEAR.search(context):
        return "期中"
    years = [int(y) for y in YEAR.findall(text)] or [int(y) for y in YEAR.findall(context)]
    later = [y for y in years if year and y > year]
    return f"{later[0]}年" if later and len(set(years)) == 1 else ""


def statements(
    text: str,
    report_kind: str,
    items: frozenset[str] = frozenset(),
    context: str = "",
    year: int | None = None,
) -> list[Statement]:
    """Every money amount of `text` with the key of what it names. The subject — the item named
    last — carries over "年初预算为A，支出决算为B" and "完成预算B的Z%" within a paragraph; a heading-like
    sentence "一般公共服务支出（类）财政事务（款）行政运行（项）。" names the subject of what follows.
    `context` (the section path) and the report's `year` tell a sentence about another period."""
    out: list[Statement] = []
    offset = 0
    subject: FigureKey | None = None
    for sentence in SENTENCE.split(text):
        period = other_period(sentence, context, year)
        if not sentence.strip():
            subject = None  # a blank line: the next paragraph names its own subject
        found = mentions(sentence)
        named = PATH_FORM.search(re.sub(r"[\s“”\"]", "", sentence).replace("(", "（").replace(")", "）"))
        if named and not any(m.unit != "%" for m in found):
            subject = phrase_key(named.group(0), report_kind, items)
        subset_from = next((x.start() for x in SUBSET.finditer(sentence)), len(sentence))
        for m in found:
            if m.unit == "%":
                continue
            clause = _clause_before(sentence, m.start)
            if m.start > subset_from:
                out.append(Statement(replace(m, start=m.start + offset, end=m.end + offset), clause, "level", None))
                subject = None
                continue
            mm = replace(m, start=m.start + offset, end=m.end + offset)
            if CHANGE_BEFORE.search(clause) or COMPARED.search(clause) and re.search(r"增|减|多|少", clause):
                key = replace(subject, kind="change") if subject else None
                out.append(Statement(mm, clause, "change", key))
                continue
            stage = stage_only(clause)
            if stage:
                key = replace(subject, stage=period or stage) if subject else None
                out.append(Statement(mm, clause, "level", key))
                continue
            key = phrase_key(clause, report_kind, items)
            subject = key  # an amount of something unkeyed: what follows can't lean on an older subject
            if key is not None:
                if period:
                    key = replace(key, stage=period)
            out.append(Statement(mm, clause, "level", key))
        offset += len(sentence)
    return out


# ---------------------------------------------------------------------------------------- derived
CHANGE = re.compile(
    AMOUNT + r"\s*(万元|元|亿元)[^。；]{0,40}?(增加|减少|增长|下降)\s*" + AMOUNT + r"\s*(万元|元|亿元)"
    r"[，,、\s]*(?:[^。；\d]{0,6})?(增长|下降|增加|减少)\s*(\d+(?:\.\d+)?)%"
)
EXECUTION = re.compile(
    r"预算(?:数)?为?\s*" + AMOUNT + r"\s*(万元|元)[^。；]{0,60}?(?:决算|执行)(?:数)?为?\s*" + AMOUNT + r"\s*(万元|元)?"
    r"[^。；]{0,20}?(?:完成|执行率)[^。；\d]{0,10}?(\d+(?:\.\d+)?)%"
)
COMPLETION = re.compile(
    AMOUNT
    + r"\s*(万元|元|亿元)[，,]?\s*完成(?:全年|年初|调整)?预算(?:数)?\s*"
    + AMOUNT
    + r"\s*(万元|元|亿元)的\s*(\d+(?:\.\d+)?)%"
)
A_TO_B = re.compile(
    AMOUNT
    + r"\s*(万元|元|亿元)[，,][^。；\d]{0,30}?"
    + AMOUNT
    + r"\s*(万元|元|亿元)[，,]?\s*(?:比|较)([^。；\d]{0,30}?"
    r"(?:20\d\d年)?[^。；\d]{0,20}?)(增加|减少|增长|下降)\s*(\d+(?:\.\d+)?)%"
)
SHARE = re.compile(AMOUNT + r"\s*(万元|元|亿元)[，,、\s]*占([^\d。；%]{0,20}?)(\d+(?:\.\d+)?)%")


@dataclass(frozen=True)
class Derived:
    """A percentage stated next to the amounts it is computed from, recomputed."""

    kind: str  # growth_rate | execution_rate | share | budget_change
    end: int  # where the percentage ends in the text
    stated: Decimal
    low: Decimal  # the range the amounts' rounding allows
    high: Decimal
    decimals: int
    how: str
    quote: str
    inputs: tuple[str, ...] = ()

    @property
    def computed(self) -> Decimal:
        return (self.low + self.high) / 2

    @property
    def step(self) -> Decimal:
        return Decimal(10) ** -self.decimals

    @property
    def status(self) -> str:
        """verified within the printed precision; rounding (尾数) within one more unit; else mismatch."""
        half = self.step / 2 + Decimal("0.0001")
        if self.low - half <= self.stated <= self.high + half:
            return "verified"
        if self.low - self.step - half <= self.stated <= self.high + self.step + half:
            return "rounding"
        return "mismatch"

    @property
    def ok(self) -> bool:
        return self.status != "mismatch"


def _dec(s: str) -> int:
    return len(s.split(".")[1]) if "." in s else 0


def _interval(raw: str) -> tuple[Decimal, Decimal]:
    v = parse_decimal(raw) or Decimal(0)
    h = Decimal("0.5") * Decimal(10) ** -_dec(raw.replace(",", ""))
    return v - h, v + h


def _ratio(num: tuple[Decimal, Decimal], den: tuple[Decimal, Decimal]) -> tuple[Decimal, Decimal] | None:
    if den[0] <= 0:
        return None
    vals = [n / d * 100 for n in num for d in den]
    return min(vals), max(vals)


def _derived(
    kind: str,
    m: re.Match[str],
    pct_raw: str,
    rng: tuple[Decimal, Decimal] | None,
    how: str,
    inputs: tuple[str, ...],
    base: int = 0,
) -> Derived | None:
    pct = parse_decimal(pct_raw)
    if rng is None or pct is None:
        return None
    low, high = rng
    return Derived(
        kind, base + m.end(), pct, low, high, _dec(pct_raw), f"{how} = {(low + high) / 2:.2f}%", m.group(0), inputs
    )


def derived_figures(text: str, resolve: Callable[[str], Decimal | None] | None = None) -> list[Derived]:
    """增加X，增长Y% → Y = X/(A−X); 减少X，下降Y% → Y = X/(A+X); 完成预算B的Z% / 执行率 → Z = A/B;
    A…B，比…增加Z% → Z = (B−A)/A; "其中…B，占W%" / "占<whole>的W%" → W = B/whole. `resolve` gives
    the amount (元) of a named whole that the sentence does not state, from the report's tables."""
    out: list[Derived] = []
    for m in CHANGE.finditer(text):
        if m.group(2) != m.group(5):
            continue
        up = m.group(3) in ("增加", "增长")
        cur, delta = _interval(m.group(1)), _interval(m.group(4))
        base = (cur[0] - delta[1], cur[1] - delta[0]) if up else (cur[0] + delta[0], cur[1] + delta[1])
        how = f"{m.group(4)}/({m.group(1)}{'−' if up else '+'}{m.group(4)})"
        d = _derived("growth_rate", m, m.group(7), _ratio(delta, base), how, (m.group(1), m.group(4)))
        if d:
            out.append(d)
    for m in EXECUTION.finditer(text):
        if (m.group(4) or m.group(2)) != m.group(2):
            continue
        rng = _ratio(_interval(m.group(3)), _interval(m.group(1)))
        d = _derived("execution_rate", m, m.group(5), rng, f"{m.group(3)}/{m.group(1)}", (m.group(1), m.group(3)))
        if d:
            out.append(d)
    for m in COMPLETION.finditer(text):
        if m.group(2) != m.group(4) or any(d.end == m.end() for d in out):
            continue
        rng = _ratio(_interval(m.group(1)), _interval(m.group(3)))
        d = _derived("execution_rate", m, m.group(5), rng, f"{m.group(1)}/{m.group(3)}", (m.group(3), m.group(1)))
        if d:
            out.append(d)
    for m in A_TO_B.finditer(text):
        ref = m.group(5)
        before = text[max(0, m.start() - 30) : m.start()]
        if m.group(2) != m.group(4) or not any(w in ref and w in before for w in ("执行", "决算", "预算", "上年")):
            continue
        a, b = _interval(m.group(1)), _interval(m.group(3))
        up = m.group(6) in ("增加", "增长")
        diff = (b[0] - a[1], b[1] - a[0]) if up else (a[0] - b[1], a[1] - b[0])
        how = f"({m.group(3)}−{m.group(1)})/{m.group(1)}" if up else f"({m.group(1)}−{m.group(3)})/{m.group(1)}"
        d = _derived("budget_change", m, m.group(7), _ratio(diff, a), how, (m.group(1), m.group(3)))
        if d and not any(x.end == d.end for x in out):
            out.append(d)
    out += _shares(text, resolve)
    return out


def _shares(text: str, resolve: Callable[[str], Decimal | None] | None) -> list[Derived]:
    out: list[Derived] = []
    offset = 0
    for sentence in SENTENCE.split(text):
        money = [m for m in mentions(sentence) if m.yuan is not None]
        for m in SHARE.finditer(sentence):
            part = _interval(m.group(1))
            factor = UNIT_FACTOR[m.group(2)]
            part_yuan = (part[0] * factor, part[1] * factor)
            named = re.sub(r"的$", "", m.group(3).strip())
            whole: tuple[Decimal, Decimal] | None = None
            how_whole = ""
            if named:  # "占政府采购支出总额的100%": the amount of that name, in the sentence or the tables
                for w in money:
                    clause = _clause_before(sentence, w.start)
                    if w.start < m.start() and clause and (clause.endswith(named) or named.endswith(clause[-6:])):
                        lo, hi = _interval(w.text[: -len(w.unit)].strip())
                        f = UNIT_FACTOR[w.unit]
                        whole, how_whole = (lo * f, hi * f), w.text
                        break
                if whole is None and resolve is not None:
                    v = resolve(named)
                    if v:
                        whole, how_whole = (v, v), f"{named}（表）"
            else:
                first = money[0] if money else None
                head = sentence[: m.start()]
                subject = re.search(r"([^，,。；;：:]{2,40}?)中[，,]", head)
                if (
                    first is not None
                    and first.start < m.start()
                    and re.search(r"其中|主要用于|包括", sentence[first.end : m.start()])
                    and not re.search(r"增加|减少|比", sentence[: first.start][-12:])
                ):
                    lo, hi = _interval(first.text[: -len(first.unit)].strip())
                    f = UNIT_FACTOR[first.unit]
                    whole, how_whole = (lo * f, hi * f), first.text
                elif subject and resolve is not None:  # "“三公”经费财政拨款支出决算中，…占W%"
                    v = resolve(subject.group(1))
                    if v:
                        whole, how_whole = (v, v), f"{subject.group(1)}（表）"
            if whole is None or whole[0] <= 0:
                continue
            rng = _ratio(part_yuan, whole)
            d = _derived(
                "share", m, m.group(4), rng, f"{m.group(1)}{m.group(2)}/{how_whole}", (m.group(0), how_whole), offset
            )
            if d:
                out.append(d)
        offset += len(sentence)
    return out
