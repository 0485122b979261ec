"""Which report a document is: body, place and level, year(s), kind and printed title, read from the
document as a whole.

Each field is decided by the strongest signal the document gives — the cover's large type, the
"部门：/单位名称：/预算单位：/编制单位：" lines of its tables, the body it names most often, the 人大 session
line, "受…人民政府委托" — and says which rule decided it and how sure it is. A field the document never
states is 未知 (UNKNOWN), never a guess from the file name alone.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from ingest.lines import Line, strip_markdown

UNKNOWN = "未知"
FINE_KINDS = (
    "部门预算",
    "部门决算",
    "单位预算",
    "单位决算",
    "绩效自评",
    "政府预算报告",
    "政府决算报告",
    "附表",
    "债务",
    "审计报告",
)
LEVELS = ("中央", "省", "市", "县", "区", "乡镇", "部门", "单位")
# A field this sure is shown without a doubt; below it `budgetqa docs` marks the field "?".
SURE = 0.8

CJK = "\u4e00-\u9fff"
# How a body's name ends (longest first where one ends another).
BODY_END = (
    r"(?:人民政府办公厅|人民政府办公室|人民政府|行政公署|管理委员会|委员会|办公厅|办公室|办事处|工作部|宣传部|组织部|统战部"
    r"|检察院|法院|研究院|研究所|设计院|医院|学院|大学|中学|小学|学校|幼儿园|图书馆|博物馆|纪念馆|文献馆|文化馆|档案馆"
    r"|中心|总队|支队|大队|局|厅|委|办|院|馆|所|站|队|会|社|台|园|部|处|室|团|场)"
)
PLACE_END = r"(?:特别行政区|自治区|自治州|自治县|综合实验区|新区|地区|省|市|州|盟|县|区|旗|镇|乡|街道)"
# Characters no place name starts with: a match starting on one is a sentence ("受市政府委托") or a
# place glued to the word before it ("年哈尔滨市本级").
NOT_START = set("年我受向在对的和与及了为由经将按从各全本该其是市省区县于关至第日月号届次")
PROVINCES = (
    "北京|天津|上海|重庆|河北|山西|辽宁|吉林|黑龙江|江苏|浙江|安徽|福建|江西|山东|河南|湖北|湖南|广东|海南|四川|贵州|云南|陕西"
    "|甘肃|青海|台湾|内蒙古|广西|西藏|宁夏|新疆|香港|澳门"
)
MUNICIPALITIES = ("北京市", "天津市", "上海市", "重庆市")

YEAR = re.compile(r"(?<!\d)(20[0-4]\d)\s*年")
# "2025年预算执行情况和2026年预算草案": a government budget report covers both years
EXEC_AND_DRAFT = re.compile(
    r"(20[0-4]\d)\s*年[^。；\n]{0,30}?执行情况[^。；\n]{0,10}?(?:和|及|与|暨|、)\s*(20[0-4]\d)\s*年[^。；\n]{0,24}?预算(?:草案|安排|（草案）)"
)
# "2021年市本级决算草案和2022年上半年预算执行情况": a 决算 with the next year's first half
FINAL_AND_HALF = re.compile(
    r"(20[0-4]\d)\s*年[^。；\n]{0,30}?决算[^。；\n]{0,16}?(?:和|及|与|暨|、)\s*(20[0-4]\d)\s*年\s*上半年"
)
LABEL = re.compile(
    r"(?:预算主管部门|主管部门名称|预算单位名称|预算单位|部门名称|单位名称|编制单位|编报单位|填报单位|部门|单位)\s*(?:[（(]盖章[）)])?\s*[：:]\s*"
    rf"([{CJK}（）()]{{3,40}})"
)
SESSION = re.compile(
    rf"([{CJK}]{{2,14}}?{PLACE_END})\s*第\s*[一二三四五六七八九十]+\s*届\s*人民代表大会\s*(?:常务委员会)?\s*第\s*[一二三四五六七八九十]+\s*次会议"
)
SESSION_SHORT = re.compile(
    rf"([{CJK}]{{2,8}}?{PLACE_END})\s*[一二三四五六七八九十]+届人大[一二三四五六七八九十]+次会议"
)
ENTRUSTED = re.compile(rf"受\s*([{CJK}]{{2,14}}?{PLACE_END})\s*人民政府委托")
PLACE_REPORT = re.compile(rf"关于\s*([{CJK}]{{2,14}}?{PLACE_END})\s*(?:20[0-4]\d)?\s*年")
PLACE_WITH_LEVEL = re.compile(rf"([{CJK}]{{2,10}}?(?:省|市|州|盟|县|区|旗))(?=本级|全市|全省|全区|全县)")
PLACE_ANY = re.compile(
    rf"(?:{PROVINCES})(?:省|市|自治区|壮族自治区|回族自治区|维吾尔自治区)?|[{CJK}]{{2,8}}?{PLACE_END}"
)
BODY_NAME = re.compile(rf"(?:中国共产党|中共)?[{CJK}]{{2,24}}?{BODY_END}(?:[（(](?:本级|汇总|机关)[）)])?")
TITLE_WORDS = re.compile(r"决算|预算|自评|绩效|报告|报表|附表|债务")


@dataclass(frozen=True)
class Identity:
    """Which report a document is. `confidence` holds 0–1 per field; `rules` which rule decided it."""

    body: str = UNKNOWN
    short_names: tuple[str, ...] = ()
    place: str = UNKNOWN
    level: str = UNKNOWN
    years: tuple[int, ...] = ()
    kind: str = UNKNOWN
    title: str = ""
    # dicts are left out of the hash: a Report (and its Identity) stays hashable like any frozen value
    confidence: dict[str, float] = field(default_factory=dict, hash=False)
    rules: dict[str, str] = field(default_factory=dict, hash=False)

    @property
    def year(self) -> int | None:
        """The report's own fiscal year: a budget report's draft year (the later), a 决算's year (the
        earlier: its second year is only the first half's execution)."""
        if not self.years:
            return None
        return min(self.years) if coarse_kind(self.kind) == "决算" else max(self.years)

    def sure(self, name: str) -> bool:
        return self.confidence.get(name, 0.0) >= SURE

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["short_names"] = list(self.short_names)
        d["years"] = list(self.years)
        return d

    @staticmethod
    def from_dict(d: dict[str, Any] | None) -> Identity:
        if not d:
            return Identity()
        return Identity(
            body=d.get("body") or UNKNOWN,
            short_names=tuple(d.get("short_names") or ()),
            place=d.get("place") or UNKNOWN,
            level=d.get("level") or UNKNOWN,
            years=tuple(int(y) for y in d.get("years") or ()),
            kind=d.get("kind") or UNKNOWN,
            title=d.get("title") or "",
            confidence=dict(d.get("confidence") or {}),
            rules=dict(d.get("rules") or {}),
        )

    def corrected(self, overrides: dict[str, str]) -> Identity:
        """This identity with the user's corrections (body=…, place=…, year=2025 or 2025,2026, kind=…)
        laid over it; a corrected field is certain."""
        out = self
        conf, rules = dict(self.confidence), dict(self.rules)
        for key, value in overrides.items():
            if key == "body":
                out = replace(out, body=value, short_names=short_names(value))
            elif key == "place":
                out = replace(
                    out, place=value, level=place_level(value) if out.level not in ("部门", "单位") else out.level
                )
            elif key in ("year", "years"):
                out = replace(out, years=tuple(sorted({int(y) for y in re.findall(r"20\d\d", value)})))
                key = "years"
            elif key == "kind":
                out = replace(out, kind=value)
            elif key == "title":
                out = replace(out, title=value)
            else:
                continue
            conf[key], rules[key] = 1.0, "用户更正"
        return replace(out, confidence=conf, rules=rules)


