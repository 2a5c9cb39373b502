"""The shell reader: every form of the core issue, as driver text in and operations out."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from migrate.errors import InputError
from migrate.read.ops import Build, Container, Copy, HostCommand, Opaque, OtherDocker, Remove, RemoveImage
from migrate.read.shell import read_shell

SCRIPT_DIR = "/project"


def read(text: str):
    return read_shell(Path(SCRIPT_DIR) / "build.sh", textwrap.dedent(text).lstrip("\n"))


def summary(op) -> tuple:
    """A compact, comparable form of an operation: values where known, source text where not."""
    shown = lambda word: None if word is None else word.shown()  # noqa: E731
    if isinstance(op, Build):
        return (
            "build",
            shown(op.context),
            shown(op.dockerfile),
            tuple(shown(t) for t in op.tags),
            tuple((a.name, shown(a.value)) for a in op.build_args),
            shown(op.target),
            tuple(name for name, _ in op.other_flags),
        )
    if isinstance(op, Container):
        return ("run" if op.runs else "create", shown(op.image), shown(op.name), op.captured_as, tuple(shown(w) for w in op.command), shown(op.stdout))
    if isinstance(op, Copy):
        return ("cp", shown(op.container), shown(op.source), shown(op.destination), op.cwd.shown())
    if isinstance(op, Remove):
        return ("rm", tuple(shown(w) for w in op.containers))
    if isinstance(op, RemoveImage):
        return ("rmi", tuple(shown(w) for w in op.images))
    if isinstance(op, HostCommand):
        return ("host", tuple(shown(w) for w in op.argv), op.cwd.shown())
    if isinstance(op, OtherDocker):
        return ("docker", op.subcommand, tuple(shown(w) for w in op.arguments))
    if isinstance(op, Opaque):
        return ("opaque", op.mentions_docker)
    raise AssertionError(op)


BUILD_FLAG_CASES = [
    ("docker build -t a:b .", ("build", ".", None, ("a:b",), (), None, ())),
    ("docker image build --tag a --tag b:2 ctx", ("build", "ctx", None, ("a", "b:2"), (), None, ())),
    ("docker build -f=Dockerfile.build .", ("build", ".", "Dockerfile.build", (), (), None, ())),
    ("docker build . -f Dockerfile.build -t x", ("build", ".", "Dockerfile.build", ("x",), (), None, ())),
    ("docker build --file build/Dockerfile --target sdk .", ("build", ".", "build/Dockerfile", (), (), "sdk", ())),
    ('docker build --build-arg A=1 --build-arg B --build-arg=C="x y" .', ("build", ".", None, (), (("A", "1"), ("B", None), ("C", "x y")), None, ())),
    ("docker build --no-cache --pull -q -t x .", ("build", ".", None, ("x",), (), None, ("--no-cache", "--pull", "-q"))),
    ("docker build --platform linux/arm64 --label k=v --network host .", ("build", ".", None, (), (), None, ("--platform", "--label", "--network"))),
    ("sudo docker build -t x .", ("build", ".", None, ("x",), (), None, ())),
    ("DOCKER=docker\n$DOCKER build -t x .", ("build", ".", None, ("x",), (), None, ())),
]


@pytest.mark.parametrize("text, expected", BUILD_FLAG_CASES, ids=[case[0] for case in BUILD_FLAG_CASES])
def test_build_flags(text, expected):
    (op,) = read(text).operations
    assert summary(op) == expected


CONTAINER_CASES = [
    ("docker create --name x img", [("create", "img", "x", None, (), None)]),
    ("docker container create --name=x img:1 /bin/true", [("create", "img:1", "x", None, ("/bin/true",), None)]),
    ("id=$(docker create img)", [("create", "img", None, "id", (), None)]),
    ("ID=`docker create img`", [("create", "img", None, "ID", (), None)]),
    ('id="$(docker create img)"', [("create", "img", None, "id", (), None)]),
    ("docker run --name b -e A=1 -v /x:/y img make all", [("run", "img", "b", None, ("make", "all"), None)]),
    ("docker run --rm img cat /app > app", [("run", "img", None, None, ("cat", "/app"), "app")]),
    ("docker run -it --rm img sh -c 'echo hi'", [("run", "img", None, None, ("sh", "-c", "echo hi"), None)]),
]


@pytest.mark.parametrize("text, expected", CONTAINER_CASES, ids=[case[0] for case in CONTAINER_CASES])
def test_containers(text, expected):
    assert [summary(op) for op in read(text).operations] == expected


def test_copy_and_remove_forms():
    ops = read(
        """
        docker cp x:/a/b ./b
        docker container cp "x":app -
        docker cp x:/d/. out | cat
        docker cp x:/s - | tar -x -C dist
        docker rm -f -v x y
        docker container rm x
        docker rmi app:build
        docker image rm app:build
        """
    ).operations
    assert [summary(op) for op in ops] == [
        ("cp", "x", "/a/b", "./b", SCRIPT_DIR),
        ("cp", "x", "app", "-", SCRIPT_DIR),
        ("cp", "x", "/d/.", "out", SCRIPT_DIR),
        ("cp", "x", "/s", "-", SCRIPT_DIR),
        ("rm", ("x", "y")),
        ("rm", ("x",)),
        ("rmi", ("app:build",)),
        ("rmi", ("app:build",)),
    ]
    assert [w.shown() for w in ops[3].stream_into] == ["tar", "-x", "-C", "dist"]


VALUE_CASES = [
    ("X=app; docker build -t ${X}:1 .", "app:1"),
    ("X=app\ndocker build -t \"$X:$X\" .", "app:app"),
    ("docker build -t ${TAG:-latest} .", "latest"),
    ("docker build -t app:${1:-dev} .", "app:dev"),
    ("docker build -t 'lit$X' .", "lit$X"),
    ('docker build -t "a\\"b" .', 'a"b'),
    ("docker build -t $'a\\tb' .", "a\tb"),
    ("docker build -t a\\ b .", "a b"),
    ("N=app\nN+=-x\ndocker build -t $N .", "app-x"),
    ("V=1.2.3\ndocker build -t app:${V%.*} .", "app:1.2"),
    ("F=dir/file.tar.gz\ndocker build -t ${F##*/} .", "file.tar.gz"),
    ('DIR="$(cd "$(dirname "$0")" && pwd)"\ndocker build -t "$(basename "$DIR")" .', "project"),
    ("docker build -t app:$$ .", None),
    ("docker build -t app:$(cat VERSION) .", None),
    ("docker build -t app:$((1+2)) .", None),
]


@pytest.mark.parametrize("text, tag", VALUE_CASES, ids=[case[0] for case in VALUE_CASES])
def test_values(text, tag):
    ops = [op for op in read(text).operations if isinstance(op, Build)]
    assert ops[0].tags[0].value == tag
    if tag is None:
        assert ops[0].tags[0].text in text


def test_unknown_values_compare_equal_by_expression():
    ops = read("docker build -t app:$(cat VERSION) .\ndocker create --name c app:$(cat VERSION)\n").operations
    assert ops[0].tags[0].key == ops[1].image.key
    assert not ops[0].tags[0].known


def test_shell_forms_do_not_hide_docker_steps():
    ops = read(
        r"""
        #!/usr/bin/env bash
        set -euo pipefail
        DIR="$(cd "$(dirname "$0")" && pwd)"
        cd "$DIR/sub"
        pushd inner >/dev/null
        arr=(a b c)
        if [[ -n "${arr[0]}" ]]; then echo "${#arr[@]}"; fi
        case "$1" in release) echo rel ;; *) echo dev ;; esac
        echo $(( 1 + 2 ))
        docker build -t app:build -f Dockerfile.build . 2>/dev/null || true
        popd >/dev/null
        extract() {
          docker create --name "$1" app:build >/dev/null && docker cp "$1:/out/app" "$2"
        }
        extract tmp ./app
        docker rm tmp 2>/dev/null || true
        """
    ).operations
    assert [summary(op) for op in ops] == [
        ("build", ".", "Dockerfile.build", ("app:build",), (), None, ()),
        ("create", "app:build", "tmp", None, (), None),
        ("cp", "tmp", "/out/app", "./app", SCRIPT_DIR + "/sub"),
        ("rm", ("tmp",)),
    ]
    assert ops[0].cwd.shown() == SCRIPT_DIR + "/sub/inner"
    assert all(op.site.guard is None for op in ops)


@pytest.mark.parametrize(
    "text, guard",
    [
        ("if true; then docker build -t x .; fi", "inside an `if`"),
        ("case $1 in a) docker build -t x . ;; esac", "inside a `case`"),
        ("while true; do docker build -t x .; done", "inside a loop"),
        ("for f in $(ls); do docker build -t $f .; done", "inside a `for` loop"),
        ("false || docker build -t x .", "runs only when the command before `||` fails"),
        ('[ -n "$CI" ] && docker build -t x .', "runs only when the test before `&&` succeeds"),
        ("grep -q release VERSION && echo yes && docker build -t x .", "runs only when the test before `&&` succeeds"),
        ("for s in a b; do docker build -t $s .; break; done", "`break` or `continue` may cut short"),
    ],
)
def test_guards(text, guard):
    (op,) = [op for op in read(text).operations if isinstance(op, Build)]
    assert guard in op.site.guard


def test_static_for_loop_is_unrolled():
    ops = read("for svc in api web; do docker build -t $svc -f Dockerfile.$svc .; done").operations
    assert [op.tags[0].value for op in ops] == ["api", "web"]
    assert all(op.site.guard is None for op in ops)


def test_exit_stops_reading():
    ops = read("docker build -t a .\nexit 0\ndocker build -t b .\n").operations
    assert len(ops) == 1


def test_trap_handlers_run_at_the_end():
    ops = read("trap 'docker rm -f tmp' EXIT\ndocker create --name tmp img\n").operations
    assert [summary(op) for op in ops] == [("create", "img", "tmp", None, (), None), ("rm", ("tmp",))]


@pytest.mark.parametrize(
    "text",
    ['eval "docker build ."', "source ./missing-lib.sh && docker build .", "sh -c 'docker build .'"],
)
def test_code_that_cannot_be_read_is_opaque(text):
    assert ("opaque", True) in [summary(op) for op in read(text).operations]


def test_host_commands_keep_their_directory():
    ops = read("cd out\nchmod +x app\nrm -rf dist\necho done\n").operations
    assert [summary(op) for op in ops] == [
        ("host", ("chmod", "+x", "app"), SCRIPT_DIR + "/out"),
        ("host", ("rm", "-rf", "dist"), SCRIPT_DIR + "/out"),
    ]


def test_syntax_error_names_the_line():
    with pytest.raises(InputError) as raised:
        read("echo ok\necho (\n")
    assert raised.value.location.line == 2


@pytest.mark.parametrize(
    "text",
    [
        "docker run --rm -i img sh <<EOF\ncp /out/app /host/app\nEOF",
        "docker run -i img sh <<< 'make'",
        "docker run --interactive img sh < script.sh",
        "tar -c src | docker run -i img sh -c 'tar -x && make'",
        "tar -c src | docker run -i img sh -c 'tar -x && make' > app",
        "docker start -ai extract <<EOF\nmake\nEOF",
    ],
)
def test_input_fed_to_a_container_is_opaque(text):
    ops = read(text).operations
    assert ("opaque", True) in [summary(op) for op in ops]
    assert "standard input" in next(op.reason for op in ops if isinstance(op, Opaque))


def test_input_without_dash_i_reaches_no_container():
    ops = read("docker run --rm img cat /out/app <<EOF > app\nignored\nEOF\n").operations
    assert [summary(op) for op in ops] == [("run", "img", None, None, ("cat", "/out/app"), "app")]


@pytest.mark.parametrize(
    "text, refused",
    [
        ("cat <<EOF > notes && docker cp c:/out/app app\nnotes\nEOF", True),
        ("cat <<EOF | docker run img cat /out/app > app\nx\nEOF", True),
        ("cat <<EOF > notes && echo written\nnotes\nEOF", False),
    ],
)
def test_commands_after_a_heredoc_start_on_its_line(text, refused):
    assert (("opaque", True) in [summary(op) for op in read(text).operations]) is refused


FIELD_CASES = [
    ('docker run img echo ~/x ~ a~b "~/q" \\~', [None, None, "a~b", "~/q", "~"]),
    ("docker run img echo out/* out/\\* 'out/*' a?b", [None, "out/*", "out/*", None]),
    ("docker run img echo out/{a,b} a{b}c {1..2} '{a,b}'", [None, "a{b}c", None, "{a,b}"]),
    ('O="-a  b"\ndocker run img echo $O x${O}y "$O"', ["-a", "b", "x-a", "by", "-a  b"]),
    ('E=\ndocker run img echo $E "" x$E', ["", "x"]),
    ('f() { docker run img echo "$@" "$#"; }\nf "a b" c', ["a b", "c", "2"]),
    ('f() { docker run img echo "x$@"; }\nf a b', [None]),
    ("N=app.tar\ndocker run img echo \"${N%\".tar\"}\" ${N%.tar} ${N%[.]tar} ${N%$S}", [None, "app", None, None]),
]


@pytest.mark.parametrize("text, values", FIELD_CASES, ids=[case[0] for case in FIELD_CASES])
def test_words_after_expansion(text, values):
    (op,) = read(text).operations
    assert [word.value for word in op.command[1:]] == values


def test_a_wrapper_function_passes_its_arguments_as_words():
    ops = read('d() { docker "$@"; }\nd build -t "app:1" -f Dockerfile.build .\nd cp extract:/out/app ./app\n').operations
    assert [summary(op) for op in ops] == [
        ("build", ".", "Dockerfile.build", ("app:1",), (), None, ()),
        ("cp", "extract", "/out/app", "./app", SCRIPT_DIR),
    ]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("docker run --rm $RUN_OPTS -v /x:/y img make", ("opaque", True)),
        ("docker run --rm $IMAGE", ("run", "$IMAGE", None, None, (), None)),
        ('docker run --rm "$IMAGE" make', ("run", '"$IMAGE"', None, None, ("make",), None)),
        ("docker create --name c app:$(cat VERSION)", ("create", "app:$(cat VERSION)", "c", None, (), None)),
    ],
)
def test_an_unquoted_unknown_may_be_options(text, expected):
    (op,) = read(text).operations
    assert summary(op) == expected


CHANGED_VALUE_CASES = [
    ('D=out\nif [ -n "$CI" ]; then D=dist; fi\ndocker cp c:/app $D/app', None),
    ('if [ -n "$CI" ]; then cd sub; fi\ndocker cp c:/app $PWD/app', None),
    ('D=out\n[ -n "$CI" ] || D=dist\ndocker cp c:/app $D/app', None),
    ("D=out\nfor f in $(ls); do D=$f; done\ndocker cp c:/app $D/app", None),
    ("D=out\nread D < dir.txt\ndocker cp c:/app $D/app", None),
    ("D=out\nprintf -v D '%s' dist\ndocker cp c:/app $D/app", None),
    ("D=out\nunset D\ndocker cp c:/app ${D:-dist}/app", "dist/app"),
    ("D=out\nD[0]=dist\ndocker cp c:/app $D/app", None),
    ("D=a:~/out\ndocker cp c:/app $D", None),
    ("cd sub | cat\ndocker cp c:/app $PWD/app", SCRIPT_DIR + "/app"),
    ('D=out\nput() { local D=dist; docker rm "$D"; }\nput\ndocker cp c:/app $D/app', "out/app"),
    ('put() { local D; D=dist; }\nD=out\nput\ndocker cp c:/app $D/app', "out/app"),
    ('put() { D=dist; }\nD=out\nput\ndocker cp c:/app $D/app', "dist/app"),
    ('run() { shift; docker cp "$@"; }\nrun skip c:/app out/app\ndocker rm c', "out/app"),
    ("set -- c:/app out/app\nset -eu\ndocker cp $1 $2", "out/app"),
]


@pytest.mark.parametrize("text, destination", CHANGED_VALUE_CASES, ids=[case[0] for case in CHANGED_VALUE_CASES])
def test_what_may_have_changed_is_unknown(text, destination):
    (copy,) = [op for op in read(text).operations if isinstance(op, Copy)]
    assert copy.destination.value == destination


HOST_CASES = [
    ("sed -i 's/a/b/' app", [("sed", "-i", "s/a/b/", "app")]),
    ("echo x | tee -a app", [("tee", "-a", "app")]),
    ("echo x >> app", [(">>", "app")]),
    ("cat app > copy 2>/dev/null", [("cat", "app"), (">", "copy")]),
    ("ls -la out/app", [("ls", "-la", "out/app")]),
    ("[ -f app ] || exit 1", [("[", "-f", "app", "]")]),
    ("test -x app && echo ok", [("test", "-x", "app")]),
    ('[ -n "$CI" ] && [[ "$A" = b ]] && test 1 -eq 1', []),
    ("while read -r line; do echo $line; done < out/list.txt", [("<", "out/list.txt")]),
    ("echo done >&2 2>&1", []),
]


@pytest.mark.parametrize("text, host", HOST_CASES, ids=[case[0] for case in HOST_CASES])
def test_commands_that_read_or_write_files_are_host_commands(text, host):
    assert [summary(op)[1] for op in read(text).operations] == host


@pytest.mark.parametrize(
    "text, expected",
    [
        ("nice -n 5 docker build -t x .", ("build", ".", None, ("x",), (), None, ())),
        ("sudo -u builder docker build -t x .", ("build", ".", None, ("x",), (), None, ())),
        ("timeout -s KILL 10m docker build -t x .", ("build", ".", None, ("x",), (), None, ())),
        ("echo extract | xargs docker rm -f", ("opaque", True)),
    ],
)
def test_docker_behind_another_command(text, expected):
    assert summary(read(text).operations[-1]) == expected


@pytest.mark.parametrize(
    "text",
    [
        "cleanup() { docker rm -f tmp; }\ntrap cleanup EXIT\ndocker create --name tmp img\n",
        'tmp=$(docker create img)\ntrap "docker rm -f $tmp" EXIT\n',
    ],
)
def test_a_trap_handler_through_a_function_or_with_a_captured_id_runs_at_the_end(text):
    create, remove = read(text).operations
    assert summary(create)[0] == "create" and isinstance(remove, Remove)
    assert remove.containers[0].key == (create.name.key if create.name else "\0container-id tmp 0\0")


@pytest.mark.parametrize(
    "text, value, written",
    [
        ("VERSION=1.2 docker build --build-arg VERSION -t x .", "1.2", "--build-arg VERSION=1.2"),
        ('env VERSION="1 2" docker build --build-arg=VERSION -t x .', "1 2", '--build-arg=VERSION="1 2"'),
        ("docker build --build-arg VERSION -t x .", None, "--build-arg VERSION"),
    ],
)
def test_a_build_arg_from_the_command_line_environment_carries_its_value(text, value, written):
    (build,) = read(text).operations
    (arg,) = build.build_args
    assert (arg.value.value if arg.value else None, arg.text) == (value, written)


@pytest.mark.parametrize(
    "mount, options",
    [
        ("type=bind,src=/x,dst=/out", ""),
        ("type=bind,src=/x,dst=/out,readonly", "ro"),
        ("type=bind,source=/x,target=/out,ro=true", "ro"),
        ("type=bind,src=/x,dst=/out,readonly=false", ""),
        ("src=/x,dst=/out", "volume"),
    ],
)
def test_mount_options(mount, options):
    (run,) = read(f"docker run --rm --mount {mount} img make").operations
    assert run.volumes[0].options == options


@pytest.mark.parametrize(
    "text, tags",
    [
        ("die() { exit 1; }\ndocker build -t a .\ndie\ndocker build -t b .\n", ["a"]),
        ("f() { docker build -t a .; return; docker build -t b .; }\nf\ndocker build -t c .\n", ["a", "c"]),
        ("( cd sub && exit 0 )\ndocker build -t c .\n", ["c"]),
        ("V=$(exit 3)\ndocker build -t c .\n", ["c"]),
    ],
)
def test_exit_and_return_end_what_they_end(text, tags):
    assert [op.tags[0].value for op in read(text).operations] == tags


@pytest.mark.parametrize(
    "text",
    [
        'docker build --build-arg V="$(docker run --rm app:build cat /v)" -t app .',
        'V="v-$(docker run --rm app:build cat /v)"',
        'echo "$(docker run --rm app:build cat /v)" > VERSION',
    ],
)
def test_a_docker_command_inside_a_substitution_is_read(text):
    assert ("run", "app:build", None, None, ("cat", "/v"), None) in [summary(op) for op in read(text).operations]


def test_what_a_sourced_file_or_eval_assigns_is_unknown(tmp_path):
    (tmp_path / "env.sh").write_text("export IMAGE=acme/app\nVERSION=1.21\n")
    text = "TAG=1\nDIR=out\n. ./env.sh\neval 'TAG=2'\ndocker build --build-arg V=${VERSION:-1.20} -t $IMAGE:$TAG -f $DIR/Dockerfile .\n"
    build = [op for op in read_shell(tmp_path / "build.sh", text).operations if isinstance(op, Build)][0]
    assert not build.tags[0].known and not build.build_args[0].value.known
    assert build.dockerfile.value == "out/Dockerfile"
