"""Helpers for tests on a real Docker engine.

``images``: stub base images named like the real ones, with stub toolchains.
``flows``: run a project's build flow with the ``bin/docker`` wrapper, copy
projects, find and snapshot their final image.
"""
