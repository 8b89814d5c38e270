"""The proof workers: processes that make partners' proofs off the web workers (proofs.py)."""
import os

from django.conf import settings
from django.core.management.base import BaseCommand

from web.portal import printing, proofs


class Command(BaseCommand):
    help = "Make partners' proofs from the proof queue (started by `make serve`)."

    def add_arguments(self, parser):
        parser.add_argument("--workers", type=int, default=settings.PROOF_WORKERS,
                            help="processes (default: PROOF_WORKERS, else one per core)")
        parser.add_argument("--max-tasks", type=int, default=500,
                            help="proofs a process makes before a fresh one takes over (bounds its memory)")

    def handle(self, *args, workers, max_tasks, **options):
        printing.warm_up(widths=(600, 800))  # before the fork: every worker starts warm (the common widths)
        # Pages before proofs: a proof worker yields the cores to the web workers.
        os.nice(settings.PROOF_NICE)
        consumer = proofs.huey.create_consumer(
            workers=workers, worker_type="process", periodic=False, max_tasks=max_tasks,
            # a SQLite queue is polled: look every 50 ms (an empty look costs microseconds)
            initial_delay=0.05, backoff=1.1, max_delay=0.05, check_worker_health=True,
            health_check_interval=1)
        self.stdout.write(f"proof workers ready: {workers}")
        self.stdout.flush()
        consumer.run()
