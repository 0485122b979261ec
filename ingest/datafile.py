"""Derived files under the home (BM25 index, vector snapshot, the embedder's tokenizer) kept in formats
that hold data only: numpy .npz read with allow_pickle=False, and JSON. Nothing in the home can run code
when it is read. Files are written atomically (a temporary file in the same folder, then a rename; the
temporary file is removed when the write fails) and checked when read: a file that is short, of another
format version, or whose arrays have the wrong dtype or shape reads as absent, and the caller rebuilds it.
"""

from __future__ import annotations

import base64
import json
import os
import re
import stat
import time
import unicodedata
import zipfile
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np

FORMAT = 2  # bumped whenever the layout of a file changes: an older file is rebuilt, never misread


class BadFile(ValueError):
    """A derived file is not what it should be (wrong version, dtype, shape or content)."""


@contextmanager
def atomic(path: Path) -> Iterator[IO[bytes]]:
    """A file object whose bytes replace `path` only when the block ends without an error. A failed write
    (a full disk, a read-only home) leaves the old file and no temporary file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)  # atomic: a reader never sees half a file
    finally:
        if tmp.exists():
            tmp.unlink(missing_ok=True)


def save_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    for name, a in arrays.items():
        if a.dtype == object:  # would need pickle to read back
            raise TypeError(f"{name}: object arrays are not stored")
    with atomic(path) as f:
        np.savez(f, format=np.array(FORMAT, dtype=np.int64), **arrays)


def load_arrays(path: Path, expected: dict[str, tuple[str, int]]) -> dict[str, np.ndarray] | None:
    """The arrays of an .npz written by save_arrays, each of the expected (dtype kind + size, ndim);
    None when the file is missing, damaged, of another format or holds anything unexpected."""
    try:
        with np.load(path, allow_pickle=False) as z:
            if "format" not in z.files or int(z["format"]) != FORMAT:
                return None
            out = {name: z[name] for name in expected}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, TypeError):
        return None
    for name, (dtype, ndim) in expected.items():
        a = out[name]
        if a.dtype.str[1:] != dtype or a.ndim != ndim:
            return None
    return out


def pack_strings(items: list[str] | tuple[str, ...]) -> dict[str, np.ndarray]:
    """Strings as one UTF-32 code array and their end offsets: compact whatever their lengths (a unicode
    array is as wide as its longest string) and read back without pickle."""
    text = "".join(items)
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32) if text else np.zeros(0, dtype=np.uint32)
    ends = np.cumsum(np.fromiter((len(s) for s in items), dtype=np.int64, count=len(items)))
    return {"codes": codes.copy(), "ends": ends.astype(np.int64)}


def unpack_strings(codes: np.ndarray, ends: np.ndarray) -> list[str]:
    if len(ends) and (ends[-1] != len(codes) or np.any(np.diff(ends) < 0) or ends[0] < 0):
        raise BadFile("string offsets do not match the text")
    if len(codes) and codes.max() > 0x10FFFF:
        raise BadFile("a character out of range")
    text = codes.astype("<u4").tobytes().decode("utf-32-le", errors="strict")
    starts = np.concatenate(([0], ends[:-1])) if len(ends) else ends
    return [text[a:b] for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]


def strings_of(prefix: str, items: list[str] | tuple[str, ...]) -> dict[str, np.ndarray]:
    return {f"{prefix}_{k}": v for k, v in pack_strings(items).items()}


def strings_from(prefix: str, arrays: dict[str, np.ndarray]) -> list[str]:
    return unpack_strings(arrays[f"{prefix}_codes"], arrays[f"{prefix}_ends"])


def string_fields(*prefixes: str) -> dict[str, tuple[str, int]]:
    """The expected arrays of strings stored under these names (for load_arrays)."""
    return {f"{p}_{k}": (d, 1) for p in prefixes for k, d in (("codes", "u4"), ("ends", "i8"))}


# --- plain objects as typed JSON ---------------------------------------------------------------
# A value is stored with its type, and only these types are read back; an object is one of the classes
# the caller allows, made without calling anything (its attributes set from data). Nothing in the file
# names a class or a function to call, so a crafted file can at worst fail the checks and be rebuilt.
Classes = dict[str, type]


def encode_value(v: Any, classes: Classes | None = None) -> Any:
    classes = classes or {}
    enc = lambda x: encode_value(x, classes)  # noqa: E731
    if isinstance(v, bool) or v is None or isinstance(v, int | float | str):
        return v
    if isinstance(v, bytes):
        return {"t": "bytes", "v": base64.b64encode(v).decode()}
    if isinstance(v, array):
        return {"t": "array", "code": v.typecode, "v": base64.b64encode(v.tobytes()).decode()}
    if isinstance(v, frozenset | set):
        return {"t": type(v).__name__, "v": [enc(x) for x in sorted(v)]}
    if isinstance(v, tuple | list):
        if _plain(v):  # a long list of numbers or strings is stored as it is: read back in one step
            return {"t": type(v).__name__, "plain": True, "v": list(v)}
        return {"t": type(v).__name__, "v": [enc(x) for x in v]}
    if isinstance(v, dict) and all(isinstance(k, str | int) and not isinstance(k, bool) for k in v):
        if _plain(v.values()):
            return {"t": "dict", "plain": True, "k": list(v), "v": list(v.values())}
        return {"t": "dict", "k": list(v), "v": [enc(x) for x in v.values()]}
    name = next((n for n, c in classes.items() if type(v) is c), None)
    if name is not None and hasattr(v, "__dict__"):
        return {"t": "object", "class": name, "v": enc(vars(v))}
    raise TypeError(f"{type(v).__name__} is not stored as data")


_PLAIN_TYPES = frozenset((int, float, str))
_KEY_TYPES = frozenset((int, str))


def _plain(items: Any) -> bool:  # noqa: ANN401
    return set(map(type, items)) <= _PLAIN_TYPES  # type() per item in C: 250,000 keys checked in ~10 ms


def decode_value(d: Any, classes: Classes | None = None) -> Any:
    classes = classes or {}
    dec = lambda x: decode_value(x, classes)  # noqa: E731
    if d is None or isinstance(d, bool | int | float | str):
        return d
    if not isinstance(d, dict) or not isinstance(d.get("t"), str):
        raise BadFile("not a stored value")
    t, v = d["t"], d.get("v")
    if t == "bytes":
        return base64.b64decode(v, validate=True)
    if t == "array":
        if d.get("code") not in ("f", "d", "i", "I", "l", "q", "b", "B", "h", "H"):
            raise BadFile("unknown array type")
        out = array(d["code"])
        out.frombytes(base64.b64decode(v, validate=True))
        return out
    if t == "object":
        cls = classes.get(d.get("class"))  # type: ignore[arg-type]
        fields = dec(v)
        if cls is None or not isinstance(fields, dict):
            raise BadFile("an object of a class not allowed here")
        obj = cls.__new__(cls)
        obj.__dict__.update(fields)
        return obj
    if not isinstance(v, list):
        raise BadFile("not a stored value")
    if t in ("frozenset", "set"):
        return (frozenset if t == "frozenset" else set)(dec(x) for x in v)
    if t in ("tuple", "list"):
        if d.get("plain") is True:
            if not _plain(v):
                raise BadFile("a plain list holds something else")
            return tuple(v) if t == "tuple" else v
        return (tuple if t == "tuple" else list)(dec(x) for x in v)
    if t == "dict":
        keys = d.get("k")
        plain = set(map(type, keys or ())) <= _KEY_TYPES
        if not isinstance(keys, list) or len(keys) != len(v) or not plain:
            raise BadFile("dict keys do not match")
        if d.get("plain") is True:
            if not _plain(v):
                raise BadFile("a plain dict holds something else")
            return dict(zip(keys, v, strict=True))
        return dict(zip(keys, (dec(x) for x in v), strict=True))
    raise BadFile(f"unknown stored type {t!r}")


def save_json(path: Path, data: dict[str, Any]) -> None:
    with atomic(path) as f:
        f.write(json.dumps({"format": FORMAT, **data}, ensure_ascii=False).encode("utf-8"))


def load_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return None
    return data


CACHE_VERSION = 2  # 2: long plain lists and dicts stored in one piece (a version-1 cache read 3× slower)
PROBE = ["2024年一般公共预算财政拨款支出1,234.56万元。", "Budget  report ①②③ ＡＢＣ　全角", ""]


def cached_tokenizer(cls: type, model: Path, cache_dir: Path | None, classes: Classes) -> Any:
    """A tokenizer (an object of `cls` with an encode(texts) method) built from `model` once and kept as
    typed JSON under cache_dir. Read back, it must give the token ids it gave when built for a few probe
    sentences, or it is built anew; a home that can't be written builds it each time."""
    stat = model.stat()
    path = (
        cache_dir / f"tokenizer-{cls.__name__}-{stat.st_size}-{int(stat.st_mtime)}-v{CACHE_VERSION}.json"
        if cache_dir
        else None
    )
    if path is not None:
        data = load_json(path)
        if data is not None:
            try:
                tok = decode_value(data["tokenizer"], classes)
                if isinstance(tok, cls) and tok.encode(PROBE) == data["probe"]:
                    return tok
            except Exception:  # noqa: BLE001 - any damage means: build it again
                pass
    tok = cls(str(model))
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            save_json(path, {"tokenizer": encode_value(tok, classes), "probe": tok.encode(PROBE)})
        except (OSError, TypeError):  # a read-only or full home: built each time, nothing left behind
            pass
    return tok


