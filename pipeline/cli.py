"""The command line, `campaign-print`: each command parses its arguments, calls the
stages in order (load content, plan, build or check, report) and prints what they say.

Exit codes: 0 success, 1 content or output errors, 2 usage errors.
Heavy imports (WeasyPrint) happen inside commands so --help and check stay fast.
"""
from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

from . import __version__
from .problems import PipelineError, Problem

# The campaigns when none is named: content/ of the folder the command runs in (not
# paths.CONTENT), so messages name files as the coordinator types them.
CONTENT_DIR = Path("content")


def _campaign_files(paths: list[Path]) -> list[Path]:
    if not paths:
        paths = [CONTENT_DIR]
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(path.glob("*.yaml"))
        elif path.exists():
            files.append(path)
        else:
            raise PipelineError([Problem("error", str(path), "no such file or folder",
                                         "give a campaign YAML file or a folder of them")])
    if not files:
        raise PipelineError([Problem("error", ", ".join(map(str, paths)), "no campaign files (*.yaml) found",
                                     "add a campaign to content/ or name one")])
    return files


def _report(problems: list[Problem]) -> None:
    for problem in problems:
        print(f"{problem.level}: {problem}", file=sys.stderr)


def cmd_check(args: argparse.Namespace) -> int:
    from .content import load_campaigns
    from .paths import LAYOUTS
    from .plan import load_layouts, load_profiles, plan

    campaigns = load_campaigns(_campaign_files(args.content))
    layouts = load_layouts(args.layouts or LAYOUTS)
    # Plan every job of every profile, as a build does: names, tracking codes and
    # products are checked there, so check fails wherever build would for content.
    plan(campaigns, layouts, list(load_profiles().values()))
    for source in campaigns:
        print(f"ok: {source.path} ({source.campaign.name})")
    return 0


def _run(args: argparse.Namespace, write_pdfs: bool) -> int:
    from .build import build
    from .content import load_campaigns
    from .paths import LAYOUTS
    from .plan import load_layouts, load_profiles, plan, select_profiles
    from .preflight import strict
    from .report import summary_lines
    from .webpage import plan_pages

    campaigns = load_campaigns(_campaign_files(args.content))
    layouts = load_layouts(args.layouts or LAYOUTS)
    profiles = select_profiles(load_profiles(), args.profile)
    jobs = plan(campaigns, layouts, profiles, only=args.only, districts=args.district,
                partners=args.partner, languages=args.language)
    pages = plan_pages(campaigns, layouts, only=args.only, districts=args.district, partners=args.partner,
                       languages=args.language, profiles=args.profile)
    if args.out is None:
        args.out = _default_out(layouts.folder, LAYOUTS)
        if not write_pdfs:  # a folder of its own: a preflight never replaces what a printer takes
            args.out = args.out / "preflight"
    started = time.perf_counter()
    result = build(jobs, args.out, write_pdfs=write_pdfs, workers=args.jobs, force=args.force,
                   progress=True, wait=args.wait, cluster=args.cluster, pages=pages)
    elapsed = time.perf_counter() - started
    problems = strict(result.problems) if args.strict else result.problems
    for line in summary_lines(problems, len(result.outputs)):
        print(line, file=sys.stderr if line.startswith(("error", "warning")) else sys.stdout)
    folders = sorted({str(args.out / slug) for slug in [*(o.job.source.slug for o in result.outputs),
                                                        *(page.source.slug for page in result.pages)]})
    failed = len(jobs) - len(result.outputs) + len(pages) - len(result.pages)
    made = (f"built {result.built} PDF(s), {result.cached} unchanged (kept)" if write_pdfs
            else f"checked {result.built} PDF(s) in memory (none written)")
    if any(job.social for job in jobs):  # each image a PNG, a JPEG and its alt text
        images = sum(o.job.social and not o.cached for o in result.outputs)
        made = made.replace(f"{result.built} PDF(s)", f"{result.built - images} PDF(s) and {images} social image(s)", 1)
    if pages:
        made += (f", {result.pages_built} web page(s) made, {len(result.pages) - result.pages_built} unchanged"
                 if write_pdfs else f", {len(result.pages)} web page(s) checked")
    print(f"{made}, {failed} failed, in {elapsed:.1f}s; "
          f"report: {', '.join(f + '/preflight.html' for f in folders) or 'none'}")
    if result.rejected:
        print(f"rejected {result.rejected} PDF(s) that failed preflight: each is kept beside the last good one "
              "as *.rejected.pdf and left out of print-order.csv", file=sys.stderr)
    return 1 if any(p.level == "error" for p in problems) else 0


