"""``python -m migrate.cli``: the same as the ``hopnhat`` command."""

from migrate.cli import main

main()
