"""Compatibility names for the callers in ``assemble.py`` and ``args.py`` while they are split (issue 13).

The artifact graph is :mod:`migrate.trace.graph` (``Flow`` is now
:class:`~migrate.trace.graph.ArtifactGraph`), the tracer
:mod:`migrate.trace.tracer`, image keys :mod:`migrate.trace.image_ref`.
Switch the imports there, then delete this module.
"""

from __future__ import annotations

from migrate.read.ops import where
from migrate.trace.graph import ArtifactGraph, BuiltImage, Consumption, ContainerState, Extraction, instruction_site
from migrate.trace.image_ref import image_key

Flow = ArtifactGraph

__all__ = ["BuiltImage", "Consumption", "ContainerState", "Extraction", "Flow", "image_key", "instruction_site", "where"]
