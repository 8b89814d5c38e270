"""Loading a layouts folder (products.yaml, colours.yaml, the files they name, the
neighbouring fonts/, colour/ and assets/) and the output profiles."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ..content import load_model
from ..paths import ASSETS, COLOUR, FONTS, LAYOUTS, PROFILES
from ..problems import ContentError, PipelineError, Problem
from .specs import Colours, LayoutSet, NamedProfile, ProductSpec, Products, Profile


def load_layouts(folder: Path | None = None) -> LayoutSet:
    """products.yaml and colours.yaml of a layouts folder (default layouts/); all problems
    of both at once."""
    folder = folder or LAYOUTS
    from ..assets import RefusedFile, read_project_file
    from ..limits import TEMPLATE_BYTES

    if not folder.is_dir():  # a typo in --layouts: one message, not one per file it would hold
        raise ContentError([Problem("error", str(folder), "not a layouts folder: "
                                    + ("it is a file" if folder.exists() else "there is no such folder"),
                                    "give the folder that holds products.yaml and colours.yaml: layouts/, or "
                                    "a copy of it (README, \"For designers\")")])
    loaded, problems = {}, []
    for name, model in (("products", Products), ("colours", Colours)):
        path = folder / f"{name}.yaml"
        try:
            # The one reader's rules first (inside the folder, a regular file of one
            # name, bounded): a link or hard link to a file outside, a FIFO, /dev/zero.
            if os.path.lexists(path):
                read_project_file(path, [folder], TEMPLATE_BYTES)
            loaded[name] = load_model(path, model).root
        except RefusedFile as exc:
            problems.append(Problem("error", str(path), exc.what, exc.hint))
        except ContentError as exc:
            problems += exc.problems
    if "products" in loaded:
        problems += _layout_files(folder, loaded["products"])
    problems += layouts_neighbours(folder)
    if problems:
        raise ContentError(problems)
    return LayoutSet(folder.resolve(), loaded["products"], loaded["colours"])


def _layout_files(folder: Path, products: dict[str, ProductSpec]) -> list[Problem]:
    """Every template and stylesheet products.yaml names is a file in the layouts
    folder: a name such as /dev/zero or ../../etc/passwd is refused before anything
    reads it, and a missing stylesheet is named here, not when a build writes."""
    problems = []
    for product, spec in products.items():
        named = [("template", spec.template)] + [
            (f"sizes.{size}.stylesheets[{i}]", sheet)
            for size, size_spec in spec.sizes.items() for i, sheet in enumerate(size_spec.stylesheets)]
        for field, name in named:
            kind = "template" if field == "template" else "stylesheet"
            parts = Path(name).parts
            if not name or Path(name).is_absolute() or ".." in parts or name.startswith("~"):
                what = f"the {kind} {name!r} is not a file name inside the layouts folder"
            elif not (folder / name).is_file():
                what = f"the {kind} {name!r} is missing: no such file in {folder}"
            else:
                continue
            example = "poster.html" if kind == "template" else "poster.css"
            problems.append(Problem("error", str(folder / "products.yaml"), what,
                                    f"name a {kind} of this folder (e.g. {example}), or create the file there",
                                    field=f"{product}.{field}"))
    return problems


# The project's folders a layout reaches as ../fonts/, ../colour/, ../assets/
NEIGHBOURS = {"fonts": FONTS, "colour": COLOUR, "assets": ASSETS}


def layouts_neighbours(folder: Path) -> list[Problem]:
    """A copy of layouts/ (`--layouts my-copy/`) reaches fonts, the press ICC profile
    and logos as ../fonts/, ../colour/, ../assets/, and the renderer serves only the
    project's own: each must be the project's folder or a link to it. One problem for
    the folder, before any job runs (else every job fails on its first file)."""
    folder = Path(folder)
    beside = {name: folder.parent / name for name in NEIGHBOURS}
    wrong = [name for name, path in beside.items() if not path.is_dir() or path.resolve() != NEIGHBOURS[name].resolve()]
    if not wrong:
        return []
    missing = [name for name in wrong if not beside[name].is_dir()]
    others = [name for name in wrong if name not in missing]
    said = []
    if missing:
        said.append(f"{_names(missing)} {'is' if len(missing) == 1 else 'are'} missing there")
    if others:
        said.append(f"{_names(others)} {'is not' if len(others) == 1 else 'are not'} the project's")
    links = "; ".join(f"ln -sfn {NEIGHBOURS[name]} {beside[name]}" for name in wrong)
    return [Problem("error", str(folder),
                    f"this layouts folder needs the project's fonts/, colour/ and assets/ beside it, in "
                    f"{folder.parent}/ (its stylesheets load ../fonts/, ../colour/, ../assets/), and "
                    + " and ".join(said),
                    f"link the project's folders beside the copy (README, \"For designers\"): {links}")]


def _names(folders: list[str]) -> str:
    names = [f"{name}/" for name in folders]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def load_profiles(folder: Path = PROFILES) -> dict[str, NamedProfile]:
    """Every profiles/*.yaml, by file name; all problems of all files at once."""
    profiles, problems = {}, []
    for path in sorted(folder.glob("*.yaml")):
        try:
            profiles[path.stem] = NamedProfile(path.stem, load_model(path, Profile))
        except ContentError as exc:
            problems += exc.problems
    for named in profiles.values():
        intent = named.spec.output_intent
        if intent and not (COLOUR / intent.icc).is_file():
            problems.append(Problem("error", f"profiles/{named.name}.yaml", f"ICC profile colour/{intent.icc} not found",
                                    "put the ICC file in colour/ or fix output_intent.icc",
                                    field="output_intent.icc"))
    if problems:
        raise ContentError(problems)
    return profiles


def select_profiles(profiles: dict[str, NamedProfile], names: str | list[str] | None) -> list[NamedProfile]:
    """The profiles asked for (one name or several, `--profile` repeats), in the order
    of profiles/, or every default one (press + screen). With none named, the others
    come along unchosen: made only for a product that names them in products.yaml
    (a 6-sheet made in large-format only)."""
    if not names:
        return [NamedProfile(p.name, p.spec, chosen=p.spec.default) for p in profiles.values()]
    wanted = {names} if isinstance(names, str) else set(names)
    unknown = sorted(wanted - set(profiles))
    if unknown:
        raise PipelineError([Problem("error", "--profile", f"unknown profile {name!r}",
                                     f"choose from: {', '.join(profiles)} (files in profiles/)")
                             for name in unknown])
    return [p for name, p in profiles.items() if name in wanted]


def folder_digest(folder: Path) -> bytes:
    """The folder as it is now: its path and each file's name and bytes. Not mtime and
    size: a same-size save within the file system's timestamp step (1 s on some, 2 s on
    FAT) or a copy that keeps the mtime (cp -p, rsync -t, unzip) would look unchanged.
    About 1 ms for the project's 250 kB of layouts."""
    digest = hashlib.sha256(str(folder).encode() + b"\0")
    for file in sorted(Path(folder).iterdir()):
        if file.is_file():
            digest.update(file.name.encode() + b"\0" + hashlib.sha256(file.read_bytes()).digest())
    return digest.digest()

