"""A hand-written progress bar (stderr): redrawn in place on a terminal, a line per tenth if not."""

from __future__ import annotations

import sys
import time


class Progress:
    """`done` out of `total`, with the rate so far and an estimate of what is left."""

    WIDTH = 30

    def __init__(self, label: str, total: int) -> None:
        self.label = label
        self.total = max(total, 1)
        self.started = time.monotonic()
        self.tty = sys.stderr.isatty()
        self._last_tenth = -1
        self._last_draw = 0.0

    def update(self, done: int) -> None:
        now = time.monotonic()
        elapsed = now - self.started
        share = min(done / self.total, 1.0)
        rate = done / elapsed if elapsed > 0 else 0.0
        left = (self.total - done) / rate if rate > 0 and done < self.total else 0.0
        if self.tty:
            if now - self._last_draw < 0.2 and done < self.total:
                return
            self._last_draw = now
            filled = int(share * self.WIDTH)
            bar = "#" * filled + "." * (self.WIDTH - filled)
            sys.stderr.write(
                f"\r  {self.label:<28} [{bar}] {done:>9,}/{self.total:,} "
                f"{rate:>8,.0f}/s  {elapsed:5.0f}s elapsed, ~{left:4.0f}s left "
            )
            sys.stderr.flush()
            return
        tenth = int(share * 10)
        if tenth > self._last_tenth:
            self._last_tenth = tenth
            sys.stderr.write(
                f"  {self.label}: {done:,}/{self.total:,} ({share:.0%}) "
                f"{rate:,.0f}/s, {elapsed:.0f}s\n"
            )
            sys.stderr.flush()

    def close(self, done: int | None = None) -> None:
        if done is not None:
            self._last_draw = 0.0
            self.update(done)
        if self.tty:
            sys.stderr.write("\n")
            sys.stderr.flush()


def say(text: str) -> None:
    """One line of narration on stderr (stdout carries the final table)."""
    sys.stderr.write(f"[bench] {text}\n")
    sys.stderr.flush()
