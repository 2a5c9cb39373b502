"""The baseline: only read and parse a project's files, with the libraries dmigrate uses.

    python benchmarks/parse_only.py build.sh Dockerfile.build Dockerfile
    python benchmarks/parse_only.py --manifest ORG/manifest.json --jobs 2

Shell drivers go through tree-sitter-bash, Dockerfiles through
dockerfile-parse (its full instruction structure).  Makefiles are only read:
no library parses them, dmigrate's own reader does.  Nothing is traced,
emitted or diffed, so the time is a floor for any tool that reads the same
files in Python.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
from pathlib import Path

_bash = None


def _bash_parser():
    global _bash
    if _bash is None:
        import tree_sitter
        import tree_sitter_bash

        _bash = tree_sitter.Parser(tree_sitter.Language(tree_sitter_bash.language()))
    return _bash


def parse_file(path: str) -> int:
    """Parse one file; the number of top-level items found (so that nothing is optimised away)."""
    with open(path, "rb") as handle:
        data = handle.read()
    name = os.path.basename(path)
    if name.endswith((".sh", ".bash")):
        return _bash_parser().parse(data).root_node.child_count
    if name.startswith("Dockerfile") or name.endswith(".Dockerfile"):
        from dockerfile_parse import DockerfileParser

        parser = DockerfileParser(fileobj=io.BytesIO(data))
        return len(parser.structure)
    return len(data)


def parse_project(files: list[str]) -> int:
    return sum(parse_file(path) for path in files)


def parse_chunk(chunk: list[list[str]]) -> int:
    return sum(parse_project(files) for files in chunk)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", help="Files of one project.")
    parser.add_argument("--manifest", type=Path, help="An organisation's manifest.json: parse every project's files.")
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    if args.manifest is None:
        parse_project(args.files)
        return
    base = args.manifest.parent
    projects = [[str(base / name) for name in project["reads"]] for project in json.loads(args.manifest.read_text())["projects"]]
    import dockerfile_parse  # noqa: F401 - imported once, before the workers fork

    _bash_parser()
    if args.jobs <= 1:
        total = parse_chunk(projects)
    else:
        import multiprocessing

        size = 64
        chunks = [projects[i : i + size] for i in range(0, len(projects), size)]
        with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
            total = sum(pool.imap_unordered(parse_chunk, chunks))
    print(f"{len(projects)} projects parsed ({total} items)", file=sys.stderr)


if __name__ == "__main__":
    main()
