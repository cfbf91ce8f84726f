"""lab.registry: studies found by their folder (gallery order, private modules skipped, LAB_STUDIES_DIR), loaded by
file path; the library never imports ``studies``."""
import ast
import sys
from pathlib import Path

import pytest

from lab import registry

ROOT = Path(__file__).resolve().parents[1]


def test_names_follow_the_gallery_and_cover_every_study_file():
    names = registry.names(ROOT / "studies")
    files = sorted(p.stem for p in (ROOT / "studies").glob("*.py") if not p.stem.startswith("_"))
    assert sorted(names) == files
    assert names == [n for n in registry._gallery(ROOT / "studies")], "a study file is missing from GALLERY"
    assert names[0] == "gaussian_collapse" and names.index("sims_toy") < names.index("sims_digits")


def test_load_returns_the_module_once_and_rejects_unknown_names():
    a = registry.load("estimator_choice", ROOT / "studies")
    assert a is registry.load("estimator_choice", ROOT / "studies") and a.NAME == "estimator_choice"
    assert Path(a.__file__).resolve() == ROOT / "studies" / "estimator_choice.py"
    with pytest.raises(ValueError, match="study must be one of"):
        registry.load("no_such_study", ROOT / "studies")


def test_a_folder_named_by_the_environment(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setattr(sys, "modules", dict(sys.modules))
    d = tmp_path / "mystudies"
    d.mkdir()
    (d / "__init__.py").write_text('GALLERY = ("zeta", "alpha")\n')
    (d / "alpha.py").write_text('NAME = "alpha"\nCLAIM = "a"\n')
    (d / "zeta.py").write_text('from mystudies import alpha\nNAME = "zeta"\nCLAIM = alpha.CLAIM + "z"\n')
    (d / "beta.py").write_text('NAME = "beta"\nCLAIM = "b"\n')
    (d / "_helpers.py").write_text("")
    monkeypatch.setenv(registry.ENV, str(d))
    assert registry.folder() == d.resolve()
    assert registry.names() == ["zeta", "alpha", "beta"]  # GALLERY first, the rest alphabetically; _helpers skipped
    z = registry.load("zeta")
    assert z.CLAIM == "az" and z.alpha is registry.load("alpha")  # a study imports another as its package's module
    monkeypatch.setenv(registry.ENV, str(tmp_path / "missing"))
    with pytest.raises(ValueError, match=registry.ENV):
        registry.folder()


def test_the_library_does_not_import_studies():
    offenders = []
    for path in (ROOT / "lab").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            mods = ([a.name for a in node.names] if isinstance(node, ast.Import)
                    else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.relative_to(ROOT)}: {m}" for m in mods if m.split(".")[0] == "studies"]
    assert not offenders, offenders


def test_default_folder_is_beside_the_working_directory_else_the_project(tmp_path, monkeypatch):
    monkeypatch.delenv(registry.ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    assert registry.folder() == ROOT / "studies"  # no studies/ here: the project's own
    (tmp_path / "studies").mkdir()
    assert registry.folder() == (tmp_path / "studies").resolve()
