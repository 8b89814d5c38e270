"""The queue's tasks (huey): building an approved request. Runs in the consumer
(`manage.py run_huey`, started by `make serve`), or at once in the tests."""
from __future__ import annotations

import logging
import time

from django.db import transaction
from huey.contrib.djhuey import db_task
from huey.exceptions import RetryTask

from . import printing
from .models import AuditEvent, PrintRequest, User

log = logging.getLogger(__name__)
COMMIT_WAIT = 60  # seconds a worker waits to see the approval that queued its task


class QueueDown(RuntimeError):
    """The build queue cannot be reached: nothing was queued."""


def queue_build(request_id: int, approver_id: int | None) -> None:
    """Queue the build inside the caller's transaction, so that the approval and the
    queueing are saved together or not at all: if the queue cannot be reached this
    raises QueueDown and the transaction rolls back. (A worker may take the task
    before the transaction commits: build_request then waits for it.)"""
    if build_request.huey.immediate:  # the tests: run as a worker would, once committed
        transaction.on_commit(lambda: build_request(request_id, approver_id))
        return
    try:
        build_request(request_id, approver_id, queued_at=time.time())
    except Exception as exc:  # redis.ConnectionError, sqlite3.OperationalError, ...
        log.warning("cannot queue the build of request %s: %s", request_id, exc)
        raise QueueDown(str(exc)) from exc


@db_task(retries=0, context=False)
def build_request(request_id: int, approver_id: int | None = None, queued_at: float | None = None) -> str:
    req = PrintRequest.objects.select_related("organisation").get(pk=request_id)
    waiting = (PrintRequest.Status.SUBMITTED, PrintRequest.Status.FAILED)  # before approval / "build again"
    if req.status in waiting and queued_at and time.time() - queued_at < COMMIT_WAIT:
        raise RetryTask("the approval is not committed yet", delay=1)
    if req.status != PrintRequest.Status.APPROVED:
        return req.status  # already built, or taken back, or the approval rolled back: nothing to do

    def progress(done: int, total: int) -> None:
        PrintRequest.objects.filter(pk=request_id).update(build_done=done, build_total=total)

    try:
        outputs, problems = printing.write_and_build(req.printed(), progress)
    except Exception as exc:  # the coordinator needs to see it on the page, not only in a log
        log.exception("build of request %s failed", request_id)
        with transaction.atomic():
            PrintRequest.objects.filter(pk=request_id).update(status=PrintRequest.Status.FAILED,
                                                              build_error=str(exc)[:2000])
            AuditEvent.record(None, "build-failed", request=req, error=str(exc)[:500])
        return PrintRequest.Status.FAILED
    errors = [p for p in problems if p["level"] == "error"]
    errors += [{"what": f"{o['path']} failed preflight", "level": "error"} for o in outputs if o.get("rejected")]
    status = PrintRequest.Status.FAILED if errors or not outputs else PrintRequest.Status.BUILT
    with transaction.atomic():
        PrintRequest.objects.filter(pk=request_id).update(
            status=status, build_outputs=outputs, build_problems=problems,
            build_error="" if status == PrintRequest.Status.BUILT else
            "; ".join(p["what"] for p in errors) or "the build made no files")
        AuditEvent.record(None, "built" if status == PrintRequest.Status.BUILT else "build-failed", request=req,
                          files=[o["path"] for o in outputs], errors=len(errors),
                          approved_by=User.objects.filter(pk=approver_id).values_list("username", flat=True).first())
    return status
