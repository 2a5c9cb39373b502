"""Makefile drivers: what make would run for a goal, and the rewritten Makefile.

Reading cases check the operations (and their make lines) that the reader
finds; before/after cases pin the rewritten Makefile's text down.  The real
builds are in test_makefile_equivalence.py and test_equivalence.py.
"""

from __future__ import annotations

import subprocess

import pytest

from migrate.discover import drivers_in
from migrate.read.ops import Build, Container, Copy, HostCommand, Opaque
from migrate.read.project import read_driver
from support import d, make_project, migrate, texts_after




BUILD = d(
    """
    FROM golang:1.21
    ARG VERSION=dev
    WORKDIR /src
    COPY . .
    RUN go build -ldflags "-X main.version=${VERSION}" -o /out/app .
    """
)
RUNTIME = d(
    """
    FROM alpine:3.19
    COPY app /usr/local/bin/app
    CMD ["app"]
    """
)
MERGED = d(
    """
    FROM golang:1.21 AS builder
    ARG VERSION=dev
    WORKDIR /src
    COPY . .
    RUN go build -ldflags "-X main.version=${VERSION}" -o /out/app .

    FROM alpine:3.19
    COPY --from=builder /out/app /usr/local/bin/app
    CMD ["app"]
    """
)


def project(tmp_path, makefile: str, **extra: str):
    files = {"Makefile": makefile, "Dockerfile.build": BUILD, "Dockerfile": RUNTIME, **extra}
    return make_project(tmp_path / "project", files)


def steps(root, **options):
    reading = read_driver(root / "Makefile", options.get("target_rule"))
    return [(type(op).__name__, op.site.line) for op in reading.operations if not isinstance(op, HostCommand)], reading


# -- reading -----------------------------------------------------------------------------------


def test_variables_of_every_flavour_and_target_specific_ones(tmp_path):
    root = project(
        tmp_path,
        d(
            """
            NAME ?= acme/app
            BASE = $(NAME)
            TAG := $(BASE):build
            FLAGS = --build-arg VERSION=$(VERSION)
            FLAGS += -f Dockerfile.build
            VERSION = 1.0
            image: VERSION = 2.0
            image:
            \tdocker build $(FLAGS) -t $(TAG) .
            """
        ).replace("\\t", "\t"),
    )
    _, reading = steps(root)
    build = reading.operations[0]
    assert isinstance(build, Build)
    assert [tag.key for tag in build.tags] == ["acme/app:build"]
    assert [(arg.name, arg.value.key) for arg in build.build_args] == [("VERSION", "2.0")]
    assert build.dockerfile.key == "Dockerfile.build"
    assert any("NAME is not set" in note for note in reading.notes)


def test_shell_function_is_left_unread_when_the_flow_does_not_need_it(tmp_path):
    root = project(
        tmp_path,
        "COMMIT = $(shell git rev-parse HEAD)\nall:\n\t@echo $(COMMIT)\n\tdocker build --label commit=$(COMMIT) -t app .\n",
    )
    _, reading = steps(root)
    build = next(op for op in reading.operations if isinstance(op, Build))
    label = dict(build.other_flags)["--label"]
    assert not label.known and label.text == "commit=$(COMMIT)"


def test_prerequisites_run_depth_first_in_order_and_once(tmp_path):
    root = project(
        tmp_path,
        d(
            """
            all: image extract
            image: extract
            \tdocker build -t app .
            extract: builder
            \tdocker create --name x app:build
            \tdocker cp x:/out/app app
            \tdocker rm x
            builder:
            \tdocker build -f Dockerfile.build -t app:build .
            .PHONY: all image extract builder
            """
        ).replace("\\t", "\t"),
    )
    found, _ = steps(root)
    assert found == [("Build", 9), ("Container", 5), ("Copy", 6), ("Remove", 7), ("Build", 3)]


def test_target_rule_picks_another_goal(tmp_path):
    root = project(tmp_path, "all:\n\techo hello\nrelease:\n\tdocker build -t app .\n")
    assert steps(root)[0] == []
    assert steps(root, target_rule="release")[0] == [("Build", 4)]