def coarse_kind(kind: str) -> str:
    """The kind the rest of the code knows (ReportKind): 预算 / 决算 / 绩效自评 / other."""
    if "绩效" in kind or "自评" in kind:
        return "绩效自评"
    if "决算" in kind:
        return "决算"
    if "预算" in kind:
        return "预算"
    return "other"


# --- text helpers ------------------------------------------------------------------------------------
def undouble(text: str) -> str:
    """Bold type some PDF producers print twice: a text whose every character is doubled
    ("22002266年年部部门门预预算算") is halved; inside a line, a run of two or more doubled CJK characters
    ("支安安排排") keeps one of each ("支安排")."""
    s = re.sub(r"\s+", "", text)
    if len(s) >= 6 and len(s) % 2 == 0 and all(s[i] == s[i + 1] for i in range(0, len(s), 2)):
        return s[::2]
    text = re.sub(rf"(?:([{CJK}])\1){{2,}}", lambda m: m.group(0)[::2], text)
    return re.sub(r"(?:(\d)\1){4,}", lambda m: m.group(0)[::2], text)


CN_DIGITS = dict(zip("〇○零一二三四五六七八九", "000123456789", strict=True))


FULL_WIDTH = str.maketrans("０１２３４５６７８９　", "0123456789 ")


def normalize(text: str) -> str:
    """Full-width digits as ASCII ("２０２５" → "2025"; brackets and other Chinese punctuation kept as
    printed), a year in Chinese numerals as digits ("二○二五年" → "2025年")."""
    text = text.translate(FULL_WIDTH)
    return re.sub(r"([〇○零一二三四五六七八九]{4})(?=\s*年)", lambda m: "".join(CN_DIGITS[c] for c in m.group(1)), text)


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def strip_start(name: str) -> str:
    """A name matched with words before it glued on ("在哈尔滨市", "年度清远市…局") → the name."""
    while name and name[0] in NOT_START:
        name = name[1:]
    return name


