"""Checks of a report's running text: rates against their amounts, direction words against numbers,
zero totals, parts against wholes, year references and placeholders.

Every check reads sentences through ingest/statements.py (figures with roles); a relation is an 错误 only
when every role it needs was read in its own sentence — else 提示, saying what is unsure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from decimal import Decimal

from ingest.facts import UNIT_FACTOR
from ingest.model import Chunk
from ingest.statements import (
    GARBLED_WHY,
    Derived,
    Figure,
    change_subject,
    derived_figures,
    garbled,
    read_figures,
    sentence_spans,
)
from rag.audit_model import Finding, unique_findings

MESSAGES = {
    "budget_change": "增减比例与两个年度的金额不符",
    "growth_rate": "增幅与金额不符",
    "execution_rate": "完成预算比例（执行率）与金额不符",
    "share": "占比与金额不符",
}
OPPOSITE = {
    "增加": "减少",
    "增长": "下降",
    "减少": "增加",
    "下降": "增长",
    "上升": "下降",
    "提高": "降低",
    "降低": "提高",
}


def _text_chunks(chunks: Iterable[Chunk]) -> list[Chunk]:
    return [c for c in chunks if c.kind == "text"]


def _pct(v: Decimal, decimals: int) -> str:
    return f"{v:.{decimals}f}%"


def _short_quote(d: Derived) -> str:
    """The list item ("；" segment) of a long sentence holding the rate, with those before it up to its amounts."""
    parts = re.split(r"(?<=[；;])", d.quote)
    at = next((i for i, p in enumerate(parts) if f"{d.stated}%" in p), None)
    if at is None:
        return d.quote
    start = at
    while start > 0 and not all(x in "".join(parts[start : at + 1]) for x in d.inputs):
        start -= 1
    return "".join(parts[start : at + 1])


def _rate_finding(c: Chunk, d: Derived) -> Finding:
    d = replace(d, quote=_short_quote(d))
    computed = d.computed
    shown = _pct(abs(computed), max(d.decimals, 2) if d.status == "mismatch" else d.decimals)
    word = re.search(r"(增加|增长|减少|下降|上升|提高|降低)[^\d%]{0,4}" + re.escape(str(d.stated)) + "%", d.quote)
    expected = shown
    fix = ""
    if word and computed < 0:  # the amounts move the other way: "增加17.62%" where they fell by 91.11%
        expected = f"{OPPOSITE.get(word.group(1), '')}{shown}"
        fix = d.quote.replace(word.group(0), expected, 1)
    elif word:
        fix = d.quote.replace(word.group(0), word.group(0).replace(f"{d.stated}%", shown), 1)
    severity = "error" if d.status == "mismatch" and d.certain else "info"
    why = (
        d.why if d.status == "mismatch" and not d.certain else "差在末位，可能是尾数" if d.status == "rounding" else ""
    )
    return Finding(
        d.kind,
        severity,
        f"{MESSAGES[d.kind]}：按金额计算应为{expected}，文中为{d.stated}%",
        expected,
        f"{d.stated}%",
        c.page,
        c.section,
        d.quote[:300],
        cells=d.inputs,
        arithmetic=d.how,
        fix=fix[:300],
        why=why,
    )


def rate_findings(
    chunks: list[Chunk], resolve: Callable[[str], Decimal | None] | None, year: int | None = None
) -> list[Finding]:
    """Growth rates, A→B changes, execution rates and shares recomputed from the amounts they refer to
    (a share's whole from the tables only for a sentence of the report's own year)."""
    out: list[Finding] = []
    for c in _text_chunks(chunks):
        for d in derived_figures(c.text, resolve, c.section, year):
            if d.status != "verified":
                out.append(_rate_finding(c, d))
    return out


# ---------------------------------------------------------------------------------------- direction
DIRECTION = re.compile(
    r"(决算|实际|执行)数?(?:比|较)?(?:年初|全年|调整后?)?(?:预算)?数?(大于|小于|高于|低于|超过|少于|多于|等于)"
    r"(?:年初|全年|调整后?)?预算"
)
MORE = ("大于", "高于", "超过", "多于")


def _half(f: Figure) -> Decimal:
    return f.mention.half_step_yuan()


def _sentences(c: Chunk) -> list[tuple[int, str, list[Figure]]]:
    figs = read_figures(c.text)
    out = []
    for i, (a, b) in enumerate(sentence_spans(c.text)):
        out.append((i, re.sub(r"\s+", "", c.text[a:b]), [f for f in figs if f.sentence == i]))
    return out


def direction_findings(chunks: list[Chunk]) -> list[Finding]:
    """ "决算数大于年初预算数" against the 预算 and 决算 amounts the paragraph gives the same item; "比上年
    增加C" against the two years' amounts of its sentence."""
    out: list[Finding] = []
    for c in _text_chunks(chunks):
        sents = _sentences(c)
        for i, sentence, figs in sents:
            m = DIRECTION.search(sentence)
            if m:
                # the amounts of this sentence, or the sentence before (the "主要原因" sentence follows them)
                pool = figs if any(f.role == "预算" for f in figs) else (sents[i - 1][2] if i else [])
                budgets = [f for f in pool if f.role in ("预算", "调整预算")]
                actuals = [f for f in pool if f.role in ("决算", "执行数")]
                # one 预算 and one 决算 in reach: no other item's amounts to mistake them for
                budget = budgets[0] if len(budgets) == 1 else None
                actual = actuals[0] if len(actuals) == 1 else None
                if budget is not None and actual is not None and budget.mention.yuan is not None:
                    a, b = actual.mention.yuan, budget.mention.yuan
                    assert a is not None
                    tol = _half(actual) + _half(budget)
                    word = m.group(2)
                    wrong = (
                        (word in MORE and a < b - tol)
                        or (word in ("小于", "低于", "少于") and a > b + tol)
                        or (word == "等于" and abs(a - b) > tol)
                    )
                    if wrong:
                        right = "小于" if a < b else "大于" if a > b else "等于"
                        quote = (sents[i - 1][1] if pool is not figs and i else "") + sentence
                        out.append(
                            Finding(
                                "direction",
                                "error",
                                f"方向与数字不符：文中说决算数「{word}」预算数，"
                                f"但决算{actual.mention.text}{'<' if a < b else '>'}预算{budget.mention.text}",
                                right,
                                word,
                                c.page,
                                c.section,
                                quote[:300],
                                cells=(f"预算 {budget.mention.text}", f"决算 {actual.mention.text}"),
                                arithmetic=f"{actual.mention.text} − {budget.mention.text}",
                                fix=sentence.replace(m.group(2), right, 1)[:300],
                            )
                        )
            found = _change_direction(c, sentence, figs)
            if garbled(sentence):  # its figures may not stand beside their words: not a certain contradiction
                found = [replace(f, severity="info", why=GARBLED_WHY) for f in found]
            out += found
    return out


