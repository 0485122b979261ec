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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import lru_cache

from ingest.facts import UNIT_FACTOR, parse_decimal
from ingest.keys import PATH_FORM, SPEND_PARTS, YEAR_STAGE, FigureKey, norm, phrase_key, stage_of, stage_only
from ingest.periods import HEAD_PART, PART_HEAD, YEAR, context_scope, other_period, sentence_fund

AMOUNT = r"(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
NUMBER = re.compile(r"(?<![\d.,])" + AMOUNT + r"\s*(亿元|万元|千元|元|%)")
# "…0.39万（含外宾接待支出0.00万元）": a bracket opening a part of the figure before it starts a clause
CLAUSE_END = re.compile(r"[。；;，,：:、]|其中|[（(](?=含|包括)")
CHANGE_BEFORE = re.compile(r"(?:增加|减少|增长|下降|增|减|多|少|节约|超支)了?$")
COMPARED = re.compile(r"(?:比|较|同比|与)")
# some PDFs set the full stop as an ASCII "." after a character ("…增长3.6%.一般公共预算…"): a sentence end too
SENTENCE = re.compile(r"(?<=[。！？!?\n])|(?<=[\u4e00-\u9fff%）)”]\.)(?!\d)")
# "…开展部门评价，涉及一般公共预算支出104.89万元，政府性基金预算支出0万元": after these words a
# sentence lists the money of a subset (projects evaluated, funds involved), not the report's totals
SUBSET = re.compile(r"涉及|覆盖资金|绩效评价|绩效自评|开展评价")
NET = re.compile(r"扣除|除去|剔除|扣减")
DONE = re.compile(r"完成|实现|快报")
# "（二）项目支出：…417.41万元，…，其中：一般公共服务支出417.41万元": the items listed are of that part
SUB_LIST = re.compile("(" + "|".join(SPEND_PARTS) + r")[^。；;]*?其中")


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
    net: bool = False  # stated after "扣除…" in its sentence: net of items a table's row may include


def _clause_before(text: str, start: int) -> str:
    head = text[:start]
    ends = [m.end() for m in CLAUSE_END.finditer(head)]
    clause = head[ends[-1] :] if ends else head
    # a quoted path "“一般公共服务支出（类）…（项）”" spans brackets: keep it whole
    q = head.rfind("“")
    if q >= 0 and "”" in head[q:] and ("（类）" in head[q:] or "（款）" in head[q:]):
        clause = head[q:]
    return clause.strip()


def statements(
    text: str,
    report_kind: str,
    items: frozenset[str] = frozenset(),
    context: str = "",
    year: int | None = None,
) -> list[Statement]:
    """Every money amount of `text` with the key of what it names (see `_statements`); read once per
    passage and report: an audit's checks and the number check read the same passages."""
    return list(_statements(text, report_kind, frozenset(items), context, year))


@lru_cache(maxsize=256)
def _statements(
    text: str,
    report_kind: str,
    items: frozenset[str] = frozenset(),
    context: str = "",
    year: int | None = None,
) -> tuple[Statement, ...]:
    """Every money amount of `text` with the key of what it names. The subject — the item named
    last — carries over "年初预算为A，支出决算为B" and "完成预算B的Z%" within a paragraph; a heading-like
    sentence "一般公共服务支出（类）财政事务（款）行政运行（项）。" names the subject of what follows.
    `context` (the section path) and the report's `year` tell a sentence about another period."""
    out: list[Statement] = []
    offset = 0
    subject: FigureKey | None = None
    fund, level = context_scope(context)

    def placed(key: FigureKey, sentence: str, start: int, clause: str) -> FigureKey:
        """The key with what the words around it tell: the period of its clause or sentence, the part
        a "其中" list falls under ("项目支出…，其中：一般公共服务支出A"), the heading's fund and level."""
        period = other_period(sentence, context, year, clause, start)
        if period:  # "2025年" with the stage its words say ("完成" the outturn), matched by stages_agree
            said = "执行" if DONE.search(clause) else stage_of(norm(clause))
            key = replace(key, stage=period + said if YEAR_STAGE.fullmatch(period) else period)
        elif report_kind == "预算" and key.stage == "预算" and DONE.search(clause):
            key = replace(key, stage="执行")  # a budget report's "收入完成A": last year's outturn, not the draft
        under = next((m.group(1) for m in SUB_LIST.finditer(sentence[:start])), "") or para_part
        if under and not key.part and key.item:
            key = replace(key, part=under)
        own = sentence_fund(sentence)
        if (own or fund) and not key.scope:
            key = replace(key, scope=own or fund)
        if level and not key.level:
            key = replace(key, level=level)
        return key

    # the part a paragraph opened with ("（二）项目支出：…"): its items are of that part; a sentence checked
    # alone has its paragraph's head as the last heading of its context
    head_part = HEAD_PART.search(context.split(" > ")[-1])
    para_part = head_part.group(1) if head_part else ""
    new_line = True
    for sentence in SENTENCE.split(text):
        if new_line:  # a line opening without a part ends the part; the text's first keeps its context's
            opened = PART_HEAD.match(sentence)
            para_part = opened.group(1) if opened else para_part if not offset else ""
        new_line = sentence.endswith("\n")
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
                key = placed(replace(subject, stage=stage), sentence, m.start, clause) if subject else None
                out.append(Statement(mm, clause, "level", key, bool(NET.search(sentence[: m.start]))))
                continue
            key = phrase_key(clause, report_kind, items)
            subject = key  # an amount of something unkeyed: what follows can't lean on an older subject
            if key is not None:
                key = placed(key, sentence, m.start, clause)
            out.append(Statement(mm, clause, "level", key, bool(NET.search(sentence[: m.start]))))
        offset += len(sentence)
    return tuple(out)


