"""The shared core every package builds on: errors, the entity registry, records, canonical form, TOML reading.

It imports nothing from adapters, mappings, reconciliation or the rest of migrate
(tests/test_layers.py keeps it so).
"""
