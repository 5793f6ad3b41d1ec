"""Benchmarks behind ``hopnhat bench``: extraction, load, reconciliation, portal generation.

The address benchmark lives with the parser it measures (``mappings/bench.py``)
and runs as ``hopnhat bench addresses`` or ``python -m mappings.bench``.
"""
