"""The output folder a printer takes from is always whole and true to its manifest:
one build at a time, a crash or kill -9 at any moment leaves the last complete
folder, one failing job never stops the others, a PDF that fails preflight never
replaces the last good one, names never collide or leave --out."""
from __future__ import annotations

import csv
import errno
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pikepdf
import pytest

from pipeline import build as build_module
from pipeline import render as render_module
from pipeline.cli import main
from pipeline.problems import PipelineError

from .conftest import DEFAULT_CAMPAIGN, ROOT, campaign_copy, wait_until, with_sources

SLUG = "no-matter-how-small"
SMALL = ["--only", "wallet-card", "--only", "poster", "--district", "none", "--partner", "none",
         "--language", "none", "--profile", "press"]


def manifest_of(out: Path) -> dict:
    return json.loads((out / SLUG / "manifest.json").read_text())


def assert_folder_consistent(out: Path) -> dict:
    """Every manifest entry's file is there with its sha256; every PDF is listed and whole."""
    folder = out / SLUG
    manifest = manifest_of(out)
    listed = set()
    for entry in manifest["outputs"]:
        data = (folder / entry["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["path"]
        listed.add(entry["path"])
    on_disk = {str(p.relative_to(folder)) for p in folder.rglob("*.pdf")}
    assert on_disk == listed
    for path in on_disk:
        with pikepdf.open(folder / path) as pdf:
            assert len(pdf.pages) >= 1
    assert not list(folder.rglob("*.part"))
    return manifest


def files(folder: Path) -> dict[str, str]:
    """Every file under `folder` with its sha256."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def held(phase: str, folder: Path) -> dict:
    """The environment of a build held at `phase` (pipeline.build.hold) until killed."""
    return {**os.environ, "PYTHONPATH": str(ROOT), build_module.TEST_HOLD: f"{phase}:{folder}"}


# Wallet card and A5 leaflet, press: 2 PDFs and their imposed sheets.
KILLED = ["--only", "wallet-card", "--only", "leaflet-a5", "--district", "none", "--partner", "none",
          "--language", "none", "--profile", "press"]


@pytest.mark.parametrize("phase", ["begun", "delivered", "written", "switching", "switched"])
def test_kill_9_at_each_stage_of_a_build_leaves_a_whole_folder_true_to_its_manifest(tmp_path, phase):
    """The build is held at a known stage (the new generation begun, a PDF delivered into
    it, its manifest written, the link being switched, the link switched) and killed
    there: the campaign's folder is the previous generation, untouched, or (once the
    link is switched) the new one, whole; the next build clears what the kill left."""
    out, holds = tmp_path / "out", tmp_path / "holds"
    holds.mkdir()
    command = [sys.executable, "-m", "pipeline", "build", str(DEFAULT_CAMPAIGN), "--out", str(out), *KILLED,
               "--jobs", "2"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run(command, check=True, capture_output=True, env=env, cwd=ROOT)
    first = assert_folder_consistent(out)
    before, target = files(out / SLUG), os.readlink(out / SLUG)
    log = tmp_path / "killed.log"
    with open(log, "w") as stderr:
        process = subprocess.Popen([*command, "--force"], stdout=subprocess.DEVNULL, stderr=stderr,
                                   env=held(phase, holds), cwd=ROOT, start_new_session=True)
    try:
        wait_until((holds / f"{phase}.held").exists, f"the build to reach {phase!r}", process, log)
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the build and its worker processes
        process.wait()
    assert process.returncode == -signal.SIGKILL  # killed there, not finished
    manifest = assert_folder_consistent(out)
    assert {e["path"] for e in manifest["outputs"]} == {e["path"] for e in first["outputs"]}
    if phase == "switched":
        assert os.readlink(out / SLUG) != target  # the new generation, whole
    else:
        assert os.readlink(out / SLUG) == target and files(out / SLUG) == before  # the previous one, untouched
    # The next build finishes and clears what the killed build left behind.
    subprocess.run([*command, "--force"], check=True, capture_output=True, env=env, cwd=ROOT)
    assert_folder_consistent(out)
    assert len(list((out / ".generations" / SLUG).iterdir())) == 1
    assert (out / SLUG).is_symlink() and not list(out.glob(".*.switch-*"))


def _hold_lock(out: Path, seconds: float) -> subprocess.Popen:
    """Another process holding the folder's lock for `seconds`; it writes `released`
    beside the lock just before letting go."""
    out.mkdir(parents=True, exist_ok=True)
    script = ("import fcntl, sys, time\n"
              f"f = open({str(out / '.lock')!r}, 'a+')\n"
              "fcntl.lockf(f, fcntl.LOCK_EX)\n"
              "f.write('the build with process id 4242\\n'); f.flush()\n"
              "print('locked', flush=True)\n"
              f"time.sleep({seconds})\n"
              f"open({str(out / 'released')!r}, 'w').close()\n"
              "fcntl.lockf(f, fcntl.LOCK_UN)\n")
    holder = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_a_second_build_into_the_same_folder_refuses_or_waits(tmp_path, capsys):
    out = tmp_path / "out"
    args = ["build", str(DEFAULT_CAMPAIGN), "--out", str(out), "--only", "wallet-card", *SMALL[4:], "--jobs", "1"]
    holder = _hold_lock(out, 30)
    try:
        assert main(args) == 1
        err = capsys.readouterr().err
        assert "the build with process id 4242 is writing to this folder" in err
        assert "--wait" in err and "Traceback" not in err
        assert not (out / SLUG).exists()
    finally:
        holder.kill()
        holder.wait()
    holder = _hold_lock(out, 1.5)
    assert main([*args, "--wait"]) == 0
    assert (out / "released").exists()  # it built only once the other let go
    assert "waiting for the build with process id 4242" in capsys.readouterr().err
    holder.wait()
    assert_folder_consistent(out)


def test_any_exception_in_one_job_is_listed_and_the_others_are_built(tmp_path, monkeypatch, capsys):
    real = render_module.render_pdf

    def flaky(job, html):
        if job.product == "poster" and job.size == "A3":
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(job, html)

    monkeypatch.setattr(render_module.pdf, "render_pdf", flaky)
    out = tmp_path / "out"
    assert main(["build", str(DEFAULT_CAMPAIGN), "--out", str(out), *SMALL, "--jobs", "1"]) == 1
    err = capsys.readouterr().err
    assert "poster-a3.pdf" in err and "No space left on device" in err and "Traceback" not in err
    paths = {e["path"] for e in assert_folder_consistent(out)["outputs"]}
    assert {"poster-a4.pdf", "poster-a2.pdf", "wallet-card.pdf"} <= paths and "poster-a3.pdf" not in paths


def test_a_worker_that_dies_is_reported_and_the_other_jobs_finish(tmp_path, monkeypatch, capsys):
    real = build_module.make

    def dies_on_a2(job, write_pdf=True):
        if job.size == "A2":
            os._exit(9)  # what the out-of-memory killer or a crash in a C library looks like
        return real(job, write_pdf)

    monkeypatch.setattr(build_module.worker, "make", dies_on_a2)
    out = tmp_path / "out"
    assert main(["build", str(DEFAULT_CAMPAIGN), "--out", str(out), *SMALL, "--jobs", "2"]) == 1
    err = capsys.readouterr().err
    assert "poster-a2.pdf" in err and "worker process making it died" in err
    paths = {e["path"] for e in assert_folder_consistent(out)["outputs"]}
    assert {"poster-a4.pdf", "poster-a3.pdf", "wallet-card.pdf"} <= paths and "poster-a2.pdf" not in paths


def test_a_full_disk_when_writing_the_manifest_leaves_the_folder_as_it_was(tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    args = ["build", str(DEFAULT_CAMPAIGN), "--out", str(out), "--only", "wallet-card", *SMALL[4:], "--jobs", "1"]
    assert main(args) == 0
    before = {p: p.read_bytes() for p in (out / SLUG).rglob("*") if p.is_file()}

    def full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(build_module.batch, "write_manifest", full)
    assert main([*args, "--force"]) == 1
    err = capsys.readouterr().err
    assert "cannot write the output: the disk is full" in err and "Traceback" not in err
    assert {p: p.read_bytes() for p in (out / SLUG).rglob("*") if p.is_file()} == before
    assert len(list((out / ".generations" / SLUG).iterdir())) == 1


def test_a_pdf_that_fails_preflight_never_replaces_the_last_good_one(tmp_path, capsys):
    from .test_preflight import layouts_copy

    out = tmp_path / "out"
    good = layouts_copy(tmp_path / "good", {})
    bad = layouts_copy(tmp_path / "bad", {"wallet-card.css": (".title {", ".inside { color: #d8d8d8; }\n.title {")})
    args = ["build", str(DEFAULT_CAMPAIGN), "--out", str(out), "--only", "wallet-card", *SMALL[4:], "--jobs", "1"]
    assert main([*args, "--layouts", str(good)]) == 0
    folder = out / SLUG
    last_good = (folder / "wallet-card.pdf").read_bytes()
    assert main([*args, "--layouts", str(bad)]) == 1
    assert "rejected 1 PDF(s)" in capsys.readouterr().err
    assert (folder / "wallet-card.pdf").read_bytes() == last_good
    manifest = assert_folder_consistent(out)
    entries = {e["path"]: e for e in manifest["outputs"]}
    assert entries["wallet-card.rejected.pdf"]["rejected"] is True
    assert entries["wallet-card.rejected.pdf"]["preflight"]["errors"] >= 1
    assert entries["wallet-card.pdf"]["rejected"] is False
    with open(folder / "print-order.csv") as f:
        assert "rejected" not in f.read()
    report = json.loads((folder / "preflight.json").read_text())
    assert {p["file"] for p in report["problems"] if p["level"] == "error"} == {"wallet-card.rejected.pdf"}
    # Fixed: the good PDF is made again and the rejected one goes.
    assert main([*args, "--layouts", str(good)]) == 0
    assert not (folder / "wallet-card.rejected.pdf").exists()
    assert "wallet-card.rejected.pdf" not in {e["path"] for e in assert_folder_consistent(out)["outputs"]}


def test_stand_in_logos_are_proofs_never_in_the_print_order(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["build", str(DEFAULT_CAMPAIGN), "--out", str(out), "--partner", "slt", "--only", "wallet-card",
                 "--district", "none", "--language", "none", "--profile", "press", "--jobs", "1"]) == 0
    err = capsys.readouterr().err
    assert "is a stand-in" in err and "left out of print-order.csv" in err
    entries = {e["path"]: e for e in manifest_of(out)["outputs"]}
    assert entries["partners/slt/wallet-card.pdf"]["stand_in"] is True
    with open(out / SLUG / "print-order.csv") as f:
        rows = list(csv.DictReader(f))
    assert rows == [] or all(r["partner"] != "slt" for r in rows)
    # Rebuilt with nothing changed: the note is said once, not once more per build.
    for _ in range(2):
        assert main(["build", str(DEFAULT_CAMPAIGN), "--out", str(out), "--partner", "slt", "--only", "wallet-card",
                     "--district", "none", "--language", "none", "--profile", "press", "--jobs", "1"]) == 0
    report = json.loads((out / SLUG / "preflight.json").read_text())
    assert [p["file"] for p in report["problems"] if p["check"] == "stand-in"] == ["partners/slt/wallet-card.pdf"]


def without_languages(text: str) -> str:
    """The campaign without its `variants.languages` block (a copy beside no translations)."""
    lines, kept, inside = text.splitlines(keepends=True), [], False
    for line in lines:
        indent = len(line) - len(line.lstrip(" "))
        if line.startswith("  languages:"):
            inside = True
            continue
        if inside and line.strip() and not line.lstrip().startswith("#") and indent <= 2:
            inside = False
        if not inside:
            kept.append(line)
    assert len(kept) < len(lines), "no variants.languages block"
    return "".join(kept)


@pytest.mark.parametrize("edit, wanted, at", [
    (("      - name: Selby", "      - name: YORK!"),
     "'YORK!' (variants.districts.items[6]) and 'York' would share the name 'york'", "      - name: York"),
    (("      - name: Selby", "      - name: '!!!'"), "'!!!' has no letters or digits", None),
    (("      - name: Selby", "      - name: " + "Long" * 20), "is too long to name files by", None),
    (("  - figure: 55%", "  - figure: '96 %'"),
     "'96%' (statistics[0]) and '96 %' would share the name '96'", None),
])
def test_names_that_would_share_or_break_a_folder_are_refused(tmp_path, campaign_text, capsys, edit, wanted, at):
    old, new = edit
    assert old in campaign_text
    text = without_languages(campaign_text.replace(old, new, 1))
    path = campaign_copy(tmp_path, text)
    out = tmp_path / "out"
    assert main(["build", str(path), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    line = text.splitlines().index(at or new) + 1
    assert wanted in err and f"{path}:{line} " in err and "Traceback" not in err
    assert not out.exists()
    assert main(["check", str(path)]) == 1


def test_a_campaign_file_name_cannot_lead_outside_the_output_folder(tmp_path, campaign_text, capsys):
    out = tmp_path / "deep" / "out"
    with_sources(tmp_path)
    for name in ("...yaml", "Bad Name.yaml"):
        path = tmp_path / name
        path.write_text(without_languages(campaign_text))
        assert main(["build", str(path), "--out", str(out)]) == 1
        err = capsys.readouterr().err
        assert "cannot name an output folder" in err and "Traceback" not in err
    assert not (tmp_path / "deep").exists()


def test_output_paths_stay_inside_the_folder(tmp_path):
    assert build_module.inside(tmp_path, "districts/york/poster-a3.pdf") == tmp_path / "districts/york/poster-a3.pdf"
    for escape in ("../poster.pdf", "/etc/poster.pdf", "districts/../../x.pdf"):
        with pytest.raises(PipelineError):
            build_module.inside(tmp_path, escape)


def test_tracking_codes_carry_no_words_of_a_statistic(tmp_path):
    out = tmp_path / "out"
    assert main(["build", str(DEFAULT_CAMPAIGN), "--out", str(out), "--only", "stat-poster", "--district", "none",
                 "--partner", "none", "--language", "none", "--profile", "press", "--jobs", "2"]) == 0
    urls = {e["path"]: e["qr_url"] for e in manifest_of(out)["outputs"] if "imposed_from" not in e}
    assert urls["stat-poster-a3-over-100.pdf"].endswith("?c=spa3s2")
    assert all("over" not in url.split("?")[1] for url in urls.values())


def test_preflight_leaves_the_folder_a_printer_takes_from_as_it_was(tmp_path, monkeypatch, capsys):
    """`preflight` reports into a folder of its own (output/preflight/): output/<campaign>,
    its files, their bytes and the generation it points at, stay as the build left them."""
    monkeypatch.chdir(tmp_path)  # the default output/ is tmp_path/output
    selection = ["--only", "wallet-card", *SMALL[4:-2], "--jobs", "1"]
    assert main(["build", str(DEFAULT_CAMPAIGN), *selection, "--profile", "press"]) == 0
    out = tmp_path / "output"
    before, target = files(out / SLUG), os.readlink(out / SLUG)
    generations = sorted(p.name for p in (out / ".generations" / SLUG).iterdir())
    capsys.readouterr()
    assert main(["preflight", str(DEFAULT_CAMPAIGN), *selection, "--profile", "screen"]) == 0
    assert "report: output/preflight/no-matter-how-small/preflight.html" in capsys.readouterr().out
    report = json.loads((out / "preflight" / SLUG / "preflight.json").read_text())
    assert [o["path"] for o in report["outputs"]] == ["wallet-card-screen.pdf"]
    # Pointed at the build's folder, it refuses, in one line, and writes nothing.
    assert main(["preflight", str(DEFAULT_CAMPAIGN), *selection, "--profile", "screen", "--out", "output"]) == 1
    err = capsys.readouterr().err
    assert "holds a build (manifest.json)" in err and "Traceback" not in err
    assert files(out / SLUG) == before and os.readlink(out / SLUG) == target
    assert sorted(p.name for p in (out / ".generations" / SLUG).iterdir()) == generations
    assert json.loads((out / SLUG / "preflight.json").read_text())["outputs"][0]["path"] == "wallet-card.pdf"
