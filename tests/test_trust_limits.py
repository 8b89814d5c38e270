"""Per-job limits (pipeline/limits.py): a resource bomb in a template, an SVG or an
image fails its own job with a message naming the file and the limit, and the
build's other jobs finish. Each test lowers the limit it meets, so it stays quick."""
from __future__ import annotations

import base64
import faulthandler
import json
import resource
import signal
import struct
import sys
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline import layouts as layouts_module
from pipeline import limits, ocr
from pipeline.assets import check_svg
from pipeline.cli import main
from pipeline.content import load_campaigns
from pipeline.layouts import render_html
from pipeline.plan import load_layouts, load_profiles, plan, select_profiles
from pipeline.problems import RenderError

from .conftest import DEFAULT_CAMPAIGN
from .test_preflight import layouts_copy

SLUG = "no-matter-how-small"
SVG_NS = 'xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'


def use_bomb(levels: int = 8, fan: int = 10) -> str:
    """An SVG of a few hundred bytes that draws fan ** levels rectangles."""
    defs = '<rect id="l0" width="1" height="1"/>'
    for level in range(1, levels + 1):
        defs += f'<g id="l{level}">' + f'<use xlink:href="#l{level - 1}"/>' * fan + "</g>"
    return f'<svg {SVG_NS} viewBox="0 0 10 10"><defs>{defs}</defs><use xlink:href="#l{levels}"/></svg>'


def grey_png(width: int, height: int) -> bytes:
    """A PNG that is small on disk and width × height pixels decoded."""
    def chunk(kind, data):
        return struct.pack("!I", len(data)) + kind + data + struct.pack("!I", zlib.crc32(kind + data))
    rows = zlib.compress(b"\0" * (width + 1) * height, 9)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack("!IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", rows) + chunk(b"IEND", b""))


@pytest.fixture
def layouts(tmp_path) -> Path:
    return layouts_copy(tmp_path, {})


def test_check_svg_refuses_a_use_bomb_and_keeps_a_logo_with_a_few_uses():
    problems = check_svg(use_bomb().encode(), "logo.svg")
    assert problems and "SVG_USE_EXPANSION" in problems[0].what and "100,000" not in problems[0].what
    assert check_svg(use_bomb(levels=2, fan=5).encode(), "logo.svg") == []
    looped = f'<svg {SVG_NS}><g id="a"><use xlink:href="#a"/></g></svg>'
    assert "refers to itself" in check_svg(looped.encode(), "logo.svg")[0].what


BOMBS = {
    # name: (leaflet-dl.html, the limit the message names, limits to lower for the test)
    "svg <use> fan-out": ('<img src="bomb.svg">', "SVG_USE_EXPANSION", {}),
    "range x range": ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
                      "TEMPLATE_RANGE", {}),
    "steps of nested loops": ("{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}",
                              "TEMPLATE_STEPS", {}),
    "macro calling itself twice, 60 deep": (
        "{% macro m(n) %}{% if n %}{{ m(n - 1) }}{{ m(n - 1) }}{% endif %}{% endmacro %}{{ m(60) }}",
        "TEMPLATE_DEPTH", {}),
    "lipsum": ("{{ lipsum(n=2000000) }}", "lipsum", {}),
    "12000x12000 PNG as a data: URI": ('<img src="data:image/png;base64,{png}">', "IMAGE_PIXELS", {}),
    "a loop with no call in it": ("{% for a in 'x' * 100000 %}{% for b in 'y' * 100000 %}{% endfor %}{% endfor %}",
                                  "JOB_SECONDS", {"JOB_SECONDS": 5}),
    "a text doubled until memory runs out": (
        "{% set ns = namespace(s='x' * 500000) %}{% for i in range(16) %}{% set ns.s = ns.s ~ ns.s %}"
        "{% endfor %}{{ ns.s|length }}", "JOB_MEMORY_MB", {"JOB_MEMORY_MB": 600}),
}


@pytest.mark.parametrize("bomb", BOMBS)
def test_a_resource_bomb_fails_its_own_job_and_the_others_finish(layouts, tmp_path, capsys, monkeypatch, bomb):
    template, limit, lowered = BOMBS[bomb]
    for name, value in lowered.items():
        monkeypatch.setattr(limits, name, value)
    (layouts / "bomb.svg").write_text(use_bomb())
    png = base64.b64encode(grey_png(12000, 12000)).decode()
    (layouts / "leaflet-dl.html").write_text(template.replace("{png}", png))
    out = tmp_path / "out"
    before = resource.getrlimit(resource.RLIMIT_AS), signal.getsignal(signal.SIGALRM)
    faulthandler.dump_traceback_later(120, exit=True, file=sys.__stderr__)  # a hang fails the run instead of stopping it
    try:
        code = main(["build", str(DEFAULT_CAMPAIGN), "--layouts", str(layouts), "--out", str(out),
                     "--only", "leaflet-dl", "--only", "wallet-card", "--district", "none", "--partner", "none",
                     "--language", "none", "--profile", "press", "--jobs", "1"])
    finally:
        faulthandler.cancel_dump_traceback_later()
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert "layouts/leaflet-dl.html" in err and limit in err, err[-2000:]
    manifest = json.loads((out / SLUG / "manifest.json").read_text())
    built = {e["path"]: e for e in manifest["outputs"]}
    assert built["wallet-card.pdf"]["preflight"]["errors"] == 0  # the other job finished
    assert "leaflet-dl.pdf" not in built
    # The limits were this build's jobs' only: this process has its own again.
    assert (resource.getrlimit(resource.RLIMIT_AS), signal.getsignal(signal.SIGALRM)) == before


