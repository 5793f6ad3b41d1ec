"""Demo legacy portals of Hà Nam, Nam Định and Ninh Bình, and the demo flow over them.

``build_demo(out_dir)`` writes three SQLite "one-door" portals with their files and
source profiles; see :mod:`migrate.demo.generate`.
"""

from __future__ import annotations

from migrate.demo.generate import AWKWARD_KINDS, PORTALS, PortalManifest, PortalSpec, build_demo, build_portal

__all__ = ["AWKWARD_KINDS", "PORTALS", "PortalManifest", "PortalSpec", "build_demo", "build_portal"]