OLD_PICKLES = ("bm25.pkl", "dense.pkl")  # what versions before FORMAT 2 kept in the home, read with pickle


def old_pickles(home: Path) -> list[Path]:
    """Files an older version left in the home in pickle format (bm25.pkl, dense.pkl, cache/*.pkl). They
    are never read: a pickle can run code when loaded. Their data lives on in the .npz files."""
    found = [home / name for name in OLD_PICKLES if (home / name).is_file()]
    cache = home / "cache"
    return found + (sorted(cache.glob("*.pkl")) if cache.is_dir() else [])


def remove_old_pickles(home: Path) -> list[str]:
    """Delete the old pickle files of a home (a writer does, on taking the writer lock); their names."""
    removed = []
    for path in old_pickles(home):
        try:
            path.unlink()
            removed.append(path.name)
        except OSError:
            pass  # a read-only home: they stay, unread
    return removed


def whole_zip(path: Path) -> bool:
    """An .npz (a zip) whose directory reads and whose members' sizes add up to the file: a truncated
    file is not whole (its directory, at the end, is gone). Cheap: nothing is decompressed."""
    try:
        with zipfile.ZipFile(path) as z:
            return bool(z.infolist()) and all(
                i.header_offset + i.compress_size <= path.stat().st_size for i in z.infolist()
            )
    except (OSError, zipfile.BadZipFile, ValueError):
        return False


