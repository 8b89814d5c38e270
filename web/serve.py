"""`make serve`: gunicorn (the WSGI server: WEB_CONCURRENCY processes of WEB_THREADS
threads, so a browser waiting for its proof holds a thread, not a process), the
proof workers (`run_proofs`) and the huey consumer (the build queue's worker), side
by side; Ctrl-C stops them all. Not for development reloading: this is how
the portal runs for real on one machine (see the README for several)."""
import os
import signal
import subprocess
import sys
from pathlib import Path

from pipeline.paths import ROOT

BIN = Path(sys.executable).parent


def main() -> int:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "web.settings.local")}
    bind = os.environ.get("PORTAL_BIND", "127.0.0.1:8000")
    workers = os.environ.get("WEB_CONCURRENCY", "3")
    threads = os.environ.get("WEB_THREADS", "8")
    children = [
        subprocess.Popen([str(BIN / "gunicorn"), "web.wsgi", "--bind", bind, "--workers", workers,
                          "--worker-class", "gthread", "--threads", threads, "--keep-alive", "20",
                          "--preload", "--timeout", "60", "--graceful-timeout", "20", "--access-logfile", "-",
                          "--forwarded-allow-ips", os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")],
                         cwd=ROOT, env=env),
        subprocess.Popen([sys.executable, "web/manage.py", "run_proofs"], cwd=ROOT, env=env),
        subprocess.Popen([sys.executable, "web/manage.py", "run_huey", "--workers",
                          os.environ.get("HUEY_WORKERS", "1")], cwd=ROOT, env=env),
    ]
    print(f"portal on http://{bind}/  (proof and build workers running; Ctrl-C stops them all)", flush=True)

    def stop(*_):
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    code = 0
    try:
        while all(c.poll() is None for c in children):
            try:
                children[0].wait(timeout=1)
            except subprocess.TimeoutExpired:
                pass
    finally:
        stop()
        for child in children:
            code = code or (child.wait() or 0)
    return code


if __name__ == "__main__":
    sys.exit(main())