# ---------------------------------------------------------------------------------------- roles
# Each figure of a sentence gets a role: 预算 / 调整预算 / 执行数 / 决算 / 上年 / 本年 / 预算安排 (levels),
# 变动额 (a change), 增减率 / 占比 / 完成率 (percentages). A rate is recomputed only from figures whose
# roles it needs, of its own sentence (or, for "与上年相比，…减少C，下降Y%", of the sentence before):
# a change belongs to the nearest amount of its period and item, whatever words stand between them.

# words holding 预算 or 上年 that name a fund or an item, not a stage
NOT_STAGE = re.compile(
    r"(?:一般公共|政府性基金|国有资本经营|社会保险基金)预算|部门预算|单位预算|预算单位|预算管理|预算内|预算外|"
    r"上年(?:度)?结转|上年(?:度)?结余|以前年度|预算稳定调节基金"
)
COMPARISON = re.compile(r"(?:与|和|同)[^，,；;]{0,20}?相比|(?:比|较|同比|对比)[^，,；;]{0,24}?$")
CHANGE_VERB = re.compile(
    r"(增加|减少|增长|下降|上升|提高|降低|增收|减收|增支|减支|增|减|多|少|节约|超支|调增|调减)了?(?:约|为)?$"
)
RATE_VERB = re.compile(r"(增加|减少|增长|下降|上升|提高|降低|增幅|降幅|增|减)(?:幅度)?(?:了|为|达|约)?$")
UP_WORDS = ("增加", "增长", "上升", "提高", "增幅", "增", "多", "超支", "调增", "增收", "增支")
COMPLETION_CUE = re.compile(
    r"(?:预算(?:数)?的|(?:完成|为)[^，,；;]{0,8}预算[^，,；;]{0,16}的|执行率|完成率|执行进度|完成比例|完成进度)(?:为|是|达到?)?$"
)
SHARE_CUE = re.compile(r"占[^，,；;]*?$|比重(?:为)?$|占比(?:为)?$")
LEVEL_ROLES = (
    ("上年", re.compile(r"上年|上一年|去年")),
    ("调整预算", re.compile(r"调整(?:后的?)?预算|调整预算|调整为|调整数")),
    ("执行数", re.compile(r"执行数|预计执行|执行(?:为|了)?$|预算执行")),
    ("预算安排", re.compile(r"预算安排|安排|预算草案")),
    ("决算", re.compile(r"决算|实际完成|实际支出|实际收入|完成(?:了)?(?:为)?$|完成数|实际执行")),
    ("预算", re.compile(r"预算")),
)
CURRENT_ROLES = ("本年", "决算", "执行数", "预算安排")
SENTENCE_END = re.compile(
    r"[。！？!?]|(?<=[\u4e00-\u9fff%）)”])\.(?!\d)|\n(?=\s*(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|第[一二三四五六七八九十]+部分))"
)
CLAUSE = re.compile(r"[，,；;：:（()）]")