def place_level(place: str) -> str:
    if place in ("", UNKNOWN):
        return UNKNOWN
    if place in MUNICIPALITIES or re.search(r"(?:省|自治区|特别行政区)$", place):
        return "省"
    if re.search(r"(?:镇|乡|街道)$", place):
        return "乡镇"
    if re.search(r"(?:县|旗|自治县)$", place):
        return "县"
    if re.search(r"(?:区)$", place) and not re.search(r"(?:自治区|地区)$", place):
        return "区"
    return "市"


def places_in(name: str) -> list[str]:
    """The places a body's name starts with: "福州市仓山区生态环境局" → ["福州市", "仓山区"]."""
    out = []
    pos = 0
    pat = re.compile(rf"(?:{PROVINCES})(?:壮族自治区|回族自治区|维吾尔自治区|自治区|省|市)|[{CJK}]{{2,6}}?{PLACE_END}")
    name = re.sub(r"^(?:中国共产党|中共)", "", name)
    while m := pat.match(name, pos):
        word = m.group(0)
        if re.search(r"(?:人民|政府|委员)", word):
            break
        out.append(word)
        pos = m.end()
    return out


def short_names(body: str) -> tuple[str, ...]:
    """Short forms people use for a body: without the places before it ("清城区工业和信息化局",
    "工业和信息化局"), with its level word ("省人民检察院", "省检察院"), 中国共产党…委员会 as 中共…委 /
    …市委…, a 街道办事处 or 镇 by its own name ("万里街道"); 人民 dropped from 人民检察院/人民法院/人民政府.
    Bare words any body of its kind has ("人民政府", "市人民政府") are not a name."""
    if body in ("", UNKNOWN):
        return ()
    core = re.sub(r"[（(][^）)]*[）)]$", "", body)
    forms: list[str] = [core]
    m = re.match(r"^中国共产党(.+?)委员会(.*)$", core) or re.match(r"^中共(.+?[省市县区])委(.+)$", core)
    if m:
        forms += [f"中共{m.group(1)}委{m.group(2)}", f"{m.group(1)}委{m.group(2)}"]
        if lvl := re.search(r"[省市县区]$", m.group(1)):
            forms.append(f"{lvl.group(0)}委{m.group(2)}")
    places = places_in(core)
    bare = core
    for p in places:
        bare = bare.removeprefix(p)
    town = re.match(r"^人民政府(.+?(?:街道|镇|乡))(办事处)?$", bare)
    if town:  # 人民政府万里街道办事处 → 万里街道办事处, 万里街道
        forms += [town.group(1) + (town.group(2) or ""), town.group(1)]
    elif places and bare and bare != core and not re.fullmatch(r"(?:人民)?政府", bare):
        if len(places) >= 2:
            forms.append(core.removeprefix(places[0]))
        forms.append(bare)
        level = places[-1][-1] if places[-1][-1] in "省市县区镇乡" else ""
        if level:
            forms.append(level + bare)
    for f in list(forms):
        if re.search(r"人民(?:检察院|法院|政府)", f):
            forms.append(re.sub(r"人民(检察院|法院|政府)", r"\1", f))
    generic = re.compile(r"^[省市县区]?(?:人民)?政府$")
    keep = (f for f in forms if f != body and len(f) >= 3 and not generic.match(f))
    ends = re.compile(BODY_END + r"$|(?:政府|街道|镇|乡)$")
    return tuple(dict.fromkeys(f for f in keep if ends.search(f)))


