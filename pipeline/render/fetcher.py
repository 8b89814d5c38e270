"""The renderer's only way to files: file: URLs inside the project's own folders (layouts,
fonts, colour, assets) and data: URIs; images and SVG checked, and for press made CMYK."""
from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.urls import URLFetcher, URLFetcherResponse, URLFetchingError

from .. import assets, colour, qr
from ..paths import ASSETS, COLOUR, FONTS
from ..plan import layouts_neighbours

PROJECT_ROOTS = (FONTS, COLOUR, ASSETS)
IMAGE_SUFFIXES = tuple(assets.RASTER_FORMATS)
# Served as they are; anything else is an image and must pass the asset checks.
FONT_SUFFIXES = (".ttf", ".otf", ".woff", ".woff2")
RAW_SUFFIXES = (".css", *FONT_SUFFIXES, ".icc", ".icm")


class _Served(URLFetcherResponse):
    """Bytes the fetcher read and checked itself. No path: otherwise WeasyPrint embeds
    a raster image by reading the file named in the URL again (LazyLocalImage), i.e.
    the original PNG under the JPEG's /DCTDecode filter instead of the CMYK JPEG."""

    @property
    def path(self):
        return None


class ProjectFetcher(URLFetcher):
    """Serves file: URLs inside the project's own folders; refuses everything else.

    Each file is read once, by `assets.read_project_file` (regular files inside the
    folders after resolving symlinks, bounded size); images and SVG must pass the
    asset checks. For press output (`cmyk` = the output intent's ICC file), images and
    SVG colours are converted to CMYK on the way in, so no RGB reaches a print PDF."""

    def __init__(self, layouts: Path, cmyk: Path | None = None):
        super().__init__(allowed_protocols={"file", "data"})
        self.layouts = Path(layouts)
        self.cmyk = cmyk

    @property
    def roots(self) -> list[Path]:
        """The folders as they are now, links resolved: one fetcher serves many documents."""
        return [r.resolve() for r in (self.layouts, *PROJECT_ROOTS)]

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        if parts.scheme == "data":
            return self._data(url, headers)
        if parts.scheme != "file":
            raise URLFetchingError(f"refused {url}: only the project's own files may be used")
        path = Path(unquote(parts.path))
        try:
            data = assets.read_project_file(path, self.roots)
        except assets.RefusedFile as exc:
            beside = self.layouts.parent
            if any(path.is_relative_to(beside / name) for name in ("fonts", "colour", "assets")) \
                    and layouts_neighbours(self.layouts):
                # A copy of layouts/ without the project's folders beside it (checked
                # when the folder is loaded; said again here for a folder removed since).
                raise URLFetchingError(f"refused {exc.path}: {exc.what}; the layouts folder {self.layouts} needs "
                                       f"the project's fonts/, colour/ and assets/ beside it, in {beside}/ "
                                       "(links to them: README, \"For designers\")") from None
            raise URLFetchingError(f"refused {exc.path}: {exc.what}") from None
        suffix = path.suffix.lower()
        if suffix in FONT_SUFFIXES and not path.resolve().is_relative_to(FONTS.resolve()):
            # A font decides what a reader sees: only the reviewed ones, with their licences.
            raise URLFetchingError(f"refused {path}: fonts are used from the project's fonts/ only (README, Fonts)")
        if suffix not in RAW_SUFFIXES:  # an image: PNG, JPEG or SVG, checked
            # Scanned for codes too (once per file and worker): a designer's picture may carry one.
            problems = assets.check_asset(data, str(path))
            if problems:
                raise URLFetchingError("; ".join(f"{p.what} ({p.hint})" for p in problems))
        if self.cmyk and suffix == ".svg":
            data = colour.svg_to_cmyk(data.decode("utf-8"), self.cmyk).encode("utf-8")
        elif suffix in IMAGE_SUFFIXES:
            data, normalised = assets.normalise_image(data)  # 8 bits, upright, sRGB: as proofed
            if self.cmyk:
                return _Served(url, colour.image_to_cmyk(data, self.cmyk), {"Content-Type": "image/jpeg"})
            if normalised:
                return _Served(url, data, {"Content-Type": normalised})
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or suffix == ".svg":
            content_type += "; charset=utf-8"
        return _Served(url, data, {"Content-Type": content_type})


    def _data(self, url, headers):
        """A data: URI, with the same image checks as a file (a 12000×12000 PNG
        written into a template is as much a bomb as one in assets/); no fonts."""
        response = super().fetch(url, headers)
        kind = (response.content_type or "").lower()
        if kind.startswith("image/"):
            data = response.read()
            suffix = {"image/png": ".png", "image/jpeg": ".jpg", "image/svg+xml": ".svg"}.get(kind)
            if suffix is None:
                raise URLFetchingError(f"refused a data: URI of {kind}: only PNG, JPEG and SVG images are used")
            # The campaign's own code is an empty placeholder here (qrdraw.py draws it): not scanned.
            problems = assets.check_asset(data, f"a data: URI ({kind}){suffix}", codes=not qr.is_placeholder(data))
            if problems:
                raise URLFetchingError("refused " + "; ".join(f"{p.file}: {p.what} ({p.hint})" for p in problems))
            if suffix == ".svg":  # as a file's SVG: its colours in CMYK for the press
                if self.cmyk:
                    data = colour.svg_to_cmyk(data.decode("utf-8"), self.cmyk).encode("utf-8")
            else:  # as a file's image: normalised, and CMYK for the press
                data, normalised = assets.normalise_image(data)
                if self.cmyk:
                    return _Served(url, colour.image_to_cmyk(data, self.cmyk), {"Content-Type": "image/jpeg"})
                kind = normalised or kind
            return _Served(url, data, {"Content-Type": kind})
        if not kind.startswith("text/css"):  # a font in a data: URI would pass the fonts/ rule
            raise URLFetchingError(f"refused a data: URI of {kind or 'no type'}: only images and CSS are used")
        return response
