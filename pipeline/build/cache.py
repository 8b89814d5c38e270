"""The cache key: a hash of everything a job's PDF (or a web page) depends on, so a
build skips what has not changed and a cluster's worker checks it has the same files."""
from __future__ import annotations

import hashlib
import json
import re
import time
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

from jinja2 import meta

from .. import __version__
from ..content.easyread import picture_files
from ..identity import image_hashes
from ..layouts import environment
from ..paths import ASSETS, COLOUR, FONTS, ROOT, PIPELINE as PIPELINE_SOURCE, stamp
from ..plan import Job
from ..webpage import WebPage


# Hashes and include lists are kept between builds in one process (the studio, the
# portal, a bench) while the files they were read from are unchanged: same mtime,
# ctime, size and inode. A file changed in the last RACY_NS may change again within
# its clock tick without its stamp changing ("racy git"): it is read again next time.
RACY_NS = 2_000_000_000
KEPT = 4096  # files; a long-running portal sees many partners' logos


def _settled(found: tuple[int, ...] | None) -> bool:
    return found is None or time.time_ns() - max(found[0], found[1]) > RACY_NS


class _Stamped:
    """Values computed from files, kept while every file they were read from has
    the stamp it had then (and none of them was racy)."""

    def __init__(self):
        self.kept: OrderedDict = OrderedDict()

    def get(self, key, compute):
        """compute() -> (value, the paths it read or looked for)."""
        if key in self.kept:
            value, stamps = self.kept[key]
            if all(stamp(path) == kept for path, kept in stamps):
                self.kept.move_to_end(key)
                return value
            del self.kept[key]
        value, paths = compute()
        stamps = tuple((path, stamp(path)) for path in paths)
        if all(_settled(kept) for _, kept in stamps):
            self.kept[key] = (value, stamps)
            while len(self.kept) > KEPT:
                self.kept.popitem(last=False)
        return value


_HASHES, _INCLUDES, _LOADS = _Stamped(), _Stamped(), _Stamped()


def file_hash(path: Path) -> str:
    return _HASHES.get(path, lambda: (hashlib.sha256(path.read_bytes()).hexdigest(), [path]))


@lru_cache(maxsize=None)
def _folder_hash(folder: Path, pattern: str) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.glob(pattern)):
        digest.update(path.name.encode() + file_hash(path).encode())
    return digest.hexdigest()


FONT_FORMATS = (".ttf", ".otf", ".woff", ".woff2", ".ttc")