def test_recipe_prefixes_continuations_and_dollar_escapes(tmp_path):
    makefile = (
        "Q = @\n"
        "all:\n"
        "\t$(Q)-docker rm -f x 2>/dev/null\n"
        "\t+docker build \\\n"
        "\t\t-f Dockerfile.build \\\n"
        "\t\t-t app:build .\n"
        "\tid=$$(docker create app:build) && docker cp $$id:/out/app app && docker rm $$id\n"
    )
    root = project(tmp_path, makefile)
    found, reading = steps(root)
    assert found == [("Remove", 3), ("Build", 4), ("Container", 7), ("Copy", 7), ("Remove", 7)]
    copy = next(op for op in reading.operations if isinstance(op, Copy))
    container = next(op for op in reading.operations if isinstance(op, Container))
    assert container.captured_as == "id" and copy.container.key.startswith("\x00container-id id ")


def test_each_recipe_line_has_its_own_shell_unless_oneshell(tmp_path):
    recipe = "all:\n\tcd out\n\tdocker cp x:/out/app app\n"
    root = project(tmp_path / "plain", recipe)
    copy = next(op for op in read_driver(root / "Makefile").operations if isinstance(op, Copy))
    assert copy.cwd.key == str(root.resolve())
    root = project(tmp_path / "one", ".ONESHELL:\n" + recipe)
    copy = next(op for op in read_driver(root / "Makefile").operations if isinstance(op, Copy))
    assert copy.cwd.key == str((root / "out").resolve())


def test_exported_variables_reach_the_shell(tmp_path):
    root = project(tmp_path, "export IMAGE = acme/app\nall:\n\tdocker build -t \"$$IMAGE:build\" .\n")
    build = read_driver(root / "Makefile").operations[0]
    assert build.tags[0].key == "acme/app:build"


def test_conditionals_known_now_are_followed_and_unknown_ones_guard(tmp_path):
    makefile = d(
        """
        MODE = release
        ifeq ($(MODE),release)
        TAG = app:latest
        else
        TAG = app:debug
        endif
        ifdef CI
        EXTRA = --pull
        endif
        all:
        \tdocker build -t $(TAG) .
        ifdef CI
        push:
        \tdocker push $(TAG)
        endif
        """
    ).replace("\\t", "\t")
    root = project(tmp_path, makefile)
    build = read_driver(root / "Makefile").operations[0]
    assert build.tags[0].key == "app:latest"
    pushed = read_driver(root / "Makefile", "push").operations[0]
    assert pushed.site.guard and "conditional" in pushed.site.guard


def test_recursive_make_of_the_same_makefile_is_followed(tmp_path):
    root = project(tmp_path, "all:\n\t$(MAKE) builder\n\tdocker build -t app .\nbuilder:\n\tdocker build -f Dockerfile.build -t app:build .\n")
    assert steps(root)[0] == [("Build", 5), ("Build", 3)]


def test_a_tracked_file_target_runs_only_when_out_of_date(tmp_path):
    root = project(tmp_path, "all: app\napp: main.go\n\tdocker build -t app .\n", **{"app": "old\n", "main.go": "package main\n"})
    build = read_driver(root / "Makefile").operations[0]
    assert build.site.guard == "runs only when make finds app out of date"


def test_a_script_the_recipe_runs_is_followed(tmp_path):
    script = "#!/bin/sh\nset -e\ndocker build -t \"$1:build\" -f Dockerfile.build .\n"
    root = project(tmp_path, "all:\n\t./build.sh acme/app\n", **{"build.sh": script})
    reading = read_driver(root / "Makefile")
    build = reading.operations[0]
    assert build.tags[0].key == "acme/app:build" and build.site.file.name == "build.sh"
    assert [part.path.name for part in reading.parts] == ["build.sh"]


def test_pattern_rules_that_run_docker_are_not_followed_blindly(tmp_path):
    root = project(tmp_path, "all: app.bin\n%.bin:\n\tdocker cp x:/out/$* $@\n")
    opaque = read_driver(root / "Makefile").operations[0]
    assert isinstance(opaque, Opaque) and opaque.mentions_docker


def test_syntax_errors_in_a_recipe_name_the_makefile_line(tmp_path):
    root = project(tmp_path, "all:\n\techo ok\n\tdocker build -t app . && (\n")
    outcome = migrate(root / "Makefile")
    assert outcome.status == "error" and outcome.location.line == 3