def _item_tail(clause: str) -> str:
    """The item a clause names last: "其中一般公共预算拨款收入25.6万元、政府性基金拨款收入" → 政府性基金拨款收入."""
    tail = re.split(r"其中|包括|、|\d[\d,.]*(?:亿元|万元|元)", clause)[-1]
    return re.sub(r"20\d\d年度?|今年|本年|当年|全年", "", tail)


def _changed_amount(before: list[Figure], change: Figure) -> Figure | None:
    """The amount a change belongs to: the nearest level, unless the change names its own item
    ("…、政府性基金拨款收入0万元，本部门预算收入较上年增加C": C is the 预算收入's, stated before the list)."""
    own = change_subject(change.clause)
    levels = [g for g in reversed(before) if g.role != "上年"]
    if not levels:
        return None
    if len(own) < 2 or _item_tail(levels[0].clause).endswith(own):
        return levels[0]
    named = next((g for g in levels if _item_tail(g.clause).endswith(own)), None)
    if named is not None:
        return named
    # the nearest amount is a part of a list and the change names another item: whose change it is is unsure
    return None if re.search(r"其中|包括|、", levels[0].clause) else levels[0]


def _change_direction(c: Chunk, sentence: str, figs: list[Figure]) -> list[Finding]:
    """ "本年B，上年P，增加C" with B < P; "0万元，比上年增加N万元"; "持平" beside two different amounts."""
    out: list[Finding] = []
    for k, f in enumerate(figs):
        if f.role != "变动额" or f.mention.yuan is None or not f.mention.yuan:
            continue
        before = [g for g in figs[:k] if g.level and g.mention.yuan is not None]
        prior = next((g for g in reversed(before) if g.role == "上年"), None)
        current = _changed_amount(before, f)
        if current is None:
            continue
        cur = current.mention.yuan
        assert cur is not None
        if prior is not None and prior.mention.yuan is not None:
            diff = cur - prior.mention.yuan
            tol = _half(current) + _half(prior) + _half(f)
            if abs(diff) > tol and (diff > 0) != (f.direction > 0):
                out.append(
                    Finding(
                        "direction",
                        "error",
                        f"增减方向与金额不符：{current.mention.text}比{prior.mention.text}"
                        f"{'多' if diff > 0 else '少'}，文中却说{'增加' if f.direction > 0 else '减少'}",
                        "增加" if diff > 0 else "减少",
                        "增加" if f.direction > 0 else "减少",
                        c.page,
                        c.section,
                        sentence[:300],
                        cells=(current.mention.text, prior.mention.text, f.mention.text),
                        arithmetic=f"{current.mention.text} − {prior.mention.text}",
                    )
                )
            continue
        if cur == 0 and f.direction > 0 and current.role in ("本年", "决算"):
            out.append(
                Finding(
                    "zero_total",
                    "error",
                    f"金额为0却说比上年增加{f.mention.text}：上年数将为负数",
                    f"0万元则应为减少，或金额不应为0（上年{f.mention.text}以上）",
                    f"{current.mention.text}，增加{f.mention.text}",
                    c.page,
                    c.section,
                    sentence[:300],
                    cells=(current.mention.text, f.mention.text),
                    arithmetic=f"{current.mention.text} − {f.mention.text} < 0",
                )
            )
    flat_in = {i for i, part in enumerate(re.split(r"[；;]", sentence)) if re.search(r"(?<!基本)(?<!大致)持平", part)}
    if flat_in:
        changes = [f for f in figs if f.role == "变动额" and f.mention.yuan and f.segment in flat_in]
        if changes:
            f = changes[0]
            out.append(
                Finding(
                    "direction",
                    "info",
                    f"文中说「持平」，同一句又有变动额{f.mention.text}",
                    "持平则变动额为0",
                    f.mention.text,
                    c.page,
                    c.section,
                    sentence[:300],
                    cells=(f.mention.text,),
                    why="「持平」与变动额可能说的是不同项目",
                )
            )
    return out


