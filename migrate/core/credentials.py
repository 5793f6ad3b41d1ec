"""Credentials hidden in every text hopnhat writes or prints: one function, every form.

``hide_credentials`` replaces with ``***``:

- the password of a URL: ``postgresql://u:secret@db/x`` -> ``postgresql://u:***@db/x``;
- secret query parameters: ``?password=secret``, ``&pwd=``, ``passwd=``, ``token=``, ``secret=``,
  ``api_key=``, ``sslpassword=``;
- secret environment variables in echoed commands: ``PGPASSWORD=secret hopnhat ...``,
  ``HOPNHAT_STORE_PASSWORD=...``, ``export MSSQL_TOKEN=...`` (any name ending in
  PASSWORD, PASSWD, PASS, PWD, SECRET, TOKEN or KEY);
- command-line options: ``--password secret``, ``--password=secret``.

Reports, manifests, runbook journals and log lines all go through it, so a URL
given with ``?password=`` never lands anywhere in clear.
"""

from __future__ import annotations

import re

HIDDEN = "***"
_SECRET_WORD = r"(?:password|passwd|pass|pwd|secret|token|api[_-]?key|access[_-]?key|sslpassword)"
_URL_PASSWORD = re.compile(r"(://[^:/@\s?#]+:)[^\s/?#]*@")
_QUERY = re.compile(rf"([?&;]{_SECRET_WORD}=)[^&#\s'\"]*", re.IGNORECASE)
_ENV = re.compile(r"(\b[A-Za-z_][A-Za-z0-9_]*(?:PASSWORD|PASSWD|PASS|PWD|SECRET|TOKEN|KEY)=)"
                  r"(?:'[^']*'|\"[^\"]*\"|[^\s]*)")
_OPTION = re.compile(rf"(--{_SECRET_WORD}(?:=|\s+))(?:'[^']*'|\"[^\"]*\"|[^\s-][^\s]*)", re.IGNORECASE)


def hide_credentials(text: str) -> str:
    """``text`` with every password, token or secret in it replaced by ``***``."""
    if not text:
        return text
    text = _URL_PASSWORD.sub(rf"\1{HIDDEN}@", text)
    text = _QUERY.sub(rf"\1{HIDDEN}", text)
    text = _ENV.sub(rf"\1{HIDDEN}", text)
    return _OPTION.sub(rf"\1{HIDDEN}", text)


def safe_url(url: object) -> str:
    """A URL (string or SQLAlchemy URL object) fit to print, log or write into a report."""
    if hasattr(url, "render_as_string"):
        url = url.render_as_string(hide_password=True)
    return hide_credentials(str(url))
