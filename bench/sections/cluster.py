"""Section 8, cluster: the build on a loopback Dask cluster (two workers), the same files
as a local build, and a worker killed mid-build.
"""
from __future__ import annotations

import hashlib
import json
import subprocess
import time
from pathlib import Path

import common
from common import BATCH_PRODUCTS, DATA, SETTINGS, VENV, batch_content, press_jobs, row
from procs import cli_build


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LoopbackCluster:
    """A Dask scheduler and worker processes on 127.0.0.1, started with Dask's own
    commands as a print coordinator would on their machines (one thread a worker)."""

    def __init__(self, work: Path, workers: int):
        work.mkdir(parents=True, exist_ok=True)
        dask = str(VENV / "bin" / "dask")
        port = free_port()
        self.address = f"tcp://127.0.0.1:{port}"
        commands = [[dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"]]
        commands += [[dask, "worker", self.address, "--host", "127.0.0.1", "--nthreads", "1", "--no-nanny",
                      "--no-dashboard"] for _ in range(workers)]
        self.processes = [subprocess.Popen(c, cwd=work, env=common.ENV, stdout=subprocess.DEVNULL,
                                           stderr=open(work / f"{c[1]}-{n}.log", "w"))
                          for n, c in enumerate(commands)]
        from distributed import Client

        with Client(self.address, timeout=30, set_as_default=False) as client:
            client.wait_for_workers(workers, timeout=60)

    def kill_worker(self, number: int) -> None:
        self.processes[number].kill()

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.wait()


def manifest_consistent(folder: Path) -> bool:
    """Every file the manifest lists is there with its sha256, and nothing else."""
    manifest = json.loads((folder / "manifest.json").read_text())
    listed = {e["path"]: e["sha256"] for e in manifest["outputs"]}
    on_disk = {str(p.relative_to(folder)) for p in folder.rglob("*.pdf")}
    return on_disk == set(listed) and all(
        hashlib.sha256((folder / path).read_bytes()).hexdigest() == sha for path, sha in listed.items())


def section_cluster(work: Path):
    """The same batch through the local pool (--jobs 2) and through a loopback Dask
    cluster of two worker processes (--cluster); then a cluster run with a worker
    killed part-way."""
    s, out = "8 cluster", {}
    where = work / "cluster"
    content = batch_content(where, SETTINGS["cluster_districts"])
    documents = len(press_jobs(content, only=BATCH_PRODUCTS))
    slug = content.stem
    cluster = LoopbackCluster(where / "dask", workers=2)
    try:
        on_cluster = ("--cluster", cluster.address)
        # Workers import WeasyPrint on their first job, once in a cluster's life.
        cli_build(content, where / "warm-up", common.LAYOUTS, extra=(*on_cluster, "--district", "none"))
        local = cli_build(content, where / "local", common.LAYOUTS)
        remote = cli_build(content, where / "remote", common.LAYOUTS, extra=on_cluster)
        killed_at = remote["wall_s"] * 0.4
        killed = cli_build(content, where / "killed", common.LAYOUTS, extra=on_cluster,
                           meanwhile=lambda: (time.sleep(killed_at), cluster.kill_worker(2)))
    finally:
        cluster.close()

    def shas(name):
        return {e["path"]: e["sha256"] for e in
                json.loads((where / name / slug / "manifest.json").read_text())["outputs"]}

    out.update(documents=documents, local=local, cluster=remote, killed=killed, killed_at_s=killed_at,
               ratio=local["wall_s"] / remote["wall_s"], same_bytes=shas("local") == shas("remote"),
               killed_consistent=manifest_consistent(where / "killed" / slug),
               killed_same_bytes=shas("killed") == shas("local"))
    DATA["sections"]["cluster"] = out
    row(s, "documents in the batch", documents)
    row(s, "local pool, --jobs 2 (CLI wall)", local["wall_s"], "s", f"{documents / local['wall_s']:.2f} docs/s")
    row(s, "--cluster, 2 worker processes on loopback", remote["wall_s"], "s",
        f"{documents / remote['wall_s']:.2f} docs/s, built {remote['built']}, failed {remote['failed']}")
    row(s, "throughput, cluster / local pool", out["ratio"], "x", target=(">=", 0.9))
    row(s, "cluster bytes = local bytes (manifest sha256)", out["same_bytes"], "", target=("==", True))
    row(s, "worker killed at 40 %: build completes", killed["exit_code"] == 0 and killed["failed"] == 0, "",
        f"{killed['wall_s']:.1f} s, built {killed['built']}, failed {killed['failed']}", target=("==", True))
    row(s, "worker killed: manifest matches files, same bytes", out["killed_consistent"] and out["killed_same_bytes"],
        "", target=("==", True))
