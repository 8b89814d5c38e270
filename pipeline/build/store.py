"""Writing into the output folder: every file by rename (never half-written), every path
checked to stay inside, an operating-system error as one message a user can act on; and
the test hold that stops a build at a known point."""
from __future__ import annotations

import errno
import os
import tempfile
import time
from functools import lru_cache
from pathlib import Path

from ..problems import Problem, RenderError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


FILE_MODE = 0o666 & ~_umask()  # mkstemp makes 0600 files; outputs are for everyone to read


def write_atomically(target: Path, data: bytes) -> None:
    """Write to a temp file in the same folder, then rename: never a half-written file,
    and the earlier file stays whole until the new one is complete."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, target)
    except OSError as exc:  # a full disk says no file name: name the one being written
        Path(tmp).unlink(missing_ok=True)
        raise OSError(exc.errno, exc.strerror, str(target)) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@lru_cache(maxsize=64)
def _real_folder(folder: Path) -> Path:
    """`folder` resolved once (a build writes a thousand files into its generation). Kept
    even if a link is put in its place later: a path that then resolves elsewhere is
    outside the folder as it was, so refused."""
    return folder.resolve()


def inside(folder: Path, relative: str) -> Path:
    """`folder/relative`, refusing any path that would land outside `folder`."""
    path = (folder / relative).resolve()
    if not path.is_relative_to(_real_folder(folder.absolute())):
        raise RenderError([Problem("error", relative, "output path leaves the output folder",
                                   "report this: names are checked when the campaign is loaded")])
    return path


# For tests only: CAMPAIGN_PRINT_TEST_HOLD=PHASE:FOLDER stops the first process to reach
# PHASE (a hold() below) until FOLDER/PHASE.go exists, after writing its process id to
# FOLDER/PHASE.held; so a test kills a build, or a worker, at a known point.
TEST_HOLD = "CAMPAIGN_PRINT_TEST_HOLD"


def hold(phase: str) -> None:
    wanted, _, folder = os.environ.get(TEST_HOLD, "").partition(":")
    if wanted != phase:
        return
    mine = Path(folder) / f"{phase}.{os.getpid()}"
    mine.write_text(f"{os.getpid()}\n")
    try:
        os.link(mine, Path(folder) / f"{phase}.held")  # once: a job run again after its worker died goes on
    except FileExistsError:
        return
    finally:
        mine.unlink()
    while not (Path(folder) / f"{phase}.go").exists():
        time.sleep(0.05)


# What a user can do about an operating-system error, by its errno.
SYSTEM_ERRORS = {
    errno.ENOSPC: ("the disk is full", "free some disk space, or build into another disk with --out"),
    errno.EDQUOT: ("the disk quota is used up", "free some space, or build into another folder with --out"),
    errno.EROFS: ("the file system is read-only", "build into a folder on a writable disk with --out"),
    errno.EACCES: ("permission denied", "build as a user who may write there, or choose a folder of your own "
                                        "with --out"),
    errno.EPERM: ("operation not permitted", "build as a user who may write there, or choose a folder of your "
                                             "own with --out"),
    errno.EEXIST: ("is a file, not a folder", "give --out a folder (it is made if missing), not a file"),
    errno.ENOTDIR: ("a file is where a folder should be", "give --out a folder (it is made if missing), "
                                                          "not a file inside a file's path"),
}


def system_error(exc: OSError, out_dir: Path) -> Problem:
    """One message for an operating-system error a user can cause: the path, what
    happened and what to do; the earlier outputs are always unchanged."""
    path = Path(exc.filename) if isinstance(exc.filename, (str, os.PathLike)) else Path(out_dir)
    what, hint = SYSTEM_ERRORS.get(exc.errno, (exc.strerror or str(exc), "check the folder and the disk"))
    inside_out = path.resolve().is_relative_to(Path(out_dir).resolve())
    if not inside_out and exc.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):
        # Not the output folder: a file the build reads (e.g. a stylesheet deleted mid-build).
        return Problem("error", str(path), f"cannot be read: {exc.strerror or exc}",
                       "check that the file exists and may be read; nothing was written")
    return Problem("error", str(path), f"cannot write the output: {what}",
                   f"{hint}; the earlier outputs are unchanged")
