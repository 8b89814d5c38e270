"""Processes measured from outside: CPU and memory of a process tree (/proc), an RSS
sampler thread, and a `campaign-print build` run timed and sampled (cli_build).
"""
from __future__ import annotations

import os
import re
import statistics
import subprocess
import threading
import time
from pathlib import Path

import common
from common import BATCH_PRODUCTS, CLI, MIB


def descendants(pid: int) -> dict[int, int]:
    """{pid: parent pid} of every process below `pid` (scanning /proc/*/stat)."""
    parents = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, todo = {}, [pid]
    while todo:
        parent = todo.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in found:
                found[child] = parent
                todo.append(child)
    return found


def rss_mib(pid: int) -> float | None:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / MIB
    except (OSError, IndexError, ValueError):
        return None


def hwm_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return None


class RssSampler(threading.Thread):
    """Every `interval` s: RSS of the workers (children of `root`), and each worker's
    VmHWM (its own peak, kept by the kernel) the last time it was seen alive."""

    def __init__(self, root: int, interval: float):
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.samples: list[tuple[float, dict[int, float]]] = []
        self.hwm: dict[int, float] = {}
        self.root_hwm = 0.0
        self.stopping = threading.Event()
        self.started_at = time.perf_counter()

    def run(self):
        while not self.stopping.is_set():
            workers = [p for p, parent in descendants(self.root).items() if parent == self.root]
            rss = {p: r for p in workers if (r := rss_mib(p)) is not None}
            for p in rss:
                self.hwm[p] = max(self.hwm.get(p, 0), hwm_mib(p) or 0)
            self.root_hwm = max(self.root_hwm, hwm_mib(self.root) or 0)
            self.samples.append((time.perf_counter() - self.started_at, rss))
            self.stopping.wait(self.interval)

    def summary(self) -> dict:
        # A worker caught starting or exiting reads 0 MiB: not a sample of its size.
        sized = [(t, [v for v in r.values() if v > 0]) for t, r in self.samples]
        alive = [(t, sum(values) / len(values)) for t, values in sized if values]
        result = {"workers": len(self.hwm), "samples": len(alive),
                  "peak_rss_per_worker_mib": self.hwm, "cli_parent_peak_mib": self.root_hwm}
        if len(alive) >= 2:
            start, end = alive[0][0], alive[-1][0]
            window = (end - start) * 0.1
            first = [r for t, r in alive if t <= start + window]
            last = [r for t, r in alive if t >= end - window]
            second = [r for t, r in alive if start + window < t <= start + 2 * window]
            steady = [(t, r) for t, r in alive if t > start + window]
            slope = statistics.linear_regression(*zip(*steady)).slope if len(steady) > 2 else None
            result.update(first_10pct_mib=statistics.mean(first), last_10pct_mib=statistics.mean(last),
                          growth_pct=(statistics.mean(last) / statistics.mean(first) - 1) * 100,
                          second_10pct_mib=statistics.mean(second) if second else None,
                          growth_after_warmup_pct=(statistics.mean(last) / statistics.mean(second) - 1) * 100
                          if second else None,
                          slope_mib_per_s=slope,
                          series=[(round(t, 2), round(r, 1)) for t, r in alive])
        return result


def tree_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process and every process below it, alive now."""
    total = 0
    for p in [pid, *descendants(pid)]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


BUILT = re.compile(r"built (\d+) PDF\(s\), (\d+) unchanged \(kept\), (\d+) failed, in ([\d.]+)s")


def cli_build(content: Path, out: Path, layouts: Path, sampler_interval: float | None = None,
              extra: tuple[str, ...] = (), meanwhile=None) -> dict:
    """`campaign-print build` of the batch as a subprocess (start-up included);
    `meanwhile()` runs in a thread while it builds."""
    argv = [CLI, "build", str(content), "--out", str(out), "--profile", "press", "--jobs", "2",
            "--layouts", str(layouts), *extra] + [a for p in BATCH_PRODUCTS for a in ("--only", p)]
    started = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=common.PROJECT, env=common.ENV, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    if meanwhile:
        threading.Thread(target=meanwhile, daemon=True).start()
    sampler = None
    if sampler_interval:
        sampler = RssSampler(proc.pid, sampler_interval)
        sampler.start()
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - started
    if sampler:
        sampler.stopping.set()
        sampler.join()
    match = BUILT.search(stdout)
    if not match:
        raise RuntimeError(f"campaign-print build failed ({proc.returncode}): {stderr[-800:]}")
    result = {"wall_s": wall, "exit_code": proc.returncode, "built": int(match[1]),
              "unchanged": int(match[2]), "failed": int(match[3]), "build_s": float(match[4]),
              "errors": stderr.count("error:"), "warnings": stderr.count("warning:")}
    if sampler:
        result["memory"] = sampler.summary()
    return result