# --- the signals -------------------------------------------------------------------------------------
def cover_lines(lines: list[Line]) -> list[str]:
    """The cover's title block: the opening non-table lines set in the largest type of the first pages
    (text files carry no sizes: their first lines). Doubled bold characters are halved."""
    head = [ln for ln in lines[:60] if ln.table is None and ln.text.strip()]
    if not head:
        return []
    first_pages = {ln.page for ln in head[:1]} | {(head[0].page or 0) + 1}
    sized = [ln for ln in head if ln.meta.get("size") and ln.page in first_pages]
    if sized:
        big = max(ln.meta["size"] for ln in sized)
        body = Counter(ln.meta["size"] for ln in lines if ln.table is None and ln.meta.get("size")).most_common(1)[0][0]
        floor = max(body * 1.15, big * 0.72) if big > body * 1.15 else big - 0.5
        out: list[str] = []
        for ln in sized:
            if ln.meta["size"] >= floor - 0.01:
                out.append(undouble(normalize(ln.text.strip())))
            elif out and len(out) >= 1 and ln.meta["size"] < floor and any(TITLE_WORDS.search(x) for x in out):
                break
        return out[:8]
    # text files and web pages: the opening short lines up to the first that names a report, unless it
    # breaks off on a joining word ("…2018年预算执行情况和" / "2019年预算草案的报告")
    out = []
    for ln in head[:8]:
        text = undouble(normalize(strip_markdown(ln.text.strip())[0])).strip("# ")
        if len(text) > 40 or re.search(r"[，。；;,]", text):
            break
        out.append(text)
        if TITLE_WORDS.search(text) and not re.search(r"(?:和|及|与|暨|、|的|关于)$", text):
            break
    return out if out and TITLE_WORDS.search(out[-1]) else []


def printed_title(cover: list[str], lines: list[Line]) -> tuple[str, str]:
    """The report's title as printed, and the rule that found it: the cover's block from its first line
    naming a report word, joined ("关于2021年市本级决算草案和" + "2022年上半年预算执行情况的报告"); a
    government report's "关于…的报告" with any word glued before it cut off."""
    cover = [re.sub(r"^附件\s*[\d一二三四五六七八九十]+[：:]?\s*", "", x) for x in cover]
    joined = compact("".join(cover))
    m = re.search(r"关于.{4,90}报告", joined) or re.search(r"关于.{4,90}?(?:草案|说明)", joined)
    if m:
        return m.group(0), "封面·关于…报告"
    if cover:
        # lines up to and including the last one with a report word; a line without one before the
        # first report-word line is kept too when it names a body ("北京市商务局" / "2026年度部门预算")
        idx = [i for i, t in enumerate(cover) if TITLE_WORDS.search(t)]
        if idx:
            parts = cover[: idx[-1] + 1]
            title = re.sub(r"^\d{1,3}(?=[^\d年.])", "", compact("".join(parts)))  # a page number before it
            if 4 <= len(title) <= 90:
                return title, "封面大字"
    for ln in lines[:60]:
        if ln.table is not None:
            continue
        text = compact(undouble(normalize(strip_markdown(ln.text)[0])))
        if re.search(r"[，。；;,、：:]", text):  # a sentence or a lead-in, not a title
            continue
        if 6 <= len(text) <= 70 and re.search(r"决算|预算|自评报告|绩效", text) and not text.endswith("表"):
            if not re.match(r"^[一二三四五六七八九十]+、|^目录", text):
                m = re.search(r"关于.{4,80}?(?:报告|草案)", text)
                return (m.group(0) if m else text), "开篇标题行"
    return "", ""


def title_body(title: str) -> str:
    """The body a title names before its year or kind words: "2026年深圳市民政局（本级）部门预算" →
    "深圳市民政局（本级）"; "" when what stands there is only a place ("上海市2026年市级单位预算")."""
    t = re.sub(r"^[（(]?20[0-4]\d\s*年度?[）)]?", "", title)
    t = re.split(
        r"(?:20[0-4]\d\s*年度?|(?:[省市区县]级|本级)?(?:部门|单位)(?:综合)?(?:预算|决算)|(?:[省市区县]级)?(?:部门|单位)?(?:综合)?(?:预算|决算)"
        r"|整体支出|项目支出|财政项目|绩效|关于)",
        t,
    )[0]
    t = t.strip("：: ")
    if not t or not re.search(BODY_END + r"(?:[（(][^）)]{1,6}[）)])?$", t):
        return ""
    if re.fullmatch(rf"[{CJK}]{{2,8}}?{PLACE_END}(?:本级)?(?:人民)?(?:政府)?", t):  # a place, or its government
        return ""
    return t


def labelled_bodies(lines: list[Line]) -> Counter[str]:
    """Bodies named by "部门：…" / "单位名称：…" / "预算单位：…" / "编制单位：…" lines, counted over the
    whole document (each table repeats its line)."""
    names: Counter[str] = Counter()
    for ln in lines:
        texts = [ln.text] if ln.table is None else [" ".join(r) for r in (ln.table.header[:2] + (ln.table.title,))]
        for text in texts:
            for m in LABEL.finditer(text):
                name = (
                    re.split(r"单位|金额|日期|[（(]?盖章", m.group(1))[0]
                    if "单位" not in m.group(1)[:3]
                    else m.group(1)
                )
                name = re.sub(r"[（(]$", "", name)
                if re.search(BODY_END + r"(?:[（(][^）)]{1,6}[）)])?$", name) and not re.fullmatch(
                    r"[万亿千]?元", name
                ):
                    names[name] += 1
        if ln.table is not None:
            for name in label_cells(ln.table.header + ln.table.rows[:3]):
                names[name] += 1
    return names


