"""`python -m pipeline`: the same as `campaign-print` (cli.py)."""
from .cli import main

raise SystemExit(main())
