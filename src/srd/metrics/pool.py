"""A process pool with a hard per-item timeout: a hung or crashed item is reported, never waited on forever.

``concurrent.futures`` cannot stop a running task, and fingerprinting a degenerate cell can run for hours (or die
in C code), so each worker is a process of its own that the parent kills and replaces when its item overruns.
"""

from __future__ import annotations

import multiprocessing as mp
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from srd.progress import progress

DEFAULT_TIMEOUT_S = 60.0  # ~200x the typical 0.3 s of an MP-20 crystal


@dataclass(frozen=True)
class Outcome:
    """Result of one item: status is "ok", "timeout", "error" (the function raised) or "crashed" (worker died)."""

    status: str
    value: Any = None
    message: str = ""


def _worker(conn: Connection, func: Callable[[Any], Any]) -> None:
    while True:
        task = conn.recv()
        if task is None:
            return
        index, item = task
        try:
            conn.send((index, Outcome("ok", func(item))))
        except Exception as error:
            conn.send((index, Outcome("error", message=f"{type(error).__name__}: {error}")))


def _context() -> mp.context.BaseContext:
    """fork on Linux: a worker starts in milliseconds with matminer already imported, and the caller's main
    module is not re-imported (spawn/forkserver re-run an unguarded Snakemake script in every worker, which
    would turn every fingerprint into "crashed"). Elsewhere spawn, which needs the usual ``__main__`` guard."""
    return mp.get_context("fork" if sys.platform == "linux" else "spawn")


class _Slot:
    """One worker process, its pipe, and the item it is working on."""

    def __init__(self, ctx: mp.context.BaseContext, func: Callable[[Any], Any]) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker, args=(child, func), daemon=True)
        self.process.start()
        child.close()
        self.index: int | None = None
        self.started = 0.0

    def submit(self, index: int, item: Any) -> None:
        self.conn.send((index, item))
        self.index, self.started = index, time.monotonic()

    def stop(self, kill: bool) -> None:
        if kill:
            self.process.kill()
        else:
            try:
                self.conn.send(None)
            except OSError:
                pass
        self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


def map_with_timeout(
    func: Callable[[Any], Any], items: Sequence[Any], workers: int, timeout: float, desc: str
) -> list[Outcome]:
    """``[func(item) for item in items]`` on `workers` processes; an item running past `timeout` seconds is
    killed and reported as "timeout". `func` must be picklable (a module-level function)."""
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if timeout <= 0:
        raise ValueError(f"timeout must be > 0 s, got {timeout}")
    results: list[Outcome | None] = [None] * len(items)
    if not items:
        return []
    ctx = _context()
    pending = list(range(len(items)))[::-1]
    slots = [_Slot(ctx, func) for _ in range(min(workers, len(items)))]
    bar = progress(total=len(items), desc=desc)
    try:
        while pending or any(slot.index is not None for slot in slots):
            for slot in slots:
                if slot.index is None and pending:
                    index = pending.pop()
                    slot.submit(index, items[index])
            busy = [slot for slot in slots if slot.index is not None]
            deadline = min(slot.started for slot in busy) + timeout
            ready = set(wait([slot.conn for slot in busy], timeout=max(0.0, deadline - time.monotonic())))
            for position, slot in enumerate(slots):
                if slot.index is None:
                    continue
                if slot.conn in ready:
                    try:
                        index, outcome = slot.conn.recv()
                    except (EOFError, OSError):
                        index = slot.index
                        slot.stop(kill=True)
                        outcome = Outcome("crashed", message=f"worker exited with code {slot.process.exitcode}")
                        slots[position] = _Slot(ctx, func)
                    else:
                        slot.index = None
                elif time.monotonic() - slot.started >= timeout:
                    index, outcome = slot.index, Outcome("timeout", message=f"over {timeout:g} s")
                    slot.stop(kill=True)
                    slots[position] = _Slot(ctx, func)
                else:
                    continue
                results[index] = outcome
                bar.update(1)
    finally:
        bar.close()
        for slot in slots:
            slot.stop(kill=slot.index is not None)
    return results  # type: ignore[return-value]
