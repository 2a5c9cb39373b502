"""What happens to the rest of a driver is decided in trace, the same way for build.sh, Makefile and build.py.

- code that stays and still reads the build Dockerfile the migration deletes is refused;
- a build image that a Makefile rule the goal does not run still uses is kept, built from its stage,
  and refused where that build would not get its renamed ARG;
- a Makefile goal the followed one does not make, which needs a file a removed step extracted, is refused.

Every refusal leaves the project's files as they were.
"""

from __future__ import annotations

import pytest

from migrate.plan import RetargetBuild
from migrate.read.project import read_driver
from support import d, make_project, migrate, migrate_leaving_disk_unchanged, texts_after

BUILD = "FROM golang:1.21\nARG VERSION=dev\nWORKDIR /src\nCOPY . .\nRUN go build -o /out/app .\n"
RUNTIME = "FROM alpine:3.19\nCOPY app /usr/local/bin/app\nCMD [\"app\"]\n"
SHELL_FLOW = "docker build -t b -f Dockerfile.build .\ndocker create --name x b\ndocker cp x:/out/app app\ndocker rm x\ndocker build -t app .\n"


def project(tmp_path, driver_name: str, driver: str, **extra: str):
    files = {driver_name: driver, "Dockerfile.build": BUILD, "Dockerfile": RUNTIME, "main.go": "package main\n", **extra}
    return make_project(tmp_path / "project", files)


def makefile(text: str) -> str:
    return d(text).replace("\\t", "\t")


def assert_refused(outcome, file: str, line: int, fragment: str) -> None:
    assert outcome.status == "refused", outcome.message
    assert fragment in outcome.message, outcome.message
    assert (outcome.location.file.name, outcome.location.line) == (file, line), outcome.location


# -- kept code that reads the deleted build Dockerfile ---------------------------------------------------

STILL_READS = "still reads Dockerfile.build, which the migration deletes"

KEPT_READS = {
    "a shell line after the builds": ("build.sh", "#!/bin/sh\nset -e\n" + SHELL_FLOW + "sha256sum Dockerfile.build > stamp\n", {}, 8),
    "a shell line before the builds": ("build.sh", "#!/bin/sh\nset -e\ncp Dockerfile.build backup/\n" + SHELL_FLOW, {}, 3),
    "a trap handler beside a removed step": (
        "build.sh",
        "#!/bin/sh\nset -e\ntrap 'docker rm -f x; cat Dockerfile.build > stamp' EXIT\n" + SHELL_FLOW.replace("docker rm x\n", ""),
        {},
        3,
    ),
    "a shell redirect": ("build.sh", "#!/bin/sh\nset -e\n" + SHELL_FLOW + "wc -l < Dockerfile.build\n", {}, 8),
    "a kept build of it": ("build.sh", "#!/bin/sh\nset -e\n" + SHELL_FLOW + "docker build -f ./Dockerfile.build -t lint sub\n", {"sub/a.go": "package a\n"}, 8),
    "a recipe of the followed goal": (
        "Makefile",
        makefile(
            """
            all:
            \tdocker build -t b -f Dockerfile.build .
            \tdocker create --name x b && docker cp x:/out/app app && docker rm x
            \tdocker build -t app . && sha256sum Dockerfile.build > stamp
            """
        ),
        {},
        4,
    ),
    "a script the Makefile runs": (
        "Makefile",
        "all:\n\t./release.sh\n",
        {"release.sh": "#!/bin/sh\nset -e\n" + SHELL_FLOW + "cat Dockerfile.build | sha256sum\n"},
        8,
    ),
    "a rule the goal does not run": (
        "Makefile",
        makefile(
            """
            all:
            \tdocker build -t b -f Dockerfile.build .
            \tdocker create --name x b && docker cp x:/out/app app && docker rm x
            \tdocker build -t app .
            lint:
            \thadolint $(CURDIR)/Dockerfile.build
            """
        ),
        {},
        6,
    ),
    "a Python statement that runs no step": (
        "build.py",
        d(
            """
            import hashlib
            import subprocess

            subprocess.run(["docker", "build", "-t", "b", "-f", "Dockerfile.build", "."], check=True)
            subprocess.run(["docker", "create", "--name", "x", "b"], check=True)
            subprocess.run(["docker", "cp", "x:/out/app", "app"], check=True)
            subprocess.run(["docker", "rm", "x"], check=True)
            subprocess.run(["docker", "build", "-t", "app", "."], check=True)
            print(hashlib.sha256(open("Dockerfile.build", "rb").read()).hexdigest())
            """
        ),
        {},
        9,
    ),
    "a Python path joined to the driver's directory": (
        "build.py",
        d(
            """
            import os
            import subprocess

            HERE = os.path.dirname(os.path.abspath(__file__))


            def lint():
                subprocess.run(["hadolint", f"{HERE}/Dockerfile.build"], check=True)


            subprocess.run(["docker", "build", "-t", "b", "-f", "Dockerfile.build", "."], check=True)
            subprocess.run(["docker", "create", "--name", "x", "b"], check=True)
            subprocess.run(["docker", "cp", "x:/out/app", "app"], check=True)
            subprocess.run(["docker", "rm", "x"], check=True)
            subprocess.run(["docker", "build", "-t", "app", "."], check=True)
            """
        ),
        {},
        8,
    ),
}


