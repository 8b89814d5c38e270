"""Loaded by pytest for every test folder (tests/, web/tests/): the random order's seed
said at the end of the run, where a failure is read, even under -q (which hides the
header pytest-randomly writes it in), so an order that failed can be run again."""
from __future__ import annotations


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    seed = getattr(config.option, "randomly_seed", None)
    if seed is None or not config.pluginmanager.hasplugin("randomly"):
        return  # -p no:randomly: file order
    terminalreporter.write_line(
        f"Using --randomly-seed={seed}: to run this order again, "
        f"pytest -p randomly --randomly-seed={seed} (README, Tests)")
