"""Bytes of a .txt/.md file → text, with the encoding that was used."""

from __future__ import annotations

from ingest.errors import DocumentError

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


def _plausible(text: str) -> float:
    """Share of characters a Chinese report is made of: CJK, CJK punctuation, full-width forms, ASCII."""
    if not text:
        return 0.0
    ok = sum(
        1
        for ch in text
        if "\u4e00" <= ch <= "\u9fff"
        or "\u3000" <= ch <= "\u303f"
        or "\uff00" <= ch <= "\uffef"
        or " " <= ch <= "~"
        or ch in "\n\r\t“”‘’…—·"
    )
    return ok / len(text)


def _looks_utf16(data: bytes) -> str | None:
    """UTF-16 without a BOM: pick the byte order whose decoding reads as Chinese/ASCII text."""
    if len(data) < 4 or len(data) % 2:
        return None
    sample = data[:8000]
    best, best_share = None, 0.0
    for enc in ("utf-16-le", "utf-16-be"):
        try:
            share = _plausible(sample.decode(enc))
        except UnicodeDecodeError:
            continue
        if share > best_share:
            best, best_share = enc, share
    return best if best_share > 0.95 else None


def decode_text(data: bytes, path: str) -> tuple[str, str]:
    """Return (text, encoding). Tries BOMs, UTF-8, UTF-16 without BOM, then GB18030 (a superset of GBK)."""
    if not data.strip():
        raise DocumentError(path, "文件是空的；请从原文档重新导出")
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(enc), "utf-16" if enc == "utf-16" else "utf-8"
            except UnicodeDecodeError:
                break
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    u16 = _looks_utf16(data)
    if u16:
        try:
            return data.decode(u16), u16
        except UnicodeDecodeError:
            pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise DocumentError(
            path,
            "无法按 UTF-8、UTF-16 或 GB18030/GBK 解码文字；请另存为 UTF-8 后再读入",
        ) from None
    # GB18030 decodes almost any byte string; insist that the result reads as Chinese text.
    cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    if cjk < max(1, len(text) // 20):
        raise DocumentError(
            path,
            "内容不是 UTF-8、UTF-16 或 GB18030/GBK 文字（是二进制文件吗？）；请另存为 UTF-8 文本",
        )
    return text, "gb18030"
