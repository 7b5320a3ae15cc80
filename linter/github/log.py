"""The bot's log: lines on standard error with the token masked."""

from __future__ import annotations

import sys


class Log:
    """Log lines on standard error, ``miglint: ...``, with the token masked."""

    def __init__(self, secrets: list[str], stream=None) -> None:
        self._secrets = [s for s in secrets if s]
        self._stream = stream or sys.stderr
        self._once: set[str] = set()

    def redact(self, text: str) -> str:
        for s in self._secrets:
            text = text.replace(s, "***")
        return text

    def line(self, message: str) -> None:
        print("miglint: " + self.redact(message), file=self._stream, flush=True)

    def once(self, key: str, message: str) -> None:
        if key not in self._once:
            self._once.add(key)
            self.line(message)
