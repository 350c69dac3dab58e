"""Benchmarks at national scale: `make bench` (small) and `make bench-full` (1,000,000).

See docs/performance.md for what is measured, how, and the figures.
"""