# ---------------------------------------------------------------------------------------- parts
COMPLEMENTS = ({"税收收入", "非税收入"}, {"人员经费", "公用经费"})


def _item(clause: str) -> str:
    clause = re.sub(r"^(?:其中|分别为|包括)[：:]?", "", clause)
    return re.sub(r"(?:为|是|共|合计|计)$", "", re.sub(r"20\d\d年度?", "", clause))


def _in_brackets(text: str, at: int) -> bool:
    head = text[:at]
    return head.count("（") + head.count("(") > head.count("）") + head.count(")")


LIST_WORD = re.compile(r"其中|包括")


NESTED = re.compile(r"其中|包括|主要是|主要用于|主要包括|用于|含|分别")
# a list item that is not a part but another statement ("；2017年下达…", "偿还…", "调减…")
NOT_A_PART = re.compile(r"20\d\d年|下达|偿还|调增|调减|增收|减收|增支|减支|举借|转贷|计提|完成|比|较|同比")


def _list_parts(raw: str, base: int, figs: list[Figure]) -> tuple[Figure, list[Figure]] | None:
    """The whole before "其中/包括" and its parts: the amounts of the list, each "；" item's up to a nested
    list or bracket (a part broken down further: "本金A（一般债券B，专项债券C）"); the list ends at an
    item that states something else. None when the list can't be told."""
    m = next((x for x in LIST_WORD.finditer(raw) if not _in_brackets(raw, x.start())), None)
    if m is None:
        return None
    at = base + m.start()
    money = [f for f in figs if f.mention.unit != "%"]
    pre = [f for f in money if f.mention.start < at and not _in_brackets(raw, f.mention.start - base)]
    if not pre or not pre[-1].level or pre[-1].role == "上年":
        return None
    if re.search(r"[；;]", raw[pre[-1].mention.start - base : m.start()]):
        return None  # "…；其中…": the list is of an amount before the "；", not the one next to it
    parts: list[Figure] = []
    closed: set[int] = set()
    head = re.sub(r"(?:为|是|共|共计|达|合计为)$", "", pre[-1].clause)[-4:]
    whole_yuan = pre[-1].mention.yuan
    if whole_yuan is not None:
        whole_yuan -= pre[-1].mention.half_step_yuan()
    for f in money:
        local = f.mention.start - base
        if f.mention.start < at or _in_brackets(raw, local) or f.role == "变动额":
            continue
        seg = max(raw.rfind("；", 0, local), raw.rfind(";", 0, local), m.end() - 1) + 1
        item = re.split(r"[，,：:、]", raw[seg:local])[-1]
        # another statement; the same kind of whole for another body ("市级…债务限额A，其中…；县区…债务限额B");
        # "19，481万元" read as 481
        if NOT_A_PART.search(item) or re.search(r"\d，$", raw[:local]) or (len(head) >= 3 and item.endswith(head)):
            break
        flows = {w for w in ("收入", "支出") if w in pre[-1].clause}
        if flows and any(w in item for w in {"收入", "支出"} - flows):
            break  # "收入A，其中…；支出B": a part of an income is never a spending
        if parts and whole_yuan is not None and sum((p.mention.yuan or 0 for p in parts), Decimal(0)) >= whole_yuan:
            break  # the list has made its whole: what follows is another statement
        nested = NESTED.search(raw, max(seg, m.end()), local) or re.search(r"[：:]", raw[max(seg, m.end() + 1) : local])
        if nested:
            closed.add(f.segment)
        if f.segment in closed or not f.level or f.role == "上年":
            continue
        parts.append(f)
    return pre[-1], parts


