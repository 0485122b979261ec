"""A spreadsheet cell's number as the sheet shows it: its number format applied ("#,##0.00" → "1,234.50",
"0.00%" → "17.62%"). A budget table states its figures as printed; the stored float (0.17619999…) is not
what anyone reads or quotes."""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal

GENERAL_WIDTH = 11  # Excel's General format shows at most 11 characters in a default-width column
DATE_CODES = re.compile(r"[ymdhs]", re.I)


def _sections(fmt: str) -> list[str]:
    """'#,##0.00;[Red]-#,##0.00;"-"' → its ;-separated sections (a ; inside quotes is literal)."""
    out, cur, quoted, escape = [], [], False, False
    for ch in fmt:
        if escape:
            cur.append(ch)
            escape = False
        elif ch == "\\":
            cur.append(ch)
            escape = True
        elif ch == '"':
            quoted = not quoted
            cur.append(ch)
        elif ch == ";" and not quoted:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return out


def _tokens(section: str) -> list[tuple[str, str]]:
    """A section → [("lit", text) | ("num", placeholder pattern)]; colours, locales, padding dropped."""
    section = re.sub(r"\[[^\]]*\]", "", section)  # [Red], [$-804], [>=100]
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(section):
        ch = section[i]
        if ch == '"':
            j = section.find('"', i + 1)
            j = len(section) if j < 0 else j
            out.append(("lit", section[i + 1 : j]))
            i = j + 1
        elif ch == "\\" and i + 1 < len(section):
            out.append(("lit", section[i + 1]))
            i += 2
        elif ch == "_" and i + 1 < len(section):
            out.append(("lit", " "))  # room for a character's width, nothing printed
            i += 2
        elif ch == "*" and i + 1 < len(section):
            i += 2  # repeat-to-fill
        elif ch in "0#?.,":
            j = i
            while j < len(section) and section[j] in "0#?.,":
                j += 1
            out.append(("num", section[i:j]))
            i = j
        elif ch == "@":
            out.append(("text", ""))
            i += 1
        else:
            out.append(("lit", ch))
            i += 1
    return out


def _round(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _number(value: Decimal, pattern: str) -> str:
    whole, _, frac = pattern.partition(".")
    required = frac.count("0")
    optional = frac.count("#") + frac.count("?")
    text = f"{_round(value, required + optional):f}"
    int_part, _, dec = text.partition(".")
    dec = dec.rstrip("0").ljust(required, "0") if optional else dec
    if int_part == "0" and "0" not in whole:
        int_part = ""  # "#.00" shows .50
    if "," in whole and int_part:
        int_part = f"{int(int_part):,}"
    return int_part + ("." + dec if dec else ("." if "." in pattern and not frac.strip(",") else ""))


def general(value: float | int) -> str:
    """Excel's General format: up to 11 characters, integers whole, no float noise (97345.00000000001)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    d = Decimal(f"{value:.15g}")
    if d == d.to_integral_value():
        return f"{d.to_integral_value():f}"
    text = f"{d.normalize():f}"
    if len(text) > GENERAL_WIDTH:
        int_len = len(text.split(".")[0])
        places = max(0, GENERAL_WIDTH - int_len - 1)
        text = f"{_round(d, places).normalize():f}"
    return text


def format_number(value: float | int, fmt: str | None) -> str:
    """The number as the cell shows it. Formats this does not model (fractions, scientific, text
    conditions) fall back to General: the digits stay right, only their dress may differ."""
    if fmt is None or fmt.strip().lower() in ("", "general", "@"):
        return general(value)
    sections = _sections(fmt)
    section, v = sections[0], Decimal(f"{value:.15g}")
    if v < 0 and len(sections) >= 2 and sections[1].strip():
        section, v = sections[1], -v  # the negative section prints its own sign ("(1.50)", "-1.50")
    elif v == 0 and len(sections) >= 3:
        section = sections[2]
    if "E+" in section.upper() or "/" in section and not DATE_CODES.search(section):
        return general(value)
    tokens = _tokens(section)
    if not any(kind == "num" for kind, _ in tokens):
        out = "".join(t if kind == "lit" else general(value) for kind, t in tokens if kind != "num")
        return out.strip() or general(value)
    if "%" in "".join(t for kind, t in tokens if kind == "lit"):
        v *= 100
    sign = "-" if v < 0 else ""
    out, placed = [], False
    for kind, t in tokens:
        if kind == "lit":
            out.append(t)
        elif kind == "num" and not placed:
            out.append(sign + _number(abs(v), t))
            placed = True
        elif kind == "text":
            out.append(general(value))
    return "".join(out).strip()


def format_date(value: dt.datetime | dt.date | dt.time) -> str:
    """Dates as ISO (2024-08-27): unambiguous whatever the sheet's locale."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    return value.isoformat()
