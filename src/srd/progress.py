"""Progress bars for long stages: live on a terminal, one plain line every 30 s in a log file.

Every stage uses this one helper, so Snakemake log files stay readable (no carriage-return redraws).
"""

from __future__ import annotations

import sys
from typing import Iterable, TextIO

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


def progress(iterable: Iterable | None = None, total: int | None = None, desc: str = "", unit: str = "it",
             initial: int = 0) -> tqdm:
    """A tqdm bar on the current stderr (read at call time, so a redirect to a log file is honoured)."""
    stream = sys.stderr
    if stream.isatty():
        return tqdm(iterable, total=total, desc=desc, unit=unit, initial=initial, file=stream, dynamic_ncols=True)
    return tqdm(iterable, total=total, desc=desc, unit=unit, initial=initial, file=_LineWriter(stream), ascii=True,
                ncols=100, mininterval=LOG_INTERVAL_S, maxinterval=LOG_INTERVAL_S)
