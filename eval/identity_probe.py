"""Which report is this — measured: every file of the wide corpus (and realdata/, corpus/) is read, its
identity read (ingest/identity.py) and scored against SOURCES.tsv the way acceptance check a2 scores
`budgetqa docs --json`: department documents by their body, government documents by their place, every
gold year among the report's years, the kind agreeing coarsely (预算 / 决算 / 债务 / 绩效).

    python -m eval.identity_probe [--cache DIR] [--show wrong|all] [ROOT ...]

Prints the share right per field and per folder, how often each rule decided a field and how often it
was right, and any body that is wrong though marked sure. The lines read from each file are cached
(keyed by the file's hash): reading PDFs, and OCR of scans, is what takes time.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import pickle
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from ingest.chunking import render_table
from ingest.decode import decode_text
from ingest.identity import SURE, Identity, read_identity
from ingest.lines import Line, text_to_lines
from ingest.structure import events_to_blocks, lines_to_events

SHARED = Path("/work/shared")
DEFAULT_ROOTS = (SHARED / "realdata-wide/dept", SHARED / "realdata-wide/gov", SHARED / "realdata", Path("corpus"))
SKIP = {"SOURCES.tsv", "facts.jsonl", "README.md"}


def norm(s: object) -> str:
    return re.sub(r"\s+", "", str(s or ""))


def coarse(s: str) -> str:
    """As acceptance check a2 reads a kind."""
    s = norm(s)
    for k, words in (
        ("绩效", ("绩效", "自评")),
        ("债务", ("债务",)),
        ("决算", ("决算",)),
        ("预算", ("预算", "预决算")),
    ):
        if any(w in s for w in words):
            return k
    return "other"


def gold_names(field: str) -> list[str]:
    """The core before a bracket, and any short form quoted inside one (文中“迪庆州”)."""
    f = norm(field)
    return [x for x in [re.split(r"[（(]", f)[0]] + re.findall(r"“([^”]+)”", f) if x]


@dataclass
class Gold:
    names: list[str]  # body (department documents) or place (government documents); [] = not scored
    years: set[str]
    kind: str  # coarse; "other" = not scored


def read_gold(root: Path) -> dict[str, Gold]:
    """SOURCES.tsv of a folder as gold; realdata/ names bodies only in its source paths, corpus/ only in
    its file names (years and kinds)."""
    out: dict[str, Gold] = {}
    path = root / "SOURCES.tsv"
    rows = list(csv.DictReader(path.open(encoding="utf-8"), delimiter="\t")) if path.exists() else []
    for r in rows:
        stem = Path(r["file"]).stem
        if "body" in r:  # realdata-wide
            gov = root.name == "gov"
            unstated = norm(r["body"]).lower().startswith("notstated")
            names = [] if unstated else gold_names(r["place"] if gov else r["body"])
            years = set(re.findall(r"20\d\d", re.sub(r"\([^)]*\)", "", r["year"])))
            out[stem] = Gold(names, years, coarse(r["kind"]))
        else:  # realdata: the body where the source path's file name gives it in Chinese
            name = Path(r.get("source_path", "")).stem
            body = re.split(r"\s*\d|部门|年", name)[0]
            names = [body] if re.fullmatch(r"[\u4e00-\u9fff（）]{4,}", body) else []
            out[stem] = Gold(names, set(re.findall(r"20\d\d", stem)[:1]), coarse(r.get("kind", "")))
    if not rows:
        for f in root.iterdir():
            if f.is_file() and f.name not in SKIP:
                kind = {"jixiao": "绩效", "juesuan": "决算", "yusuan": "预算"}
                k = next((v for w, v in kind.items() if w in f.stem), "other")
                out[f.stem] = Gold([], set(re.findall(r"20\d\d", f.stem)[:1]), k)
    return out


def lines_of(path: Path, cache: Path) -> list[Line] | None:
    """The lines a reader gives for the file (cached by content hash); None for formats read only
    whole (their Report's identity is scored then)."""
    data = path.read_bytes()
    key = _key(path, cache)
    if key.exists() and not any(path.match(g) for g in REFRESH):
        return pickle.loads(key.read_bytes())
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        from ingest.pdf import pdf_lines

        lines = pdf_lines(path)[0]
    elif suffix in (".txt", ".md", ".markdown"):
        lines = text_to_lines(decode_text(data, str(path))[0])
    else:
        lines = _reader_lines(path)
        if lines is None:
            return None
    cache.mkdir(parents=True, exist_ok=True)
    key.write_bytes(pickle.dumps(lines))
    return lines


REFRESH: list[str] = []  # file name patterns read again whatever the cache holds (--refresh)


def _key(path: Path, cache: Path) -> Path:
    """The cache file of a file's lines: by its content, and for the quick formats also by their
    reader's source (a changed reader reads them again; PDFs, slow to read, only with --refresh)."""
    h = hashlib.sha256(path.read_bytes())
    reader = Path(__file__).parent.parent / "ingest/readers" / f"{path.suffix.lower().lstrip('.')}.py"
    if path.suffix.lower() in (".html", ".htm"):
        reader = reader.with_name("html.py")
    if path.suffix.lower() != ".pdf" and reader.exists():
        h.update(reader.read_bytes())
    return cache / (h.hexdigest()[:24] + ".pkl")


def _cached(path: Path, cache: Path) -> bool:
    return _key(path, cache).exists()


def _reader_lines(path: Path) -> list[Line] | None:
    """The lines ingest/readers/ makes of a DOCX, XLSX, XLS, HTML or DOC file (None before the readers
    exist): what its reader hands to report_from_lines, caught on the way."""
    try:
        import ingest.readers as readers
        import ingest.readers.base as base
    except ImportError:
        return None
    seen: list[list[Line]] = []
    original = base.report_from_lines

    def catch(lines: list[Line], **kw: object) -> object:
        seen.append(lines)
        return original(lines, **kw)

    base.report_from_lines = catch
    try:
        readers.read_report(path)
    finally:
        base.report_from_lines = original
    return seen[0] if seen else None


def identity_of(path: Path, cache: Path) -> Identity:
    lines = lines_of(path, cache)
    if lines is None:
        from ingest.parse import parse_file

        report = parse_file(path)
        found = getattr(report, "identity", None)
        if found is None:
            raise ValueError("the reader gives no identity")
        return found
    text = events_to_blocks(lines_to_events(lines), render_table)[0]
    return read_identity(lines, text, path.stem)


def score(ident: Identity, gold: Gold) -> dict[str, bool | None]:
    said = norm(" ".join((ident.body, ident.place, ident.title)))
    years = {str(y) for y in ident.years}
    return {
        "body": (any(w in said for w in gold.names)) if gold.names else None,
        "years": gold.years <= years if gold.years else None,
        "kind": (coarse(ident.kind + ident.title) == gold.kind) if gold.kind != "other" else None,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("roots", nargs="*", type=Path, default=list(DEFAULT_ROOTS))
    ap.add_argument("--cache", type=Path, default=Path("/tmp/bq-identity-cache"))
    ap.add_argument("--show", choices=("wrong", "all", "none"), default="wrong")
    ap.add_argument("--cached-only", action="store_true", help="score only files whose lines are cached")
    ap.add_argument("--refresh", action="append", default=[], help="file name pattern to read again (repeatable)")
    args = ap.parse_args(argv)
    REFRESH[:] = args.refresh
    fields = ("body", "years", "kind")
    per_folder: dict[str, Counter] = defaultdict(Counter)
    rule_stats: dict[tuple[str, str], Counter] = defaultdict(Counter)
    sure_wrong: list[str] = []
    for root in args.roots:
        if not root.is_dir():
            continue
        gold = read_gold(root)
        folder = str(root).replace(str(SHARED) + "/", "")
        for path in sorted(root.iterdir()):
            if not path.is_file() or path.name in SKIP or path.stem not in gold:
                continue
            g = gold[path.stem]
            if args.cached_only and not _cached(path, args.cache):
                continue
            try:
                ident = identity_of(path, args.cache)
            except Exception as exc:  # a format not read yet: counted, and said
                per_folder[folder]["unread"] += 1
                print(f"  未读 {path.name}: {type(exc).__name__}: {str(exc)[:80]}")
                continue
            s = score(ident, g)
            c = per_folder[folder]
            c["docs"] += 1
            ok = all(v is not False for v in s.values())
            c["all_right"] += ok
            for f in fields:
                if s[f] is not None:
                    c[f + "_scored"] += 1
                    c[f + "_right"] += s[f]
                rule = ident.rules.get("place" if f == "body" and root.name == "gov" else f, "") or "（无）"
                rule_stats[(f, rule)]["fired"] += 1
                if s[f] is not None:
                    rule_stats[(f, rule)]["scored"] += 1
                    rule_stats[(f, rule)]["right"] += s[f]
            if s["body"] is False and ident.sure("place" if root.name == "gov" else "body"):
                sure_wrong.append(f"{path.name}: {ident.body} / {ident.place} (gold {g.names})")
            if args.show == "all" or (args.show == "wrong" and not ok):
                mark = "  " if ok else "✗ "
                wrong = ",".join(f for f in fields if s[f] is False)
                print(
                    f"{mark}{path.name} [{wrong}] body={ident.body}({ident.confidence.get('body')}) "
                    f"place={ident.place} years={list(ident.years)} kind={ident.kind} title={ident.title[:40]} "
                    f"| gold {g.names[:1]} {sorted(g.years)} {g.kind}"
                )
    print("\nfolder                docs  all-right  body/place    years        kind")
    total = Counter()
    for folder, c in per_folder.items():
        total.update(c)
        print(_row(folder, c))
    print(_row("TOTAL", total))
    print("\nrule (field)                                   fired  scored  right")
    for (f, rule), c in sorted(rule_stats.items(), key=lambda kv: (kv[0][0], -kv[1]["fired"])):
        print(f"  {f:6} {rule:36} {c['fired']:5} {c['scored']:7} {c['right']:6}")
    print(f"\nwrong body/place marked sure (confidence ≥ {SURE}): {len(sure_wrong)}")
    for line in sure_wrong:
        print("  " + line)
    print(json.dumps({k: total[k] for k in sorted(total)}, ensure_ascii=False))
    return 0


def _row(folder: str, c: Counter) -> str:
    def share(f: str) -> str:
        n = c[f + "_scored"]
        return f"{c[f + '_right']}/{n}" + (f" {c[f + '_right'] / n:4.0%}" if n else "     ")

    unread = f"  (+{c['unread']} unread)" if c["unread"] else ""
    docs = c["docs"] or 1
    return (
        f"{folder:20} {c['docs']:5}  {c['all_right']:3} {c['all_right'] / docs:4.0%}  "
        f"{share('body'):12} {share('years'):12} {share('kind'):12}{unread}"
    )


if __name__ == "__main__":
    sys.exit(main())
