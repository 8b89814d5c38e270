"""The designer studio's engine: watch the designer's files, re-render what a save changed,
tell the browsers. No Django here: the studio's web page (web/studio/: its server and
views) only reads from it.

- A watcher thread (watchfiles, inotify) notices saves under the layouts folder,
  content/, assets/ and fonts/, reloads the campaign or products.yaml/colours.yaml
  when those changed, and starts a new *generation*.
- One render thread does all rendering (WeasyPrint is imported and warmed once).
  After a save it checks, by each job's input hash (pipeline.build.input_hash: the
  build cache's own idea of "changed"), the outputs a browser is showing, newest
  first, then (once saves pause) the approved set for the changes view; it re-renders only those whose
  hash changed. An output nobody is looking at is checked when it is next asked for.
- Each re-render is published to every open event stream (Server-Sent Events).

A designer's mistake (a template or CSS error, a broken YAML file) is kept as the
output's error, shown over its last good image; the engine never stops on one.
"""
from __future__ import annotations

import json
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import approved as approved_proofs, build, proof
from .content import load_campaigns
from .paths import ASSETS, FONTS, LAYOUTS
from .plan import Job, load_layouts, load_profiles, plan
from .problems import PipelineError, Problem

DISPLAY_DPI = 60  # the studio's images: an A3 poster is 700 x 990 pixels, about 0.1 s to draw
WAIT_S = 60  # longest a request waits for a render
REVIEW_WAIT_S = 15  # longest the changes view waits for the approved set (43 outputs)
QUIET_S = 2  # the approved set is rendered in the background once no file was saved for this long
RECENT_S = 120  # an image asked for this recently (by a tool, not a page) is kept current


@dataclass
class Render:
    """The latest render of one output. `pages` stay the last good images when a
    later render fails: `error` then says why, over them."""

    key: str
    input_hash: str = ""
    version: int = 0
    generation: int = -1  # the generation in which the hash was last confirmed
    pages: list[bytes] = field(default_factory=list)  # PNG per page at DISPLAY_DPI
    record: approved_proofs.Record | None = None  # as the approved proofs keep it (approved set only)
    problems: list[Problem] = field(default_factory=list)
    guides: dict | None = None
    error: list[Problem] = field(default_factory=list)
    seconds: float = 0.0


def problem_dict(p: Problem) -> dict:
    return {**p.to_dict(), "where": p.where(), "text": str(p)}


