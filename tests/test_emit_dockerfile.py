"""How the merged Dockerfile writes the COPY instructions it makes."""

from __future__ import annotations

from support import make_project, migrate, texts_after

DRIVER = (
    "#!/bin/sh\n"
    "docker build -t app:build -f Dockerfile.build .\n"
    "docker create --name c app:build\n"
    'docker cp "c:/build/ü dir/äpp" "äpp"\n'
    "docker rm c\n"
    "docker build -t app .\n"
)


def test_names_outside_ascii_stay_as_written_in_a_json_copy(tmp_path):
    files = {
        "build.sh": DRIVER,
        "Dockerfile.build": 'FROM alpine:3.19\nRUN mkdir -p "/build/ü dir" && echo x > "/build/ü dir/äpp"\n',
        "Dockerfile": 'FROM alpine:3.19\nCOPY ["äpp", "/usr/local/bin/äpp"]\n',
    }
    root = make_project(tmp_path / "p", files)
    outcome = migrate(root / "build.sh")
    assert outcome.status == "pending", outcome.message
    assert texts_after(outcome, root)["Dockerfile"].endswith('COPY --from=builder ["/build/ü dir/äpp", "/usr/local/bin/äpp"]\n')
