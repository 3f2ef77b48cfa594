"""Result tables as small HTML pages for the Snakemake report, which shows HTML inline but offers a CSV only as a
data-URL link (that browsers refuse to open in the page)."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from srd.io import atomic_write_text

STYLE = """body { font-family: sans-serif; font-size: 13px; margin: 1em; }
table { border-collapse: collapse; } th, td { border: 1px solid #ccc; padding: 2px 6px; text-align: right; }
th { background: #f0f0f0; } tr.published td { color: #666; } td:first-child, th:first-child { text-align: left; }"""


def write_table_html(table: pd.DataFrame, title: str, note: str, path: Path | str) -> None:
    """One page: title, a note on how to read the table, the table (rows of published results greyed)."""
    classes = ["published" if source == "published" else "ours" for source in table.get("source", [])]
    body = table.to_html(index=False, na_rep="", float_format=lambda x: f"{x:.4g}", border=0)
    for cls in classes:  # pandas gives every body row the same "<tr>"; tag them in order
        body = body.replace("<tr>\n      <td>", f'<tr class="{cls}">\n      <td>', 1)
    atomic_write_text(path, f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
                            f"<style>{STYLE}</style></head><body><h2>{html.escape(title)}</h2>"
                            f"<p>{html.escape(note)}</p>{body}</body></html>\n")
