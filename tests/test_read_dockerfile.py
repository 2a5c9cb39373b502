"""The Dockerfile line layer: where dockerfile-parse alone goes wrong, and exact round trips."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migrate.errors import InputError
from migrate.read.dockerfile import parse_dockerfile


def parse(text: str):
    return parse_dockerfile(text, Path("Dockerfile"))


def instructions(text: str) -> list[tuple[str, str, int, int]]:
    dockerfile = parse(text)
    found = [(i.keyword, i.arguments, i.line, i.end_line) for i in dockerfile.global_args]
    for stage in dockerfile.stages:
        found.append(("FROM", stage.from_instruction.arguments, stage.from_instruction.line, stage.from_instruction.end_line))
        found += [(i.keyword, i.arguments, i.line, i.end_line) for i in stage.instructions]
    return found


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "FROM alpine\nRUN <<EOF\nFROM evil\nCOPY x y\nEOF\nCMD x\n",
            [("FROM", "alpine", 1, 1), ("RUN", "<<EOF", 2, 5), ("CMD", "x", 6, 6)],
        ),
        (
            "FROM alpine\nRUN apk add \\\n\n    curl\n",
            [("FROM", "alpine", 1, 1), ("RUN", "apk add     curl", 2, 4)],
        ),
        (
            "FROM alpine\nRUN a \\\n  # a comment inside\n  b\n",
            [("FROM", "alpine", 1, 1), ("RUN", "a   b", 2, 4)],
        ),
        ("FROM alpine\nCMD sh \\", [("FROM", "alpine", 1, 1), ("CMD", "sh", 2, 2)]),
        ("\ufeffFROM alpine\n", [("FROM", "alpine", 1, 1)]),
        (
            "# escape=`\nFROM alpine\nRUN dir `\n  c:\\\\\n",
            [("FROM", "alpine", 2, 2), ("RUN", "dir   c:\\\\", 3, 4)],
        ),
        (
            "FROM alpine\nCOPY <<-EOT /etc/motd\n\thello\n\tEOT\nUSER x\n",
            [("FROM", "alpine", 1, 1), ("COPY", "<<-EOT /etc/motd", 2, 4), ("USER", "x", 5, 5)],
        ),
        (
            'FROM alpine\nRUN echo "<<NOT" && echo ok\nUSER x\n',
            [("FROM", "alpine", 1, 1), ("RUN", 'echo "<<NOT" && echo ok', 2, 2), ("USER", "x", 3, 3)],
        ),
        ("from alpine as base\nrun true\n", [("FROM", "alpine as base", 1, 1), ("RUN", "true", 2, 2)]),
        (
            "FROM alpine\nRUN cat <<'EOF' > /etc/conf\nFROM evil\nEOF\nUSER x\n",
            [("FROM", "alpine", 1, 1), ("RUN", "cat <<'EOF' > /etc/conf", 2, 4), ("USER", "x", 5, 5)],
        ),
        (
            'FROM alpine\nRUN <<"EOF" sh\nFROM evil\nEOF\nUSER x\n',
            [("FROM", "alpine", 1, 1), ("RUN", '<<"EOF" sh', 2, 4), ("USER", "x", 5, 5)],
        ),
        (
            "FROM alpine\nRUN cat <<<word\nUSER x\n",
            [("FROM", "alpine", 1, 1), ("RUN", "cat <<<word", 2, 2), ("USER", "x", 3, 3)],
        ),
        (
            "FROM alpine\nRUN [ -f /x ] && cat <<EOF\nUSER evil\nEOF\nUSER x\n",
            [("FROM", "alpine", 1, 1), ("RUN", "[ -f /x ] && cat <<EOF", 2, 4), ("USER", "x", 5, 5)],
        ),
        (
            "FROM alpine\nRUN echo a \\\\\nUSER x\n",
            [("FROM", "alpine", 1, 1), ("RUN", "echo a \\\\", 2, 2), ("USER", "x", 3, 3)],
        ),
        (
            "FROM alpine\nRUN echo a\x0cRUN b\nLABEL k=\"a\u2028b\"\n",
            [("FROM", "alpine", 1, 1), ("RUN", "echo a\x0cRUN b", 2, 2), ("LABEL", 'k="a\u2028b"', 3, 3)],
        ),
    ],
    ids=[
        "heredoc body", "blank line in continuation", "comment in continuation", "final backslash", "bom", "backtick escape",
        "tab-stripped heredoc", "quoted <<", "lower case", "single-quoted heredoc delimiter", "double-quoted heredoc delimiter",
        "here-string", "shell form starting with [", "escaped backslash ends the line", "only \\n ends a line",
    ],  # fmt: skip
)
def test_instruction_boundaries(text, expected):
    assert instructions(text) == expected


def test_directives_and_stages():
    text = "# syntax=docker/dockerfile:1.4\n# check=skip=all\n# a comment\nARG V=1\n\n# build stage\nFROM golang:${V} AS build\nRUN go build\n\n# runtime\nFROM --platform=linux/amd64 alpine\nCOPY --from=build /a /a\n"
    dockerfile = parse(text)
    assert dockerfile.directive("syntax") == "docker/dockerfile:1.4"
    assert [t.text for t in dockerfile.directives] == ["# syntax=docker/dockerfile:1.4\n", "# check=skip=all\n"]
    assert [a.key_values() for a in dockerfile.global_args] == [[("V", "1")]]
    build, runtime = dockerfile.stages
    assert (build.name, build.base, [t.text for t in build.leading]) == ("build", "golang:${V}", ["# build stage\n"])
    assert (runtime.name, runtime.base, runtime.platform) == (None, "alpine", "linux/amd64")
    assert [t.text for t in runtime.leading] == ["# runtime\n"]
    assert dockerfile.stage("BUILD") is build and dockerfile.stage("1") is runtime
    assert dockerfile.text() == text


def test_directive_after_a_comment_is_a_comment():
    dockerfile = parse("# hello\n# syntax=x\nFROM a\n")
    assert dockerfile.directives == ()
    assert dockerfile.directive("syntax") is None


@pytest.mark.parametrize(
    "arguments, words",
    [
        ('["a b", "c"]', ["a b", "c"]),
        ("a  'b' \"c\"", ["a", "b", "c"]),
        ('["not json', ["[not", "json"]),
    ],
)
def test_words(arguments, words):
    (stage,) = parse(f"FROM x\nCOPY {arguments}\n").stages
    assert stage.instructions[0].words() == words


def test_flags_and_key_values():
    (stage,) = parse('FROM x\nCOPY --chown=1:2 --chmod=755 a b\nENV A=1 B="two words"\nARG X Y=3\nLABEL k v w\n').stages
    copy, env, arg, label = stage.instructions
    assert copy.flags == ("--chown=1:2", "--chmod=755")
    assert (copy.flag("chown"), copy.flag("from")) == ("1:2", None)
    assert env.key_values() == [("A", "1"), ("B", "two words")]
    assert arg.key_values() == [("X", None), ("Y", "3")]
    assert label.key_values() == [("k", "v w")]


@pytest.mark.parametrize(
    "text, line, message",
    [
        ("RUN true\n", 1, "no FROM"),
        ("ENV A=1\nFROM x\n", 1, "ENV before the first FROM"),
        ("FROM x\nRUN <<EOF\nnever closed\n", 2, "never closed"),
        ("FROM x\n%% nonsense\n", 2, "not a Dockerfile instruction"),
    ],
)
def test_bad_dockerfiles(text, line, message):
    with pytest.raises(InputError) as raised:
        parse(text)
    assert raised.value.location.line == line
    assert message in raised.value.reason


_line = st.one_of(
    st.sampled_from(
        [
            "RUN echo hi \\",
            "  && echo more",
            "",
            "   ",
            "# comment",
            "COPY --from=x /a /b",
            "ENV A=1",
            "RUN <<EOF",
            "EOF",
            "ARG X=1",
            "FROM alpine AS base",
            "\t",
            "WORKDIR /w \\",
        ]
    ),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n"), max_size=20),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_line, max_size=12), st.booleans(), st.booleans())
def test_round_trip_is_exact(lines, with_bom, trailing_newline):
    text = ("\ufeff" if with_bom else "") + "FROM busybox\n" + "\n".join(lines) + ("\n" if trailing_newline else "")
    try:
        dockerfile = parse(text)
    except InputError:
        return
    assert dockerfile.text() == text
