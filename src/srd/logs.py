"""Send a stage's logging and progress bars to its Snakemake `log:` file."""

from __future__ import annotations

import io
import logging
import sys
from pathlib import Path


class LineStream(io.TextIOBase):
    """A text stream that turns tqdm's carriage returns into new lines, so a log file shows one update per line."""

    def __init__(self, target: io.TextIOBase) -> None:
        self.target = target

    def write(self, text: str) -> int:
        self.target.write(text.replace("\r", "\n").replace("\n\n", "\n"))
        self.target.flush()
        return len(text)

    def flush(self) -> None:
        self.target.flush()


def to_file(path: str | Path) -> None:
    """Route logging and stderr (where tqdm writes) to `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    stream = LineStream(open(path, "a", buffering=1))
    sys.stderr = stream
    logging.basicConfig(level=logging.INFO, stream=stream, force=True,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
