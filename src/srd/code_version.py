"""The srd source a workflow script runs, found from its imports, and a digest of it.

Each rule passes this digest as a param, so editing a module reruns exactly the stages whose scripts import it,
directly or through other srd modules. A hand-kept list of files per stage silently misses a new module.
"""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path

PACKAGE = "srd"
ROOT = Path(__file__).resolve().parent


def module_file(name: str) -> Path | None:
    """srd.a.b -> src/srd/a/b.py or src/srd/a/b/__init__.py; None for a name that is not a module (an attribute)."""
    parts = name.split(".")[1:]
    for candidate in (ROOT.joinpath(*parts, "__init__.py"), ROOT.joinpath(*parts).with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def imported_modules(source: str, module: str | None = None) -> set[str]:
    """srd modules named by the imports of a source text, anywhere in it (also inside functions), with the packages
    that contain them (importing srd.a.b runs srd/__init__ and srd/a/__init__). Relative imports need `module`."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = (module or "").split(".")[: -node.level]
                base = ".".join(package + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)  # `from srd.x import y`: y may be a module
    ours = {name for name in names if name == PACKAGE or name.startswith(PACKAGE + ".")}
    return {".".join(name.split(".")[:k]) for name in ours for k in range(1, name.count(".") + 2)}


def source_files(script: Path) -> list[Path]:
    """The script, every srd source file it runs (transitively), and the data files shipped beside them (e.g. the
    Magpie scaler JSON, which changes fingerprint distances as surely as code does)."""
    files, seen = {script.resolve()}, set()
    todo = imported_modules(script.read_text())
    while todo:
        name = todo.pop()
        seen.add(name)
        path = module_file(name)
        if path is None:
            continue
        files.add(path)
        files.update(p for p in path.parent.iterdir() if p.is_file() and p.suffix not in (".py", ".pyc"))
        todo |= imported_modules(path.read_text(), name if path.name != "__init__.py" else name + ".__init__") - seen
    return sorted(files)


def code_fingerprint(script: Path) -> str:
    """Digest of the script and the srd source it runs (paths relative to the package, so clones agree)."""
    digest = hashlib.sha256()
    for path in source_files(Path(script)):
        label = path.relative_to(ROOT) if path.is_relative_to(ROOT) else Path(path.name)
        digest.update(str(label).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]