def trim_cache(folder: Path, max_bytes: int, keep_seconds: float = 60.0) -> int:
    """Keep a cache folder (rendered pages, Gradio's uploads) under max_bytes: the least recently used
    files go first (by access or change time, whichever is later), in subfolders too (a subfolder left
    empty goes with them); a file younger than keep_seconds stays (it may be about to be served).
    Returns the bytes freed."""
    entries = []
    try:
        for dirpath, _dirs, files in os.walk(folder):
            for name in files:
                try:
                    st = os.lstat(os.path.join(dirpath, name))
                except OSError:
                    continue
                if stat.S_ISREG(st.st_mode):
                    entries.append((max(st.st_atime, st.st_mtime), st.st_size, os.path.join(dirpath, name)))
    except OSError:
        return 0
    total = sum(size for _, size, _ in entries)
    freed, now = 0, time.time()
    for used, size, path in sorted(entries):
        if total - freed <= max_bytes or now - used < keep_seconds:
            break
        try:
            os.unlink(path)
            freed += size
        except OSError:
            continue
        parent = os.path.dirname(path)
        if os.path.realpath(parent) != os.path.realpath(folder):
            try:
                os.rmdir(parent)  # only when empty
            except OSError:
                pass
    return freed


WEB_TEMP = re.compile(r"budgetqa-(?:audit|compare|csv|export|locate)-[a-z0-9_]{8}")  # tempfile.mkdtemp's names


def sweep_temp(older_than: float = 600.0) -> int:
    """Remove the temporary folders the web app's calls made for their downloads (mkdtemp(prefix=
    "budgetqa-compare-") …) once they are older than `older_than` seconds: Gradio has copied them to its
    own cache by then. Only folders of those names, of this user, are touched."""
    import shutil
    import tempfile

    root, now, removed = Path(tempfile.gettempdir()), time.time(), 0
    try:
        candidates = [p for p in root.iterdir() if WEB_TEMP.fullmatch(p.name)]
    except OSError:
        return 0
    for p in candidates:
        try:
            st = p.lstat()
            if stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and now - st.st_mtime > older_than:
                shutil.rmtree(p, ignore_errors=True)
                removed += 1
        except OSError:
            pass
    return removed


def safe_doc_id(name: str) -> str:
    """A report id of safe characters whatever the file name: letters and digits of any script, "-", "_"
    and "."; anything else (a newline, a right-to-left override, a space, a slash) becomes "_", and six
    hex digits of the name's hash keep two such names apart. A name already safe is kept as it is (the
    file name stays the report's path, for display)."""
    import hashlib

    name = unicodedata.normalize("NFC", name)
    safe = "".join(c if c in "-_." or unicodedata.category(c)[0] in "LN" else "_" for c in name)
    if safe == name and name and not name.startswith(".") and len(name) <= 120:
        return name
    tag = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:6]
    return f"{safe.strip('._-')[:100] or 'report'}-{tag}"