@dataclass(frozen=True)
class Figure:
    """One figure of a sentence with its role, the year its clause names and the words before it."""

    mention: Mention  # offsets in the text read
    role: str  # a level role, 变动额, 增减率, 占比, 完成率 or "" (a percentage of no known kind)
    direction: int  # +1 / −1 for 变动额 and 增减率, else 0
    period: int | None  # "2025年…" in its clause
    clause: str  # the clause before it, without spaces
    lead: str  # the words since the figure before it in the sentence, without spaces
    sentence: int  # index of its sentence in the text
    opens: bool = False  # its sentence begins with a comparison ("与上年相比，…") and states no level first
    segment: int = 0  # how many "；" stand before it in its sentence: list items are segments
    bracketed: bool = (
        False  # inside "（…）": a part or a note of the figure before ("预算36.3亿元（其中：开发区4.6亿元）")
    )

    @property
    def level(self) -> bool:
        return self.role in CURRENT_ROLES + ("预算", "调整预算", "上年")


def _compact(s: str) -> str:
    return re.sub(r"\s+", "", s)


def _role(m: Mention, clause: str) -> tuple[str, int]:
    if m.unit == "%":
        v = RATE_VERB.search(clause)
        if v and not COMPLETION_CUE.search(clause):
            return "增减率", 1 if v.group(1) in UP_WORDS else -1
        if COMPLETION_CUE.search(clause):
            return "完成率", 0
        if SHARE_CUE.search(clause):
            return "占比", 0
        return "", 0
    v = CHANGE_VERB.search(clause)
    if v:
        return "变动额", 1 if v.group(1) in UP_WORDS else -1
    if re.match(r"(?:比|较|同比|对比)", clause):  # "比2025年预算执行数A万元增加…": the base compared with
        return _target_role(clause, None) or "上年", 0
    words = COMPARISON.sub("", NOT_STAGE.sub("", clause))
    for role, pattern in LEVEL_ROLES:
        if pattern.search(words):
            return role, 0
    return "本年", 0


def sentence_spans(text: str) -> list[tuple[int, int]]:
    out, start = [], 0
    for m in SENTENCE_END.finditer(text):
        out.append((start, m.end()))
        start = m.end()
    if start < len(text):
        out.append((start, len(text)))
    return out


@lru_cache(maxsize=512)
def read_figures(text: str) -> tuple[Figure, ...]:
    """Every money amount and percentage of `text`, in order, each with its role (read once per text:
    every check of an audit reads the same passages)."""
    out: list[Figure] = []
    for si, (a, b) in enumerate(sentence_spans(text)):
        sentence = text[a:b]
        prev_end = 0
        seen_level = False
        opens = bool(re.match(r"\s*(?:与|同|和)[^，,；;]{0,20}?相比|\s*(?:比|较|同比)", sentence))
        for m in mentions(sentence):
            lead = _compact(sentence[prev_end : m.start])
            clause = CLAUSE.split(_compact(sentence[: m.start]))[-1]
            role, direction = _role(m, clause)
            year = YEAR.findall(clause)
            mm = replace(m, start=m.start + a, end=m.end + a)
            segment = len(re.findall(r"[；;]", sentence[: m.start]))
            period = int(year[-1]) if year else None
            head = sentence[: m.start]
            bracketed = head.count("（") + head.count("(") > head.count("）") + head.count(")")
            out.append(
                Figure(mm, role, direction, period, clause, lead, si, opens and not seen_level, segment, bracketed)
            )
            seen_level = seen_level or role in CURRENT_ROLES
            prev_end = m.end
    return tuple(out)


# ---------------------------------------------------------------------------------------- derived
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
    certain: bool = True  # every role it needs was read from its own sentence (else: why not, in `why`)
    why: str = ""

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


def _yuan(f: Figure) -> tuple[Decimal, Decimal]:
    m = f.mention
    lo, hi = _interval(m.text[: -len(m.unit)].strip())
    factor = UNIT_FACTOR.get(m.unit, Decimal(1))
    return lo * factor, hi * factor


def _ratio(num: tuple[Decimal, Decimal], den: tuple[Decimal, Decimal]) -> tuple[Decimal, Decimal] | None:
    if den[0] <= 0:
        return None
    vals = [n / d * 100 for n in num for d in den]
    return min(vals), max(vals)