@pytest.mark.parametrize("name", list(KEPT_READS), ids=list(KEPT_READS))
def test_kept_code_that_reads_the_deleted_dockerfile_is_refused(tmp_path, name):
    driver_name, driver, extra, line = KEPT_READS[name]
    root = project(tmp_path, driver_name, driver, **extra)
    outcome = migrate_leaving_disk_unchanged(root / driver_name)
    file = next((part for part in extra if part.endswith(".sh")), driver_name)
    assert_refused(outcome, file, line, STILL_READS)
    # Kept, the file is still there to read.
    assert migrate(root / driver_name, keep_legacy=True).status == "pending"


def test_code_that_goes_with_the_steps_may_name_the_deleted_dockerfile(tmp_path):
    driver = d(
        """
        import subprocess


        def dockerfile():
            return "Dockerfile.build"


        def sh(*args):
            subprocess.run(args, check=True)


        sh("docker", "build", "-t", "b", "-f", dockerfile(), ".")
        sh("docker", "create", "--name", "x", "b")
        sh("docker", "cp", "x:/out/app", "app")
        sh("docker", "rm", "x")
        sh("docker", "build", "-t", "app", ".")
        """
    )
    root = project(tmp_path, "build.py", driver)
    outcome = migrate(root / "build.py")
    assert outcome.status == "pending", outcome.message
    after = texts_after(outcome, root)
    assert "Dockerfile.build" not in after["build.py"] and after["Dockerfile.build"] is None


def test_a_helper_still_called_elsewhere_keeps_its_reading_of_the_deleted_dockerfile(tmp_path):
    driver = d(
        """
        import subprocess


        def dockerfile():
            return "Dockerfile.build"


        def sh(*args):
            subprocess.run(args, check=True)


        sh("docker", "build", "-t", "b", "-f", dockerfile(), ".")
        sh("docker", "create", "--name", "x", "b")
        sh("docker", "cp", "x:/out/app", "app")
        sh("docker", "rm", "x")
        sh("docker", "build", "-t", "app", ".")
        print(dockerfile())
        """
    )
    root = project(tmp_path, "build.py", driver)
    assert_refused(migrate_leaving_disk_unchanged(root / "build.py"), "build.py", 5, STILL_READS)


def test_a_python_message_that_mentions_the_deleted_dockerfile_is_not_a_read(tmp_path):
    driver = d(
        '''
        """Builds the image: Dockerfile.build compiles, Dockerfile ships."""
        import subprocess

        print("building with Dockerfile.build")
        subprocess.run(["docker", "build", "-t", "b", "-f", "Dockerfile.build", "."], check=True)
        subprocess.run(["docker", "create", "--name", "x", "b"], check=True)
        subprocess.run(["docker", "cp", "x:/out/app", "app"], check=True)
        subprocess.run(["docker", "rm", "x"], check=True)
        subprocess.run(["docker", "build", "-t", "app", "."], check=True)
        '''
    )
    root = project(tmp_path, "build.py", driver)
    assert migrate(root / "build.py").status == "pending"


def test_a_name_that_only_looks_like_the_deleted_dockerfile_is_not_a_read(tmp_path):
    driver = "#!/bin/sh\nset -e\n" + SHELL_FLOW + "cp sub/Dockerfile.build.orig stamp\n"
    root = project(tmp_path, "build.sh", driver, **{"sub/Dockerfile.build.orig": "x\n"})
    assert migrate(root / "build.sh").status == "pending"


# -- a build image a rule outside the flow still uses ----------------------------------------------------

RETARGETED = makefile(
    """
    BUILDER = app:build
    all: image
    builder:
    \tdocker build {args}-f Dockerfile.build -t $(BUILDER) .
    image: builder
    \tdocker create --name x $(BUILDER)
    \tdocker cp x:/out/app app
    \tdocker rm x
    \tdocker build {final}-t app .
    test: builder
    \tdocker run --rm $(BUILDER) go test ./...
    .PHONY: all builder image test
    """
)


def test_a_build_image_a_rule_outside_the_flow_uses_is_decided_in_trace(tmp_path):
    root = project(tmp_path, "Makefile", RETARGETED.format(args="", final=""))
    outcome = migrate(root / "Makefile")
    assert outcome.status == "pending", outcome.message
    edits = [(type(edit), edit.site.line, edit.dockerfile, edit.stage) for edit in outcome.plan.driver_edits if isinstance(edit, RetargetBuild)]
    assert edits == [(RetargetBuild, 4, "Dockerfile", "builder")]
    assert "builder:\n\tdocker build --target builder -f Dockerfile -t $(BUILDER) .\n" in texts_after(outcome, root)["Makefile"]