def _classifications(parts: list[Figure], whole: Decimal, tol: Decimal) -> bool:
    """The list classifies the whole twice or more ("按地区…；按性质…"): consecutive runs each sum to it."""
    run, runs = Decimal(0), 0
    for p in parts:
        run += p.mention.yuan or Decimal(0)
        if abs(run - whole) <= tol:
            run, runs = Decimal(0), runs + 1
    return runs >= 2 and run == 0


BALANCE = re.compile(r"(?:当年|本年)?收支(?:相抵后?)?结余(?:为)?$|当年结余(?:为)?$")


def _balance(c: Chunk, figs: Sequence[Figure], spans: list[tuple[int, int]]) -> list[Finding]:
    """ "社会保险基金收入A…。…社会保险基金支出B…。当年收支结余C": C = A − B, when the 收入 and 支出 name the
    same fund (their clauses equal but for 收入/支出) within the three sentences before."""
    out: list[Finding] = []
    for k, f in enumerate(figs):
        if f.mention.unit == "%" or not BALANCE.search(f.clause) or f.mention.yuan is None:
            continue
        near = [
            g
            for g in figs[:k]
            if g.sentence >= f.sentence - 3
            and g.level
            and g.mention.unit == f.mention.unit
            and not LIST_WORD.search(c.text, spans[g.sentence][0], g.mention.start)  # a part of a list
        ]
        income = next((g for g in reversed(near) if g.clause.endswith("收入")), None)
        spend = next((g for g in reversed(near) if g.clause.endswith("支出")), None)
        if income is None or spend is None or income.clause[:-2] != spend.clause[:-2] or len(income.clause) < 4:
            continue
        a, b, r = income.mention.yuan, spend.mention.yuan, f.mention.yuan
        assert a is not None and b is not None
        if abs((a - b) - r) <= _half(income) + _half(spend) + _half(f):
            continue
        unit = f.mention.unit
        diff = _plain((a - b) / UNIT_FACTOR[unit])
        arithmetic = f"{_compact_text(income)} − {_compact_text(spend)} = {diff}{unit}"
        out.append(
            Finding(
                "parts_whole",
                "error",
                f"结余与收入、支出不符：{arithmetic}，文中结余为{f.mention.text}",
                f"{diff}{unit}",
                _compact_text(f),
                c.page,
                c.section,
                re.sub(r"\s+", "", c.text[spans[income.sentence][0] : spans[f.sentence][1]])[:300],
                cells=(income.mention.text, spend.mention.text, f.mention.text),
                arithmetic=arithmetic,
            )
        )
    return out


