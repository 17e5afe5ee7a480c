"""Benchmarks with same-run baselines: `python -m bench [--quick] [--json FILE]`."""