@lru_cache(maxsize=None)
def _fonts_hash(folder: Path) -> str:
    """Every font file in `folder` and below, of every format a stylesheet may load."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.suffix.lower() in FONT_FORMATS and path.is_file():
            digest.update(str(path.relative_to(folder)).encode() + file_hash(path).encode())
    return digest.hexdigest()


# What a template or stylesheet loads: url(...) and @import in CSS, src= and href= in HTML.
LOADS = re.compile(r"""url\(\s*["']?([^"')\s]+)|@import\s+["']([^"']+)|\b(?:src|href)\s*=\s*["']([^"'{}]+)""")


@lru_cache(maxsize=None)
def _loaded_files(folder: Path, name: str) -> tuple[tuple[str, str], ...]:
    """(reference, hash) of every local file `name` (a file in the layouts folder)
    loads, and what those stylesheets load in turn: images, fonts, @imports. A
    reference that names no file is kept as missing, so adding the file rebuilds."""
    return _LOADS.get((folder, name), lambda: _loads(folder, name))


def _loads(folder: Path, name: str) -> tuple[tuple[tuple[str, str], ...], list[Path]]:
    seen: dict[str, str] = {}
    read: list[Path] = []
    todo = [folder / name]
    while todo:
        source = todo.pop()
        read.append(source)
        try:
            text = source.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for match in LOADS.finditer(text):
            ref = next(g for g in match.groups() if g)
            if re.match(r"^[a-z][a-z0-9+.-]*:|^#|^/", ref, re.I):  # data:, https:, fragments, absolute
                continue
            target = (source.parent / ref.split("#")[0].split("?")[0]).resolve()
            key = str(target)
            if key in seen:
                continue
            seen[key] = file_hash(target) if target.is_file() else "missing"
            if target.suffix == ".css" and target.is_file():
                todo.append(target)
            else:
                read.append(target)  # its hash, or that it is missing
    return tuple(sorted((ref_key(k, folder), v) for k, v in seen.items())), read


def ref_key(path: str, folder: Path) -> str:
    """A loaded file's name relative to the project: the key holds on another machine."""
    target = Path(path)
    for base in (folder.parent, ROOT):
        if target.is_relative_to(base):
            return str(target.relative_to(base))
    return target.name


@lru_cache(maxsize=1)
def renderer_versions() -> dict[str, str]:
    """The renderer and the libraries that shape and draw text: a new version may
    move a line, so it rebuilds."""
    import ctypes
    import ctypes.util
    from importlib.metadata import version

    versions = {"weasyprint": version("weasyprint"), "pydyf": version("pydyf")}
    for name, library, function in (("pango", "pango-1.0", "pango_version_string"),
                                     ("harfbuzz", "harfbuzz", "hb_version_string")):
        try:
            call = getattr(ctypes.CDLL(ctypes.util.find_library(library)), function)
            call.restype = ctypes.c_char_p
            versions[name] = call().decode()
        except (OSError, AttributeError, TypeError):
            versions[name] = "unknown"
    return versions


def forget_file_hashes() -> None:
    """What one build looks up once (folder hashes, include lists, loads) is looked
    up again by the next, each against its files' stamps (_Stamped): files may have
    changed since the last build in this process."""
    _folder_hash.cache_clear()
    _fonts_hash.cache_clear()
    _loaded_files.cache_clear()
    _template_files.cache_clear()


@lru_cache(maxsize=None)
def _template_files(folder: Path, template: str) -> tuple[str, ...]:
    """The template and every template it imports or includes, recursively."""
    return _INCLUDES.get((folder, template), lambda: _includes(folder, template))


def _includes(folder: Path, template: str) -> tuple[tuple[str, ...], list[Path]]:
    env = environment(folder)
    seen, todo = [], [template]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.append(name)
        source = env.loader.get_source(env, name)[0]
        todo += [n for n in meta.find_referenced_templates(env.parse(source)) if n]
    return tuple(sorted(seen)), [folder / name for name in seen]


def _json(value) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def input_hash(job: Job, shared: dict | None = None) -> str:
    """Everything a job's PDF depends on: its content (and only its own variant),
    templates, stylesheets and every file they load, products/colours, fonts of every
    format, assets, profile, ICC, pipeline, and the renderer's library versions.
    `shared`: one build's parts its jobs have in common, each encoded once (input_hashes)."""
    shared = {} if shared is None else shared
    layouts, campaign, spec, profile = job.layouts.folder, job.source.campaign, job.spec, job.profile.spec
    templates = (layouts, spec.template, *job.stylesheets)

    def part(key, value):
        """`value()` as JSON, once per build for the jobs that share `key` (objects the jobs hold)."""
        if key not in shared:
            shared[key] = _json(value())
        return shared[key]

    parts = {
        "pipeline": part("pipeline", lambda: [__version__, _folder_hash(PIPELINE_SOURCE, "**/*.py")]),
        "job": _json([job.product, job.size, job.statistic, job.output]),
        "campaign": part(("campaign", id(campaign)), lambda: campaign.model_dump(mode="json", exclude={"variants"})),
        "district": _json(job.district.model_dump(mode="json") if job.district else None),
        "partner": _json(job.partner.model_dump(mode="json") if job.partner else None),
        "product": part(("product", id(spec)), lambda: spec.model_dump(mode="json")),
        "colours": part(("colours", id(job.layouts), id(job.source.brand)),
                        lambda: {k: v.model_dump(mode="json") for k, v in job.colours.items()}),
        "brand": part(("brand", id(job.source.brand)), lambda: job.source.brand.model_dump(mode="json")),
        "brand_logo": part(("brand_logo", id(job.source.brand)), lambda: file_hash(
            ASSETS / job.source.brand.logo) if job.source.brand.logo else None),
        "profile": part(("profile", id(profile)), lambda: profile.model_dump(mode="json")),
        "files": part(("files", templates), lambda: [file_hash(layouts / name) for name in
                      (*_template_files(layouts, spec.template), *job.stylesheets)]),
        "loads": part(("loads", templates), lambda: [_loaded_files(layouts, name) for name in
                      (*_template_files(layouts, spec.template), *job.stylesheets)]),
        "fonts": part("fonts", lambda: _fonts_hash(FONTS)),
        "renderer": part("renderer", renderer_versions),
        "logo": part(("logo", job.partner.logo), lambda: file_hash(ASSETS / job.partner.logo))
                if job.partner else _json(None),
        "pictures": part(("pictures", id(campaign)), lambda: [
            file_hash(p) for p in picture_files(campaign.easy_read)]) if spec.needs else _json(None),
        "images": part(("images", id(campaign)), lambda: image_hashes(campaign, file_hash)),
        "icc": part(("icc", id(profile)), lambda: file_hash(COLOUR / profile.output_intent.icc)
                    if profile.output_intent else None),
    }
    # The bytes json.dumps(parts, sort_keys=True) gives, each part's JSON put in its place.
    text = "{" + ", ".join(f"{json.dumps(name)}: {parts[name]}" for name in sorted(parts)) + "}"
    return hashlib.sha256(text.encode()).hexdigest()


def input_hashes(jobs: list[Job]) -> list[str]:
    """Each job's input_hash; what a campaign's jobs share (its content, product, profile,
    templates' files) encoded once, not once a job: 500 district variants' hashes take
    0.04 s of the build's CPU, not 0.20-0.25 s, before the first job can start."""
    shared: dict = {}
    return [input_hash(job, shared) for job in jobs]


def web_input_hash(page: WebPage) -> str:
    """Everything a web page (and its text) depends on: its content, the template
    and every template it includes (web-page.css), the colours, brand and its logo,
    the pipeline."""
    from ..webpage import TEMPLATE

    layouts = page.layouts.folder
    parts = {
        "pipeline": [__version__, _folder_hash(PIPELINE_SOURCE, "**/*.py")],
        "campaign": page.source.campaign.model_dump(mode="json", exclude={"variants"}),
        "language": page.source.language,
        "colours": {k: v.model_dump(mode="json") for k, v in page.colours.items()},
        "brand": page.source.brand.model_dump(mode="json"),
        "brand_logo": file_hash(ASSETS / page.source.brand.logo) if page.source.brand.logo else None,
        "images": image_hashes(page.source.campaign, file_hash),
        "files": [(name, file_hash(layouts / name)) for name in _template_files(layouts, TEMPLATE)],
        "loads": [_loaded_files(layouts, name) for name in _template_files(layouts, TEMPLATE)],
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