class Studio:
    def __init__(self, content: list[Path], layouts: Path | None = None):
        self.content = [Path(p).resolve() for p in content]
        self.layouts_folder = Path(layouts or LAYOUTS).resolve()
        self.profiles = load_profiles()
        self.lock = threading.Condition()
        self.jobs: dict[str, Job] = {}
        self.approved: list[str] = []
        self.renders: dict[str, Render] = {}
        self.watched: dict[str, float] = {}  # key -> when an image of it was last asked for
        self.wanted: list[str] = []  # asked for and not current: first in line
        self.generation = 0
        self.saved_at = 0.0  # when a file was last saved (monotonic)
        self.setup_error: list[Problem] = []
        self.listeners: dict[queue.Queue, list[str]] = {}  # each open event stream: the outputs it shows
        self.campaigns = self.layouts = None
        self.last_review: dict[str, approved_proofs.Difference] = {}  # the changes view's, by "name/page"
        self._reload(content=True, layouts=True)
        if self.setup_error:
            raise PipelineError(self.setup_error)
        self.stopping = threading.Event()

    # ------------------------------------------------------------ loading

    def _reload(self, content: bool, layouts: bool) -> None:
        """Load the campaign and/or the layout set again, and plan every job of every
        profile. On a mistake the jobs planned before stay, and the error is shown."""
        try:
            campaigns = load_campaigns(self.content) if content or self.campaigns is None else self.campaigns
            layout_set = load_layouts(self.layouts_folder) if layouts or self.layouts is None else self.layouts
            jobs = plan(campaigns, layout_set, list(self.profiles.values()))
        except PipelineError as exc:
            self.setup_error = exc.problems
            return
        except OSError as exc:  # a file caught half-way through an editor's save: the next event reloads
            self.setup_error = [Problem("error", str(exc.filename or "content"), f"could not be read: {exc.strerror}",
                                        "save the file again")]
            return
        self.campaigns, self.layouts, self.setup_error = campaigns, layout_set, []
        several = len({j.source.slug for j in jobs}) > 1
        keyed = {self.key(job, several): job for job in jobs}
        approved = [self.key(j, several) for j in approved_proofs.approved_set(jobs)]
        with self.lock:
            self.jobs, self.approved = keyed, approved

    @staticmethod
    def key(job: Job, with_campaign: bool = False) -> str:
        """An output's name in URLs: its path without .pdf, e.g. districts/york/poster-a3
        (with the campaign first when the studio shows several campaigns)."""
        name = proof.proof_name(job)
        return f"{job.source.slug}/{name}" if with_campaign else name

    # ------------------------------------------------------------ what browsers ask

    def proof_png(self, key: str, page: int) -> bytes | None:
        """The current image of a page: waits for a render when the output is not
        current; the last good image when it cannot be rendered."""
        render = self.current(key)
        if render is None or not 1 <= page <= len(render.pages):
            return None
        return render.pages[page - 1]

    def current(self, key: str, wait: bool = True) -> Render | None:
        """The output's render, made current first (unless `wait` is False)."""
        with self.lock:
            if key not in self.jobs:
                return None
            self.watched[key] = time.monotonic()
            deadline = time.monotonic() + WAIT_S
            while wait and self._stale(key) and time.monotonic() < deadline:
                if key not in self.wanted:
                    self.wanted.append(key)
                self.lock.notify_all()
                self.lock.wait(deadline - time.monotonic())
            return self.renders.get(key)

    def _stale(self, key: str) -> bool:
        render = self.renders.get(key)
        return render is None or render.generation != self.generation

    def state(self, key: str) -> dict | None:
        """What a browser needs to draw an output: image version, guides, problems, error."""
        render = self.renders.get(key)
        job = self.jobs.get(key)
        if job is None:
            return None
        guides = render.guides if render and render.guides else proof.guides(job).to_dict()
        return {
            "key": key,
            "version": render.version if render else 0,
            "pages": len(render.pages) if render else 0,
            "guides": guides,
            "problems": [problem_dict(p) for p in render.problems] if render else [],
            "error": [problem_dict(p) for p in (render.error if render else [])] + [
                problem_dict(p) for p in self.setup_error],
            "seconds": round(render.seconds, 3) if render else None,
        }

    def events(self, showing: list[str]) -> queue.Queue:
        """A queue of events for a browser page showing these outputs (kept current first)."""
        q: queue.Queue = queue.Queue(maxsize=1000)
        with self.lock:
            self.listeners[q] = [k for k in showing if k in self.jobs]
            self.lock.notify_all()
        return q

    def forget(self, q: queue.Queue) -> None:
        with self.lock:
            self.listeners.pop(q, None)

    def _publish(self, keys: list[str]) -> None:
        event = json.dumps({"outputs": keys, "states": {k: self.state(k) for k in keys}})
        for q in list(self.listeners):
            try:
                q.put_nowait(event)
            except queue.Full:  # a browser that stopped reading: drop it
                self.forget(q)

    # ------------------------------------------------------------ the threads

    def start(self) -> None:
        threading.Thread(target=self._render_loop, name="studio-render", daemon=True).start()
        threading.Thread(target=self._watch_loop, name="studio-watch", daemon=True).start()

    def stop(self) -> None:
        self.stopping.set()
        with self.lock:
            self.lock.notify_all()

    def watch_paths(self) -> list[Path]:
        folders = {self.layouts_folder, ASSETS, FONTS}
        folders |= {p if p.is_dir() else p.parent for p in self.content}
        return sorted(f for f in folders if f.exists())

    def _watch_loop(self) -> None:
        import watchfiles

        # step: 20 ms of quiet after a change ends a save (editors write in bursts).
        for changes in watchfiles.watch(*self.watch_paths(), step=20, stop_event=self.stopping,
                                        raise_interrupt=False):
            self.changed([Path(path) for _, path in changes])

    def changed(self, paths: list[Path]) -> None:
        """Files were saved: reload what must be, start a new generation."""
        content = any(p.suffix in (".yaml", ".yml") and any(p.is_relative_to(c if c.is_dir() else c.parent)
                                                               for c in self.content) for p in paths)
        layouts = any(p.parent == self.layouts_folder and p.name in ("products.yaml", "colours.yaml") for p in paths)
        build.forget_file_hashes()  # a save can change a font or a template's includes
        if content or layouts:
            self._reload(content, layouts)
        with self.lock:
            self.generation += 1
            self.saved_at = time.monotonic()
            self.lock.notify_all()
        if self.setup_error:
            self._publish(sorted({k for keys in self.listeners.values() for k in keys}))

    def _next(self) -> str | None:
        """The next output to check: one asked for, then those on an open page (in the
        page's order), those whose image was asked for in the last RECENT_S, then the
        approved set once the designer has paused (QUIET_S: the next save is not kept
        waiting for it); None when all are current."""
        showing = [k for keys in self.listeners.values() for k in keys]
        now = time.monotonic()
        recent = [k for k, t in sorted(self.watched.items(), key=lambda kt: -kt[1]) if now - t < RECENT_S]
        quiet = now - self.saved_at > QUIET_S
        for key in [*self.wanted, *showing, *recent, *(self.approved if quiet else [])]:
            if key in self.jobs and self._stale(key):
                return key
        return None

    def _render_loop(self) -> None:
        while not self.stopping.is_set():
            with self.lock:
                key = self._next()
                while key is None and not self.stopping.is_set():
                    self.lock.wait(1)
                    key = self._next()
                if key is None:
                    return
                job, generation = self.jobs[key], self.generation
                render = self.renders.setdefault(key, Render(key))
            rendered = self._check(key, job, render)
            with self.lock:
                render.generation = generation
                if key in self.wanted:
                    self.wanted.remove(key)
                self.lock.notify_all()
            if rendered:
                self._publish([key])

    def _check(self, key: str, job: Job, render: Render) -> bool:
        """Render the job if its inputs changed; True when it was rendered."""
        try:
            digest = build.input_hash(job)
        except Exception as exc:  # a template that does not parse: the render below says where
            digest = f"unhashable: {exc!r}"
        if digest == render.input_hash and not digest.startswith("unhashable"):
            return False
        started = time.perf_counter()
        error, pages, record = [], [], None
        try:
            made = proof.render(job, DISPLAY_DPI)
            pages = [proof.png(page) for page in made.pages]
            if key in self.approved:
                record = approved_proofs.record(job, made.pdf, made.layout)
        except PipelineError as exc:
            error = exc.problems
        except Exception as exc:  # never lose the render thread to one output
            error = [Problem("error", job.output, f"could not be made: {type(exc).__name__}: {exc}",
                             "if the message names a file, fix it; otherwise report it")]
        with self.lock:
            render.input_hash = digest
            render.seconds = time.perf_counter() - started
            render.version += 1
            render.error = error
            if not error:
                render.pages, render.problems = pages, made.problems
                render.guides, render.record = made.guides.to_dict(), record
        return True

    # ------------------------------------------------------------ visual review

    def review(self) -> tuple[list[approved_proofs.Difference], int]:
        """The approved set's pages that differ from their approved proofs, and how many
        of its outputs are still to be rendered: the approved set comes first for up to
        REVIEW_WAIT_S, then the page shows what is current."""
        deadline = time.monotonic() + REVIEW_WAIT_S
        with self.lock:
            self.wanted += [key for key in self.approved if self._stale(key) and key not in self.wanted]
            self.lock.notify_all()
            while any(map(self._stale, self.approved)) and time.monotonic() < deadline:
                self.lock.wait(deadline - time.monotonic())
            done = [key for key in self.approved if not self._stale(key)]
            records = [self.renders[key].record for key in done if self.renders[key].record]
            whole = [self.jobs[key] for key in self.approved]
        return approved_proofs.review(records, whole=whole), len(self.approved) - len(done)


_studio: Studio | None = None


def install(studio: Studio) -> None:
    """The one engine of this process, for the views."""
    global _studio
    _studio = studio


def get() -> Studio:
    return _studio