# not 主管部门: a 单位's tables name its parent department there (福州市生态环境局 over 仓山生态环境局)
LABEL_CELL = re.compile(r"(?:预算)?(?:部门|单位)(?:[（(](?:单位|部门)[）)])?名称|预算单位|编制单位")


def label_cells(rows: object) -> list[str]:
    """Bodies a table gives as a label cell and the cell after it ("部门名称" | "首都绿化委员会办公室"):
    the colon of "部门名称：…" is the cell border."""
    out = []
    for row in rows:  # type: ignore[attr-defined]
        cells = [compact(c) for c in row if compact(c)]
        for label, value in zip(cells, cells[1:], strict=False):
            if (
                LABEL_CELL.fullmatch(label)
                and len(value) <= 40
                and re.fullmatch(rf"[{CJK}（）()]{{3,40}}", value)
                and re.search(BODY_END + r"(?:[（(][^）)]{1,6}[）)])?$", value)
            ):
                out.append(value)
    return out


def first_unit_after_total(lines: list[Line]) -> str:
    """The unit a department's table lists first after its 合计 row (a 部门's tables list the department
    itself, then its sub-units): the body of a table-only document that names several units."""
    for ln in lines:
        rows = ln.table.rows if ln.table is not None else []
        for prev, row in zip(rows, rows[1:], strict=False):
            if prev and compact(prev[0]) in ("合计", "总计") and row:
                name = compact(row[0])
                figures = any(re.fullmatch(r"-?[\d,]+(?:\.\d+)?", compact(c)) for c in row[1:])
                if (
                    figures
                    and places_in(name)
                    and re.fullmatch(rf"[{CJK}（）()]{{4,40}}", name)
                    and re.search(BODY_END + "$", name)
                ):
                    return name
    return ""


def named_bodies(text: str) -> Counter[str]:
    """Bodies the text names, counted; a match starting on a word that begins no name is tried again
    one character later."""
    names: Counter[str] = Counter()
    pos = 0
    while m := BODY_NAME.search(text, pos):
        name = m.group(0)
        if name[0] in NOT_START:
            pos = m.start() + 1
            continue
        if places_in(name) and len(name) >= 5:
            names[name] += 1
        pos = m.end()
    return names


def place_signals(text: str, title: str, site: str = "") -> list[tuple[str, str, float]]:
    """(place, rule, weight) for the government a report is about: the title's own place strongest
    ("关于哈尔滨市2025年…", "江苏省2023年…", a bare "关于平潭2015年…" completed by the place of the portal
    publishing it, else by the full name the text uses most), then the 人大 session line,
    "受X人民政府委托", the place its tables give a 本级."""
    out: list[tuple[str, str, float]] = []
    head = text[:6000]
    lead = re.match(rf"^(?:20[0-4]\d\s*年度?)?([{CJK}]{{2,10}}?{PLACE_END})", title)
    if lead and not re.match(r"^(?:关于|全[市省县区]|本级)", title):
        out.append((lead.group(1), "标题开头的地名", 0.95))  # at the title's start: nothing glued before it
    bare = re.search(rf"关于\s*(?:20[0-4]\d\s*年度?)?([{CJK}]{{2,4}}?)\s*(?:20[0-4]\d\s*年|财政|本级|全)", title)
    if bare and not re.search(PLACE_END + "$", bare.group(1)) and not re.match(r"^[全本市省县区]", bare.group(1)):
        full = Counter(m.group(0) for m in re.finditer(rf"{bare.group(1)}[{CJK}]{{0,6}}?{PLACE_END}", text))
        if site.startswith(bare.group(1)):
            out.append((site, "标题简称+网站名称", 0.96))
        elif full:
            out.append((full.most_common(1)[0][0], "标题简称+正文全称", 0.93))
    for pat, rule, w in (
        (PLACE_REPORT, "标题·关于X年", 0.95),
        (SESSION, "人大会议行", 0.9),
        (SESSION_SHORT, "人大会议行", 0.85),
        (ENTRUSTED, "受X人民政府委托", 0.85),
    ):
        for src, less in ((title, 0.0), (head, 0.05 if pat is PLACE_REPORT else 0.0)):
            for m in pat.finditer(src):
                place = strip_start(m.group(1))
                if len(place) >= 2 and not re.match(r"^[省市县区镇乡]", place):
                    out.append((place, rule, w - less))
    counted = Counter(strip_start(m.group(1)) for m in PLACE_WITH_LEVEL.finditer(text))
    total = sum(counted.values())
    for place, n in counted.most_common(2):  # one place, not a table listing every county's 本级
        if len(place) >= 3 and n >= 2 and n >= 0.6 * total:
            out.append((place, "X本级/全X", min(0.8, 0.5 + 0.05 * n)))
    return out


