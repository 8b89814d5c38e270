"""The benchmark's sections, one module each (bench/run.py runs them in order)."""
