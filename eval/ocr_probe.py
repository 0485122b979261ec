"""OCR probe: scans made from the real PDFs of each family, read back, measured against the text layer.

    python -m eval.ocr_probe [--realdata DIR] [--json]

For each scan: character accuracy of the running text, share of numeric table cells read exactly,
figures flagged as doubtful, pages per second (all cores); at the end the peak memory of this process
and of the OCR workers.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from eval.scans import make_scan, ocr_accuracy

# (file, pages, dpi, rotate, noise): a 部门决算 (text, 总表 over two pages, 收入决算表), a city 决算 report
# (prose and 附表), a 部门预算 (名词解释 with long lines, tilted and noisy)
SCANS = [
    ("putuo-caizhengju-2024-juesuan.pdf", [4, 6, 7, 8, 9, 21], 200, 0.0, 0.0),
    ("putuo-caizhengju-2024-juesuan.pdf", [4, 6, 7, 8, 9, 21], 150, 0.8, 12.0),
    ("harbin-2021-shibenji-juesuan-baogao.pdf", [2, 20, 68], 200, 0.0, 0.0),
    ("putuo-sifaju-2026-bumen-yusuan.pdf", [7, 8, 9], 200, 0.6, 10.0),
]


@dataclass
class ProbeRow:
    file: str
    pages: int
    dpi: int
    rotate: float
    noise: float
    char_accuracy: float
    numeric_cells: int
    numeric_accuracy: float
    doubts: int
    seconds: float

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0


def probe(realdata: Path, work: Path) -> list[ProbeRow]:
    from ingest.pdf import parse_pdf

    rows = []
    for name, pages, dpi, rotate, noise in SCANS:
        src = realdata / name
        if not src.exists():
            print(f"skipped {name}: not in {realdata}", file=sys.stderr)
            continue
        scan = make_scan(src, work / f"{src.stem}-{dpi}-{rotate}.pdf", pages, dpi, rotate, noise)
        t0 = time.perf_counter()
        read = parse_pdf(scan)
        seconds = time.perf_counter() - t0
        acc = ocr_accuracy(parse_pdf(src), read, pages)
        rows.append(
            ProbeRow(
                name,
                len(pages),
                dpi,
                rotate,
                noise,
                round(acc.char_accuracy, 4),
                acc.numeric_cells,
                round(acc.numeric_accuracy, 4),
                len(read.doubts),
                round(seconds, 2),
            )
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m eval.ocr_probe")
    ap.add_argument("--realdata", default=str(Path(__file__).resolve().parents[2] / "shared" / "realdata"))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    from ingest.ocr import ocr_missing

    if ocr_missing():
        print(f"error: {ocr_missing()}; pip install -e '.[ocr]'", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        rows = probe(Path(args.realdata), Path(tmp))
    pages = sum(r.pages for r in rows)
    seconds = sum(r.seconds for r in rows)
    peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    summary = {
        "pages": pages,
        "pages_per_second": round(pages / seconds, 3) if seconds else 0,
        "peak_mb_main": round(peak_self),
        "peak_mb_worker": round(peak_worker),
    }
    if args.json:
        print(json.dumps({"scans": [r.__dict__ for r in rows], **summary}, ensure_ascii=False, indent=1))
        return 0
    print(
        f"{'file':42} {'pages':>5} {'dpi':>4} {'tilt':>5} {'noise':>5} {'chars':>7} {'cells':>6} {'exact':>7} {'doubt':>5} {'p/s':>5}"
    )
    for r in rows:
        print(
            f"{r.file:42} {r.pages:5d} {r.dpi:4d} {r.rotate:5.1f} {r.noise:5.0f} {r.char_accuracy:7.2%} "
            f"{r.numeric_cells:6d} {r.numeric_accuracy:7.2%} {r.doubts:5d} {r.pages_per_second:5.2f}"
        )
    print(
        f"{pages} pages in {seconds:.1f}s: {summary['pages_per_second']} pages/s on {os.cpu_count()} cores; "
        f"peak memory {summary['peak_mb_main']} MB (main), {summary['peak_mb_worker']} MB (largest worker)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
