"""Continuity after cutover: old dossier numbers, old accounts and old links keep working.

- ``identifiers``: normalizing and classifying what a citizen types;
- ``index``: the ``old_identifier`` table, rebuilt from the store;
- ``lookup``: find records by any old identifier, with closest matches;
- ``passwords``: which scheme a carried password hash uses (never decoded);
- ``config``: URL templates per source and the schemes the new system verifies;
- ``export``: identifiers, redirects and account files for the new systems.
"""
