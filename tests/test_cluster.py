"""Builds on a real Dask cluster: a scheduler and workers started as separate processes
with Dask's own commands on 127.0.0.1, as a print coordinator would on their machines.
The same bytes as a local build; a worker killed mid-build costs nothing; a scheduler
gone stops the build with one message and leaves the earlier outputs as they were."""
from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from pipeline import cluster as cluster_module
from pipeline.cli import main

from .conftest import DEFAULT_CAMPAIGN, ROOT, wait_until
from .test_trust_build import SLUG, assert_folder_consistent, files, held

DASK = str(Path(sys.executable).with_name("dask"))
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
# Wallet card and A5 leaflet, press and screen: both imposed sheets, 4 PDFs.
CARDS = ["--only", "wallet-card", "--only", "leaflet-a5", "--district", "none", "--partner", "none",
         "--language", "none"]
# 10 press PDFs.
LEAFLETS = ["--only", "leaflet-a5", "--only", "wallet-card", "--partner", "none", "--language", "none",
            "--profile", "press"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def dask_cluster(tmp_path: Path, workers: int, env: dict | None = None):
    """`dask scheduler` and `dask worker` processes on loopback; yields (address, processes).
    `env`: the workers' environment (e.g. a test hold, pipeline.build.hold)."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = tmp_path / "dask-logs"
    logs.mkdir(exist_ok=True)
    commands = [[DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"]]
    commands += [[DASK, "worker", address, "--host", "127.0.0.1", "--nthreads", "1", "--no-nanny",
                  "--no-dashboard", "--name", f"w{n}"] for n in range(1, workers + 1)]
    processes = [subprocess.Popen(c, env=ENV if n == 0 else (env or ENV), cwd=tmp_path, stdout=subprocess.DEVNULL,
                                  stderr=open(logs / f"{c[1]}-{n}.log", "w")) for n, c in enumerate(commands)]
    try:
        from distributed import Client

        with Client(address, timeout=30, set_as_default=False) as client:
            client.wait_for_workers(workers, timeout=60)
        yield address, processes
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.wait()


def build_cli(out: Path, log: Path, *args: str) -> subprocess.Popen:
    with open(log, "w") as stderr:
        return subprocess.Popen([sys.executable, "-m", "pipeline", "build", str(DEFAULT_CAMPAIGN), "--out", str(out),
                                 *args], env=ENV, cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True)


def held_worker(holds: Path, process: subprocess.Popen, log: Path) -> int:
    """The process id of the worker holding a job (pipeline.build.hold "make"), once one does."""
    wait_until((holds / "make.held").exists, "a worker to start making a PDF", process, log)
    return int((holds / "make.held").read_text())


def test_a_cluster_build_gives_the_bytes_of_a_local_build(tmp_path):
    with dask_cluster(tmp_path, workers=2) as (address, _):
        assert main(["build", str(DEFAULT_CAMPAIGN), "--out", str(tmp_path / "cluster"), *CARDS,
                     "--cluster", address]) == 0
    assert main(["build", str(DEFAULT_CAMPAIGN), "--out", str(tmp_path / "local"), *CARDS, "--jobs", "1"]) == 0
    on_cluster, local = files(tmp_path / "cluster" / SLUG), files(tmp_path / "local" / SLUG)
    assert on_cluster == local  # PDFs, imposed sheets, thumbnails, manifest, print order, reports
    assert sum(p.endswith(".pdf") for p in local) == 6
    assert_folder_consistent(tmp_path / "cluster")


def test_a_worker_killed_mid_build_costs_nothing(tmp_path):
    """The first job a worker takes is held there (pipeline.build.hold): that worker is
    killed while making it, so the kill lands mid-build by construction; Dask runs the
    job again on the other worker (a hold happens once) and the build finishes whole."""
    out, holds, log = tmp_path / "out", tmp_path / "holds", tmp_path / "build.log"
    holds.mkdir()
    with dask_cluster(tmp_path, workers=2, env=held("make", holds)) as (address, processes):
        build = build_cli(out, log, *LEAFLETS, "--cluster", address)
        holder = held_worker(holds, build, log)
        [worker] = [p for p in processes[1:] if p.pid == holder]
        assert build.poll() is None  # its job cannot finish while held
        worker.send_signal(signal.SIGKILL)
        stdout, _ = build.communicate(timeout=300)
    assert build.returncode == 0, log.read_text()
    assert "built 10 PDF(s), 0 unchanged (kept), 0 failed" in stdout
    manifest = assert_folder_consistent(out)
    assert len([e for e in manifest["outputs"] if "imposed_from" not in e]) == 10


def test_the_scheduler_gone_stops_the_build_and_leaves_the_earlier_outputs(tmp_path):
    out, holds, log = tmp_path / "out", tmp_path / "holds", tmp_path / "build.log"
    holds.mkdir()
    assert main(["build", str(DEFAULT_CAMPAIGN), "--out", str(out), "--only", "wallet-card", *LEAFLETS[4:],
                 "--district", "none", "--jobs", "1"]) == 0
    before = files(out / SLUG)
    with dask_cluster(tmp_path, workers=1, env=held("make", holds)) as (address, processes):
        build = build_cli(out, log, *LEAFLETS, "--cluster", address)
        held_worker(holds, build, log)  # the build is waiting for that job
        processes[0].send_signal(signal.SIGKILL)
        build.communicate(timeout=300)
    assert build.returncode == 1
    stderr = log.read_text()
    assert "the connection to the Dask scheduler was lost" in stderr and "Traceback" not in stderr
    assert files(out / SLUG) == before
    assert len(list((out / ".generations" / SLUG).iterdir())) == 1


def test_no_scheduler_is_one_clear_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(cluster_module, "CONNECT_S", 1)
    address = f"tcp://127.0.0.1:{free_port()}"
    assert main(["build", str(DEFAULT_CAMPAIGN), "--out", str(tmp_path), "--only", "wallet-card",
                 *LEAFLETS[4:], "--cluster", address]) == 1
    err = capsys.readouterr().err
    assert f"{address}: cannot reach the Dask scheduler" in err and "dask scheduler" in err
    assert "Traceback" not in err and not (tmp_path / SLUG).exists()


def test_a_worker_with_other_project_files_makes_nothing():
    from dataclasses import replace

    from pipeline.build import input_hash
    from pipeline.content import load_campaigns
    from pipeline.plan import load_layouts, load_profiles, plan, select_profiles

    job = plan(load_campaigns([DEFAULT_CAMPAIGN]), load_layouts(), select_profiles(load_profiles(), "press"),
               only=["wallet-card"], districts=["none"], partners=["none"], languages=["none"])[0]
    bare = replace(job, source=None, layouts=None)
    outcome = cluster_module.make_on_worker(bare, job.source, job.layouts, "0" * 64, True)
    assert "has other project files than this build" in outcome[0].what
    elsewhere = replace(job.layouts, folder=Path("/nowhere/layouts"))  # installed at another path
    outcome = cluster_module.make_on_worker(bare, job.source, elsewhere, input_hash(job), True)
    assert "has other project files than this build" in outcome[0].what
    made = cluster_module.make_on_worker(bare, job.source, job.layouts, input_hash(job), True)
    assert made.pages == 2 and made.imposed and not made.rejected
