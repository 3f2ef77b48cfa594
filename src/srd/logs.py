"""Send a stage's logging and progress bars to its Snakemake `log:` file."""

from __future__ import annotations

import logging
import sys
from pathlib import Path


def to_file(path: str | Path) -> None:
    """Route logging and stderr to `path`; srd.progress bars see a non-terminal and print one line per update."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    stream = open(path, "a", buffering=1)
    sys.stderr = stream
    logging.basicConfig(level=logging.INFO, stream=stream, force=True,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
