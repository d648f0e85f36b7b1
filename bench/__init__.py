"""The performance bench (``make bench``, ``make bench-quick``): bench/run.py."""