def _sub(a: tuple[Decimal, Decimal], b: tuple[Decimal, Decimal]) -> tuple[Decimal, Decimal]:
    return a[0] - b[1], a[1] - b[0]


def _add(a: tuple[Decimal, Decimal], b: tuple[Decimal, Decimal]) -> tuple[Decimal, Decimal]:
    return a[0] + b[0], a[1] + b[1]


def _amount(f: Figure) -> str:
    return _compact(f.mention.text)


def _target_role(words: str, current: Figure | None) -> str:
    """The role a comparison names: "比2025年预算执行数" → 执行数, "比年初预算" → 预算, "比上年" → 上年."""
    words = NOT_STAGE.sub("", words)
    if "执行" in words:
        return "执行数"
    if "调整" in words:
        return "调整预算"
    if "决算" in words and "上年" not in words:
        return "决算"
    if "预算" in words and "上年" not in words:
        return "预算"
    years = [int(y) for y in YEAR.findall(words)]
    if "上年" in words or "去年" in words or (years and current and current.period and years[-1] < current.period):
        return "上年"
    return ""


def _compared_words(figs: Sequence[Figure], i: int) -> str:
    """The words naming what a change or rate is measured against, in its clause or its change's."""
    for f in (figs[i], figs[i - 1] if i > 0 and figs[i - 1].role == "变动额" else None):
        if f is None:
            continue
        m = re.search(r"(?:比|较|与|同比|对比)(.*)$", f.clause)
        if m:
            return m.group(1)
        if f.opens:
            return "上年"
    return ""


def _window(figs: Sequence[Figure], i: int, back: bool) -> tuple[list[Figure], bool]:
    """The figures before figs[i] in its sentence; when `back` and none of them is a current level, the
    sentence before's too (certain only when figs[i]'s sentence opens with a comparison)."""
    s = figs[i].sentence
    own = [f for f in figs[:i] if f.sentence == s and not f.bracketed]
    if not back or any(f.level and f.role != "上年" for f in own):
        return own, True
    before = [f for f in figs[:i] if f.sentence == s - 1 and not f.bracketed]
    certain = any(f.opens for f in own + [figs[i]])
    return before + own, certain


def _make(
    kind: str,
    f: Figure,
    rng: tuple[Decimal, Decimal] | None,
    how: str,
    inputs: tuple[str, ...],
    quote: str,
    certain: bool,
    why: str = "",
) -> Derived | None:
    if rng is None:
        return None
    m = f.mention
    return Derived(
        kind,
        m.end,
        m.value,
        rng[0],
        rng[1],
        m.decimals,
        f"{how} = {(rng[0] + rng[1]) / 2:.2f}%",
        quote,
        inputs,
        certain,
        why,
    )


def change_subject(clause: str) -> str:
    """What a change clause names before its comparison and verb: "今年本级安排比上年增加" → "本级安排"."""
    head = re.split(r"比|较|同比|与|和", clause)[0]
    head = CHANGE_VERB.sub("", head)
    return re.sub(r"今年|本年|当年|全年|各|均|共|分别|合计|相应|预计|20\d\d年度?", "", head)