def _compact_text(f: Figure) -> str:
    return re.sub(r"\s+", "", f.mention.text)


def parts_findings(chunks: list[Chunk]) -> list[Finding]:
    """ "合计W，其中：A，占a%；B，占b%…": parts above the whole, or a list whose shares make 100% (a full
    list) or that is a known pair (税收+非税, 人员经费+公用经费) not summing to the whole; shares over 100%;
    "收入A…支出B…当年收支结余C" with C ≠ A − B."""
    out: list[Finding] = []
    for c in _text_chunks(chunks):
        figs_all = read_figures(c.text)
        spans = sentence_spans(c.text)
        out += _balance(c, figs_all, spans)
        for i, (a, b) in enumerate(spans):
            raw = c.text[a:b]
            sentence = re.sub(r"\s+", "", raw)
            figs = [f for f in figs_all if f.sentence == i]
            found = _list_parts(raw, a, figs)
            if found is None:
                continue
            whole, parts = found
            if len(parts) < 2 or whole.mention.yuan is None:
                continue
            if len({p.mention.unit for p in parts} | {whole.mention.unit}) > 1 or re.search(r"占[^%]{2,}的", sentence):
                continue
            shares = [f for f in figs if f.role == "占比"]
            total = sum((p.mention.yuan or Decimal(0) for p in parts), Decimal(0))
            tol = sum((_half(p) for p in parts), _half(whole))
            w = whole.mention.yuan
            names = {_item(p.clause) for p in parts}
            full = len(shares) == len(parts) and abs(sum((s.mention.value for s in shares), Decimal(0)) - 100) <= 1
            pair = any(names == pair for pair in COMPLEMENTS)
            unit = whole.mention.unit
            shown = _plain(total / UNIT_FACTOR[unit])
            arithmetic = " + ".join(re.sub(r"\s", "", p.mention.text) for p in parts) + f" = {shown}{unit}"
            if _classifications(parts, w, tol):
                continue
            if total > w + tol or (full or pair) and abs(total - w) > tol:
                out.append(
                    Finding(
                        "parts_whole",
                        "error",
                        f"分项之和与总数不符：{arithmetic}，总数为{whole.mention.text}",
                        whole.mention.text,
                        f"{shown}{unit}",
                        c.page,
                        c.section,
                        sentence[:300],
                        cells=tuple(p.mention.text for p in [whole, *parts]),
                        arithmetic=arithmetic,
                    )
                )
            if len(shares) >= 2 and not re.search(r"占[^%，,；;]{2,}的", sentence):
                s = sum((x.mention.value for x in shares), Decimal(0))
                if s > 100 + Decimal("0.05") * len(shares) + Decimal("0.01"):
                    out.append(
                        Finding(
                            "parts_whole",
                            "error",
                            f"分项占比之和为{s}%，超过100%",
                            "≤100%",
                            f"{s}%",
                            c.page,
                            c.section,
                            sentence[:300],
                            cells=tuple(x.mention.text for x in shares),
                            arithmetic=" + ".join(x.mention.text for x in shares) + f" = {s}%",
                        )
                    )
    return out