# -- before and after ---------------------------------------------------------------------------

LEGACY = (
    "IMAGE ?= acme/app\n"
    "VERSION := 1.2.3\n"
    "BUILDER = $(IMAGE):build\n"
    "\n"
    ".PHONY: all image clean\n"
    "\n"
    "all: image\n"
    "\n"
    "builder.stamp: Dockerfile.build main.go\n"
    "\tdocker build --build-arg VERSION=$(VERSION) \\\n"
    "\t\t-f Dockerfile.build -t $(BUILDER) .\n"
    "\t@touch $@\n"
    "\n"
    "app: builder.stamp\n"
    "\t-@docker rm -f extract 2>/dev/null\n"
    "\tdocker create --name extract $(BUILDER)\n"
    "\tdocker cp extract:/out/app ./app && docker rm extract\n"
    "\n"
    "image: app\n"
    "\tdocker build -t $(IMAGE):latest .\n"
    "\n"
    "clean:\n"
    "\trm -f app builder.stamp\n"
)
MIGRATED = (
    "IMAGE ?= acme/app\n"
    "VERSION := 1.2.3\n"
    "BUILDER = $(IMAGE):build\n"
    "\n"
    ".PHONY: all image clean\n"
    "\n"
    "all: image\n"
    "\n"
    "builder.stamp: Dockerfile main.go\n"
    "\t@touch $@\n"
    "\n"
    "app: builder.stamp\n"
    "\t@:\n"
    "\n"
    "image: app\n"
    "\tdocker build --build-arg VERSION=$(VERSION) -t $(IMAGE):latest .\n"
    "\n"
    "clean:\n"
    "\trm -f app builder.stamp\n"
)


def test_rules_stay_with_a_no_op_recipe_and_the_final_build_keeps_make_variables(tmp_path):
    root = project(tmp_path, LEGACY, **{"main.go": "package main\n"})
    outcome = migrate(root / "Makefile")
    assert outcome.status == "pending", outcome.message
    assert texts_after(outcome, root) == {"Dockerfile": MERGED, "Makefile": MIGRATED, "Dockerfile.build": None}


def test_a_crlf_makefile_is_read_as_make_reads_it_and_keeps_its_line_endings(tmp_path):
    root = project(tmp_path, LEGACY.replace("\n", "\r\n"), **{"main.go": "package main\n"})
    outcome = migrate(root / "Makefile")
    assert outcome.status == "pending", outcome.message
    assert texts_after(outcome, root)["Makefile"] == MIGRATED.replace("\n", "\r\n")


def test_keep_legacy_keeps_the_prerequisite_on_the_legacy_dockerfile(tmp_path):
    root = project(tmp_path, LEGACY, **{"main.go": "package main\n"})
    after = texts_after(migrate(root / "Makefile", keep_legacy=True), root)["Makefile"]
    assert "builder.stamp: Dockerfile.build main.go\n" in after


def test_a_builder_image_still_used_is_built_from_its_stage(tmp_path):
    makefile = d(
        """
        all: image
        builder:
        \tdocker build -f Dockerfile.build -t app:build .
        image: builder
        \tdocker create --name x app:build
        \tdocker cp x:/out/app app
        \tdocker rm x
        \tdocker build -t app .
        \tdocker run --rm app:build go vet ./...
        """
    ).replace("\\t", "\t")
    root = project(tmp_path, makefile)
    after = texts_after(migrate(root / "Makefile"), root)["Makefile"]
    assert after == d(
        """
        all: image
        builder:
        \tdocker build --target builder -f Dockerfile -t app:build .
        image: builder
        \tdocker build -t app .
        \tdocker run --rm app:build go vet ./...
        """
    ).replace("\\t", "\t")


def test_part_of_a_recipe_line_goes_and_the_rest_stays(tmp_path):
    makefile = "all:\n\tdocker build -f Dockerfile.build -t b . && echo built\n\tdocker create --name x b && docker cp x:/out/app app && docker rm x\n\tdocker build -t app .\n"
    root = project(tmp_path, makefile)
    after = texts_after(migrate(root / "Makefile"), root)["Makefile"]
    assert after == "all:\n\techo built\n\tdocker build -t app .\n"


