"""Gold question sets: JSON Lines, one question per line (fields beyond the format are ignored)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from ingest.errors import BadInputError

TYPES = ("lookup", "why", "compare", "rank", "list", "unanswerable")

MONEY_AND_RATE = ("万元", "元", "亿元", "千元", "%", "")
# any count or measure unit a report prints after a number: 个 台 篇 人 辆 次 家 项 户 人次 平方米 …
COUNT_UNIT = re.compile(r"^[\u4e00-\u9fff]{1,4}$")
DEFAULT_GOLD = Path(__file__).resolve().parent / "gold" / "dev.jsonl"


@dataclass(frozen=True)
class ExpectedNumber:
    value: Decimal
    unit: str


@dataclass(frozen=True)
class GoldQuestion:
    id: str
    question: str
    doc: str | None
    type: str
    expected_numbers: tuple[ExpectedNumber, ...]
    evidence: tuple[str, ...]
    family: str = ""  # set for questions about several reports; else the family of `doc`


def _fail(path: Path, line: int, what: str) -> BadInputError:
    return BadInputError(f"{path}:{line}: {what}")


def _number(path: Path, line: int, raw: object) -> ExpectedNumber:
    if not isinstance(raw, dict) or "value" not in raw:
        raise _fail(
            path, line, f'expected_numbers item {raw!r} must be an object like {{"value": 6268.57, "unit": "万元"}}'
        )
    unit = raw.get("unit", "")
    if not isinstance(unit, str) or unit not in MONEY_AND_RATE and not COUNT_UNIT.match(unit):
        raise _fail(
            path,
            line,
            f"unit {unit!r} is neither a money unit (元, 万元, 亿元), %, nor a count unit such as 台 or 人次",
        )
    value = raw["value"]
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _fail(path, line, f"value {value!r} is not a number")
    try:
        # str() keeps the written precision of a float: 6268.57 stays 6268.57, not its binary expansion
        return ExpectedNumber(Decimal(str(value).replace(",", "")), unit)
    except InvalidOperation:
        raise _fail(path, line, f"value {value!r} is not a number") from None


def parse_gold_line(path: Path, line: int, text: str) -> GoldQuestion:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(path, line, f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(obj, dict):
        raise _fail(path, line, "each line must be one JSON object")
    for key in ("id", "question", "type"):
        if not isinstance(obj.get(key), str) or not obj[key].strip():
            raise _fail(path, line, f"field {key!r} is missing or not a non-empty string")
    if obj["type"] not in TYPES:
        raise _fail(path, line, f"type {obj['type']!r} is not one of {', '.join(TYPES)}")
    doc = obj.get("doc")
    if doc is not None and not isinstance(doc, str):
        raise _fail(path, line, f"doc {doc!r} must be a doc_id string or null")
    evidence = obj.get("evidence") or []
    if not isinstance(evidence, list) or not all(isinstance(e, str) and e.strip() for e in evidence):
        raise _fail(path, line, "evidence must be a list of non-empty strings")
    numbers = obj.get("expected_numbers") or []
    if not isinstance(numbers, list):
        raise _fail(path, line, "expected_numbers must be a list")
    family = obj.get("family") or ""
    if not isinstance(family, str):
        raise _fail(path, line, f"family {family!r} must be a string")
    return GoldQuestion(
        family=family,
        id=obj["id"],
        question=obj["question"],
        doc=doc or None,
        type=obj["type"],
        expected_numbers=tuple(_number(path, line, n) for n in numbers),
        evidence=tuple(evidence),
    )


def load_gold(path: Path) -> list[GoldQuestion]:
    if not path.is_file():
        raise BadInputError(f"gold file {path} does not exist; pass --gold FILE (JSON Lines, one question per line)")
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError:
        raise BadInputError(f"gold file {path} is not UTF-8 text; save it as UTF-8 JSON Lines") from None
    out: list[GoldQuestion] = []
    seen: set[str] = set()
    for i, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        q = parse_gold_line(path, i, text)
        if q.id in seen:
            raise _fail(path, i, f"id {q.id!r} is used twice; ids must be unique")
        seen.add(q.id)
        out.append(q)
    if not out:
        raise BadInputError(f"gold file {path} has no questions")
    return out