# ---------------------------------------------------------------------------------------- years, placeholders
PLACEHOLDER = re.compile(r"(?<![A-Za-z])(?:XX+|xx+)(?![A-Za-z])|×{2,}|待填写|待补充|某某|＊{2,}|\*{3,}")
PLACEHOLDER_CHARS = re.compile(r"[Xx×待某＊*]")
BAD_YEAR = re.compile(r"(?<![\d.])(20\d{3})年")
# digits threaded through words ("人民2代0表2大6会") or a date no calendar has ("022月510日"): two lines of
# text (a watermark, a header) read as one, not a typo of the report
INTERLEAVED = re.compile(r"(?:[\u4e00-\u9fff]\d){3,}[\u4e00-\u9fff]|\d{3,}月|(?<!\d)(?:[4-9]\d|\d{3,})日")
HEADING_YEAR = re.compile(r"(20\d\d)年度?(?:部门|单位)(决算|预算)(?:情况说明|公开|报告|表|编制说明)?$")
YEAR_END = re.compile(r"截[至止](20\d\d)年(?:12月31日|末|底)")
COMPARED_BUDGET = re.compile(r"(?:比|较)(20\d\d)年(?:年初)?预算")


def _finding(kind: str, message: str, expected: str, found: str, c: Chunk, quote: str, fix: str = "") -> Finding:
    return Finding(kind, "error", message, expected, found, c.page, c.section, quote[:300], fix=fix[:300])


def year_findings(chunks: list[Chunk], year: int | None, stage: str) -> list[Finding]:
    """A year the report is not about: "20201年"; a heading "2023年度部门决算…" in a 2024 决算; assets "截至
    2023年12月31日" in a 2024 决算; "比2026年预算" in a 2026 budget."""
    out: list[Finding] = []
    for c in chunks:
        text = c.text
        for m in BAD_YEAR.finditer(text):
            around = _around(text, m)
            f = _finding("year_ref", f"年份「{m.group(1)}」有误（五位数）", "四位年份", m.group(0), c, around)
            if INTERLEAVED.search(around):
                f = replace(
                    f, severity="info", why="年份附近的文字夹着别的数字（可能是水印、页眉与正文重叠），不一定是笔误"
                )
            out.append(f)
        if year is None or c.kind != "text":
            continue
        for line in [*c.section.split(" > "), *text.split("\n")]:
            h = HEADING_YEAR.search(re.sub(r"\s", "", line))
            flat = re.sub(r"\s", "", line)
            heading = len(flat) <= 60 and not re.search(r"[，,。；;]", flat)
            if h and heading and h.group(2) == stage and int(h.group(1)) != year:
                found = re.sub(r"\s", "", line)
                out.append(
                    _finding(
                        "year_ref",
                        f"标题年份不是本报告的年度（{year}年）",
                        f"{year}年",
                        f"{h.group(1)}年",
                        c,
                        found,
                        found.replace(h.group(1), str(year), 1),
                    )
                )
        if stage == "决算":
            for m in YEAR_END.finditer(text):
                if int(m.group(1)) != year:
                    out.append(
                        _finding(
                            "year_ref",
                            f"{year}年决算的年末日期写成了{m.group(1)}年",
                            f"截至{year}年",
                            m.group(0),
                            c,
                            _around(text, m),
                        )
                    )
        if stage == "预算":
            for m in COMPARED_BUDGET.finditer(text):
                if int(m.group(1)) >= year:
                    out.append(
                        _finding(
                            "year_ref",
                            f"{year}年预算与「{m.group(1)}年预算」相比：比较的应是上年",
                            f"比{year - 1}年",
                            m.group(0),
                            c,
                            _around(text, m),
                        )
                    )
    return unique_findings(out)


def placeholder_findings(chunks: list[Chunk]) -> list[Finding]:
    out: list[Finding] = []
    for c in chunks:
        if not PLACEHOLDER_CHARS.search(c.text):
            continue  # one pass of a character class; the alternation is slow over a city report's tables
        for m in PLACEHOLDER.finditer(c.text):
            out.append(
                _finding(
                    "placeholder",
                    f"正文留有占位符「{m.group(0)}」",
                    "实际名称或数字",
                    m.group(0),
                    c,
                    _around(c.text, m),
                )
            )
    return unique_findings(out)


def _plain(v: Decimal) -> str:
    s = f"{v.quantize(Decimal('0.01')):f}"
    return s.rstrip("0").rstrip(".") if "." in s else s


def _around(text: str, m: re.Match[str], width: int = 40) -> str:
    return re.sub(r"\s+", "", text[max(0, m.start() - width) : m.end() + width])