def test_oneshell_recipe_lines_go_one_by_one(tmp_path):
    makefile = ".ONESHELL:\nall:\n\tset -e\n\tdocker build -f Dockerfile.build -t b .\n\tid=$$(docker create b)\n\tdocker cp $$id:/out/app app\n\tdocker rm $$id\n\tdocker build -t app .\n"
    root = project(tmp_path, makefile)
    after = texts_after(migrate(root / "Makefile"), root)["Makefile"]
    assert after == ".ONESHELL:\nall:\n\tset -e\n\tdocker build -t app .\n"


@pytest.mark.parametrize(
    "before, after",
    [
        (
            ".ONESHELL:\nall:\n\tset -e\n\tdocker build -f Dockerfile.build -t b .\n\trm -rf dist && mkdir -p dist\n\tcd dist\n"
            "\tdocker create --name x b\n\tdocker cp x:/out/app .\n\tdocker rm x\n\tcd ..\n\tdocker build -t app .\n",
            ".ONESHELL:\nall:\n\tset -e\n\trm -rf dist && mkdir -p dist\n\tcd dist\n\tcd ..\n\tdocker build -t app .\n",
        ),
        (
            "all:\n\tdocker build -f Dockerfile.build -t b .\n\tmkdir -p dist\n\tdocker create --name x b\n"
            "\tcd dist && docker cp x:/out/app .\n\tdocker rm x\n\tdocker build -t app .\n",
            "all:\n\tmkdir -p dist\n\tcd dist\n\tdocker build -t app .\n",
        ),
    ],
)
def test_a_mkdir_stays_when_a_kept_cd_enters_its_directory(tmp_path, before, after):
    root = project(tmp_path, before, Dockerfile=RUNTIME.replace("COPY app", "COPY dist/app"))
    outcome = migrate(root / "Makefile")
    assert outcome.status == "pending", outcome.message
    assert texts_after(outcome, root)["Makefile"] == after
    assert any("`mkdir -p dist` stays: the driver still changes into dist" in note for note in outcome.plan.decisions)


@pytest.mark.parametrize(
    "makefile, line, message",
    [
        (
            "image: bin/app\n\tdocker build -t app .\n\nbin/app:\n\tdocker build -f Dockerfile.build -t b .\n"
            "\tdocker create --name x b\n\tdocker cp x:/out/app bin/app\n\tdocker rm x\n",
            7,
            "this copy runs only when make finds bin/app out of date",
        ),
        (
            "image: stamp\n\tdocker create --name x b\n\tdocker cp x:/out/app app\n\tdocker rm x\n\tdocker build -t app .\n\n"
            "stamp:\n\tdocker build -f Dockerfile.build -t b .\n",
            8,
            "this step of the flow runs only when make finds stamp out of date; the migrated build would always run it",
        ),
        (
            "image:\n\tdocker build -f Dockerfile.build -t b .\n\tdocker create --name x b\n"
            "\tif [ -n \"$$CI\" ]; then docker cp x:/out/app app; fi\n\tdocker rm x\n\tdocker build -t app .\n",
            4,
            "this copy is inside an `if` decided at run time",
        ),
    ],
)
def test_a_step_that_runs_only_sometimes_is_refused_in_a_sentence(tmp_path, makefile, line, message):
    root = project(tmp_path, makefile, **{"bin/app": "stale\n", "stamp": ""})
    outcome = migrate(root / "Makefile")
    assert (outcome.status, outcome.location.line, outcome.message) == ("refused", line, message)


def test_a_build_arg_that_reads_a_target_specific_variable_is_refused_elsewhere(tmp_path):
    makefile = d(
        """
        all: image
        builder: VERSION = 9.9
        builder:
        \tdocker build --build-arg VERSION=$(VERSION) -f Dockerfile.build -t b .
        image: builder
        \tdocker create --name x b
        \tdocker cp x:/out/app app
        \tdocker rm x
        \tdocker build -t app .
        """
    ).replace("\\t", "\t")
    root = project(tmp_path, makefile)
    outcome = migrate(root / "Makefile")
    assert outcome.status == "refused" and "sets for itself" in outcome.message
    assert outcome.location.line == 9