def test_a_retargeted_makefile_build_whose_arg_is_renamed_is_refused_as_in_build_sh(tmp_path):
    # The runtime build passes VERSION too: in the one build the builder stage reads BUILDER_VERSION,
    # which the kept `docker build --target builder --build-arg VERSION=1.0` would not set.
    text = RETARGETED.format(args="--build-arg VERSION=1.0 ", final="--build-arg VERSION=2.0 ")
    root = project(tmp_path, "Makefile", text, Dockerfile="FROM alpine:3.19\nARG VERSION\nLABEL v=$VERSION\nCOPY app /usr/local/bin/app\n")
    outcome = migrate_leaving_disk_unchanged(root / "Makefile")
    assert_refused(outcome, "Makefile", 4, "its ARG VERSION must be renamed: that build would no longer set it")
    shell = "#!/bin/sh\nset -e\ndocker build --build-arg VERSION=1.0 -f Dockerfile.build -t app:build .\n"
    shell += "docker create --name x app:build\ndocker cp x:/out/app app\ndocker rm x\ndocker build --build-arg VERSION=2.0 -t app .\n"
    shell += "docker run --rm app:build go test ./...\n"
    (root / "build.sh").write_text(shell)
    same = migrate_leaving_disk_unchanged(root / "build.sh", allow_dirty=True)
    assert_refused(same, "build.sh", 3, "its ARG VERSION must be renamed: that build would no longer set it")


def test_a_retargeted_build_from_another_context_is_refused(tmp_path):
    driver = "#!/bin/sh\nset -e\ndocker build -t b -f builder/Dockerfile.build builder\n"
    driver += "docker create --name x b\ndocker cp x:/out/app app\ndocker rm x\ndocker build -t app .\ndocker run --rm b ls /src\n"
    files = {"build.sh": driver, "builder/Dockerfile.build": "FROM golang:1.21\nWORKDIR /src\nCOPY main.go .\nRUN go build -o /out/app .\n"}
    root = make_project(tmp_path / "project", {**files, "builder/main.go": "package main\n", "Dockerfile": RUNTIME})
    outcome = migrate_leaving_disk_unchanged(root / "build.sh")
    assert_refused(outcome, "build.sh", 3, "which reads the runtime build's context ./, not builder/")


# -- Makefile goals the followed one does not make -------------------------------------------------------

GOALS = makefile(
    """
    all: {all}
    BUILDER = app:build
    app:
    \tdocker build -t $(BUILDER) -f Dockerfile.build .
    \tdocker create --name x $(BUILDER)
    \tdocker cp x:/out/app app
    \tdocker rm x
    image: app
    \tdocker build -t myapp .
    {more}
    .PHONY: all image
    """
)


def test_the_default_goal_that_needs_a_removed_extraction_is_refused_under_target_rule(tmp_path):
    root = project(tmp_path, "Makefile", GOALS.format(all="app", more=""))
    outcome = migrate_leaving_disk_unchanged(root / "Makefile", target_rule="image")
    assert_refused(outcome, "Makefile", 1, "`make all` makes app, whose recipe puts app on the host (line 6)")


def test_another_rule_that_needs_a_removed_extraction_is_refused(tmp_path):
    root = project(tmp_path, "Makefile", GOALS.format(all="image", more="check: app\n\t./app --self-test\n"))
    outcome = migrate_leaving_disk_unchanged(root / "Makefile")
    assert_refused(outcome, "Makefile", 10, "`make check` makes app")


def test_a_rule_after_the_image_that_reads_the_extracted_file_is_refused(tmp_path):
    root = project(tmp_path, "Makefile", GOALS.format(all="image", more="dist: image\n\ttar czf dist.tgz app\n"))
    outcome = migrate_leaving_disk_unchanged(root / "Makefile")
    assert_refused(outcome, "Makefile", 11, "this recipe of dist reads app, which the migrated build no longer puts on the host")


@pytest.mark.parametrize(
    "all_goal, more, target_rule",
    [
        ("image", "release: image\n\tdocker push myapp\n", None),
        ("image", "clean:\n\trm -f app\n", None),
        ("image", "", "image"),
        ("image", "lint: Dockerfile\n\thadolint Dockerfile\n", None),
    ],
    ids=["a rule after the image", "a rule that only cleans up", "the default goal makes the image", "a rule that needs none of it"],
)
def test_goals_that_need_nothing_the_migration_takes_away_are_left_alone(tmp_path, all_goal, more, target_rule):
    root = project(tmp_path, "Makefile", GOALS.format(all=all_goal, more=more))
    outcome = migrate(root / "Makefile", target_rule=target_rule)
    assert outcome.status == "pending", outcome.message


def test_the_makefile_reader_records_every_target_and_the_recipes_it_does_not_run(tmp_path):
    root = project(tmp_path, "Makefile", GOALS.format(all="app", more="dist: image\n\ttar czf dist.tgz $(BUILDER)\n"))
    reading = read_driver(root / "Makefile", "image")
    targets = {target.name: (target.prerequisites, target.made, [site.line for site in target.steps]) for target in reading.make_targets}
    assert targets == {
        "all": (("app",), False, []),
        "app": ((), True, [4, 5, 6, 7]),
        "image": (("app",), True, [9]),
        "dist": (("image",), False, []),
    }
    assert [(m.rule, m.site.line, m.text) for m in reading.mentions] == [("dist", 11, "tar czf dist.tgz app:build")]
