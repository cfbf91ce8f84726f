"""Finding the studies by their folder: the library never imports ``studies``; it lists and loads its files.

The folder is ``$LAB_STUDIES_DIR`` when set, else ``studies/`` beside the current working directory, else the
``studies/`` folder of the project that holds ``lab`` itself. A study is a ``*.py`` file in it whose name does not
start with ``_``; its name is the file's stem. The gallery's order is the ``GALLERY`` tuple of names in the folder's
``__init__.py`` (read as data, not executed); studies it does not name follow in alphabetical order.

``load`` imports a study by its file path (``importlib.util.spec_from_file_location``) as ``<folder>.<name>``,
after registering the folder as a package of that name, so a study may import another as ``from studies import x``,
and pickling its cell functions by reference works. The folder's parent is appended to ``sys.path`` so that worker
processes (``jobs`` > 1) can import the same modules.
"""
from __future__ import annotations

import ast
import importlib.util
import os
import sys
import types
from pathlib import Path

ENV = "LAB_STUDIES_DIR"  # environment variable naming the studies' folder


def folder() -> Path:
    """The studies' folder (module docstring for the search order)."""
    env = os.environ.get(ENV)
    if env:
        path = Path(env).expanduser().resolve()
        if not path.is_dir():
            raise ValueError(f"{ENV} must name a folder of study files, got {env!r}")
        return path
    here = Path.cwd() / "studies"
    if here.is_dir():
        return here.resolve()
    return Path(__file__).resolve().parents[1] / "studies"


def _where(where) -> Path:
    path = folder() if where is None else Path(where).resolve()
    if not path.is_dir():
        raise ValueError(f"where must be a folder of study files, got {str(path)!r}")
    return path


def _gallery(path: Path) -> tuple:
    """The ``GALLERY = (...)`` tuple of ``path/__init__.py``, read without executing it; () when absent."""
    init = path / "__init__.py"
    if not init.exists():
        return ()
    for node in ast.parse(init.read_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "GALLERY" for t in node.targets):
            return tuple(ast.literal_eval(node.value))
    return ()


def names(where=None) -> list[str]:
    """Study names in the gallery's order (``where``: a folder; default ``folder()``)."""
    path = _where(where)
    found = {p.stem for p in path.glob("*.py") if not p.stem.startswith("_")}
    ordered = [n for n in _gallery(path) if n in found]
    return ordered + sorted(found - set(ordered))


def _package(path: Path) -> str:
    """Register ``path`` as the package ``path.name`` (from its ``__init__.py`` when it has one); its name."""
    name = path.name
    pkg = sys.modules.get(name)
    if pkg is not None and [str(Path(p).resolve()) for p in getattr(pkg, "__path__", [])] == [str(path)]:
        return name
    init = path / "__init__.py"
    if init.exists():
        spec = importlib.util.spec_from_file_location(name, init, submodule_search_locations=[str(path)])
        pkg = importlib.util.module_from_spec(spec)
        sys.modules[name] = pkg
        spec.loader.exec_module(pkg)
    else:
        pkg = types.ModuleType(name, f"studies in {path}")
        pkg.__path__ = [str(path)]
        sys.modules[name] = pkg
    if str(path.parent) not in sys.path:
        sys.path.append(str(path.parent))
    return name


def load(name: str, where=None):
    """The study module ``name`` (one of ``names()``), imported from its file."""
    path = _where(where)
    known = names(path)
    if name not in known:
        raise ValueError(f"study must be one of {known}, got {name!r}")
    package = _package(path)
    full, file = f"{package}.{name}", path / f"{name}.py"
    mod = sys.modules.get(full)
    if mod is not None and Path(mod.__file__).resolve() == file:
        return mod
    spec = importlib.util.spec_from_file_location(full, file)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[full] = mod
    try:
        spec.loader.exec_module(mod)
    except BaseException:
        del sys.modules[full]
        raise
    setattr(sys.modules[package], name, mod)
    return mod
