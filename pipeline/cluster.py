"""Builds on a Dask distributed cluster: `campaign-print build --cluster tcp://HOST:8786`.

The scheduler and workers are Dask's own (`dask scheduler`, `dask worker HOST:8786`)
on machines that have this project installed at the same path. The workers only
*make* jobs (`build.make`: bytes and preflight results) and send them back; the
build's own process keeps the lock, the cache check, the generation and every
write, so no disk is shared. A worker first checks its own copy of the project
against the job's input hash: a PDF is never made from other files than the
coordinator's. Dask runs again elsewhere the jobs of a worker that dies.
"""
from __future__ import annotations

import logging
import socket
import sys
import threading
import uuid
from dataclasses import replace

from .build.cache import input_hash
from .build.worker import Made, attempt, cost, failure, worker_died
from .plan import Job
from .problems import PipelineError, Problem

CONNECT_S = 10  # to reach the scheduler
FIRST_WORKER_S = 60  # for a worker to join an empty cluster
# One job at a time in a worker process whatever its --nthreads: Pango and the
# worker's font cache are not thread-safe (start workers with --nthreads 1).
ONE_AT_A_TIME = threading.Lock()


def _shared(value):
    """A campaign or layouts set as a task of its own: sent once, not with each job,
    and made again by the scheduler should the worker holding it die."""
    return value


def make_on_worker(bare: Job, source, layouts, key: str, write_pdfs: bool) -> Made | list[Problem]:
    """On a cluster's worker: the job put back together, checked against the
    coordinator's input hash, then made."""
    job = replace(bare, source=source, layouts=layouts)
    try:
        same = input_hash(job) == key
    except Exception:  # e.g. the layouts folder is not at the same path on this machine
        same = False
    if not same:
        return [Problem("error", job.output, f"the cluster's worker on {socket.gethostname()} has other project "
                        "files than this build (layouts, fonts, assets, partner logos or pipeline version)",
                        "install the same version of the project at the same path on every machine")]
    with ONE_AT_A_TIME:
        return attempt(job, write_pdfs)


def _unreachable(address: str, what: str, hint: str) -> PipelineError:
    return PipelineError([Problem("error", address, what, hint)])


def run_on_cluster(address: str, runs: list[tuple[int, Job]], keys: list[str], write_pdfs: bool):
    """(index, Made or list of problems) for every (index, job), made by the cluster's
    workers, as they finish. Losing the scheduler stops the build (PipelineError)."""
    import distributed  # noqa: F401  (sets up Dask's logging, changed below)

    # Dask logs its reconnection attempts with tracebacks; the user gets one message instead.
    handlers = logging.getLogger("distributed").handlers
    levels = [h.level for h in handlers]
    for handler in handlers:
        handler.setLevel(logging.CRITICAL)
    try:
        yield from _run(address, runs, keys, write_pdfs)
    finally:
        for handler, level in zip(handlers, levels):
            handler.setLevel(level)


def _run(address: str, runs: list[tuple[int, Job]], keys: list[str], write_pdfs: bool):
    from distributed import CancelledError, Client, KilledWorker, as_completed

    lost = ("the connection to the Dask scheduler was lost; the build stopped and the earlier "
            "outputs are unchanged", "check the scheduler, then build again (unchanged PDFs are kept)")
    try:
        client = Client(address, timeout=CONNECT_S, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise _unreachable(address, f"cannot reach the Dask scheduler: {exc}",
                           "start one with `dask scheduler` and workers with `dask worker ADDRESS`, "
                           "or build without --cluster") from None
    with client:
        try:
            client.wait_for_workers(1, timeout=FIRST_WORKER_S)
        except (OSError, TimeoutError):
            raise _unreachable(address, f"the Dask scheduler has had no workers for {FIRST_WORKER_S} s",
                               "start workers with `dask worker ADDRESS` on the machines") from None
        info = client.scheduler_info()
        dashboard = f"; progress: {client.dashboard_link}" if "dashboard" in info.get("services", {}) else ""
        print(f"building on {len(info['workers'])} Dask worker(s) at {address}{dashboard}", file=sys.stderr)
        token = uuid.uuid4().hex[:8]  # this build's tasks are its own, whoever else uses the cluster
        shared: dict[int, object] = {}

        def once(value, name: str):
            if id(value) not in shared:
                shared[id(value)] = client.submit(_shared, value, key=f"{name}-{len(shared)}-{token}", pure=False)
            return shared[id(value)]

        futures = {}
        for index, job in runs:
            bare = replace(job, source=None, layouts=None)
            # Key prefix pdf-<campaign>: one progress bar per campaign in the dashboard.
            future = client.submit(make_on_worker, bare, once(job.source, "campaign"), once(job.layouts, "layouts"),
                                   keys[index], write_pdfs, key=f"pdf-{job.source.slug}-{index}-{token}",
                                   priority=round(cost(job)), pure=False)
            futures[future] = (index, job)
        try:
            for future in as_completed(futures, loop=client.loop):
                index, job = futures.pop(future)
                try:
                    outcome = future.result()
                except KilledWorker:  # it took down a worker every time it ran
                    outcome = worker_died(job)
                except (OSError, CancelledError, TimeoutError):
                    raise
                except Exception as exc:  # e.g. a worker without the project installed
                    outcome = failure(job, exc)
                future.release()
                yield index, outcome
        except (OSError, CancelledError, TimeoutError) as exc:
            raise _unreachable(address, f"{lost[0]} ({type(exc).__name__})", lost[1]) from None
