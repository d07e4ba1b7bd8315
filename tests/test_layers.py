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


def test_media_does_not_reach_up_into_identify() -> None:
    """Decoding is used by engines, not the other way round (Progress/CancelToken live in domain/)."""
    for path in (PKG / "media").rglob("*.py"):
        for module in _imports(path):
            assert not module.startswith("cuesheet_app.identify"), f"{path.name} imports {module}"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PKG.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _all_imports(path: Path, modules: set[str]) -> set[str]:
    """Every module of ours this file names, wherever the import sits (lazy or TYPE_CHECKING too)."""
    me = _module_name(path)
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = me.split(".")
                base = base[: len(base) - node.level + (1 if path.name == "__init__.py" else 0)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            out.add(module)
            out.update(f"{module}.{a.name}" for a in node.names)
    return {m for m in out if m in modules and m != me}


def test_no_import_circles() -> None:
    """Two modules that import each other (even lazily) are one module in two files: merge or split them."""
    files = {_module_name(p): p for p in PKG.rglob("*.py")}
    graph = {m: _all_imports(p, set(files)) for m, p in files.items()}
    circles = []
    for start in graph:  # a path back to the start through the import graph
        seen, todo = set(), [(start, (start,))]
        while todo:
            node, trail = todo.pop()
            for nxt in graph[node]:
                if nxt == start:
                    circles.append(" -> ".join((*trail, start)))
                elif nxt not in seen:
                    seen.add(nxt)
                    todo.append((nxt, (*trail, nxt)))
    assert circles == []


def test_edit_list_readers_sit_on_domain_only() -> None:
    """editlists/ (beside the other importers) turns files into domain EditLists: nothing else of ours."""
    for path in (PKG / "editlists").rglob("*.py"):
        for module in _imports(path):
            if module.startswith("cuesheet_app."):
                assert module.startswith(("cuesheet_app.domain", "cuesheet_app.editlists")), (
                    f"{path.name} imports {module}")
