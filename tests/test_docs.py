"""The worked examples in layouts/README.md work as written: a designer who follows
them (add an A6 postcard; an A1 ordered for two districts; a 6-sheet in large
format) gets what the README says, with 0 preflight errors."""
from __future__ import annotations

import csv
import json
import re
import shlex

import pikepdf

from pipeline.cli import main

from .conftest import DEFAULT_CAMPAIGN, ROOT, campaign_copy
from .test_preflight import errors, layouts_copy, run_preflight

README = ROOT / "layouts" / "README.md"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(), re.S)


def test_the_worked_postcard_builds_clean_on_press_and_screen(tmp_path):
    products, = [b for b in blocks("yaml") if "postcard:" in b]
    template, = blocks("html")
    css, = [b for b in blocks("css") if "postcard" in b]
    layouts = layouts_copy(tmp_path, {})
    (layouts / "products.yaml").write_text((layouts / "products.yaml").read_text() + "\n" + products)
    (layouts / "postcard.html").write_text(template)
    (layouts / "postcard.css").write_text(css)
    # The campaign asks for it (README: "list their products in the campaign file").
    minimal = (ROOT / "content" / "examples" / "minimal.yaml").read_text()
    campaign = tmp_path / "content" / "talk-to-us.yaml"
    campaign.parent.mkdir()
    campaign.write_text(minimal.replace("products: [poster]", "products: [poster, postcard]"))
    for profile in ("press", "screen"):
        code, report = run_preflight(tmp_path / profile, "--only", "postcard", "--profile", profile,
                                     content=campaign, layouts=layouts)
        assert [o["path"] for o in report["outputs"]] == [f"postcard{'-screen' if profile == 'screen' else ''}.pdf"]
        assert code == 0 and report["errors"] == 0, report["problems"]
        assert not errors(report, "qr")


def command(words: str) -> list[str]:
    """The README's command line that contains `words`, as arguments after campaign-print."""
    line, = [line for line in README.read_text().splitlines() if words in line]
    args = shlex.split(line)
    return args[args.index(".venv/bin/campaign-print") + 1:]


def build_as_readme(tmp_path, campaign, words: str):
    """Run the README's build command on `campaign`, into tmp_path: (folder, manifest, preflight)."""
    out = tmp_path / "out"
    args = command(words)
    assert main([args[0], str(campaign), "--out", str(out), *args[1:]]) == 0
    folder = out / campaign.stem
    return (folder, json.loads((folder / "manifest.json").read_text()),
            json.loads((folder / "preflight.json").read_text()))


def box_mm(pdf_path, box: str) -> tuple[float, float]:
    with pikepdf.open(pdf_path) as pdf:
        x0, y0, x1, y1 = (float(v) for v in pdf.pages[0][box])
    return round((x1 - x0) * 25.4 / 72, 1), round((y1 - y0) * 25.4 / 72, 1)


def test_the_a1_for_two_districts_walk_through(tmp_path):
    products_yaml = (ROOT / "layouts" / "products.yaml").read_text()
    size, = [b for b in blocks("yaml") if "A1:" in b]
    assert size in products_yaml  # the README shows products.yaml as it is
    css, = [b for b in blocks("css") if "A1 poster" in b]
    assert css == (ROOT / "layouts" / "poster-a1.css").read_text()
    order, = [b for b in blocks("yaml") if b.startswith("orders:")]
    text = DEFAULT_CAMPAIGN.read_text()
    campaign = campaign_copy(tmp_path, text.replace("\nvariants:\n", "\n" + order + "\nvariants:\n", 1))
    folder, manifest, report = build_as_readme(tmp_path, campaign, "build --only poster --district york")
    assert report["errors"] == 0, report["problems"]
    made = sorted(str(p.relative_to(folder)) for p in folder.rglob("*.pdf") if ".generations" not in p.parts)
    assert made == sorted(f"districts/{d}/poster-{s}.pdf" for d in ("york", "harrogate") for s in ("a4", "a3", "a2", "a1"))
    for district in ("york", "harrogate"):
        assert box_mm(folder / f"districts/{district}/poster-a1.pdf", "/TrimBox") == (594, 841)
    rows, = [b for b in blocks("csv") if "poster-a1" in b]
    with open(folder / "print-order.csv", newline="") as f:
        order_rows = [",".join(row) for row in csv.reader(f) if "A1" in row]
    assert order_rows == rows.splitlines()


def test_the_6_sheet_in_large_format_walk_through(tmp_path, capsys):
    product, = [b for b in blocks("yaml") if "six-sheet:" in b]
    assert product in (ROOT / "layouts" / "products.yaml").read_text()
    css, = [b for b in blocks("css") if "6-sheet" in b]
    assert css == (ROOT / "layouts" / "poster-6-sheet.css").read_text()
    text = DEFAULT_CAMPAIGN.read_text()
    assert "products: [poster, " in text
    campaign = campaign_copy(tmp_path, text.replace("products: [poster, ", "products: [poster, six-sheet, ", 1))
    folder, manifest, report = build_as_readme(tmp_path, campaign, "build --only six-sheet")
    assert report["errors"] == 0, report["problems"]
    made = sorted(str(p.relative_to(folder)) for p in folder.rglob("*.pdf") if ".generations" not in p.parts)
    assert made == ["six-sheet-large-format.pdf"]
    [entry] = manifest["outputs"]
    assert (entry["profile"], entry["bleed_mm"]) == ("large-format", 5)
    assert box_mm(folder / made[0], "/TrimBox") == (1200, 1800)
    assert box_mm(folder / made[0], "/BleedBox") == (1210, 1810)
    # --profile press or screen makes no 6-sheet at all.
    for profile in ("press", "screen"):
        capsys.readouterr()
        assert main(["list", str(campaign), "--only", "six-sheet", "--profile", profile]) == 0
        assert capsys.readouterr().out == ""


