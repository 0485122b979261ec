"""Text files in the encodings Chinese government sites publish."""

from __future__ import annotations

import pytest

from ingest.decode import decode_text
from ingest.errors import DocumentError

SAMPLE = "第一部分 概况\n一、部门职责\n政府性基金预算财政拨款收入42,400万元。\n"


@pytest.mark.parametrize(
    "encoding, expected",
    [("utf-8", "utf-8"), ("gb18030", "gb18030"), ("gbk", "gb18030"), ("utf-16", "utf-16"), ("utf-16-le", "utf-16-le")],
)
def test_encodings_are_detected(encoding: str, expected: str) -> None:
    text, used = decode_text(SAMPLE.encode(encoding), "x.txt")
    assert text.replace("\ufeff", "") == SAMPLE
    assert used == expected


def test_empty_file_is_refused() -> None:
    with pytest.raises(DocumentError, match="空的"):
        decode_text(b"  \n", "empty.txt")


def test_binary_is_refused() -> None:
    with pytest.raises(DocumentError, match="x.bin"):
        decode_text(bytes(range(256)) * 20, "x.bin")
