"""Benchmarks: each module exposes run(quick=False) -> list[dict] and prints a markdown table when run."""
