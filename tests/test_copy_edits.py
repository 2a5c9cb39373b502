"""How a consuming COPY is rewritten (trace/copy_edits.py): the pure rules, as before/after tables."""

from __future__ import annotations

import pytest

from migrate.plan import CopySpec
from migrate.trace.copy_edits import artifact_flags, directory_target, ordered_specs


def artifact(source: str, destination: str = "/app/") -> CopySpec:
    return CopySpec(("--from=builder",), (source,), destination)


@pytest.mark.parametrize(
    ("sources", "replaced", "expected"),
    [
        # The one source was the artifact: one COPY --from.
        (["app"], {"app"}, ["COPY --from=builder /out/app /app/"]),
        # Kept sources before and after the artifact keep their order around it: a later source wins.
        (
            ["README", "app", "LICENSE"],
            {"app"},
            ["COPY README /app/", "COPY --from=builder /out/app /app/", "COPY LICENSE /app/"],
        ),
        # Runs of kept sources stay one instruction.
        (["a", "b", "app"], {"app"}, ["COPY a b /app/", "COPY --from=builder /out/app /app/"]),
        # An artifact inside a kept directory is copied right after it, before what follows.
        (
            ["dist", "app", "z"],
            {"app"},
            ["COPY dist /app/", "COPY --from=builder /out/inner /app/", "COPY --from=builder /out/app /app/", "COPY z /app/"],
        ),
    ],
)
def test_ordered_specs(sources, replaced, expected):
    specs = {"app": [artifact("/out/app")], "dist": [artifact("/out/inner")]}
    written = [spec.written() for spec in ordered_specs(sources, replaced, specs, (), "/app/", "COPY")]
    assert written == expected


def test_the_kept_sources_keep_the_copy_s_flags_and_keyword():
    specs = ordered_specs(["a", "app"], {"app"}, {"app": [artifact("/out/app")]}, ("--chown=1:1",), "/srv/", "ADD")
    assert [spec.written() for spec in specs] == ["ADD --chown=1:1 a /srv/", "COPY --from=builder /out/app /app/"]


@pytest.mark.parametrize(
    ("destination", "below", "expected"),
    [
        ("/app/", "bin/tool", "/app/bin/tool"),
        ("/app", "tool", "/app/tool"),
        # The WORKDIR itself: the artifact lands where it was in the copied directory.
        (".", "tool", "tool"),
        # A destination written with ./ keeps it.
        ("./", "tool", "./tool"),
        ("./out", "tool", "./out/tool"),
    ],
)
def test_directory_target(destination, below, expected):
    assert directory_target(destination, below) == expected


@pytest.mark.parametrize(
    ("base_flags", "root_owned", "mode", "expected"),
    [
        # docker cp gave the host's copy to root: a stage whose files root does not provably own needs --chown.
        ((), False, None, ("--from=builder", "--chown=0:0")),
        ((), True, None, ("--from=builder",)),
        # The COPY's own --chown wins, and keeps its place among its flags.
        (("--chown=app:app", "--link"), False, None, ("--from=builder", "--chown=app:app", "--link")),
        # A mode the host gave the artifact (a chmod, or the umask it wrote it under) is kept.
        ((), True, 0o755, ("--from=builder", "--chmod=755")),
        ((), False, 0o644, ("--from=builder", "--chown=0:0", "--chmod=644")),
        # ... unless the COPY sets its own.
        (("--chmod=600",), True, 0o755, ("--from=builder", "--chmod=600")),
    ],
)
def test_artifact_flags(base_flags, root_owned, mode, expected):
    assert artifact_flags("builder", base_flags, root_owned=root_owned, mode=mode) == expected


@pytest.mark.parametrize(
    ("spec", "keyword_as_written", "json_form", "expected"),
    [
        (CopySpec(("--from=b",), ("/out/app",), "/app"), "COPY", False, "COPY --from=b /out/app /app"),
        # The keyword as the source wrote it.
        (CopySpec(("--from=b",), ("/out/app",), "/app"), "copy", False, "copy --from=b /out/app /app"),
        # Paths with blanks, or one that starts like JSON, are written in JSON form.
        (CopySpec((), ("my app",), "/app/"), "COPY", False, 'COPY ["my app", "/app/"]'),
        (CopySpec((), ("[x]",), "/app/"), "COPY", False, 'COPY ["[x]", "/app/"]'),
        (CopySpec((), ("app",), "/app/"), "COPY", True, 'COPY ["app", "/app/"]'),
    ],
)
def test_a_copy_spec_is_written(spec, keyword_as_written, json_form, expected):
    assert spec.written(keyword_as_written, json_form) == expected