def _growth(figs: Sequence[Figure], i: int, quote: str) -> Derived | None:
    rate = figs[i]
    target = _target_role(_compared_words(figs, i), None)
    change = figs[i - 1] if i > 0 and figs[i - 1].role == "变动额" and figs[i - 1].sentence == rate.sentence else None
    if change is not None:
        if change.direction != rate.direction:
            return None
        window, certain = _window(figs, i - 1, back=True)
        levels = [f for f in window if f.level]
        # the base compared with is stated in the change's own list item ("…；公务接待费B，比预算A增加C")
        same = [f for f in levels if f.sentence == change.sentence and f.segment == change.segment]
        years = [int(y) for y in YEAR.findall(_compared_words(figs, i))]
        # "2026年预算B，比2025年预算减少C": a 预算 of another year than the one compared with is not the base
        base = next(
            (
                f
                for f in reversed(same)
                if target and f.role == target and not (years and f.period and f.period != years[-1])
            ),
            None,
        )
        delta = _yuan(change)
        why = "" if certain else "变动额与金额不在同一句，按上一句的金额推算"
        if base is not None:  # "上年P，本年B，增加C，增长Y%" / "比预算A增加C，增长Y%": Y = C/P
            return _make(
                "growth_rate",
                rate,
                _ratio(delta, _yuan(base)),
                f"{_amount(change)}/{_amount(base)}",
                (_amount(base), _amount(change)),
                quote,
                certain,
                why,
            )
        # the amount the change belongs to: the period's own (决算, 执行数, 本年…), a 预算 only when none is stated
        current = next((f for f in reversed(levels) if f.role in CURRENT_ROLES), None) or next(
            (f for f in reversed(levels) if f.role != "上年"), None
        )
        if current is None:
            return None
        subject = change_subject(change.clause)
        if subject and not any(subject[k : k + 2] in current.clause for k in range(len(subject) - 1)):
            certain, why = False, f"变动额说的是「{subject}」，与金额「{current.clause}」未必是同一项"
        up = change.direction > 0
        prior = _sub(_yuan(current), delta) if up else _add(_yuan(current), delta)
        how = f"{_amount(change)}/({_amount(current)}{'−' if up else '+'}{_amount(change)})"
        return _make(
            "growth_rate", rate, _ratio(delta, prior), how, (_amount(current), _amount(change)), quote, certain, why
        )
    # the 预算编制说明 form: "2025年…执行数为A，2026年预算安排B，比2025年预算执行数增加Z%": Z = (B−A)/A
    window, certain = _window(figs, i, back=True)
    money = [f for f in window if f.mention.unit != "%"]
    if not money or not money[-1].level or not target:
        return None
    current = money[-1]
    words = _compared_words(figs, i)
    years = [int(y) for y in YEAR.findall(words)]
    base = next(
        (
            f
            for f in reversed(money[:-1])
            if f.level and (f.role == target or (years and f.period == years[-1] and f.role != "变动额"))
        ),
        None,
    )
    if base is None or current.role == base.role and current.period == base.period:
        return None
    diff = _sub(_yuan(current), _yuan(base))
    if rate.direction < 0:
        diff = (-diff[1], -diff[0])
    how = (
        f"({_amount(current)}−{_amount(base)})/{_amount(base)}"
        if rate.direction > 0
        else (f"({_amount(base)}−{_amount(current)})/{_amount(base)}")
    )
    why = "" if certain else "两个金额不在同一句"
    return _make(
        "budget_change", rate, _ratio(diff, _yuan(base)), how, (_amount(base), _amount(current)), quote, certain, why
    )


def _completion(figs: Sequence[Figure], i: int, quote: str) -> Derived | None:
    """完成预算的Z% / 执行率Z%: Z = the actual (决算, 执行数) over the budget of the same item."""
    rate = figs[i]
    window, certain = _window(figs, i, back=True)
    money = [f for f in window if f.mention.unit != "%" and f.level]
    adjusted = "调整" in rate.clause
    budget = next(
        (f for f in reversed(money) if f.role == ("调整预算" if adjusted else "预算"))
        or (f for f in reversed(money) if f.role in ("预算", "调整预算")),
        None,
    )
    actual = next((f for f in reversed(money) if f.role in ("决算", "执行数", "本年")), None)
    if budget is None or actual is None:
        return None
    # "…一般债务转贷收入B；全市支出A，为预算的Z%": the list item of the rate states no budget of its own
    if actual.segment == rate.segment and budget.sentence == rate.sentence and budget.segment != rate.segment:
        return None
    how = f"{_amount(actual)}/{_amount(budget)}"
    why = "" if certain else "预算数与完成数不在同一句"
    return _make(
        "execution_rate",
        rate,
        _ratio(_yuan(actual), _yuan(budget)),
        how,
        (_amount(budget), _amount(actual)),
        quote,
        certain,
        why,
    )


# a unit with no figure before it ("一般公共预算收入 亿元,完成预算1 2221.7 101.1%"): the figures of the
# sentence were set apart from their words and read out of place (or a watermark ran through the text)
ORPHAN_UNIT = re.compile(r"(?<![\d百千万亿数几多余一二三四五六七八九十两：:（(／/每为])(?:亿元|万元)")
GARBLED_WHY = "句中有金额缺了数字（文字提取时数字可能错位），不能确定各数字属于哪一项"


def garbled(text: str) -> bool:
    """A sentence whose figures may not stand next to their words (see ORPHAN_UNIT)."""
    return bool(ORPHAN_UNIT.search(_compact(text)))


