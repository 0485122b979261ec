"""Conversations that last: each answer kept in the home under its content hash (a permalink `?a=ID`
opens it again, with its checks and sources), and each browser's conversation — a session id kept in
the browser's localStorage — as the list of its answers' ids, reopened after a reload."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict
from decimal import Decimal, InvalidOperation
from html import escape
from pathlib import Path
from typing import Any

from ingest.model import Answer, CheckedNumber, Chunk, Citation, Retrieved, content_hash
from rag.conversation import Turn, load_turn, save_turn
from ui.render import answer_message

ANSWER_ID = re.compile(r"^[0-9a-f]{16}$")
SESSION_ID = re.compile(r"^[0-9a-f]{32}$")
MAX_KEPT = 200  # answers a session reopens: the latest ones


def answers_dir(home: Path) -> Path:
    return home / "answers"


def web_sessions_dir(home: Path) -> Path:
    return home / "web-sessions"


# --- answers as JSON ------------------------------------------------------------------------
def answer_to_json(a: Answer) -> dict[str, Any]:
    """Everything an answer shows (text, marks, checks, sources), as JSON values."""
    return json.loads(json.dumps(asdict(a), ensure_ascii=False, default=str))


def _decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal(0)


def answer_from_json(d: dict[str, Any]) -> Answer:
    """The answer `answer_to_json` wrote. KeyError/TypeError on a file that is not one."""
    return Answer(
        question=d["question"],
        answer=d["answer"],
        mode=d["mode"],
        abstained=bool(d["abstained"]),
        citations=tuple(Citation(**c) for c in d.get("citations") or ()),
        retrieved=tuple(Retrieved(Chunk(**r["chunk"]), float(r["score"])) for r in d.get("retrieved") or ()),
        numbers=tuple(
            CheckedNumber(
                n["text"], _decimal(n["value"]), n["unit"], n["status"], dict(n.get("source") or {}), n["note"]
            )
            for n in d.get("numbers") or ()
        ),
        notes=tuple(d.get("notes") or ()),
        alternative=answer_from_json(d["alternative"]) if d.get("alternative") else None,
        backend=d.get("backend") or "",
        table=tuple(tuple(r) for r in d.get("table") or ()),
        asked=d.get("asked") or "",
    )


def save_answer(home: Path, a: Answer) -> str:
    """Keep an answer under the hash of its content; its id (the permalink's ?a=). OSError when the
    home can't be written."""
    data = answer_to_json(a)
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    aid = content_hash(text)
    folder = answers_dir(home)
    path = folder / f"{aid}.json"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"saved_at": time.time(), "answer": data}, ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)
    return aid


def load_answer(home: Path, aid: str) -> Answer | None:
    """The answer kept under `aid`; None for an id that is not one, or a file gone or damaged."""
    if not ANSWER_ID.match(aid or ""):
        return None
    try:
        return answer_from_json(json.loads((answers_dir(home) / f"{aid}.json").read_text(encoding="utf-8"))["answer"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


# --- sessions --------------------------------------------------------------------------------
def new_session() -> str:
    return uuid.uuid4().hex


def _session_file(home: Path, sid: str) -> Path:
    return web_sessions_dir(home) / f"{sid}.json"


def remember(home: Path, sid: str, answer_ids: list[str], turn: Turn | None) -> None:
    """The session's answers (by id) and what its last question was understood to ask. A home that
    can't be written keeps no history; the page goes on."""
    if not SESSION_ID.match(sid or ""):
        return
    try:
        path = _session_file(home, sid)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"answers": answer_ids[-MAX_KEPT:]}), encoding="utf-8")
        tmp.replace(path)
        turn_path = path.with_name(f"{sid}.turn.json")
        if turn is None:
            turn_path.unlink(missing_ok=True)
        else:
            save_turn(turn_path, turn)
    except OSError:
        pass


def chat_messages(answers: list[Answer], ids: list[str]) -> list[dict[str, str]]:
    """The chat as it showed these answers: each question, then its answer with marks and sources."""
    out = []
    for i, (a, aid) in enumerate(zip(answers, ids, strict=True)):
        out.append({"role": "user", "content": escape(a.asked or a.question)})
        out.append({"role": "assistant", "content": answer_message(a, i, aid)})
    return out


def reopen(home: Path, sid: str) -> tuple[list[Answer], list[str], Turn | None]:
    """A session's answers (those still kept), their ids and its last turn; nothing for a new one."""
    if not SESSION_ID.match(sid or ""):
        return [], [], None
    path = _session_file(home, sid)
    try:
        ids = [i for i in json.loads(path.read_text(encoding="utf-8")).get("answers", []) if isinstance(i, str)]
    except (OSError, ValueError, AttributeError):
        return [], [], None
    pairs = [(a, i) for i in ids if (a := load_answer(home, i)) is not None]
    return [a for a, _ in pairs], [i for _, i in pairs], load_turn(path.with_name(f"{sid}.turn.json"))


def on_load(
    home: Path, sid: str | None, shared: str | None
) -> tuple[str, list[dict], list[Answer], list[str], Any, str]:
    """A page opening: its browser's session (a new one when it has none) reopened, and the answer of
    a permalink (?a=ID) added after it. Returns session id, chat, answers, ids, turn and a status line."""
    sid = sid if SESSION_ID.match(sid or "") else new_session()
    answers, ids, turn = reopen(home, sid)
    status = f"已恢复本浏览器的 {len(answers)} 个问答" if answers else ""
    if shared:
        a = load_answer(home, shared.strip())
        if a is None:
            status = "⚠ 这个答案链接打不开：答案已不在数据目录中，或链接不完整"
        else:
            if shared in ids:  # already in this conversation: shown once
                k = ids.index(shared)
                answers, ids = answers[:k] + answers[k + 1 :], ids[:k] + ids[k + 1 :]
            answers, ids = [*answers, a], [*ids, shared]
            status = f"已打开链接中的答案：{a.question}"
            remember(home, sid, ids, turn)
    return sid, chat_messages(answers, ids), answers, ids, turn, status


def keep_session(home: Path, sid: str, answers: list[Answer], turn: Turn | None) -> None:
    """The session as it now stands, kept in the home (its answers saved, by id)."""
    try:
        ids = [save_answer(home, a) for a in answers]
    except OSError:
        return
    remember(home, sid, ids, turn)


def kept(home: Path, sid: str, stream: Iterator[tuple]) -> Iterator[tuple]:
    """An ask stream (chat, answers, turn, status) passed through, the session kept once it ends."""
    last = None
    for last in stream:
        yield last
    if last is not None:
        keep_session(home, sid, last[1], last[2])
