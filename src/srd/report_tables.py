"""Result tables as small HTML pages for the Snakemake report, which shows HTML inline but offers a CSV only as a
data-URL link (that browsers refuse to open in the page)."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from srd.io import atomic_write_text

STYLE = """body { font-family: sans-serif; font-size: 13px; margin: 1em; }
table { border-collapse: collapse; } th, td { border: 1px solid #ccc; padding: 2px 6px; text-align: right; }
th { background: #f0f0f0; }"""


def write_table_html(table: pd.DataFrame, title: str, note: str, path: Path | str) -> None:
    """One page: title, a note on how to read the table, the table (rows with source = published greyed)."""
    published = table["source"].eq("published") if "source" in table else pd.Series(False, index=table.index)
    styled = (table.style.set_uuid("srd").hide(axis="index").format(precision=4, na_rep="")
              .apply(lambda row: ["color: #777" if published[row.name] else ""] * len(row), axis=1))
    atomic_write_text(path, f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
                            f"<style>{STYLE}</style></head><body><h2>{html.escape(title)}</h2>"
                            f"<p>{html.escape(note)}</p>{styled.to_html()}</body></html>\n")