def test_the_social_square_walk_through_is_the_layouts_as_they_are():
    """The walk-through shows the product and the square's stylesheet as they are
    (tests/test_social.py builds them and checks the images)."""
    product, = [b for b in blocks("yaml") if b.startswith("social:")]
    assert product in (ROOT / "layouts" / "products.yaml").read_text()
    css, = [b for b in blocks("css") if "Square post" in b]
    assert css == (ROOT / "layouts" / "social-square.css").read_text()
    assert "social" in DEFAULT_CAMPAIGN.read_text().split("\nproducts: [", 1)[1].split("]", 1)[0]



def architecture_texts() -> dict[str, str]:
    """docs/architecture.md and README's Architecture section: the map a maintainer reads."""
    readme = (ROOT / "README.md").read_text()
    section = re.search(r"^## Architecture\n(.*?)^## ", readme, re.S | re.M).group(1)
    return {"docs/architecture.md": (ROOT / "docs" / "architecture.md").read_text(), "README.md#architecture": section}


def named_files(text: str, module_table: bool) -> dict[str, list]:
    """Each pipeline file or folder the text names, with where it may be: `pipeline/...`
    as written; a backticked `x.py` or `dir/x.py` in pipeline/ (in a table's row of a
    package, such as `render/`, also in that package) or, for the pages' side, in
    web/; in a table of modules, its first column (`x.py` or `pkg/`) in pipeline/."""
    where = {f"pipeline/{m}": [ROOT / "pipeline" / m] for m in re.findall(r"\bpipeline/([\w/]+(?:\.py)?)", text)}
    for line in text.splitlines():
        package = re.match(r"\| `(\w+/)` \|", line)
        if module_table:
            where.update({name: [ROOT / "pipeline" / name] for name in re.findall(r"^\| `([\w/]+(?:\.py|/))` \|", line)})
        for name in re.findall(r"`([\w/]+\.py)`", line):
            if name.split("/")[0] in ("pipeline", "web", "bench", "tests"):
                where.setdefault(name, [ROOT / name])
            else:
                places = [ROOT / "pipeline" / name, ROOT / "web" / name, *(ROOT / "web").glob(f"*/{name}")]
                where.setdefault(name, places + ([ROOT / "pipeline" / package.group(1) / name] if package else []))
    return where


def test_every_module_the_architecture_docs_name_exists():
    """A module renamed or moved without the map is caught here: every pipeline file
    docs/architecture.md and README's Architecture section name exists, and each
    `module.name` they cite is defined in that module."""
    missing = []
    for doc, text in architecture_texts().items():
        files = named_files(text, module_table=doc.startswith("README"))
        assert len(files) > 20, f"{doc}: found too few module names; has its format changed?"
        missing += [f"{doc}: {name}" for name, places in sorted(files.items()) if not any(p.exists() for p in places)]
        for module, attribute in re.findall(r"`(\w+)\.(?!py`)(\w+)`", text):
            found = [p for p in (ROOT / "pipeline").rglob(f"{module}.py")]
            if len(found) == 1 and not re.search(rf"^(?:def|class) {attribute}\b|^{attribute}\b", found[0].read_text(),
                                                 re.M):
                missing.append(f"{doc}: {module}.{attribute} (not in {found[0].relative_to(ROOT)})")
    assert not missing, "the docs name what the code no longer has:\n" + "\n".join(missing)


def test_every_module_of_the_pipeline_has_a_row_in_the_readme():
    """A new module or package of pipeline/ is added to README's table of what each owns."""
    section = architecture_texts()["README.md#architecture"]
    rows = set(re.findall(r"^\| `([\w/]+(?:\.py|/))` \|", section, re.M))
    modules = {p.name for p in (ROOT / "pipeline").glob("*.py") if not p.name.startswith("__")}
    packages = {f"{p.name}/" for p in (ROOT / "pipeline").iterdir() if (p / "__init__.py").is_file()}
    missing = sorted((modules | packages) - rows)
    assert not missing, f"add a row for each to README.md's Architecture table: {missing}"



def test_a_quiet_run_ends_with_its_seed_as_the_readme_says(tmp_path):
    """`make test` runs pytest -q, which hides the header pytest-randomly writes the
    seed in: the run ends with it (conftest.py), in the form README's Tests section
    gives to run that order again; -p no:randomly (file order) has none."""
    import subprocess
    import sys

    readme = (ROOT / "README.md").read_text()
    assert "Using --randomly-seed=N" in readme and "-p randomly --randomly-seed=N" in readme
    one = ["tests/test_docs.py::test_every_module_of_the_pipeline_has_a_row_in_the_readme"]
    for plugin, said in ((["-p", "randomly", "--randomly-seed=31337"], True), (["-p", "no:randomly"], False)):
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", *plugin, "-o", f"cache_dir={tmp_path / 'cache'}",
                              "--basetemp", str(tmp_path / "inner"), *one],
                             cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stdout + run.stderr
        assert ("Using --randomly-seed=31337: to run this order again" in run.stdout) is said, run.stdout
        assert said or "randomly-seed" not in run.stdout