def _default_out(layouts: Path, project_layouts: Path) -> Path:
    """output/, or for a trial with another layouts folder output/trials/<its name>/:
    a designer's try-out never replaces the PDFs printers take from output/."""
    if layouts.resolve() == project_layouts.resolve():
        return Path("output")
    out = Path("output") / "trials" / layouts.resolve().name
    print(f"layouts from {layouts}: a trial, written to {out}/ (output/ is left as it is; "
          "--out chooses another folder)", file=sys.stderr)
    return out


def cmd_list(args: argparse.Namespace) -> int:
    from .content import load_campaigns
    from .paths import LAYOUTS
    from .plan import load_layouts, load_profiles, plan, select_profiles

    from .webpage import plan_pages

    campaigns = load_campaigns(_campaign_files(args.content))
    layouts = load_layouts(args.layouts or LAYOUTS)
    jobs = plan(campaigns, layouts, select_profiles(load_profiles(), args.profile),
                only=args.only, districts=args.district, partners=args.partner, languages=args.language)
    pages = plan_pages(campaigns, layouts, only=args.only, districts=args.district, partners=args.partner,
                       languages=args.language, profiles=args.profile)
    for job in jobs:  # a social image's JPEG and alt text come with its PNG
        for output in (job.output, *job.beside.values()):
            print(f"{job.source.slug}/{output}")
    for page in pages:
        print(f"{page.source.slug}/{page.output}\n{page.source.slug}/{page.text_output}")
    print(f"{len(jobs)} job(s)" + (f" and {len(pages)} web page(s)" if pages else ""), file=sys.stderr)
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    return _run(args, write_pdfs=True)


def cmd_preflight(args: argparse.Namespace) -> int:
    return _run(args, write_pdfs=False)


def _plan(args: argparse.Namespace, profile: str | None, selection: bool = True):
    """The jobs of the campaigns given; with `selection`, only those --only, --district,
    --partner and --language choose."""
    from .content import load_campaigns
    from .paths import LAYOUTS
    from .plan import load_layouts, load_profiles, plan, select_profiles

    campaigns = load_campaigns(_campaign_files(args.content))
    chosen = dict(only=args.only, districts=args.district, partners=args.partner,
                  languages=args.language) if selection else {}
    return plan(campaigns, load_layouts(args.layouts or LAYOUTS), select_profiles(load_profiles(), profile),
                **chosen)


