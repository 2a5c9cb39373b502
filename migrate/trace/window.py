"""Compatibility name for ``assemble.py`` while it is split (issue 13): what was here is now
:mod:`migrate.trace.artifacts_on_host` (the checks) and :mod:`migrate.trace.host_commands`
(what a host command may touch).  Switch the import there, then delete this module.
"""

from __future__ import annotations

from migrate.trace.host_commands import READS_ONLY

__all__ = ["READS_ONLY"]
