"""The architecture, enforced: only ui/ imports PySide6; domain/ imports nothing of ours outside it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "cuesheet_app"
NON_UI = sorted(
    ".".join(p.relative_to(PKG.parent).with_suffix("").parts)
    for p in PKG.rglob("*.py")
    if "ui" not in p.relative_to(PKG).parts and p.name != "__main__.py"
)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


def test_only_ui_imports_qt_statically() -> None:
    offenders = []
    for path in PKG.rglob("*.py"):
        if "ui" in path.relative_to(PKG).parts:
            continue
        if any(m.split(".")[0] in ("PySide6", "shiboken6") for m in _imports(path)):
            offenders.append(str(path.relative_to(PKG)))
    assert offenders == []


def test_non_ui_modules_import_with_pyside_blocked() -> None:
    """Also catches indirect imports (a non-UI module importing ui/)."""
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('PySide6', 'shiboken6'):\n"
        "            raise ImportError('PySide6 is blocked outside ui/: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import importlib\n"
        f"for m in {NON_UI!r}:\n"
        "    importlib.import_module(m)\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=PKG.parent)
    assert result.returncode == 0, result.stderr[-2000:]


def test_domain_depends_on_nothing_outside_domain() -> None:
    for path in (PKG / "domain").rglob("*.py"):
        for module in _imports(path):
            if module.startswith("cuesheet_app."):
                assert module.startswith("cuesheet_app.domain"), f"{path.name} imports {module}"


def test_inner_layers_never_import_outer_ones() -> None:
    """domain <- media/identify/rights/export/storage/settings <- services <- cli/ui."""
    outer = {"cuesheet_app.ui", "cuesheet_app.cli", "cuesheet_app.services"}
    for path in PKG.rglob("*.py"):
        layer = path.relative_to(PKG).parts[0]
        if layer in ("ui", "cli", "services") or path.parent == PKG:
            continue
        for module in _imports(path):
            assert not any(module == o or module.startswith(o + ".") for o in outer), (
                f"{path.relative_to(PKG)} imports {module}"
            )
