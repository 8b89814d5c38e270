"""Running jobs: HTML -> PDF -> preflight (+ imposed sheets) in worker processes, or
on a Dask cluster's workers (`cluster.py`), skipping jobs whose inputs have not
changed; this process writes what they made, then per campaign the manifest (JSON
and CSV), the print order and the preflight report.

What a printer or a partner takes from the output folder is always whole and
consistent, whatever happens to a build:

- one build at a time writes to a folder (a lock; a second build refuses or waits);
- a build writes a complete new *generation* of the campaign's folder beside the
  current one (unchanged files hard-linked, not copied) and switches to it with one
  atomic rename of a symbolic link, so a crash or `kill -9` at any moment leaves
  the previous generation, whose manifest matches its files, in place;
- a job that fails (any exception, a dead worker) is listed and the others go on;
  its earlier PDF stays;
- a PDF that fails preflight never replaces the last good one: it is kept beside it
  as `<name>.rejected.pdf`, listed as rejected, and never enters the print order;
- every path it writes, deletes or locks is one it made inside the output folder: a
  link planted at the lock or the generations is refused, never followed;
- each job runs within the limits of `limits.py`; an operating-system error is one
  message with the path and what to do (`system_error`).

The package, from the bottom up: `store` (atomic writes, paths kept inside, OS
errors), `generations` (the lock and the folder switch), `cache` (the input hash),
`worker` (one job made into bytes), `manifest` (entries, deliver, CSVs), `progress`,
`batch` (the build itself, local workers or `cluster.py`).
"""
from .batch import WORKER_JOBS, BuildResult, build
from .cache import forget_file_hashes, input_hash, renderer_versions, web_input_hash
from .generations import GENERATIONS, Generation, output_lock, real_folder
from .manifest import Output, deliver, printable, spreadsheet_safe, write_manifest
from .store import TEST_HOLD, hold, inside, system_error, write_atomically
from .worker import Made, attempt, cost, make, worker_died

__all__ = ["WORKER_JOBS", "BuildResult", "build", "forget_file_hashes", "input_hash", "renderer_versions",
           "web_input_hash", "GENERATIONS", "Generation", "output_lock", "real_folder", "Output", "deliver",
           "printable", "spreadsheet_safe", "write_manifest", "TEST_HOLD", "hold", "inside", "system_error",
           "write_atomically", "Made", "attempt", "cost", "make", "worker_died"]