def most_named_place(text: str) -> tuple[str, int]:
    counted: Counter[str] = Counter()
    for m in PLACE_ANY.finditer(text[:30000]):
        place = strip_start(m.group(0))
        if 3 <= len(place) <= 5 and not re.search(
            r"(?:本级|全市|辖区|城区|市区|社区|园区|片区|城乡|城市$|地区$)", place
        ):
            counted[place] += 1
    return counted.most_common(1)[0] if counted else ("", 0)


# --- the fields --------------------------------------------------------------------------------------
GOV_KINDS = ("政府预算报告", "政府决算报告")


# Title words → kind, first match wins (audit and 绩效 before 预算/决算; a government's before a department's;
# "决算/预算 … 报告/草案/关于" is a report to the 人大 only after every department form was tried).
TITLE_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        ("审计报告", r"审计工作报告|审计结果|审计报告"),
        ("绩效自评", r"绩效"),
        ("债务", r"债务"),
        ("单位预算", r"单位(?:综合)?预算"),
        ("单位决算", r"单位(?:综合)?决算"),
        ("政府预算报告", r"政府预算|[市省县区]本级预算|全[市省县区]预算"),
        ("政府决算报告", r"政府决算|[市省县区]本级决算|全[市省县区]决算"),
        ("部门预算", r"部门(?:综合)?预算|预算(?:信息)?公开|综合预算"),
        ("部门决算", r"部门(?:综合)?决算|决算(?:信息)?公开"),
        ("附表", r"附表|报表|表(?:[（(].{1,8}[）)])?$|表格"),
        ("政府决算报告", r"决算.*(?:报告|草案|关于)|(?:报告|草案|关于).*决算"),
        ("政府预算报告", r"预算.*(?:报告|草案|关于|执行|调整)|(?:报告|草案|关于|执行|调整).*预算"),
    )
)


def kind_in_title(title: str) -> str:
    """The finer kind a title says, or "" ("审计局…部门预算" is a 部门预算: the body's own words are cut
    before looking). A bare 预算/决算 is a department's only when the title names the body."""
    t = title
    body = title_body(t)
    if body:
        t = t.replace(body, "", 1)
    for kind, pattern in TITLE_KINDS:
        if pattern.search(t):
            return kind
    for word, kind in (("决算", "部门决算"), ("预算", "部门预算")):
        if word in t:
            return kind if body else ""
    return ""


def kind_in_text(lines: list[Line], text: str, government: bool) -> tuple[str, float]:
    """The kind the pages speak of when the title does not say: tables only → 附表; a government's
    report to the 人大 → 政府预算/决算报告; else 部门/单位 预算/决算 by the words used most."""
    body = text[:30000]
    table_lines = sum(1 for ln in lines if ln.table is not None)
    prose = sum(len(ln.text) for ln in lines if ln.table is None and len(ln.text) > 40)
    self_eval, final, budget = body.count("自评") + body.count("绩效评价"), body.count("决算"), body.count("预算")
    debt = body.count("债务")
    if self_eval >= 3 and self_eval >= final:
        return "绩效自评", 0.6
    is_final = final >= 5 and final >= 0.4 * budget
    if debt >= 8 and debt >= 0.5 * (budget + final):
        return "债务", 0.6
    if table_lines >= 2 and prose < 400:
        return "附表", 0.6
    if government:
        return ("政府决算报告" if is_final else "政府预算报告"), 0.65
    unit = body.count("单位预算") + body.count("单位决算") > body.count("部门预算") + body.count("部门决算")
    if is_final:
        return ("单位决算" if unit else "部门决算"), 0.6
    if budget >= 5:
        return ("单位预算" if unit else "部门预算"), 0.6
    return UNKNOWN, 0.0


def _pair(src: str, year: int | None = None) -> tuple[int, int] | None:
    """Both years of "2025年预算执行情况和2026年预算草案" / "2021年决算和2022年上半年…" in src (the pair
    holding `year` when given)."""
    for pat in (EXEC_AND_DRAFT, FINAL_AND_HALF):
        for m in pat.finditer(src):
            a, b = int(m.group(1)), int(m.group(2))
            if b - a == 1 and (year is None or year in (a, b)):
                return a, b
    return None


# a title that speaks of one year's execution and another's draft even where a year is not printed
# ("关于北京市2025年预算执行情况和年预算的报告": the digits of 2026 lost in the text layer)
TWO_PERIODS = re.compile(r"执行情况.{0,12}(?:和|与|及|暨).{0,16}预算")