def test_the_flow_through_a_script_rewrites_the_script(tmp_path):
    script = d(
        """
        #!/bin/sh
        set -e
        docker build -t app:build -f Dockerfile.build .
        docker create --name x app:build
        docker cp x:/out/app ./app
        docker rm x
        docker build -t app .
        """
    )
    root = project(tmp_path, ".PHONY: all\nall:\n\t./build.sh\n", **{"build.sh": script})
    outcome = migrate(root / "Makefile")
    assert texts_after(outcome, root) == {
        "Dockerfile": MERGED,
        "build.sh": "#!/bin/sh\nset -e\ndocker build -t app .\n",
        "Dockerfile.build": None,
    }
    assert drivers_in(root) == [root / "Makefile"]


def test_a_script_the_default_goal_does_not_run_stays_its_own_driver(tmp_path):
    script = "#!/bin/sh\ndocker build -t app .\n"
    root = project(tmp_path, "all:\n\techo hi\nrelease:\n\t./build.sh\n", **{"build.sh": script})
    assert drivers_in(root) == [root / "build.sh"]


@pytest.mark.skipif(subprocess.run(["make", "--version"], capture_output=True).returncode != 0, reason="make is not installed")
def test_the_rewritten_makefile_still_reads_in_make(tmp_path):
    root = project(tmp_path, LEGACY, **{"main.go": "package main\n"})
    after = texts_after(migrate(root / "Makefile"), root)["Makefile"]
    (root / "Makefile").write_text(after)
    dry = subprocess.run(["make", "-n", "image", "IMAGE=other"], cwd=root, capture_output=True, text=True)
    assert dry.returncode == 0, dry.stderr
    assert "docker build --build-arg VERSION=1.2.3 -t other:latest ." in dry.stdout
    assert "Dockerfile.build" not in dry.stdout


def test_build_args_carried_into_a_script_are_written_for_the_shell(tmp_path):
    makefile = d(
        """
        VERSION = 4.5
        BUILD_FILE = Dockerfile.build
        .PHONY: all builder
        all: builder
        \t./release.sh
        builder: $(BUILD_FILE)
        \tdocker build --build-arg VERSION=$(VERSION) -f $(BUILD_FILE) -t app:build .
        """
    ).replace("\\t", "\t")
    script = "#!/bin/sh\nset -e\ndocker create --name x app:build\ndocker cp x:/out/app ./app\ndocker rm x\ndocker build -t app .\n"
    root = project(tmp_path, makefile, **{"release.sh": script})
    texts = texts_after(migrate(root / "Makefile"), root)
    assert texts["release.sh"] == "#!/bin/sh\nset -e\ndocker build --build-arg VERSION=4.5 -t app .\n"
    assert "builder: Dockerfile\n\t@:\n" in texts["Makefile"]


def test_a_builder_image_a_rule_outside_the_flow_uses_is_built_from_its_stage(tmp_path):
    makefile = d(
        """
        BUILDER = app:build
        all: image
        builder: Dockerfile.build
        \tdocker build -f Dockerfile.build -t $(BUILDER) .
        image: builder
        \tdocker create --name x $(BUILDER)
        \tdocker cp x:/out/app app
        \tdocker rm x
        \tdocker build -t app .
        test: builder
        \tdocker run --rm $(BUILDER) go test ./...
        .PHONY: all builder image test
        """
    ).replace("\\t", "\t")
    root = project(tmp_path, makefile)
    outcome = migrate(root / "Makefile")
    after = texts_after(outcome, root)["Makefile"]
    # As for build.sh and build.py, the legacy build Dockerfile stays while a build of it is kept.
    assert "builder: Dockerfile.build\n\tdocker build --target builder -f Dockerfile -t $(BUILDER) .\n" in after
    assert "image: builder\n\tdocker build -t app .\n" in after
    assert "Dockerfile.build" not in texts_after(outcome, root)
    assert any("the build image is still used (line 11)" in note for note in outcome.plan.decisions)


def test_a_sub_make_that_is_not_followed_is_refused_when_it_may_run_docker(tmp_path):
    makefile = "all:\n\t$(MAKE) -C sub image\n\tdocker build -t app .\n"
    root = project(tmp_path, makefile, **{"sub/Makefile": "image:\n\tdocker cp x:/out/app ../app\n"})
    opaque = read_driver(root / "Makefile").operations[0]
    assert isinstance(opaque, Opaque) and opaque.mentions_docker and opaque.site.line == 2
    root = project(tmp_path / "quiet", makefile, **{"sub/Makefile": "image:\n\techo nothing\n"})
    assert not read_driver(root / "Makefile").operations[0].mentions_docker


