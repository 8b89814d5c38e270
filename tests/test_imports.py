"""Imports run downward: the content model and the planner load without the renderer or
the web stack, nothing in pipeline/ imports web/ (the studio's page runs the engine,
pipeline/studio.py, not the other way round), no module of pipeline/ imports one that
imports it back, and none is too long to read (docs/architecture.md)."""
from __future__ import annotations

import ast
import json
import subprocess
import sys

from .conftest import ROOT


def test_content_and_plan_import_neither_weasyprint_nor_django():
    code = ("import json, sys, pipeline.content, pipeline.plan; "
            "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True,
                                       text=True).stdout)
    assert "weasyprint" not in loaded
    assert "django" not in loaded
    assert "web" not in loaded



def test_preflight_gets_the_stage_types_and_page_geometry_without_the_renderer_or_the_layouts():
    """Stage data types (Job, Placed, Rendered) and the page's bleed live in light modules:
    preflight, a lower stage, climbs back neither to the renderer nor to the layouts."""
    code = ("import json, sys, pipeline.preflight, pipeline.stages; "
            "print(json.dumps(sorted(sys.modules)))")
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True,
                                       text=True).stdout)
    assert not [m for m in loaded if m.startswith(("weasyprint", "pipeline.render", "pipeline.layouts", "jinja2"))]

def test_the_renderer_and_imposition_do_not_climb_back_to_the_layouts():
    """The page's CSS (profilecss.py), the crop marks (cropmarks.py) and the tel: targets
    (inputs.py) sit below both: render/ loads neither layouts.py nor Jinja2, and impose.py,
    a PDF tool, nothing of the pipeline but the crop marks."""
    code = ("import json, sys, pipeline.render, pipeline.impose; "
            "print(json.dumps(sorted(sys.modules)))")
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True,
                                       text=True).stdout)
    assert not [m for m in loaded if m.startswith(("pipeline.layouts", "jinja2"))]
    code = "import json, sys, pipeline.impose; print(json.dumps(sorted(sys.modules)))"
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True,
                                       text=True).stdout)
    assert [m for m in loaded if m.startswith("pipeline")] == ["pipeline", "pipeline.cropmarks", "pipeline.impose"]


def test_no_module_in_pipeline_imports_web():
    found = []
    for path in sorted((ROOT / "pipeline").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            found += [f"{path.relative_to(ROOT)}:{node.lineno} imports {name}" for name in names
                      if name == "web" or name.startswith("web.")]
    assert not found, found


def test_the_studio_command_does_not_load_web_into_the_pipeline():
    """`campaign-print studio` becomes `python -m web.studio.server`; the CLI module loads no web."""
    code = "import json, sys, pipeline.cli, pipeline.studio; print(json.dumps(sorted(sys.modules)))"
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True,
                                       text=True).stdout)
    assert not [m for m in loaded if m == "web" or m.startswith("web.") or m.startswith("django")]


MAX_LINES = 500  # a module a maintainer reads in one sitting; split a longer one along its seams


def pipeline_modules() -> dict[str, object]:
    """Every module of pipeline/ by its dotted name (a package by its own name)."""
    modules = {}
    for path in sorted((ROOT / "pipeline").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def imported_modules(name: str, path, modules: dict) -> set[str]:
    """The pipeline modules `name` imports, at the top or inside a function (an import
    deferred for speed is still a dependency): each the most specific module named."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[:len(package.split(".")) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            targets = [f"{module}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def test_no_module_in_pipeline_is_over_500_lines():
    long = {str(path.relative_to(ROOT)): lines for path in pipeline_modules().values()
            if (lines := len(path.read_text().splitlines())) > MAX_LINES}
    assert not long, long


def test_no_import_circle_in_pipeline():
    modules = pipeline_modules()
    graph = {name: imported_modules(name, path, modules) for name, path in modules.items()}
    assert graph["pipeline.cluster"] and graph["pipeline.fit"]  # the walk finds imports at all

    def circle_from(start: str) -> list[str] | None:
        """The first path from `start` back to itself, depth first."""
        todo, seen = [(start, [start])], set()
        while todo:
            name, path = todo.pop()
            for target in sorted(graph[name]):
                if target == start:
                    return path + [start]
                if target not in seen:
                    seen.add(target)
                    todo.append((target, path + [target]))
        return None

    circles = [circle for name in sorted(graph) if (circle := circle_from(name))]
    assert not circles, [" -> ".join(circle) for circle in circles]
