"""The partner portal under load, on loopback only: 50 simulated partners editing a
request and proofing the DL leaflet for 60 s (locust, headless; stops by itself).

    .venv/bin/python bench/portal_load.py      (make bench-portal; make bench runs it too)
    PORTAL_BENCH_USERS=20 PORTAL_BENCH_SECONDS=30 ...   for a shorter run

Starts its own portal as `make serve` does (gunicorn, WEB_CONCURRENCY workers of
WEB_THREADS threads, and the proof workers, `run_proofs`) on 127.0.0.1 with a
throw-away database in a temporary folder, and writes to bench/results/portal-latest.json,
for one partner alone and then all of them: each page's latency and the proof's (from
asking to the pages; p50, p95, p99, max), requests, failures, the load average and the
machine."""
from __future__ import annotations

import csv
import datetime
import json
import os
import platform
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from common import RESULTS, ROOT, VENV

BIN = VENV / "bin"
USERS = int(os.environ.get("PORTAL_BENCH_USERS", "50"))
SECONDS = int(os.environ.get("PORTAL_BENCH_SECONDS", "60"))
WORKERS = os.environ.get("WEB_CONCURRENCY", "3")
THREADS = os.environ.get("WEB_THREADS", "8")
PAGES = ("login page", "sign in", "request page")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SETUP = r"""
import io, os, sys, datetime
import django
django.setup()
from django.conf import settings
from django.core.management import call_command
from PIL import Image, ImageDraw
call_command("migrate", verbosity=0)
from web.portal.models import Organisation, PrintRequest, User
from web.portal import printing
offer = printing.offers()[0]
settings.UPLOADS_DIR.mkdir(parents=True, exist_ok=True)
img = Image.new("RGB", (600, 300), (200, 30, 120)); ImageDraw.Draw(img).rectangle([40, 40, 560, 260], outline="white", width=20)
buf = io.BytesIO(); img.save(buf, "PNG", dpi=(300, 300)); (settings.UPLOADS_DIR / "bench-logo.png").write_bytes(buf.getvalue())
for n in range(int(os.environ["PORTAL_BENCH_USERS"])):
    org = Organisation.objects.create(name=f"Bench Partner {n}", partner_id=f"bench-{n}", contact="Open weekdays",
                                      logo_file="bench-logo.png")
    user = User.objects.create_user(username=f"bench-{n}@bench.example", email=f"bench-{n}@bench.example",
                                    password=os.environ["PORTAL_BENCH_PASSWORD"], organisation=org)
    PrintRequest.objects.create(organisation=org, created_by=user, campaign=offer.slug, products=["leaflet-dl"],
                                copies={"leaflet-dl": 100}, printed_name=org.name, contact=org.contact,
                                delivery_address="York", needed_by=datetime.date.today() + datetime.timedelta(days=30))
print("ok")
"""


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "web.settings.local", "PORTAL_VAR": str(tmp / "var"),
           "PORTAL_OUTPUT": str(tmp / "output"), "PORTAL_BENCH_USERS": str(USERS),
           "PORTAL_BENCH_PASSWORD": secrets.token_urlsafe(16), "PYTHONPATH": str(ROOT)}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    # what one proof costs the proof worker, before and after issue 26 (CPU seconds, nothing else running)
    cost = json.loads(subprocess.run([str(BIN / "python"), str(ROOT / "bench" / "portal_proof_cost.py")], cwd=ROOT,
                                     env=env, check=True, capture_output=True, text=True).stdout)
    subprocess.run([str(BIN / "python"), "-c", SETUP], cwd=ROOT, env=env, check=True)
    subprocess.run([str(BIN / "python"), "web/manage.py", "collectstatic", "--noinput", "-v", "0"],
                   cwd=ROOT, env=env, check=True)
    server = subprocess.Popen([str(BIN / "gunicorn"), "web.wsgi", "--bind", f"127.0.0.1:{port}",
                               "--workers", WORKERS, "--worker-class", "gthread", "--threads", THREADS,
                               "--keep-alive", "20",
                               "--preload", "--timeout", "120", "--log-level", "warning"], cwd=ROOT, env=env)
    proofs = subprocess.Popen([str(BIN / "python"), "web/manage.py", "run_proofs"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        proofs.stdout.readline()  # "proof workers ready": warmed up (a proof of each product), forked
        phases = {}
        # one partner alone (the 1.5 s p95 target), then all of them at once
        for label, users, seconds in (("one_partner", 1, min(30, SECONDS)), ("all_partners", USERS, SECONDS)):
            phases[label] = run_locust(base, env, tmp, label, users, seconds)
    finally:
        for process in (server, proofs):
            process.terminate()
            process.wait(timeout=30)
    result = {
        "when": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "users": USERS, "seconds": SECONDS, "gunicorn_workers": int(WORKERS), "gunicorn_threads": int(THREADS),
        **phases, "proof_cpu_s": cost,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load_average_at_end": [round(x, 2) for x in os.getloadavg()]},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "portal-latest.json").write_text(json.dumps(result, indent=2) + "\n")
    for label, phase in phases.items():
        p = phase["proof_leaflet_dl"]
        print(f"portal load, {phase['users']} partner(s) for {phase['seconds']} s: {p['requests']} DL proofs, "
              f"{phase['all_requests']['failures']} failed requests; proof p50 {p['p50_s']:.2f} s, "
              f"p95 {p['p95_s']:.2f} s, max {p['max_s']:.2f} s; load average {phase['load_average']}")
        for name, page in phase["pages"].items():
            print(f"    {name}: {page['requests']} requests, p50 {page['p50_s']:.2f} s, p95 {page['p95_s']:.2f} s")
    for product, c in cost.items():
        print(f"one proof of the {product}: {c['before_cpu_s']:.3f} s of CPU before, {c['after_cpu_s']:.3f} s after "
              f"({c['ratio']:.2f}x)")
    print("-> bench/results/portal-latest.json")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0 if all(ph["all_requests"]["failures"] == 0 for ph in phases.values()) else 1


def run_locust(base: str, env: dict, tmp: Path, label: str, users: int, seconds: int) -> dict:
    started = time.time()
    subprocess.run([str(BIN / "locust"), "-f", str(ROOT / "bench" / "portal_locustfile.py"), "--headless",
                    "-u", str(users), "-r", str(max(1, users // 10)), "-t", f"{seconds}s", "--host", base,
                    "--csv", str(tmp / label), "--only-summary", "--stop-timeout", "30",
                    "--loglevel", "WARNING"], cwd=ROOT, env=env, timeout=seconds + 180,
                   stdout=subprocess.DEVNULL)
    rows = {r["Name"]: r for r in csv.DictReader((tmp / f"{label}_stats.csv").open())}
    total = rows["Aggregated"]
    return {
        "users": users, "seconds": seconds, "wall_s": round(time.time() - started, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "proof_leaflet_dl": latency(rows["proof leaflet-dl"]),
        "pages": {name: latency(rows[name]) for name in PAGES if name in rows},
        "all_requests": {"requests": int(total["Request Count"]), "failures": int(total["Failure Count"])},
    }


def latency(row: dict) -> dict:
    return {"requests": int(row["Request Count"]), "failures": int(row["Failure Count"]),
            "p50_s": float(row["50%"]) / 1000, "p95_s": float(row["95%"]) / 1000,
            "p99_s": float(row["99%"]) / 1000, "max_s": float(row["Max Response Time"]) / 1000,
            "per_s": round(float(row["Requests/s"]), 2)}


if __name__ == "__main__":
    sys.exit(main())
