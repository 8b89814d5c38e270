"""The output folder's generations and lock: a build writes a complete new copy of a
campaign's folder and switches to it with one rename; one build at a time holds the folder."""
from __future__ import annotations

import errno
import fcntl
import os
import shutil
import stat
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from ..problems import PipelineError, Problem
from .store import hold, system_error


GENERATIONS = ".generations"  # inside --out: every campaign's generations, hidden


def planted(path: Path, what: str) -> PipelineError:
    """Something at a path the build makes itself that it did not make: a link
    planted there would have it write, truncate or delete files outside --out."""
    return PipelineError([Problem("error", str(path), f"{what}, where the build keeps its own files; "
                                  "it follows no link there and replaces nothing it did not make",
                                  f"remove it (rm -r {path}) and build again")])


def real_folder(path: Path) -> Path:
    """`path` as a folder of its own (made if missing): never a link or a file put there."""
    try:
        os.mkdir(path)
    except FileExistsError:
        pass
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        raise planted(path, f"is a symbolic link to {os.readlink(path)}")
    if not stat.S_ISDIR(info.st_mode):
        raise planted(path, "is not a folder")
    return path


def _lock_file(out_dir: Path):
    """out/.lock, opened without following a link (O_NOFOLLOW) and refused if it is
    anything but a plain file of one name: truncating it must not truncate another."""
    path = out_dir / ".lock"
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o666)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise planted(path, f"is a symbolic link to {os.readlink(path)}") from None
        raise
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
        os.close(fd)
        raise planted(path, "is not a plain file of its own (a hard link, a FIFO or a device)")
    return os.fdopen(fd, "r+")


@contextmanager
def output_lock(out_dir: Path, wait: bool = False):
    """Hold the output folder for one build. A POSIX record lock: released by the
    kernel when the process dies (kill -9 included), never inherited by workers."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        lock = _lock_file(out_dir)
    except OSError as exc:
        raise PipelineError([system_error(exc, out_dir)]) from None
    with lock:
        try:
            fcntl.lockf(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.seek(0)
            holder = lock.read().strip() or "another build"
            if not wait:
                raise PipelineError([Problem(
                    "error", str(out_dir), f"{holder} is writing to this folder",
                    "wait for it to finish (or add --wait), or build into another folder with --out")]) from None
            print(f"waiting for {holder} to finish writing {out_dir} ...", file=sys.stderr)
            fcntl.lockf(lock, fcntl.LOCK_EX)
        lock.seek(0)
        lock.truncate()
        lock.write(f"the build with process id {os.getpid()}\n")
        lock.flush()
        try:
            yield
        finally:
            lock.truncate(0)


class Generation:
    """One build's complete copy of a campaign's output folder.

    `out/<campaign>` is a symbolic link to `out/.generations/<campaign>/<id>`. A build
    hard-links the current generation into a new one, writes into the new one only
    (always by rename, so a hard-linked file is never changed in place), then points
    the link at it with one rename. Readers see the old folder or the new, whole."""

    def __init__(self, out_dir: Path, slug: str):
        self.out_dir = out_dir = out_dir.resolve()
        self.link, self.store = out_dir / slug, out_dir / GENERATIONS / slug
        self.current = None
        self.folder = self.store / f"{time.time_ns():x}-{os.getpid()}"

    def begin(self) -> Path:
        # Every folder the build deletes in or writes to is one it made: a link
        # planted at .generations/ or .generations/<campaign> is refused, not followed.
        real_folder(real_folder(self.out_dir / GENERATIONS) / self.link.name)
        if self.link.is_symlink():
            current = self.link.resolve()
            if current.parent != self.store or not current.is_dir():
                raise planted(self.link, f"is a link to {os.readlink(self.link)}, not to one of the build's "
                                         f"folders in {self.store}")
            self.current = current
        elif self.link.is_dir():  # a folder from before generations
            self.current = self.link
        elif os.path.lexists(self.link):
            raise planted(self.link, "is not a folder")
        for stale in self.store.iterdir():  # left by a build that was killed
            if stale != self.current:
                _remove(stale)
        for stale in self.out_dir.glob(f".{self.link.name}.switch-*"):  # killed while switching
            if stale.is_symlink():
                stale.unlink()
        if self.current:
            shutil.copytree(self.current, self.folder, symlinks=True, copy_function=_link)
        else:
            self.folder.mkdir()
        return self.folder

    def commit(self) -> None:
        switch = self.out_dir / f".{self.link.name}.switch-{os.getpid()}"
        switch.unlink(missing_ok=True)
        switch.symlink_to(self.folder.relative_to(self.out_dir))
        hold("switching")
        if self.link.is_dir() and not self.link.is_symlink():  # a folder from before generations
            self.link.rename(self.store / f"{self.folder.name}-old")
        os.replace(switch, self.link)
        hold("switched")
        for old in self.store.iterdir():
            if old != self.folder:
                _remove(old)

    def abandon(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _remove(path: Path) -> None:
    """Delete an entry of a generations folder: a link or file itself (never what it
    points to), a folder with everything in it (rmtree follows no link inside)."""
    if path.is_symlink() or not path.is_dir():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path, ignore_errors=True)


def _link(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:  # a file system without hard links
        shutil.copy2(source, target)
