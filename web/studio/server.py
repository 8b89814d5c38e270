"""`campaign-print studio` (which runs `python -m web.studio.server`): the engine
(pipeline/studio.py), its threads and Django's threaded WSGI server on 127.0.0.1 (one
process: the renders live in its memory; the event stream needs a thread per open page)."""
from __future__ import annotations

import os
import sys
from pathlib import Path


def serve(content: list[Path], layouts: Path | None, port: int) -> int:
    os.environ["DJANGO_SETTINGS_MODULE"] = "web.settings.studio"
    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.servers.basehttp import run

    from pipeline import preflight, render  # noqa: F401  WeasyPrint's imports (2 s), once, before the first save

    from pipeline import studio as engine

    studio = engine.Studio(content, layouts)  # a PipelineError here is printed by the command line
    engine.install(studio)
    studio.start()
    url = f"http://127.0.0.1:{port}/"

    def ready(bound_port):
        print(f"studio: {url} (watching {', '.join(str(p) for p in studio.watch_paths())}); Ctrl-C stops",
              flush=True)

    try:
        run("127.0.0.1", port, WSGIHandler(), threading=True, on_bind=ready)
    except OSError as exc:
        print(f"error: cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}\n"
              f"    hint: another studio may be running; choose another port with --port", file=sys.stderr)
        return 1
    finally:
        studio.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    from pipeline.cli import studio_main

    return studio_main(serve, sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    sys.exit(main())