def test_included_files_give_variables_and_their_rules_are_not_rewritten(tmp_path):
    makefile = "include config.mk\n-include local.mk\nall: image\nimage:\n\tdocker build -t $(IMAGE) .\n"
    config = "IMAGE = acme/app:2\nextract:\n\tdocker cp x:/out/app app\n"
    root = project(tmp_path, makefile, **{"config.mk": config})
    build = read_driver(root / "Makefile", "all").operations[0]
    assert build.tags[0].key == "acme/app:2"
    # As make reads it, the included file's first rule comes first: it is the default goal.
    opaque = read_driver(root / "Makefile").operations[0]
    assert isinstance(opaque, Opaque) and opaque.mentions_docker
    assert opaque.site.file.name == "config.mk" and opaque.site.line == 2


def test_the_final_build_on_a_line_with_removed_commands_still_gets_its_build_args(tmp_path):
    makefile = (
        "VERSION = 3\n"
        "all:\n"
        "\tdocker build --build-arg VERSION=$(VERSION) -f Dockerfile.build -t b .\n"
        "\tdocker create --name x b && docker cp x:/out/app app && docker rm x && docker build -t app .\n"
    )
    root = project(tmp_path, makefile)
    after = texts_after(migrate(root / "Makefile"), root)["Makefile"]
    assert after == "VERSION = 3\nall:\n\tdocker build --build-arg VERSION=$(VERSION) -t app .\n"


def test_unknown_make_text_in_single_quotes_stays_unknown(tmp_path):
    root = project(tmp_path, "all:\n\tdocker build -t 'app:$(shell git describe)' .\n")
    build = read_driver(root / "Makefile").operations[0]
    assert not build.tags[0].known


def test_a_recipe_that_still_reads_the_deleted_dockerfile_is_refused(tmp_path):
    makefile = LEGACY + "lint:\n\thadolint Dockerfile.build\n"
    root = project(tmp_path, makefile, **{"main.go": "package main\n"})
    outcome = migrate(root / "Makefile")
    assert outcome.status == "refused" and "still reads Dockerfile.build" in outcome.message
    assert outcome.location.line == makefile.count("\n")
    assert migrate(root / "Makefile", keep_legacy=True).status == "pending"


# (Makefile, the rewritten Makefile): what stays of a recipe line reads as if a person had removed the rest.
RECIPE_LINES = {
    "a removed command that shared its line takes its `;` along": (
        "all:\n"
        "\techo start; docker build -t b -f Dockerfile.build .\n"
        "\tdocker create --name x b; echo created\n"
        "\tdocker cp x:/out/app app && docker rm x && echo copied\n"
        "\tdocker build -t app . ; rm -f app\n",
        "all:\n\techo start\n\techo created\n\techo copied\n\tdocker build -t app .\n",
    ),
    "removed commands on continued lines take their lines along": (
        "all:\n"
        "\techo start; \\\n"
        "\tdocker build -t b -f Dockerfile.build .; \\\n"
        "\tdocker create --name x b; \\\n"
        "\tdocker cp x:/out/app app; \\\n"
        "\tdocker rm x; \\\n"
        "\tdocker build -t app .\n"
        "\techo packaged; \\\n"
        "\t  rm -f app\n",
        "all:\n\techo start; \\\n\tdocker build -t app .\n\techo packaged\n",
    ),
    "the recipe prefix stays with the command that takes the line": (
        "all:\n\t@docker build -t b -f Dockerfile.build . ; echo one\n\t-docker create --name x b\n\tdocker cp x:/out/app app\n\t-docker rm x; echo two\n\tdocker build -t app .\n",
        "all:\n\t@echo one\n\t-echo two\n\tdocker build -t app .\n",
    ),
    "lines removed between blank lines of a .ONESHELL recipe leave one blank line": (
        ".ONESHELL:\nall:\n\techo a; docker build -t b -f Dockerfile.build .\n\n\tdocker create --name x b\n\tdocker cp x:/out/app app\n\n\tdocker rm x; echo c\n\tdocker build -t app .\n",
        ".ONESHELL:\nall:\n\techo a\n\n\techo c\n\tdocker build -t app .\n",
    ),
}


