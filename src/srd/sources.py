"""Where a dataset split comes from: a local file or folder, the CDVAE upstream URL, or the embedded demo."""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Mapping

from srd.io import atomic_path

log = logging.getLogger(__name__)

LOCAL_SUFFIXES = (".csv.gz", ".csv")


class SourceError(RuntimeError):
    """A dataset or split that cannot be found or fetched; the message names what was tried."""


def dataset_config(datasets: Mapping[str, Any], dataset: str) -> Mapping[str, Any]:
    if dataset not in datasets:
        raise SourceError(f"unknown dataset {dataset!r}; config.yaml defines: {', '.join(sorted(datasets))}")
    return datasets[dataset]


def split_file(data: Mapping[str, Any], split: str) -> str:
    """The file name a split reads from, through the split map (offline: train <- val)."""
    splits = data.get("splits", {})
    if split not in splits:
        raise SourceError(f"split {split!r} is not in data.splits ({', '.join(sorted(splits))})")
    return splits[split]


def local_candidates(data_root: str | Path, name: str, file: str) -> list[Path]:
    root = Path(data_root) / name
    return [root / f"{file}{suffix}" for suffix in LOCAL_SUFFIXES] + [root / file]


def find_local(data_root: str | Path | None, name: str, file: str) -> Path | None:
    """The first existing of {root}/{name}/{file}.csv.gz, .csv, or a folder {file}/ of CIFs."""
    if data_root is None:
        return None
    for path in local_candidates(data_root, name, file):
        if path.is_file() or (path.is_dir() and any(path.glob("*.cif"))):
            return path
    return None


def download(url: str, dest: Path, timeout: float = 60.0) -> Path:
    log.info("downloading %s -> %s", url, dest)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, atomic_path(dest) as tmp:
            tmp.write_bytes(response.read())
    except (urllib.error.URLError, TimeoutError, OSError) as err:
        raise SourceError(f"could not download {url} ({err}); set data.data_root to a local copy") from err
    return dest


def resolve_split(dataset_cfg: Mapping[str, Any], data: Mapping[str, Any], split: str) -> Path:
    """Local path of a split's CSV/CSV.GZ or CIF folder, downloading it into the cache if it is not local."""
    name, file = dataset_cfg["name"], split_file(data, split)
    local = find_local(data.get("data_root"), name, file)
    if local is not None:
        return local
    cached = Path(data["cache_dir"]) / name / f"{file}.csv"
    if cached.is_file():
        return cached
    if not data.get("download", True):
        tried = [str(p) for p in local_candidates(data["data_root"], name, file)] if data.get("data_root") else []
        raise SourceError(f"no local copy of {name}/{file} (tried: {', '.join(tried) or 'no data_root set'}) "
                          "and data.download is off")
    return download(data["url_template"].format(name=name, split=file), cached)
