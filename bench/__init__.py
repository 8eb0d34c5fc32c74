"""Benchmarks (``make bench``): every ``bench/*_bench.py`` module with a ``main()`` returning an exit code."""
