"""``.dockerignore`` as Docker reads and matches it."""

from __future__ import annotations

import pytest

from migrate.read.dockerignore import DockerIgnore


@pytest.mark.parametrize(
    "text, path, excluded",
    [
        ("bin\n", "bin/app", True),
        ("bin\n!bin/app\n", "bin/app", False),
        ("**/*.o\n", "a/b/c.o", True),
        ("*.o\n", "a/c.o", False),
        ("\ufeffbin\n", "bin/app", True),
        ("bin\r\nout\r\n", "out/app", True),
        ("  # not a comment\n", "# not a comment", True),
        ("# a comment\n", "# a comment", False),
        ("bin\x0cout\n", "out", False),
        ("[!a]pp\n", "!pp", True),
        ("[!a]pp\n", "bpp", False),
        ("[^a]pp\n", "bpp", True),
    ],
)
def test_excludes(text, path, excluded):
    assert DockerIgnore(text).excludes(path) is excluded


def test_new_lines_keep_the_files_line_endings():
    assert DockerIgnore(".git\r\n").with_lines(["/bin/app"]) == ".git\r\n/bin/app\r\n"