def cmd_proof(args: argparse.Namespace) -> int:
    from . import proof

    if args.approve or args.review:
        from . import approved

        # The approved set is fixed (approved.approved_set), so every approval is comparable.
        jobs = approved.approved_set(_plan(args, None))
        whole = approved.approved_set(_plan(args, None, selection=False))
        made = approved.records(jobs, args.jobs)
        differences = approved.review(made, whole=whole)
        if args.review:
            drifted = [d for d in differences if d.drifted]
            for difference in drifted:
                print(f"changed: {difference}")
            print(f"{len(drifted)} of {sum(len(r.pages) for r in made)} page(s) of {len(jobs)} output(s) differ "
                  f"from their approved proofs in {approved.APPROVED}/"
                  + ("; if intended, run `campaign-print proof --approve` and commit them" if drifted else ""))
            return 1 if drifted else 0
        written = approved.approve(made, whole=whole)  # only the selected outputs' proofs are replaced
        for difference in differences:
            print(f"approved: {difference}")
        print(f"approved {len(written)} page(s) of {len(jobs)} output(s) in {approved.APPROVED}/ "
              f"({len(differences)} changed); commit them with the layout change")
        return 0
    from .build import real_folder, write_atomically

    jobs = _plan(args, args.profile or ["press"])
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    proofs, failed = [], 0
    for job in jobs:
        try:
            made = proof.render(job, args.dpi)
            # Folders it makes itself, files replaced whole: a link planted in --out is
            # refused or replaced, never followed out of it.
            folder = out
            for part in (job.source.slug, *proof.proof_name(job).split("/")):
                folder = real_folder(folder / part)
            for number in range(1, len(made.pages) + 1):
                image = proof.draw_guides(made, number) if args.guides else made.pages[number - 1]
                write_atomically(folder / f"{number}.png", proof.png(image))
        except PipelineError as exc:
            _report(exc.problems)
            failed += 1
            continue
        proofs.append(made)
        _report(made.problems)
    if proofs:
        sheet = proof.contact_sheet(proofs)
        for name, options in (("contact-sheet.png", {"format": "PNG", "optimize": True}),
                              ("contact-sheet.pdf", {"format": "PDF", "resolution": 96})):
            data = io.BytesIO()
            sheet.save(data, **options)
            write_atomically(out / name, data.getvalue())
    print(f"proofed {len(proofs)} output(s) into {out}/ (contact-sheet.png, contact-sheet.pdf); {failed} failed")
    return 1 if failed else 0


def cmd_studio(args: argparse.Namespace) -> int:
    # The studio is a web page (Django, web/studio/server.py) over the watch engine
    # (pipeline/studio.py): its own program, which this command becomes (exec, the same
    # process), so nothing in pipeline/ imports web/. It reads these arguments with
    # studio_main below.
    import os

    from .paths import ROOT

    argv = [sys.executable, "-m", "web.studio.server", *map(str, args.content), "--port", str(args.port)]
    if args.layouts is not None:
        argv += ["--layouts", str(args.layouts)]
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, argv, {**os.environ, "PYTHONPATH": path})


def studio_main(serve, argv: list[str]) -> int:
    """The studio program's command line (web/studio/server.py): `campaign-print studio`'s
    arguments, errors reported as every command reports them; `serve(campaign files,
    layouts folder or None, port)` runs the studio."""
    args = parser().parse_args(["studio", *argv])
    args.func = lambda a: serve(_campaign_files(a.content), a.layouts, a.port)
    return run(args)


def cmd_approve_translation(args: argparse.Namespace) -> int:
    import datetime

    from .confirm import key_file
    from .approve import approve_translation

    count = approve_translation(args.file, args.by, datetime.date.today().isoformat())
    print(f"approved: {args.file} ({args.file.stem}, checked by {args.by.strip()}): sealed over its {count} strings "
          f"with the key in {key_file()}. Builds where that key is print it without the draft warning; "
          "commit the file. A word changed later makes it a draft again.")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from .content import Brand
    from .schema import TRANSLATION, field_reference, schema_text

    from .build import write_atomically

    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in (("campaign.schema.json", schema_text()), ("brand.schema.json", schema_text(Brand)),
                       ("translation.schema.json", schema_text(TRANSLATION)), ("fields.md", field_reference())):
        write_atomically(args.out / name, text.encode("utf-8"))  # replaces a link put there, never writes through
    print(f"wrote {args.out}/campaign.schema.json, brand.schema.json and translation.schema.json (for your "
          "editor) and fields.md")
    return 0


