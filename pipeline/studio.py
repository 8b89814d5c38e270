"""The designer studio's engine: watch the designer's files, re-render what a save changed,
tell the browsers. No Django here: the studio's web page (web/studio/: its server and
views) only reads from it.

- A watcher thread (watchfiles, inotify) notices saves under the layouts folder,
  content/, assets/ and fonts/, reloads the campaign or products.yaml/colours.yaml
  when those changed, and starts a new *generation*.
- One render thread does all rendering (WeasyPrint is imported and warmed once).
  After a save it checks, by each job's input hash (pipeline.build.input_hash: the
  build cache's own idea of "changed"), the outputs in view in a browser first, then
  the others a browser is showing, then (once saves pause) the approved set for the
  changes view; it
  re-renders only those whose hash changed. After a save of the campaign's YAML
  alone, an output whose HTML came out the same (a field it does not print) is not
  rendered again. An output nobody is looking at is checked when it is next asked for.
- A re-render is published to every open event stream (Server-Sent Events) twice:
  once its image is made, and again when preflight has looked at it (at once, or,
  when another save came meanwhile, once the outputs that save changed are drawn).

A designer's mistake (a template or CSS error, a broken YAML file) is kept as the
output's error, shown beside its last good image; the engine never stops on one.
A stylesheet WeasyPrint had to ignore part of is such a mistake here (in a build it
is a warning): the page would be drawn without the rule.
"""
from __future__ import annotations

import hashlib
import json
import queue
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import pypdfium2 as pdfium

from . import approved as approved_proofs, build, proof
from .content import load_campaigns
from .paths import ASSETS, FONTS, LAYOUTS
from .pdflock import PDFIUM
from .plan import Job, load_layouts, load_profiles, plan
from .problems import PipelineError, Problem

DISPLAY_DPI = 60  # the studio's images: an A3 poster is 700 x 990 pixels, about 0.1 s to draw
WAIT_S = 60  # longest a request waits for a render
REVIEW_WAIT_S = 2  # longest the changes view waits for the approved set; then it shows what is compared so far
QUIET_S = 2  # the approved set is rendered in the background once the designer's outputs were drawn this long ago
RECENT_S = 120  # an image asked for this recently (by a tool, not a page) is kept current
TILE_PX = 512  # the close look's tiles: this many CSS pixels square on screen
CSS_PX_PER_INCH = 96  # a zoom of 1 is the page at its printed size on a screen
TILES_KEPT = 256  # tiles of the latest renders kept in memory (about 30 MB)


