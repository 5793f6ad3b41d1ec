"""Old tracking-page and attachment URLs -> new ones, from the URL templates configured per source.

An old URL names its former portal's host, so it stays unambiguous even when
two former provinces used the same dossier number; only a number repeated
inside one portal makes its old URL ambiguous, and such URLs are listed, not
redirected.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from migrate.continuity.config import SourceLinks
from migrate.continuity.lookup import Match

REDIRECT_COLUMNS = ("source_system", "kind", "old_url", "new_url", "state", "ambiguous")


@dataclass(frozen=True)
class Redirect:
    source_system: str
    kind: str
    old_url: str
    new_url: str | None  # None: the record is not in the new system (quarantined)
    state: str
    ambiguous: bool

    def row(self) -> dict:
        return {"source_system": self.source_system, "kind": self.kind, "old_url": self.old_url,
                "new_url": self.new_url or "", "state": self.state, "ambiguous": "yes" if self.ambiguous else "no"}

    def nginx_line(self) -> str | None:
        """``"host/path?query" "new";`` for an nginx map on ``$host$request_uri``; None when not redirectable."""
        if self.new_url is None or self.ambiguous:
            return None
        parts = urlsplit(self.old_url)
        key = f"{parts.netloc}{parts.path}" + (f"?{parts.query}" if parts.query else "")
        return f'"{_escape(key)}" "{_escape(self.new_url)}";'


def driving_kind(links: SourceLinks) -> dict[str, tuple[str, str]]:
    """Which identifier kind fills each old template: kind -> (old template, new template)."""
    out = {}
    if links.old and links.new:
        out["dossier-no" if "{dossier_no}" in links.old else "dossier-id"] = (links.old, links.new)
    if links.file_old and links.file_new:
        out["file-id"] = (links.file_old, links.file_new)
    return out


def redirect(match: Match, old: str, new: str, *, ambiguous: bool) -> Redirect:
    values = {"dossier_no": match.value if match.kind == "dossier-no" else (match.dossier_no or ""),
              "source_key": match.source_key}
    old_url = old.format(**{k: quote(v, safe="") for k, v in values.items()})
    new_url = None
    if match.target_id is not None:
        new_url = new.format(new_id=match.target_id, dossier_no=quote(match.dossier_no or "", safe=""),
                             source_key=quote(match.source_key, safe=""), source_system=match.source_system,
                             new_commune_code=match.new_commune_code or "")
    return Redirect(match.source_system, match.kind, old_url, new_url, match.state, ambiguous)


NGINX_HEADER = """\
# Old portal links -> new tracking page, written by hopnhat continuity export.
# Use in the server block that answers the old portals' host names:
#   map $host$request_uri $hopnhat_redirect { default ""; include redirects.nginx.map; }
#   if ($hopnhat_redirect) { return 301 $hopnhat_redirect; }
"""


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')
