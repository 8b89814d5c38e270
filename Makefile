# Two commands for a fresh machine:  make posters   and   make test
# Everything they need is installed here: Python packages into .venv, and the one
# Debian library WeasyPrint wants for fast font subsetting.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: posters test check bench clean system-deps chromium

posters: $(STAMP)
	$(BIN)/campaign-print build

check: $(STAMP)
	$(BIN)/campaign-print check

test: $(STAMP)
	$(BIN)/pytest -q -n 2

# WeasyPrint needs Pango (present on Debian images) and prefers HarfBuzz-Subset.
system-deps:
	@if ! ldconfig -p | grep -q libpango-1.0 || ! ldconfig -p | grep -q libharfbuzz-subset; then \
	  echo "installing Pango and HarfBuzz-Subset with apt-get"; \
	  apt-get update -qq && apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 >/dev/null; \
	fi

$(STAMP): pyproject.toml | system-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

# Figures for the README's performance section; BENCH_QUICK=1 for a short run.
# The comparison with a headless browser needs Debian's Chromium.
bench: $(STAMP) chromium
	$(BIN)/python bench/run.py

chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

clean:
	rm -rf output/* $(VENV)