@pytest.mark.parametrize("name", list(RECIPE_LINES))
def test_recipe_lines(tmp_path, name):
    before, after = RECIPE_LINES[name]
    root = project(tmp_path, before)
    outcome = migrate(root / "Makefile")
    assert outcome.status == "pending", outcome.message
    assert texts_after(outcome, root)["Makefile"] == after


# (Makefile, runtime Dockerfile, the notes that a path is absent): the tracer and the Makefile reader may both assume it of one path.
ABSENT_NOTES = {
    "a target docker cp writes": (
        "all: image\napp:\n\tdocker build -t b -f Dockerfile.build .\n\tdocker create --name x b\n\tdocker cp x:/out/app app\n\tdocker rm x\n"
        "image: app\n\tdocker build -t app .\n",
        RUNTIME,
        [
            "Makefile:5: assumed app does not exist before the driver runs (git does not track it)",
            "assumed image does not exist before make runs (git does not track it)",
        ],
    ),
    "a target directory a docker run writes through a bind mount": (
        "all: image\nout:\n\tdocker build -t b -f Dockerfile.build .\n\tdocker run --rm -v $(CURDIR)/out:/dist b cp /out/app /dist/\n"
        "image: out\n\tdocker build -t app .\n",
        "FROM alpine:3.19\nCOPY out/app /usr/local/bin/app\n",
        [
            "Makefile:4: assumed out does not exist before the driver runs (git does not track it)",
            "assumed image does not exist before make runs (git does not track it)",
        ],
    ),
}


@pytest.mark.parametrize("name", list(ABSENT_NOTES))
def test_a_path_assumed_absent_is_noted_once(tmp_path, name):
    makefile, runtime, notes = ABSENT_NOTES[name]
    root = project(tmp_path, makefile, Dockerfile=runtime)
    outcome = migrate(root / "Makefile")
    assert outcome.status == "pending", outcome.message
    assert [note for note in outcome.plan.decisions if "does not exist before" in note] == notes


RECIPES = "all:\n\tdocker build -t b -f Dockerfile.build .\n\tdocker create --name x b\n\tdocker cp x:/out/app app\n\tdocker rm x\n\tdocker build -t app .\n"


@pytest.mark.parametrize(
    "head, status, message",
    [
        ("$(info building)\nifndef CI\n$(warning not in CI)\nendif\n", "pending", ""),
        ("SHELL := /bin/bash\n.SHELLFLAGS := -eu -c\n", "pending", ""),
        ("$(eval $(call rules,app))\n", "refused", "does not follow $(eval ...)"),
        ("# the shell\nSHELL := python3\n", "refused", "run in python3"),
    ],
)
def test_lines_around_the_rules(tmp_path, head, status, message):
    root = project(tmp_path, head + RECIPES)
    outcome = migrate(root / "Makefile")
    assert outcome.status == status and message in outcome.message
    if status == "refused":
        assert outcome.location.line == head.count("\n")


@pytest.mark.parametrize("head, line", [("X := $(subst a)\n", 1), ("\nY := $(filter a)\n", 1), ("# the tag\nT = $(word 2)\n", 4)])
def test_a_function_with_too_few_arguments_is_bad_input_at_its_line(tmp_path, head, line):
    root = project(tmp_path, head + "all:\n\tdocker build -t app:$(X)$(Y)$(T) .\n")
    outcome = migrate(root / "Makefile")
    assert (outcome.status, outcome.location.line) == ("error", line)
    assert "needs" in outcome.message


@pytest.mark.parametrize("head", ["V := $(shell docker run --rm b cat /v)\n", "V != docker run --rm b cat /v\n", "# v\nV = $(shell docker run --rm b cat /v)\n"])
def test_docker_run_by_a_shell_function_is_refused(tmp_path, head):
    root = project(tmp_path, head + RECIPES.replace("docker build -t app .", "docker build --build-arg V=$(V) -t app ."))
    outcome = migrate(root / "Makefile")
    assert (outcome.status, outcome.location.line) == ("refused", head.count("\n"))
    assert "$(shell ...) runs docker" in outcome.message
