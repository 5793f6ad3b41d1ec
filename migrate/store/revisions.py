"""A store schema revision's message: the first line of its script's docstring, a catalogue message.

``hopnhat store history`` lists each revision with its message, said in the reader's language
(``lang.gettext(message)``). The message ids are the revision scripts' own first lines, found by
:func:`extract`, the Babel extraction method ``babel.cfg`` names for
``migrate/store/alembic/versions/*.py``, so a new revision's message joins the catalogue with
``pybabel extract`` and tests/test_i18n.py fails until it is translated.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterator
from typing import IO, Any


def message(doc: str | None) -> str:
    """The message of a revision whose script's docstring is ``doc``: its first line."""
    lines = (doc or "").strip().splitlines()
    return lines[0].strip() if lines else ""


def extract(fileobj: IO[bytes], keywords: Any, comment_tags: Collection[str], options: Any) -> Iterator[Any]:
    """Babel extraction method: a revision script's message, then what the script marks itself."""
    from babel.messages.extract import extract_python

    source = fileobj.read()
    tree = ast.parse(source)
    text = message(ast.get_docstring(tree, clean=True))
    if text:
        yield 1, None, text, [f"schema revision {_revision(tree) or '?'} (hopnhat store history)"]
    fileobj.seek(0)
    yield from extract_python(fileobj, keywords, comment_tags, options)


def _revision(tree: ast.Module) -> str | None:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "revision" for t in node.targets):
            value = node.value.value if isinstance(node.value, ast.Constant) else None
            return value if isinstance(value, str) else None
    return None
