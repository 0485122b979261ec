"""`budgetqa docs`: which reports are indexed — body, place, year(s), kind and title as read from each
document — and `--set` to correct them. The web app calls `docs_rows` and `set_identity`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ingest.errors import BadInputError
from ingest.identity import SURE, UNKNOWN
from ingest.identity_store import parse_corrections
from ingest.settings import Settings

HELP = "列出已读入的报告（单位、地区、年度、类别、标题）；--set 更正"
DESCRIPTION = (
    "列出已读入的报告：单位（全称）、地区与级别、年度（预算报告含执行年和草案年两个年度）、类别和报告标题，"
    "都从报告本身读出；没把握的字段标“?”，报告没写明的写“未知”。读错了用 --set 更正："
    "更正保存在数据目录中，重新读入报告后仍然有效，问答、对比和导出都按更正后的为准。"
    "可更正的字段：body（单位）、place（地区）、year（年度，两个年度写 2025,2026）、kind（类别）、title（标题）。"
)
EXAMPLES = (
    "budgetqa docs",
    "budgetqa docs --json",
    "budgetqa docs --set putuo-wanli-2025-bumen-yusuan body=上海市普陀区人民政府万里街道办事处 year=2025",
    "budgetqa docs --set harbin-2021-shibenji-juesuan-baogao place=哈尔滨市 kind=政府决算报告",
)
HEADS = ("报告编号", "单位", "地区", "年度", "类别", "标题")


def add_docs_parser(sub: Any) -> argparse.ArgumentParser:
    """The `docs` subcommand on a subparsers object."""
    s = sub.add_parser(
        "docs",
        help=HELP,
        description=DESCRIPTION,
        epilog="示例：\n" + "\n".join(f"  {e}" for e in EXAMPLES),
    )
    s.add_argument("--json", action="store_true", help="输出 JSON 列表（每份报告一个对象），供程序读取")
    s.add_argument(
        "--set",
        nargs="+",
        metavar=("报告编号", "字段=值"),
        help="更正一份报告的身份，例如 --set 报告编号 body=某某局 year=2025 kind=部门预算",
    )
    return s


def _format(r: dict[str, Any]) -> str:
    return r.get("source_format") or Path(r.get("path") or "").suffix.lstrip(".").lower()


def docs_rows(reports: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One object per report (catalog rows with their identity, corrections applied): the fields of
    `budgetqa docs --json`."""
    out = []
    for r in reports:
        ident = r.get("identity") or {}
        out.append(
            {
                "doc_id": r["doc_id"],
                "body": r.get("body") or UNKNOWN,
                "short_names": list(r.get("short_names") or ()),
                "place": r.get("place") or UNKNOWN,
                "level": r.get("level") or UNKNOWN,
                "years": list(r.get("years") or ([r["year"]] if r.get("year") else [])),
                "year": r.get("year"),
                "kind": r.get("fine_kind") or r.get("kind") or UNKNOWN,
                "title": r.get("title") or "",
                "printed_title": ident.get("title") or "",
                "pages": r.get("pages"),
                "tables": int(r.get("n_tables") or 0),
                "format": _format(r),
                "confidence": ident.get("confidence") or {},
                "corrected": list(r.get("corrected") or ()),
            }
        )
    return out


def _cell(row: dict[str, Any], field: str, text: str) -> str:
    """A field's text, "?" after it when read without confidence, "✎" when the user corrected it."""
    key = "year" if field == "years" else field
    if key in row["corrected"]:
        return text + "✎"
    sure = row["confidence"].get(field, 1.0) >= SURE
    return text if sure or text == UNKNOWN else text + "?"


def table_lines(rows: list[dict[str, Any]]) -> list[list[str]]:
    """The rows `budgetqa docs` prints (and the web app shows), heads first."""
    out = [list(HEADS)]
    for r in rows:
        years = "、".join(f"{y}年" for y in r["years"]) or UNKNOWN
        place = r["place"] if r["level"] in (UNKNOWN, "部门", "单位") else f"{r['place']}（{r['level']}）"
        out.append(
            [
                r["doc_id"],
                _cell(r, "body", r["body"]),
                _cell(r, "place", place if r["place"] != UNKNOWN else UNKNOWN),
                _cell(r, "years", years),
                _cell(r, "kind", r["kind"]),
                r["title"],
            ]
        )
    return out


def set_identity(settings: Settings, doc_id: str, pairs: list[str]) -> dict[str, Any]:
    """Store the user's corrections of a report's identity; returns its `docs --json` object.
    BadInputError naming the report or the pair when either is wrong."""
    from ingest.catalog import Catalog

    catalog = Catalog(settings.db_path, write=True)
    try:
        known = catalog.doc_ids()
        if doc_id not in known:
            raise BadInputError(
                f"没有报告编号为「{doc_id}」的报告；已读入的有：{'、'.join(known[:8])}{'…' if len(known) > 8 else ''}"
                "（全部见 budgetqa docs）"
            )
        try:
            fields = parse_corrections(pairs)
        except ValueError as exc:
            raise BadInputError(str(exc)) from None
        if not fields:
            raise BadInputError("--set 后面要写报告编号和至少一个 字段=值，例如 --set 报告编号 year=2025")
        catalog.set_override(doc_id, fields)
        return next(r for r in docs_rows(catalog.reports()) if r["doc_id"] == doc_id)
    finally:
        catalog.close()


def cmd_docs(args: argparse.Namespace, settings: Settings) -> int:
    if args.set:
        doc_id, *pairs = args.set
        row = set_identity(settings, doc_id, pairs)
        if args.json:
            print(json.dumps(row, ensure_ascii=False, indent=2))
        else:
            print(f"已更正「{doc_id}」（重新读入后仍有效）：")
            _print_table(table_lines([row]))
        return 0
    from ingest.catalog import Catalog

    catalog = Catalog(settings.db_path, write=False)
    try:
        rows = docs_rows(catalog.reports())
    finally:
        catalog.close()
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("还没有读入任何报告；请先运行 budgetqa ingest 报告文件或文件夹")
        return 0
    _print_table(table_lines(rows))
    print("\n? 表示读得没把握，✎ 表示已更正；更正：budgetqa docs --set 报告编号 字段=值（见 budgetqa docs --help）")
    return 0


def _print_table(lines: list[list[str]]) -> None:
    for cells in lines:
        print("\t".join(cells))