@dataclass
class Render:
    """The latest render of one output. `pages` stay the last good images when a
    later render fails: `error` then says why, over them."""

    key: str
    input_hash: str = ""
    version: int = 0
    generation: int = -1  # the generation in which the hash was last confirmed
    pages: list[bytes] = field(default_factory=list)  # PNG per page at DISPLAY_DPI
    pdf: bytes = b""  # the PDF those pages show: the close look and the PDF link
    html_hash: str = ""  # of its HTML as the template writes it (before copyfitting)
    checking: bool = False  # the image is out, preflight is still looking at it
    to_check: tuple | None = None  # (job, HTML, Rendered, HTML as designed) preflight has yet to look at
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
        self.busy_at = 0.0  # when a file was last saved or an output a designer looks at was checked (monotonic)
        self.layout_generation = 0  # the last generation a file other than the campaign's YAML changed in
        self.in_view: list[str] = []  # the outputs in view in the browser window last scrolled
        self.tiles: OrderedDict[tuple, bytes] = OrderedDict()
        self.setup_error: list[Problem] = []
        self.listeners: dict[queue.Queue, list[str]] = {}  # each open event stream: the outputs it shows
        self.campaigns = self.layouts = None
        self.last_review: dict[str, approved_proofs.Difference] = {}  # the changes view's, by "name/page"
        self.compared: dict = {}  # its pages' comparisons, kept while neither side changes (approved.review)
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
            "checking": bool(render and render.checking),
            "error": [problem_dict(p) for p in (render.error if render else [])] + [
                problem_dict(p) for p in self.setup_error],
            "seconds": round(render.seconds, 3) if render else None,
        }

    def pdf(self, key: str) -> bytes | None:
        """The PDF of the output's current image (the last good one)."""
        render = self.current(key)
        return render.pdf if render and render.pdf else None

    def tile(self, key: str, page: int, zoom: float, density: float, column: int, row: int) -> bytes | None:
        """A TILE_PX square of a page for the close look, as PNG: the page at `zoom`
        times its printed size (CSS pixels), `density` image pixels per CSS pixel,
        cut from the PDF of the current image. None when there is no such tile."""
        render = self.current(key)
        if render is None or not render.pdf or not 1 <= page <= len(render.pages):
            return None
        cached = (key, render.version, page, zoom, density, column, row)
        with self.lock:
            if cached in self.tiles:
                self.tiles.move_to_end(cached)
                return self.tiles[cached]
        side_pt = TILE_PX * 72 / CSS_PX_PER_INCH / zoom
        with PDFIUM:
            document = pdfium.PdfDocument(render.pdf)
            try:
                sheet = document[page - 1]
                width, height = sheet.get_size()
                left, top = column * side_pt, row * side_pt
                if left >= width or top >= height:
                    return None
                right, bottom = min(left + side_pt, width), min(top + side_pt, height)
                # crop: points cut from each side (left, bottom, right, top); PDF's y is up
                image = sheet.render(scale=zoom * density * CSS_PX_PER_INCH / 72,
                                     crop=(left, height - bottom, width - right, top)).to_pil().convert("RGB")
            finally:
                document.close()
        png = proof.png(image)
        with self.lock:
            self.tiles[cached] = png
            while len(self.tiles) > TILES_KEPT:
                self.tiles.popitem(last=False)
        return png

    def look(self, keys: list[str]) -> None:
        """The outputs now in view in a browser window: re-rendered first after a save."""
        with self.lock:
            self.in_view = [k for k in keys if k in self.jobs]

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
        yaml = [p for p in paths if p.suffix in (".yaml", ".yml") and any(
            p.is_relative_to(c if c.is_dir() else c.parent) for c in self.content)]
        layouts = any(p.parent == self.layouts_folder and p.name in ("products.yaml", "colours.yaml") for p in paths)
        if len(yaml) < len(paths):
            build.forget_file_hashes()  # a save can change a font or a template's includes
        had_error = bool(self.setup_error)
        if yaml or layouts:
            self._reload(bool(yaml), layouts)
        with self.lock:
            self.generation += 1
            self.busy_at = time.monotonic()
            if len(yaml) < len(paths):
                self.layout_generation = self.generation
            self.lock.notify_all()
        # A mistake, or its fix: every page says so now. A fix that brings back the
        # inputs of the last good render re-renders nothing, so nothing else would.
        if self.setup_error or had_error:
            self._publish(sorted({k for keys in self.listeners.values() for k in keys}))

    def _next(self) -> str | None:
        """The next output to check: one asked for, then those in view in a browser,
        those on an open page (in the page's order), those whose image was asked for
        in the last RECENT_S, then the approved set once those are drawn and the
        designer has paused (QUIET_S: a render cannot be stopped, so the next save
        would wait for it); None when all are current."""
        showing = [k for keys in self.listeners.values() for k in keys]
        now = time.monotonic()
        recent = [k for k, t in sorted(self.watched.items(), key=lambda kt: -kt[1]) if now - t < RECENT_S]
        for key in [*self.wanted, *self.in_view, *showing, *recent]:
            if key in self.jobs and self._stale(key):
                self.busy_at = now
                return key
        if now - self.busy_at > QUIET_S:
            return next((key for key in self.approved if key in self.jobs and self._stale(key)), None)
        return None

    def _render_loop(self) -> None:
        while not self.stopping.is_set():
            with self.lock:
                key, put_off = self._next(), None
                while key is None and put_off is None and not self.stopping.is_set():
                    # Nothing to draw: a preflight a save put off, else wait for one.
                    put_off = next((r for r in self.renders.values() if r.to_check), None)
                    if put_off is None:
                        self.lock.wait(1)
                        key = self._next()
                if self.stopping.is_set():
                    return
                if key is not None:
                    job, generation = self.jobs[key], self.generation
                    render = self.renders.setdefault(key, Render(key))
            if key is None:
                self._preflight(put_off)
                continue
            self._check(key, job, render, generation)
            with self.lock:
                render.generation = generation
                if key in self.wanted:
                    self.wanted.remove(key)
                self.lock.notify_all()

    def _check(self, key: str, job: Job, render: Render, generation: int) -> None:
        """Render the job if its inputs changed, and publish it: once its image is
        made (or its error known), current from then on, and again once preflight
        has looked at it."""
        try:
            digest = build.input_hash(job)
        except Exception as exc:  # a template that does not parse: the render below says where
            digest = f"unhashable: {exc!r}"
        if digest == render.input_hash and not digest.startswith("unhashable"):
            return
        from .fit import fitted

        designed = self._yaml_only_html(job, render)
        if designed is not None and _sha(designed) == render.html_hash:  # a field it does not print
            render.input_hash = digest
            return

        started = time.perf_counter()
        error, pages = [], []
        try:
            html, rendered = fitted(job, designed)
            # A rule WeasyPrint dropped: the page is not what the stylesheet says.
            error = [p for p in rendered.warnings if p.check == "weasyprint" and p.file.endswith(".css")]
            images = proof.raster(rendered.pdf, DISPLAY_DPI)
            pages = [proof.png(page) for page in images]
        except PipelineError as exc:
            error = exc.problems
        except Exception as exc:  # never lose the render thread to one output
            error = [Problem("error", job.output, f"could not be made: {type(exc).__name__}: {exc}",
                             "if the message names a file, fix it; otherwise report it")]
        with self.lock:
            render.input_hash, render.generation = digest, generation
            render.seconds = time.perf_counter() - started
            render.version += 1
            render.error = error
            render.to_check, render.checking = None, False  # a preflight put off for an older image: moot
            if not error:
                qr = [(p.page, p.rect) for p in rendered.layout if p.kind == "qr"]
                render.pages, render.pdf, render.problems, render.checking = pages, rendered.pdf, [], True
                render.guides, render.html_hash = proof.guides(job, qr).to_dict(), ""
                render.to_check = (job, html, rendered, designed)
            saved_since = self.generation != generation
        self._publish([key])
        if not error and not saved_since:  # else the outputs that save changed are drawn first
            self._preflight(render)

    def _preflight(self, render: Render) -> None:
        """Preflight the output's image, keep what the changes view and the next
        YAML save need, and publish the problems."""
        from .layouts import render_html
        from .preflight import preflight

        with self.lock:
            job, html, rendered, designed = render.to_check
        record = None
        try:
            problems, _ = preflight(job, html, rendered)
            if render.key in self.approved:
                record = approved_proofs.record(job, rendered.pdf, rendered.layout)
            html_hash = _sha(render_html(job) if designed is None else designed)
        except Exception as exc:  # never lose the render thread to one output
            problems, html_hash = [Problem("error", job.output, f"preflight failed: {type(exc).__name__}: {exc}",
                                           "report it")], ""
        with self.lock:
            render.problems, render.html_hash = problems, html_hash
            render.record = record
            render.checking, render.to_check = False, None
            self.lock.notify_all()
        self._publish([render.key])

    def _yaml_only_html(self, job: Job, render: Render) -> str | None:
        """The job's HTML as designed (before copyfitting) when only the campaign's
        YAML changed since the output's last good render, to compare with that
        render's: the same HTML prints the same. None otherwise."""
        if not render.html_hash or render.error or render.generation < self.layout_generation:
            return None
        from .layouts import render_html

        try:
            return render_html(job)
        except PipelineError:
            return None  # the render says what is wrong

    # ------------------------------------------------------------ visual review

    def review(self) -> tuple[list[approved_proofs.Difference], int]:
        """The approved set's pages that differ from their approved proofs, and how many
        of its outputs are still to be rendered: the approved set comes first for up to
        REVIEW_WAIT_S, then the page shows what is current. An output counts once
        preflight has looked at it (its record is made then)."""
        deadline = time.monotonic() + REVIEW_WAIT_S
        pending = lambda key: self._stale(key) or self.renders[key].checking  # noqa: E731
        with self.lock:
            self.wanted += [key for key in self.approved if self._stale(key) and key not in self.wanted]
            self.lock.notify_all()
            while any(map(pending, self.approved)) and time.monotonic() < deadline:
                self.lock.wait(deadline - time.monotonic())
            done = [key for key in self.approved if not pending(key)]
            records = [self.renders[key].record for key in done if self.renders[key].record]
            whole = [self.jobs[key] for key in self.approved]
        return (approved_proofs.review(records, whole=whole, compared=self.compared),
                len(self.approved) - len(done))


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


_studio: Studio | None = None


def install(studio: Studio) -> None:
    """The one engine of this process, for the views."""
    global _studio
    _studio = studio


def get() -> Studio:
    return _studio
