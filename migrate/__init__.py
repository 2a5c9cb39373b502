"""dmigrate: turn builder-pattern Docker builds into one multi-stage build."""

__version__ = "0.1.0"
