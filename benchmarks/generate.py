"""Generate a synthetic organisation: N git repositories drawn from the forms dmigrate supports.

    python benchmarks/generate.py --repos 1000 benchmarks/out/org-1000

Each repository is committed to git (the batch reads git's index), and has
what a real one has around its build: sources of realistic sizes, a README,
a .gitignore, CI configuration, a few nested directories, and sometimes a
``node_modules`` or ``vendor`` tree that the walk must skip.  The forms and
their shares follow /work/shared/docs/real-world-forms.md: ``docker create``
+ ``docker cp`` (short and long forms, named and anonymous), files and
directories, renamed artifacts, build args, functions, Makefile drivers,
``docker run … cat > file``, monorepos with several services, plus projects
that are refused, already multi-stage, or that never call docker.

A ``manifest.json`` beside the repositories lists, per project, the files
dmigrate reads (driver and Dockerfiles), for the parse-only baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@dmigrate.invalid", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"]

LOREM = (
    "The service reads its configuration from the environment, validates it, and starts the HTTP listener. "
    "Requests are traced, logged as JSON, and counted by route and status. Shutdown drains open connections "
    "within the grace period before the process exits. "
)


def filler(rng: random.Random, size: int, comment: str = "") -> str:
    """Text of about ``size`` bytes, line by line, as prose or comments."""
    lines = []
    total = 0
    while total < size:
        start = rng.randrange(0, len(LOREM) - 60)
        line = comment + LOREM[start : start + rng.randrange(40, 60)].strip()
        lines.append(line)
        total += len(line) + 1
    return "\n".join(lines) + "\n"


def go_source(rng: random.Random, package: str, size: int) -> str:
    body = [f"package {package}\n", 'import (\n\t"fmt"\n\t"net/http"\n\t"os"\n)\n']
    count = 0
    while sum(len(b) for b in body) < size:
        count += 1
        body.append(
            f"// handler{count} answers one route of the service.\n"
            f"func handler{count}(w http.ResponseWriter, r *http.Request) {{\n"
            f'\tif r.Method != http.MethodGet {{\n\t\thttp.Error(w, "method not allowed", http.StatusMethodNotAllowed)\n\t\treturn\n\t}}\n'
            f'\tfmt.Fprintf(w, "route {count}: %s\\n", os.Getenv("APP_NAME"))\n}}\n'
        )
    return "\n".join(body)


def header(rng: random.Random, name: str) -> str:
    return f"#!/bin/sh\n# Build {name}: compile in the build image, ship the binary in a slim runtime image.\n" + filler(rng, rng.randrange(150, 600), "# ") + "set -e\n\n"


def echo_block(rng: random.Random, what: str) -> str:
    return "".join(f'echo "{what}: step {i}"\n' for i in range(rng.randrange(1, 4)))


# -- the forms ---------------------------------------------------------------------------
# Each returns (files, expected status, driver paths relative to the repository).


def form_create_cp_file(rng: random.Random, name: str, long_form: bool = False):
    docker = "docker container" if long_form else "docker"
    workdir = f"/go/src/github.com/example/{name}"
    build = (
        f"FROM golang:1.{rng.randrange(18, 23)}\n\n# Dependencies first, for the layer cache.\nWORKDIR {workdir}\n"
        "COPY go.mod ./\nRUN go mod download\n\nCOPY . .\n"
        f"RUN CGO_ENABLED=0 GOOS=linux go build -ldflags '-s -w' -o {name} ./cmd/{name}\n"
    )
    runtime = (
        f"FROM alpine:3.{rng.randrange(15, 20)}\nRUN apk --no-cache add ca-certificates tzdata\n"
        f"WORKDIR /srv\nCOPY {name} /usr/local/bin/{name}\nEXPOSE 8080\nUSER 65534\nENTRYPOINT [\"/usr/local/bin/{name}\"]\n"
    )
    driver = header(rng, name) + echo_block(rng, "build") + (
        f"docker build --build-arg https_proxy=$https_proxy -t example/{name}:build . -f Dockerfile.build\n\n"
        f"{docker} create --name extract-{name} example/{name}:build\n"
        f"{docker} cp extract-{name}:{workdir}/{name} ./{name}\n"
        f"{docker} rm -f extract-{name}\n\n"
        + echo_block(rng, "runtime")
        + f"docker build --no-cache -t example/{name}:latest .\nrm ./{name}\n"
    )
    files = {
        "build.sh": driver,
        "Dockerfile.build": build,
        "Dockerfile": runtime,
        "go.mod": f"module github.com/example/{name}\n\ngo 1.21\n",
        f"cmd/{name}/main.go": go_source(rng, "main", rng.randrange(1500, 6000)),
        "internal/server/server.go": go_source(rng, "server", rng.randrange(2000, 9000)),
        "internal/config/config.go": go_source(rng, "config", rng.randrange(800, 3000)),
    }
    return files, "pending", ["build.sh"]


def form_anonymous_directory(rng: random.Random, name: str):
    build = (
        "FROM node:20-alpine\nWORKDIR /app\nCOPY package.json package-lock.json ./\nRUN npm ci --no-audit\n"
        "COPY src ./src\nENV NODE_ENV=production\nRUN npm run build && mkdir -p /out && cp -a dist /out/dist\n"
    )
    runtime = "FROM nginx:1.25\n# Static files only: the build image has the toolchain.\nCOPY dist/ /usr/share/nginx/html/\n"
    driver = header(rng, name) + (
        f"docker build -f Dockerfile.build -t example/{name}:build .\n"
        "rm -rf ./dist\n"
        f"id=$(docker create example/{name}:build)\n"
        "docker cp $id:/out/dist ./dist\n"
        "docker rm -v $id\n"
        f"docker build -t example/{name}:latest .\n"
        "rm -rf ./dist\n"
    )
    files = {
        "build.sh": driver,
        "Dockerfile.build": build,
        "Dockerfile": runtime,
        "package.json": json.dumps({"name": name, "version": "1.0.0", "scripts": {"build": "vite build"}, "devDependencies": {"vite": "^5.0.0"}}, indent=2) + "\n",
        "package-lock.json": json.dumps({"name": name, "lockfileVersion": 3, "packages": {f"node_modules/dep{i}": {"version": f"1.{i}.0"} for i in range(rng.randrange(20, 120))}}, indent=2) + "\n",
        "src/index.html": "<!doctype html>\n<title>" + name + "</title>\n" + filler(rng, 800),
        "src/assets/app.js": "// app\n" + filler(rng, rng.randrange(2000, 8000), "// "),
        "src/assets/site.css": "body { margin: 0 }\n" * rng.randrange(20, 80),
        "node_modules/vite/package.json": '{"name": "vite"}\n',
        "node_modules/vite/bin/build.sh": "#!/bin/sh\ndocker build -t ignored .\n",
    }
    return files, "pending", ["build.sh"]


def form_functions_rename(rng: random.Random, name: str):
    build = "FROM golang:1.21 AS toolchain\nWORKDIR /src\nCOPY . .\nRUN go build -o /out/app .\n"
    runtime = "FROM gcr.io/distroless/static\nCOPY server /server\nCMD [\"/server\"]\n"
    driver = header(rng, name) + (
        'DIR="$(cd "$(dirname "$0")" && pwd)"\n'
        f"IMAGE=example/{name}\n\n"
        "build_image() {\n"
        '  docker build -f "$DIR/Dockerfile.build" -t "$IMAGE:build" "$DIR"\n'
        "}\n\n"
        "extract() {\n"
        f'  docker create --name {name}-x "$IMAGE:build"\n'
        f'  docker cp {name}-x:/out/app "$DIR/server"\n'
        f"  docker rm {name}-x\n"
        "}\n\n"
        'rm -f "$DIR/server"\n'
        "build_image\nextract\n"
        'docker build -t "$IMAGE:latest" "$DIR"\n'
        'rm -f "$DIR/server"\n'
    )
    files = {
        "build.sh": driver,
        "Dockerfile.build": build,
        "Dockerfile": runtime,
        "go.mod": f"module example.com/{name}\n\ngo 1.21\n",
        "main.go": go_source(rng, "main", rng.randrange(3000, 12000)),
        "docs/architecture.md": "# Architecture\n\n" + filler(rng, rng.randrange(2000, 6000)),
    }
    return files, "pending", ["build.sh"]


def form_build_args(rng: random.Random, name: str):
    build = "ARG GO_VERSION=1.21\nFROM golang:${GO_VERSION}\nARG VERSION\nWORKDIR /src\nCOPY . .\nRUN go build -ldflags \"-X main.version=${VERSION}\" -o /out/app .\n"
    runtime = "FROM alpine:3.19\nARG VERSION\nLABEL org.opencontainers.image.version=$VERSION\nCOPY app /usr/local/bin/app\nCMD [\"app\"]\n"
    driver = header(rng, name) + (
        'VERSION="${VERSION:-1.0.0}"\n'
        f'docker build --build-arg VERSION="$VERSION" -f Dockerfile.build -t {name}-builder .\n'
        f"docker create --name {name}-out {name}-builder\n"
        f"docker cp {name}-out:/out/app app\n"
        f"docker rm {name}-out\n"
        f'docker build --build-arg VERSION="$VERSION" -t example/{name}:"$VERSION" .\n'
        "rm app\n"
    )
    files = {
        "build.sh": driver,
        "Dockerfile.build": build,
        "Dockerfile": runtime,
        "go.mod": f"module example.com/{name}\n\ngo 1.21\n",
        "main.go": go_source(rng, "main", rng.randrange(2000, 8000)),
    }
    return files, "pending", ["build.sh"]


def form_run_cat(rng: random.Random, name: str):
    build = "FROM golang:1.21\nWORKDIR /src\nCOPY . .\nRUN CGO_ENABLED=0 go build -o /app .\n"
    runtime = "FROM alpine:3.19\nCOPY app /usr/local/bin/app\nCMD [\"app\"]\n"
    driver = header(rng, name) + (
        f"docker build -t {name}:build -f Dockerfile.build .\n"
        f"docker run --rm {name}:build cat /app > app\n"
        "chmod +x app\n"
        f"docker build -t {name}:latest .\n"
        "rm app\n"
    )
    files = {"build.sh": driver, "Dockerfile.build": build, "Dockerfile": runtime, "main.go": go_source(rng, "main", rng.randrange(2000, 6000))}
    return files, None, ["build.sh"]


def form_makefile(rng: random.Random, name: str):
    build = "FROM golang:1.21\nWORKDIR /src\nCOPY . .\nRUN go build -o /out/greeter .\n"
    runtime = "FROM alpine:3.19\nCOPY greeter /usr/local/bin/greeter\nCMD [\"greeter\"]\n"
    makefile = (
        f"# {name}: a build image compiles it, the runtime image ships it.\n"
        f"IMAGE ?= example/{name}\nBUILDER = $(IMAGE):build\nEXTRACT = {name}-extract\n\n"
        ".PHONY: all image\n\nall: image\n\n"
        "greeter:\n"
        "\tdocker build -f Dockerfile.build -t $(BUILDER) .\n"
        "\tdocker create --name $(EXTRACT) $(BUILDER)\n"
        "\tdocker cp $(EXTRACT):/out/greeter ./greeter\n"
        "\tdocker rm $(EXTRACT)\n\n"
        "image: greeter\n"
        "\tdocker build -t $(IMAGE):latest .\n"
        "\trm -f greeter\n"
    )
    files = {"Makefile": makefile, "Dockerfile.build": build, "Dockerfile": runtime, "main.go": go_source(rng, "main", rng.randrange(2000, 6000))}
    return files, None, ["Makefile"]


def form_refused_if(rng: random.Random, name: str):
    files, _, drivers = form_create_cp_file(rng, name)
    files["build.sh"] = files["build.sh"].replace(
        f"docker create --name extract-{name}", f'if [ -z "$SKIP" ]; then docker create --name extract-{name}'
    ).replace(f"docker rm -f extract-{name}\n", f"docker rm -f extract-{name}; fi\n")
    return files, "refused", drivers


def form_multistage(rng: random.Random, name: str):
    dockerfile = (
        "FROM golang:1.21 AS builder\nWORKDIR /src\nCOPY . .\nRUN go build -o /out/app .\n\n"
        "FROM alpine:3.19\nCOPY --from=builder /out/app /usr/local/bin/app\nCMD [\"app\"]\n"
    )
    driver = header(rng, name) + f"docker build -t example/{name}:latest .\n"
    files = {"build.sh": driver, "Dockerfile": dockerfile, "main.go": go_source(rng, "main", rng.randrange(2000, 8000))}
    return files, "nothing to do", ["build.sh"]


def form_no_docker(rng: random.Random, name: str):
    files = {
        "main.go": go_source(rng, "main", rng.randrange(2000, 10000)),
        "scripts/test.sh": "#!/bin/sh\nset -e\ngo vet ./...\ngo test ./...\n",
        "docs/usage.md": "# Usage\n\n" + filler(rng, 2000),
    }
    return files, None, []


def form_monorepo(rng: random.Random, name: str):
    files: dict[str, str] = {}
    drivers = []
    for index in range(rng.randrange(2, 4)):
        service = f"{name}-svc{index}"
        maker = rng.choice([form_create_cp_file, form_anonymous_directory, form_build_args])
        inner, _, inner_drivers = maker(rng, service)
        for path, text in inner.items():
            files[f"services/{service}/{path}"] = text
        drivers += [f"services/{service}/{d}" for d in inner_drivers]
    files["vendor/github.com/lib/build.sh"] = "#!/bin/sh\ndocker build -t vendored .\n"
    return files, "pending", drivers


FORMS = [
    (form_create_cp_file, 25),
    (lambda rng, name: form_create_cp_file(rng, name, long_form=True), 8),
    (form_anonymous_directory, 14),
    (form_functions_rename, 10),
    (form_build_args, 10),
    (form_run_cat, 4),
    (form_makefile, 8),
    (form_monorepo, 5),
    (form_refused_if, 6),
    (form_multistage, 5),
    (form_no_docker, 5),
]


def common_files(rng: random.Random, name: str) -> dict[str, str]:
    return {
        "README.md": f"# {name}\n\n" + filler(rng, rng.randrange(1500, 5000)),
        ".gitignore": "/bin/\n*.log\n.env\nnode_modules/\ncoverage/\n",
        ".github/workflows/ci.yml": f"name: ci\non: [push]\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: ./build.sh\n# {name}\n",
        "LICENSE": "MIT License\n\n" + filler(rng, 1000),
    }


def make_repository(arguments: tuple[Path, int, int]) -> dict:
    root, index, seed = arguments
    rng = random.Random(seed * 1_000_003 + index)
    name = f"app{index:05d}"
    form = rng.choices([f for f, _ in FORMS], weights=[w for _, w in FORMS])[0]
    files, _expected, drivers = form(rng, name)
    files = {**common_files(rng, name), **files}
    repository = root / name
    for path, text in files.items():
        target = repository / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        if path.endswith(".sh"):
            target.chmod(0o755)
    # An ignored build output that holds a driver-like script: the walk must not look inside.
    (repository / "bin").mkdir(exist_ok=True)
    (repository / "bin" / "release.sh").write_text("#!/bin/sh\ndocker build -t ignored .\n")
    environment = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(root)}
    subprocess.run(GIT + ["init", "-q", str(repository)], check=True, env=environment)
    subprocess.run(GIT + ["-C", str(repository), "add", "-A"], check=True, env=environment)
    subprocess.run(GIT + ["-C", str(repository), "commit", "-qm", "initial"], check=True, env=environment)
    projects = []
    for driver in drivers:
        directory = Path(driver).parent
        reads = [driver] + [str(directory / n) for n in ("Dockerfile.build", "Dockerfile") if (directory / n).as_posix() in files]
        projects.append({"driver": f"{name}/{driver}", "reads": [f"{name}/{r}" for r in reads]})
    return {"repository": name, "projects": projects}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path, help="Directory to create the organisation in (must not exist).")
    parser.add_argument("--repos", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    if args.output.exists():
        sys.exit(f"{args.output} exists; remove it or pick another directory")
    args.output.mkdir(parents=True)
    with ProcessPoolExecutor(args.jobs) as pool:
        repositories = list(pool.map(make_repository, [(args.output, i, args.seed) for i in range(args.repos)], chunksize=16))
    manifest = {"repositories": len(repositories), "projects": [p for r in repositories for p in r["projects"]]}
    (args.output / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"{args.output}: {len(repositories)} repositories, {len(manifest['projects'])} projects")


if __name__ == "__main__":
    main()
