"""Benchmarks of DSPy Suite against the usual ways to serve DSPy (issue 8): see bench/README.md."""
