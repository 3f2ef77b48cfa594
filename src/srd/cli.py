"""The `srd` command line: each stage module contributes its own sub-command."""

from __future__ import annotations

import argparse
import importlib
import sys

# module path -> it exposes `add_subcommand(subparsers)` which registers a parser with `func=` set.
SUBCOMMANDS = ["srd.metrics.cli"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="srd", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for module in SUBCOMMANDS:
        importlib.import_module(module).add_subcommand(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
