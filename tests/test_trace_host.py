"""Host tar commands as the tracer reads them: the forms whose effect is certain, and None for the rest."""

from __future__ import annotations

import pytest

from migrate.read.host_args import TarCreate, TarExtract, read_tar_create, read_tar_extract

CREATE_CASES = [
    ("tar -czf app.tgz -C dist .", TarCreate("app.tgz", "dist", (".",), False)),
    ("tar czf - bin lib", TarCreate("-", None, ("bin", "lib"), False)),
    ("tar -c -f out.tar --owner=0 --group=0 app", TarCreate("out.tar", None, ("app",), True)),
    ("tar --create --file=out.tar --directory=dist --gzip app", TarCreate("out.tar", "dist", ("app",), False)),
    ("tar -cv --numeric-owner app", TarCreate("-", None, ("app",), False)),
    ("tar -czf", None),
    ("tar -cfz out.tar app", None),
    ("tar -czf app.tgz app -C dist more", None),
    ("tar -cz --exclude=x -f a.tgz app", None),
    ("tar -xzf app.tgz", None),
    ("tar -czf app.tgz", None),
    ("gzip app", None),
]


@pytest.mark.parametrize("command, expected", CREATE_CASES, ids=[case[0] for case in CREATE_CASES])
def test_read_tar_create(command, expected):
    assert read_tar_create(command.split()) == expected


EXTRACT_CASES = [
    ("tar -x -C out", TarExtract("/w/out", False)),
    ("tar xf - -C /abs", TarExtract("/abs", False)),
    ("tar -xpf -", TarExtract("/w", True)),
    ("tar --extract --directory=out --same-owner", TarExtract("/w/out", False)),
    ("tar -xv --preserve-permissions", TarExtract("/w", True)),
    ("tar -xf app.tar", None),
    ("tar -x member", None),
    ("tar -x --strip-components=1", None),
    ("tar -tf -", None),
    ("tar -czf -", None),
]


@pytest.mark.parametrize("command, expected", EXTRACT_CASES, ids=[case[0] for case in EXTRACT_CASES])
def test_read_tar_extract(command, expected):
    assert read_tar_extract(command.split(), "/w") == expected
