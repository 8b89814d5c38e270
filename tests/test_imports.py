"""Imports run downward: the content model and the planner load without the renderer or
the web stack, and nothing in pipeline/ imports web/ (the studio's page runs the engine,
pipeline/studio.py, not the other way round)."""
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
