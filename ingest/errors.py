"""Library exceptions. Each message names the input, the bad value and the fix."""

from __future__ import annotations


class BudgetQAError(Exception):
    """Base class; the CLI and UI print str(exc) as one line."""


class BadInputError(BudgetQAError):
    """The user gave something we cannot use (exit code 2)."""


class DocumentError(BudgetQAError):
    """One input file cannot be read; the rest of a batch goes on."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}：{reason}")
        self.path = path
        self.reason = reason


class BackendError(BudgetQAError):
    """An embedder, LLM or vector store failed (network, model missing, ...)."""