def _job_options(p: argparse.ArgumentParser, render: bool = True) -> None:
    """The options that choose jobs; with `render`, also those of a build run."""
    p.add_argument("content", nargs="*", type=Path, metavar="CONTENT",
                   help="campaign YAML files or folders (default: content/)")
    p.add_argument("--only", action="append", metavar="PRODUCT",
                   help="only this product (repeatable), e.g. --only poster")
    p.add_argument("--profile", action="append", metavar="NAME",
                   help="only this profile (repeatable; a file in profiles/, e.g. press, screen, large-format); "
                        "default: every profile marked default (press and screen)")
    for axis, example in (("district", "craven"), ("partner", "slt"), ("language", "ur")):
        p.add_argument(f"--{axis}", action="append", metavar="NAME",
                       help=f"only this {axis} (repeatable), e.g. --{axis} {example}; "
                            f"'none' selects the jobs without a {axis}")
    _layouts_option(p)
    if render:
        p.add_argument("--out", type=Path, help="output folder (default: output/; with --layouts, a trial: "
                                                     "output/trials/<layouts folder name>/)")
        p.add_argument("--strict", action="store_true", help="treat preflight warnings as errors")
        p.add_argument("--jobs", "-j", type=int, metavar="N", help="parallel workers (default: all cores)")
        p.add_argument("--cluster", metavar="ADDRESS",
                       help="make the PDFs on the workers of a Dask cluster, e.g. tcp://print-1:8786 "
                            "(started with `dask scheduler` and `dask worker ADDRESS`); files are written here")
        p.add_argument("--force", action="store_true",
                       help="rebuild every PDF, even those whose inputs have not changed")
        p.add_argument("--wait", action="store_true",
                       help="if another build is writing to the output folder, wait for it instead of stopping")