def test_a_job_over_its_wall_time_in_a_worker_process_fails_alone(layouts, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(limits, "JOB_SECONDS", 5)  # time enough for the wallet card on a busy machine
    (layouts / "leaflet-dl.html").write_text(BOMBS["a loop with no call in it"][0])
    out = tmp_path / "out"
    code = main(["build", str(DEFAULT_CAMPAIGN), "--layouts", str(layouts), "--out", str(out),
                 "--only", "leaflet-dl", "--only", "wallet-card", "--district", "none", "--partner", "none",
                 "--language", "none", "--profile", "press", "--jobs", "2"])
    err = capsys.readouterr().err
    assert code == 1 and "leaflet-dl.pdf: took over 5 s, the wall time limit per job (JOB_SECONDS" in err
    assert "wallet-card.pdf" in {e["path"] for e in json.loads((out / SLUG / "manifest.json").read_text())["outputs"]}


# --- a fuzz over template snippets: every one renders or stops within its limits ---

NUMBERS = st.sampled_from(["0", "3", "1000", "100000", "10 ** 9", "-1"])
LEAVES = st.one_of(
    st.builds("{{{{ 'ab' * {} }}}}".format, NUMBERS),
    st.builds("{{{{ {} ** {} }}}}".format, NUMBERS, NUMBERS),
    st.builds("{{{{ lipsum({}) }}}}".format, NUMBERS),
    st.builds("{{{{ range({})|list|join(',') }}}}".format, NUMBERS),
    st.builds("{{{{ ('x' * {})|center({}) }}}}".format, NUMBERS, NUMBERS),
    st.builds("{{{{ '{{:>{}}}'.format(1) }}}}".format, NUMBERS),
    st.builds("{{% macro m(n) %}}{{% if n > 0 %}}{{{{ m(n - 1) }}}}{{{{ m(n - 1) }}}}{{% endif %}}{{% endmacro %}}"
              "{{{{ m({}) }}}}".format, NUMBERS),
    st.builds("{{% set ns = namespace(s='xy') %}}{{% for i in range({}) %}}{{% set ns.s = ns.s ~ ns.s %}}"
              "{{% endfor %}}{{{{ ns.s|length }}}}".format, NUMBERS),
    st.sampled_from(["{{ c.json() }}", "{{ c.copy(update={}) }}", "{{ c.name }}", "{{ c.source('x') }}",
                     "{{ cycler(1, 2).next() }}", "{{ dict(a=1)|tojson }}", "x"]),
)
SNIPPETS = st.recursive(LEAVES, lambda inner: st.one_of(
    st.builds("{{% for i in range({}) %}}{}{{% endfor %}}".format, NUMBERS, inner),
    st.builds("{{% for ch in 'z' * {} %}}{}{{% endfor %}}".format, NUMBERS, inner),
    st.builds("{}{}".format, inner, inner),
), max_leaves=4)


@pytest.fixture(scope="module")
def fuzz_job(tmp_path_factory):
    folder = layouts_copy(tmp_path_factory.mktemp("fuzz-layouts"), {})
    return plan(load_campaigns([DEFAULT_CAMPAIGN]), load_layouts(folder), select_profiles(load_profiles(), "press"),
                only=["poster"], districts=["none"], partners=["none"], languages=["none"])[0]


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(snippet=SNIPPETS)
def test_fuzz_template_snippets_render_or_stop_at_a_limit(fuzz_job, snippet):
    (fuzz_job.layouts.folder / "poster.html").write_text(snippet)
    layouts_module.environment.cache_clear()
    saved = limits.JOB_SECONDS, limits.JOB_MEMORY_MB
    limits.JOB_SECONDS, limits.JOB_MEMORY_MB = 2, 400
    faulthandler.dump_traceback_later(60, exit=True, file=sys.__stderr__)  # a hang past the limit fails the run
    bounds = limits.job_limits()
    try:
        with bounds:
            html = render_html(fuzz_job)
        assert len(html) <= limits.TEMPLATE_OUTPUT_CHARS
    except RenderError as exc:
        assert exc.problems[0].file.startswith("layouts/")
    except (limits.JobLimit, MemoryError):
        pass
    finally:
        bounds.restore()
        faulthandler.cancel_dump_traceback_later()
        limits.JOB_SECONDS, limits.JOB_MEMORY_MB = saved


@pytest.mark.skipif(not ocr.installed(), reason="make system-deps installs Tesseract")
def test_a_picture_that_takes_too_long_to_read_stops_its_reading(monkeypatch):
    """Tesseract reads in the process, in a C call the job's wall-time alarm cannot
    interrupt: its own bound (ocr.OCR_SECONDS) stops it and says so."""
    import random

    from PIL import Image, ImageDraw

    picture = Image.new("L", (2400, 2400), 255)
    draw, chance = ImageDraw.Draw(picture), random.Random(7)
    for _ in range(3000):
        draw.text((chance.randint(0, 2350), chance.randint(0, 2390)), str(chance.randint(0, 99999)), fill=0)
    monkeypatch.setattr(limits, "OCR_SECONDS", 0.001)
    monkeypatch.setattr(ocr, "_read", {})
    with pytest.raises(TimeoutError, match=r"2400 x 2400 pixels took over 0.001 s"):
        ocr.ocr_image(picture, "en")