def read_years(title: str, cover: str, text: str, stem: str, kind: str) -> tuple[tuple[int, ...], str, float]:
    """(years, rule, confidence): both years of a report on one year's execution and the next year's
    draft, or of a 决算 with the next year's first half; else the title's year; else the cover's; else
    the year its opening names; the file name last. A government report or 附表 whose title names one
    year takes the other from its opening ("2025年预算执行情况和2026年预算草案")."""
    head = text[:8000]
    two = kind in GOV_KINDS or kind in ("附表", "债务")
    for src, where, conf in ((title, "标题", 0.95), (cover, "封面", 0.9)):
        if pair := _pair(src):
            return pair, f"{where}·两个年度", conf
        found = sorted({int(y) for y in YEAR.findall(src)})
        if not found:
            continue
        if len(found) > 1:
            return ((found[-1],) if found[-1] - found[0] > 1 else tuple(found)), f"{where}·年度", conf
        y = found[0]
        if kind == "债务" and re.search(rf"截至\s*{y - 1}\s*年\s*(?:底|末|12月)", head):
            return (y - 1, y), f"{where}·年度+开篇·上年末余额", conf - 0.1  # last year's balance, this year's plan
        if two and (pair := _pair(head, y)):
            return pair, f"{where}·年度+开篇·两个年度", conf - 0.05
        if kind == "政府预算报告" and TWO_PERIODS.search(src) and re.search(rf"{y}\s*年[^。]{{0,12}}执行", src):
            return (y, y + 1), f"{where}·执行年+草案年", conf - 0.1
        return (y,), f"{where}·年度", conf
    if two and (pair := _pair(head)):
        return pair, "开篇·两个年度", 0.85
    if kind == "政府预算报告" and TWO_PERIODS.search(title):  # the title's years lost: its first heading's
        executed = Counter(int(y) for y in re.findall(r"(20[0-4]\d)\s*年[^。\n]{0,10}?预算执行情况", head))
        if executed:
            y = executed.most_common(1)[0][0]
            return (y, y + 1), "开篇·执行年+草案年", 0.7
    m = YEAR.search(text[:600]) or re.search(r"(20[0-4]\d)", text[:300])
    if m:
        return (int(m.group(1)),), "开篇·年度", 0.75
    years = Counter(int(y) for y in YEAR.findall(text[:20000]))
    named = re.search(r"(?<!\d)(20[0-4]\d)(?!\d)", stem)
    if named and int(named.group(1)) in years:
        return (int(named.group(1)),), "文件名·正文也提到", 0.6
    if years:
        top, n = years.most_common(1)[0]
        return (max(y for y, k in years.items() if y >= top and k >= 0.6 * n),), "正文最常提到的年度", 0.5
    if named:
        return (int(named.group(1)),), "文件名", 0.3
    return (), "", 0.0


def pick_title_body(title: str, cover: list[str], text: str) -> str:
    """The body a cover names; when the cover lists several names before the year ("…实验教学示范中心" /
    "西南大学" / "2023年度部门决算"), the one the text names most (the last on a tie)."""
    body = title_body(title)
    if not body:
        return ""
    names = [compact(x) for x in cover if compact(x) and not TITLE_WORDS.search(x) and not YEAR.search(x)]
    names = [x for x in names if re.search(BODY_END + r"(?:[（(][^）)]{1,6}[）)])?$", x) and x in body]
    if len(names) >= 2:
        return max(reversed(names), key=lambda x: text.count(x))
    return body