def _layouts_option(p: argparse.ArgumentParser) -> None:
    # No default here: resolving it imports pipeline.plan (pydantic), too slow for --help.
    p.add_argument("--layouts", type=Path, metavar="DIR",
                   help="layouts folder with products.yaml and colours.yaml (default: layouts/); "
                        "a designer can try a copy without touching the real one")


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="campaign-print",
        description="Turn campaign YAML into print-ready PDF posters and leaflets.",
    )
    ap.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")

    b = sub.add_parser("build", help="render and preflight every product of every campaign",
                       description="Render every product of the given campaigns (default: all of content/) "
                                   "into OUT/<campaign>/, preflight each PDF, and write manifest.json, "
                                   "preflight.json and preflight.html there.")
    _job_options(b)
    b.set_defaults(func=cmd_build)

    f = sub.add_parser("preflight", help="render and check, writing only the preflight report",
                       description="Render every product in memory and run every preflight check; "
                                   "write OUT/<campaign>/preflight.json and preflight.html, no PDFs. "
                                   "OUT is output/preflight/ unless --out names another: never a "
                                   "build's folder, so what a printer takes from output/ stays as it is.")
    _job_options(f)
    f.set_defaults(func=cmd_preflight)

    ls = sub.add_parser("list", help="list the PDFs a build would make",
                        description="List every job (campaign/path of the PDF) that build would make "
                                    "with the same selection options.")
    _job_options(ls, render=False)
    ls.set_defaults(func=cmd_list)

    pr = sub.add_parser("proof", help="PNG proofs with print guides and a contact sheet; approve proofs",
                        description="Render the selected outputs (default: press profile) and write a PNG per "
                                    "page into OUT/<campaign>/<output>/<page>.png, with a contact sheet of every "
                                    "page (contact-sheet.png and .pdf). --review compares the approved set (every "
                                    "product and size, county-wide, each language, one district and one partner) "
                                    "with the approved proofs in proofs/: page boxes, words, their places and "
                                    "sizes, and pixels; --approve accepts the current renders as the approved "
                                    "proofs, which the tests compare against.")
    _job_options(pr, render=False)
    pr.add_argument("--out", type=Path, default=Path("output/proofs"), help="folder (default: output/proofs/)")
    pr.add_argument("--guides", action="store_true",
                    help="draw trim (black), bleed (red), safe area (magenta), folds (blue), QR code with its "
                         "quiet zone (green) and numbered preflight problems (red) over each page")
    pr.add_argument("--dpi", type=float, default=50, help="resolution of the PNGs (default: 50)")
    what = pr.add_mutually_exclusive_group()
    what.add_argument("--approve", action="store_true",
                      help="accept the current renders as the approved proofs (proofs/); commit them. "
                           "With a selection (--only, one campaign) only those outputs' proofs are replaced")
    what.add_argument("--review", action="store_true",
                      help="list every page that differs from its approved proof (what changed, where); "
                           "exit code 1 when one does")
    pr.add_argument("--jobs", "-j", type=int, metavar="N",
                    help="parallel workers for --approve and --review (default: all cores)")
    pr.set_defaults(func=cmd_proof)

    st = sub.add_parser("studio", help="the designer studio: live proofs in the browser as you save",
                        description="A local web page (http://127.0.0.1:PORT/, no login) showing every product, "
                                    "size and variant as images of the real PDF, with print guides and "
                                    "preflight marks. Saving a file under the layouts folder, content/, assets/ "
                                    "or fonts/ re-renders what it affects and the page updates itself.")
    st.add_argument("content", nargs="*", type=Path, metavar="CONTENT",
                    help="campaign YAML files or folders (default: content/)")
    _layouts_option(st)
    st.add_argument("--port", type=int, default=8001, help="port on 127.0.0.1 (default: 8001)")
    st.set_defaults(func=cmd_studio)

    at = sub.add_parser("approve-translation", help="approve a translation a qualified translator has checked "
                                                    "(a coordinator's act: sealed, on the machine with the key)",
                        description="Seal content/translations/<campaign>/<language>.yaml as approved: a word "
                                    "changed after this makes it a draft again.")
    at.add_argument("file", type=Path, help="the translation file, e.g. content/translations/<campaign>/pl.yaml")
    at.add_argument("--by", required=True, help="the qualified translator who checked it")
    at.set_defaults(func=cmd_approve_translation)
    sc = sub.add_parser("schema", help="write the content format as a JSON Schema and a field reference",
                        description="Write docs/campaign.schema.json, brand.schema.json and "
                                    "translation.schema.json (point your editor's YAML extension at them "
                                    "for completion and inline errors) and docs/fields.md, all made from the "
                                    "pipeline's own content model.")
    sc.add_argument("--out", type=Path, default=Path("docs"), help="folder to write them to (default: docs/)")
    sc.set_defaults(func=cmd_schema)

    c = sub.add_parser("check", help="validate campaign content without rendering",
                       description="Validate campaign files, layouts/products.yaml, layouts/colours.yaml "
                                   "and profiles/; print every problem.")
    c.add_argument("content", nargs="*", type=Path, metavar="CONTENT",
                   help="campaign YAML files or folders (default: content/)")
    _layouts_option(c)
    c.set_defaults(func=cmd_check)
    return ap


def main(argv: list[str] | None = None) -> int:
    return run(parser().parse_args(argv))


def run(args: argparse.Namespace) -> int:
    """Run a parsed command; report its errors (one line each, no traceback) and exit code."""
    try:
        return args.func(args)
    except PipelineError as exc:
        _report(exc.problems)
        print(f"{len(exc.problems)} error(s); nothing was written", file=sys.stderr)
        return 1
    except OSError as exc:  # a folder or file the command could not write or read: one line, no traceback
        if getattr(args, "out", None) is not None:  # proof, schema: as a build says it
            from .build import system_error

            _report([system_error(exc, args.out)])
            return 1
        path = exc.filename or "the output folder"
        _report([Problem("error", str(path), exc.strerror or str(exc),
                         "check the path, that it is a folder where one is expected, the permissions and the "
                         "free disk space")])
        return 1
    except KeyboardInterrupt:
        return 130
