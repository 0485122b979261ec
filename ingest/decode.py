"""Bytes of a .txt/.md file → text, with the encoding that was used."""

from __future__ import annotations

from ingest.errors import DocumentError

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


def _looks_utf16(data: bytes) -> str | None:
    """UTF-16 without a BOM: every other byte is NUL for ASCII-heavy text, or
    decoding gives mostly CJK. Check both byte orders on a sample."""
    sample = data[:4000]
    if len(sample) < 4 or len(sample) % 2:
        return None
    even_nuls = sample[1::2].count(0)
    odd_nuls = sample[0::2].count(0)
    half = len(sample) // 2
    if even_nuls > half * 0.3 and odd_nuls < half * 0.05:
        return "utf-16-le"
    if odd_nuls > half * 0.3 and even_nuls < half * 0.05:
        return "utf-16-be"
    return None


def decode_text(data: bytes, path: str) -> tuple[str, str]:
    """Return (text, encoding). Tries BOMs, UTF-8, UTF-16 without BOM, then GB18030 (a superset of GBK)."""
    if not data.strip():
        raise DocumentError(path, "the file is empty; re-export it from the source document")
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
            "cannot decode the text as UTF-8, UTF-16 or GB18030/GBK; save it as UTF-8 and ingest again",
        ) from None
    # GB18030 decodes almost any byte string; insist that the result reads as Chinese text.
    cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    if cjk < max(1, len(text) // 20):
        raise DocumentError(
            path,
            "the bytes are not UTF-8, UTF-16 or GB18030/GBK text (is it a binary file?); save it as UTF-8",
        )
    return text, "gb18030"