def read_identity(lines: list[Line], text: str, stem: str = "") -> Identity:
    """The document's identity from its lines (cover sizes, tables' label lines) and its text."""
    cover = cover_lines(lines)
    title, title_rule = printed_title(cover, lines)
    text = normalize(text[:60000])
    conf: dict[str, float] = {}
    rules: dict[str, str] = {}

    kind = kind_in_title(title)
    # a web page's publisher (the portal's name, ingest/readers/html.py): the place it serves
    site = "".join(places_in(next((str(ln.meta["publisher"]) for ln in lines[:3] if ln.meta.get("publisher")), "")))
    signals = place_signals(text, title, site)
    session = any(r in ("人大会议行", "受X人民政府委托") for _, r, _ in signals)
    government = kind in GOV_KINDS or (session and kind not in ("部门预算", "部门决算", "单位预算", "单位决算"))
    if kind == "政府预算报告" and "报告" not in title and kind_in_text(lines, text, True)[0] in ("附表", "债务"):
        kind = "附表"  # "…预算执行情况和2026年预算（草案）" over pages of tables only: the 附表 book
    if kind:
        conf["kind"], rules["kind"] = (0.9 if title_rule.startswith("封面") else 0.75), f"{title_rule}·类别词"
    else:
        kind, conf["kind"] = kind_in_text(lines, text, government)
        rules["kind"] = "正文用词"
    if kind in ("政府预算报告", "政府决算报告"):
        government = True

    # body: the cover's, the tables' label lines, the name the text uses most
    labels = labelled_bodies(lines)
    named = named_bodies(text[:40000])
    tb = pick_title_body(title, cover, text) if not government else ""
    label, n_label = labels.most_common(1)[0] if labels else ("", 0)
    body, body_rule, body_conf = UNKNOWN, "", 0.0
    if tb and (title_rule.startswith("封面") or text.count(tb) >= 2 or tb in labels):
        agree = tb in labels or any(tb in x or x in tb for x in labels) or text.count(tb) >= 3
        body, body_rule, body_conf = tb, "封面大字", 0.95 if agree else 0.75
    elif label and not government:
        body, body_rule, body_conf = label, "部门/单位名称行", 0.9 if n_label >= 2 else 0.75
    elif tb:
        body, body_rule, body_conf = tb, "开篇标题行", 0.6
    elif not government and (first := first_unit_after_total(lines)):
        body, body_rule, body_conf = first, "表中合计后的第一家单位", 0.6
    elif named and not government and kind not in ("附表", "债务"):  # tables of many bodies name none
        top, n = named.most_common(1)[0]
        if n >= 3:
            body, body_rule, body_conf = top, "正文最常提到的机构", 0.5
    # place: the government a report is about, else the places the body's name starts with
    place, place_rule, place_conf = UNKNOWN, "", 0.0
    if government or (body == UNKNOWN and kind in ("附表", "债务")):
        best: dict[str, tuple[float, int, str]] = {}  # place → (strongest signal, how many, its rule)
        for p, r, w in signals:
            top, n, rule = best.get(p, (0.0, 0, ""))
            best[p] = (w, n + 1, r) if w > top else (top, n + 1, rule)
        if best:
            place, (w, n, place_rule) = max(best.items(), key=lambda kv: kv[1][:2])
            place_conf = min(0.95, w + 0.03 * (n - 1))
        if place == UNKNOWN and site:
            place, place_rule, place_conf = site, "网站名称中的地名", 0.7
        if government and place != UNKNOWN:
            body, body_rule, body_conf = f"{place}人民政府", "政府的报告：地方+人民政府", min(place_conf, 0.7)
        if place_level(place) == "乡镇" and len(places_in(place)) < 2:
            if site and place_level(site) != "乡镇" and not place.startswith(site):
                place, place_rule = site + place, place_rule + "+网站名称的上级地名"  # the portal's county
            else:
                place_conf = min(place_conf, 0.7)  # a town without its county is not one place: many share a name
    if place == UNKNOWN and body != UNKNOWN:
        ps = places_in(body)
        if ps:
            place, place_rule, place_conf = "".join(ps), "机构名称中的地名", min(body_conf, 0.9)
    if place == UNKNOWN:
        lead = re.match(rf"^(?:20[0-4]\d\s*年度?)?([{CJK}]{{2,10}}?{PLACE_END})", title)
        if lead and not re.match(r"^(?:关于|全市|全省|本级)", title):
            place, place_rule, place_conf = lead.group(1), "标题开头的地名", 0.8
    if place == UNKNOWN and not government and kind not in ("附表", "债务"):  # tables list every county
        top, n = most_named_place(text)
        if n >= 3:
            place, place_rule, place_conf = top, "正文最常提到的地名", 0.4
    if body.startswith("国家") or body.startswith("中华人民共和国"):
        place, place_rule, place_conf = "中央", "中央部门", body_conf
    years, year_rule, year_conf = read_years(title, "".join(cover), text, stem, kind)

    if government or place_conf and body == f"{place}人民政府":
        level = place_level(place)
    elif kind.startswith("单位"):
        level = "单位"
    elif body != UNKNOWN:
        level = "部门"
    else:
        level = place_level(place)
    conf.update(body=body_conf, place=place_conf, years=year_conf, level=max(place_conf, body_conf) * 0.9)
    conf["title"] = 0.9 if title_rule.startswith("封面") else (0.6 if title else 0.0)
    rules.update(body=body_rule, place=place_rule, years=year_rule, title=title_rule)
    return Identity(
        body=body,
        short_names=short_names(body),
        place=place,
        level=level,
        years=years,
        kind=kind,
        title=title,
        confidence={k: round(v, 2) for k, v in conf.items()},
        rules=rules,
    )
