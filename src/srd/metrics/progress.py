"""tqdm progress bars that stay readable when stderr is a log file (one line per update, no carriage returns)."""

from __future__ import annotations

import sys
from typing import TextIO

from tqdm import tqdm

LOG_INTERVAL_S = 30.0


class _LineWriter:
    """File-like wrapper that turns tqdm's in-place redraws into separate lines."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> None:
        line = text.replace("\r", "").strip()
        if line:
            self._stream.write(line + "\n")

    def flush(self) -> None:
        self._stream.flush()


def progress(total: int, desc: str) -> tqdm:
    """A bar for `total` items: live on a terminal, a line every 30 s in a log file."""
    stream = sys.stderr
    if stream.isatty():
        return tqdm(total=total, desc=desc, file=stream, dynamic_ncols=True)
    return tqdm(total=total, desc=desc, file=_LineWriter(stream), ascii=True, ncols=100,
                mininterval=LOG_INTERVAL_S, maxinterval=LOG_INTERVAL_S)