def derived_figures(
    text: str,
    resolve: Callable[[str], Decimal | None] | None = None,
    context: str = "",
    year: int | None = None,
) -> list[Derived]:
    """增加X，增长Y% → Y = X/(A−X); 减少X，下降Y% → Y = X/(A+X); 完成预算B的Z% / 执行率 → Z = A/B;
    A…B，比…增加Z% → Z = (B−A)/A; "其中…B，占W%" / "占<whole>的W%" → W = B/whole. `resolve` gives
    the amount (元) of a named whole that the sentence does not state, from the report's tables — of
    the report's own period only: a sentence of another (`other_period` with `context` and `year`)
    gets no whole from them."""
    figs = read_figures(text)
    spans = sentence_spans(text)
    out: list[Derived] = []
    for i, f in enumerate(figs):
        a, b = spans[f.sentence]
        quote = _compact(text[a:b])
        d = None
        if f.bracketed:
            continue  # "（其中：市本级为预算的100.6%）": its amounts are not stated
        if f.role == "增减率":
            d = _growth(figs, i, quote)
        elif f.role == "完成率":
            d = _completion(figs, i, quote)
        if d is not None and f.sentence and not all(x in quote for x in d.inputs):
            before = _compact(text[spans[f.sentence - 1][0] : a])  # its amount stands in the sentence before
            d = replace(d, quote=before + quote)
        if d is not None and garbled(d.quote):
            d = replace(d, certain=False, why=GARBLED_WHY)
        if d is not None:
            out.append(d)
    done = {d.end for d in out}
    out += [d for d in _shares(text, resolve, context, year) if d.end not in done]
    return out


SHARE = re.compile(AMOUNT + r"\s*(万元|元|亿元)[，,、\s]*占([^\d。；%]{0,20}?)(\d+(?:\.\d+)?)%")


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


def _shares(
    text: str, resolve: Callable[[str], Decimal | None] | None, context: str = "", year: int | None = None
) -> list[Derived]:
    out: list[Derived] = []
    offset = 0
    before: tuple[str, list[Mention]] = ("", [])
    tables = resolve
    for sentence in SENTENCE.split(text):
        has_share = tables is not None and year is not None and SHARE.search(sentence)
        resolve = None if has_share and other_period(sentence, context, year) else tables  # another period's
        money = [m for m in mentions(sentence) if m.yuan is not None]
        for m in SHARE.finditer(sentence):
            part = _interval(m.group(1))
            factor = UNIT_FACTOR[m.group(2)]
            part_yuan = (part[0] * factor, part[1] * factor)
            named = re.sub(r"的$", "", m.group(3).strip())
            whole: tuple[Decimal, Decimal] | None = None
            how_whole = ""
            if named:  # "占政府采购支出总额的100%": the amount of that name, in the sentence or the tables
                # …stated before it in this sentence, or in the sentence before ("…支出总额6.95万元，其中…。…占
                # 政府采购支出总额的100%")
                pool = [(sentence, w) for w in money if w.start < m.start()] + [(before[0], w) for w in before[1]]
                for where, w in pool:
                    clause = _clause_before(where, w.start)
                    if clause and (clause.endswith(named) or named.endswith(clause[-6:])):
                        lo, hi = _interval(w.text[: -len(w.unit)].strip())
                        f = UNIT_FACTOR[w.unit]
                        whole, how_whole = (lo * f, hi * f), w.text
                        break
                if whole is None and resolve is not None:
                    v = resolve(named)
                    if v:
                        whole, how_whole = (v, v), f"{named}（表）"
            else:
                head = sentence[: m.start()]
                subject = re.search(r"([^，,。；;：:]{2,40}?)中[，,]", head)
                # the whole is the amount right before the list word nearest the share ("合计W，其中：…，占x%"),
                # in the same "；" item: "收入…包括：A、B；支出包括：C，占x%" has no whole stated
                lists = list(re.finditer(r"其中|主要用于|包括", head))
                first = None
                if lists:
                    before = [w for w in money if w.end <= lists[-1].start()]
                    if before and not re.search(r"[；;]", sentence[before[-1].end : lists[-1].start()]):
                        first = before[-1]
                if first is not None and not re.search(r"增加|减少|比", sentence[: first.start][-12:]):
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
            if d and how_whole.endswith("（表）") and SUBSET.search(sentence):
                d = replace(d, certain=False, why="评价涉及资金的口径可能与表中的总额不同")
            if d:
                out.append(d)
        if sentence.strip():
            before = (sentence, money)
        offset += len(sentence)
    return out
