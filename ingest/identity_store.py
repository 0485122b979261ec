"""Stored identities and the user's corrections: `budgetqa docs --set DOC_ID body=… year=…` parsed,
an identity read back from a catalog row (or made from an old row's fields), and a row with the
corrections laid over it — the fields the rest of the code reads follow a correction."""

from __future__ import annotations

import json
import re
from typing import Any

from ingest.identity import FINE_KINDS, UNKNOWN, Identity, coarse_kind, places_in, short_names

CORRECTABLE = ("body", "place", "year", "kind", "title")


def parse_corrections(pairs: list[str]) -> dict[str, str]:
    """["body=…", "year=2025,2026", "kind=部门预算"] → {field: value}; ValueError naming the bad pair and
    the fields that can be set."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key, value = key.strip().lower(), value.strip()
        if key == "years":
            key = "year"
        if not sep or key not in CORRECTABLE or not value:
            raise ValueError(
                f"「{pair}」不是可更正的字段；请写成 字段=值，字段可为 {'、'.join(CORRECTABLE)}（例如 year=2025）"
            )
        if key == "year" and not re.fullmatch(r"20\d\d(?:\s*[,，、/]\s*20\d\d)?", value):
            raise ValueError(f"「{pair}」的年度看不懂；请写成 year=2025 或 year=2024,2025")
        if key == "kind" and value not in FINE_KINDS:
            raise ValueError(f"「{pair}」的类别不认识；可用的类别：{'、'.join(FINE_KINDS)}")
        out[key] = value
    return out


def identity_of_row(row: dict[str, Any], stored: str | None) -> Identity:
    """The identity stored with a catalog row; for a report stored before identities were read, one
    made from its title, year, kind and department (low confidence)."""
    if stored:
        try:
            return Identity.from_dict(json.loads(stored))
        except (ValueError, TypeError):
            pass
    year = row.get("year")
    body = row.get("department") or UNKNOWN
    return Identity(
        body=body,
        short_names=short_names(body),
        place="".join(places_in(body)) or UNKNOWN,
        years=(int(year),) if year else (),
        kind=row.get("kind") or UNKNOWN,
        title=row.get("title") or "",
        confidence={"body": 0.5, "place": 0.4, "years": 0.6, "kind": 0.5, "title": 0.5},
        rules={f: "旧索引" for f in ("body", "place", "years", "kind", "title")},
    )


def with_identity(row: dict[str, Any], stored: str | None, corrections: dict[str, str] | None) -> dict[str, Any]:
    """A catalog row with its identity (as read, the user's corrections laid over it) and the fields
    the rest of the code reads — year, kind, department, title — following a correction."""
    ident = identity_of_row(row, stored)
    if corrections:
        ident = ident.corrected(corrections)
        if "year" in corrections and ident.year:
            row["year"] = ident.year
        if "kind" in corrections and coarse_kind(ident.kind) != "other":
            row["kind"] = coarse_kind(ident.kind)
        if "body" in corrections:
            row["department"] = ident.body
        if "title" in corrections:
            row["title"] = ident.title
        printed = ident.title or row.get("title") or ""
        for who in (corrections.get("body"), corrections.get("place")):
            if who:  # the title a citation shows says whose report it is, as corrected
                row["title"] = printed if who in printed else f"{who} {printed}".strip()
                break
    row.update(
        identity=ident.to_dict(),
        body=ident.body,
        short_names=list(ident.short_names),
        place=ident.place,
        level=ident.level,
        years=list(ident.years),
        fine_kind=ident.kind,
        corrected=sorted(corrections or ()),
    )
    return row
