"""One flow of a verification: run the driver in its copy, then see what it built, left, intercepted and refused."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from migrate.verify.build_cache import build_cache_records, count_build_steps
from migrate.verify.engine import Engine
from migrate.verify.engine_gate import EngineGate, GateRequest
from migrate.verify.flow_process import FlowSandbox, run_flow
from migrate.verify.interceptor import REFUSED as REFUSED_BY_INTERCEPTOR
from migrate.verify.interrupts import Interrupted
from migrate.verify.leftovers import LeftContainer, LeftImage, Leftovers, container_ids, host_leftovers, image_size, new_containers, tree_state
from migrate.verify.result import ERROR, FlowRun, VerifyStop
from migrate.verify.snapshot import ImageSnapshot, snapshot_image
from migrate.verify.tag_guard import VERIFY_REPOSITORY, TagGuard
from migrate.verify.touches import DriverTouches


class FlowRunner:
    """Runs the flows of one verification, one after the other, on one engine, through one gate."""

    def __init__(
        self,
        engine: Engine,
        environ: Mapping[str, str],
        scratch: Path,
        gate: EngineGate,
        guard: TagGuard,
        touches: DriverTouches,
        *,
        timeout: float | None,
        keep_images: bool,
        progress: Callable[[str], None],
        cleanup: list[str],
    ) -> None:
        self.engine = engine
        self.environ = environ
        self.scratch = scratch
        self.gate = gate
        self.guard = guard
        self.touches = touches
        self.timeout = timeout
        self.keep_images = keep_images
        self.progress = progress
        self.cleanup = cleanup
        self.kept: dict[str, tuple[str, str]] = {}
        self.last_flow: str | None = None

    def run(self, label: str, argv: Sequence[str], cwd: Path, root: Path, details: dict) -> tuple[FlowRun, Leftovers, ImageSnapshot]:
        """Run one flow; raise :class:`VerifyStop` (with what is known of the run) when it cannot be compared."""
        self.progress(f"running the {label} flow: {' '.join(argv)}")
        self.last_flow = label
        sandbox = FlowSandbox.make(self.scratch / f"docker-{label}", self.environ, self.engine.client, self.gate.address)
        files_before = tree_state(root)
        containers_before = container_ids(self.engine)
        cache_before = build_cache_records(self.engine)
        started = time.perf_counter()
        try:
            finished = run_flow(argv, cwd, sandbox.environment(self.environ, cwd), self.timeout)
        except OSError as error:
            raise VerifyStop(ERROR, f"cannot run the {label} flow `{' '.join(argv)}`: {error.strerror}", **details) from None
        except Interrupted:
            self.cleanup.append(f"stopped the {label} flow: its process group is gone")
            self._remove_containers(label, containers_before)
            raise
        seconds = time.perf_counter() - started
        output = finished.output + (f"\n(stopped after {self.timeout:g} s)" if finished.timed_out else "")
        built = self.guard.present()
        requests = self.gate.take_requests()
        run = FlowRun(
            label, tuple(argv), seconds, finished.returncode, output, built.get(self.touches.final_image),
            intercepted=sandbox.intercepted(), steps=count_build_steps(output), cache_records_before=cache_before,
            direct_requests=len(requests),
        )  # fmt: skip
        containers = self._remove_containers(label, containers_before)
        if run.image_id is not None and self.keep_images:
            ref = self._kept_ref(label)
            self.engine.run(["tag", run.image_id, ref])
            self.kept[label] = (ref, run.image_id)
        with_run = {**details, label: run}
        self._check_refusals(run, requests, with_run)
        if run.returncode != 0:
            raise VerifyStop(ERROR, f"the {label} flow `{run.command}` failed with exit status {run.returncode}{_tail(run)}", **with_run)
        if run.image_id is None:
            raise VerifyStop(ERROR, f"the {label} flow `{run.command}` exited with status 0 but did not tag {self.touches.final_image}{_tail(run)}", **with_run)
        images = tuple(LeftImage(tag, image_id, image_size(self.engine, image_id)) for tag, image_id in built.items() if tag != self.touches.final_image)
        leftovers = Leftovers(images, containers, host_leftovers(files_before, tree_state(root)))
        self.progress(f"snapshotting the {label} image")
        return run, leftovers, snapshot_image(run.image_id, self.engine)

    def _check_refusals(self, run: FlowRun, requests: Sequence[GateRequest], details: dict) -> None:
        refused = [command for command in run.intercepted if command.action == REFUSED_BY_INTERCEPTOR]
        if refused:
            raise VerifyStop(
                ERROR,
                f"the {run.label} flow ran `{refused[0].command}`, which --verify refused: {refused[0].reason}; "
                "--verify runs docker only against the engine it guards, and leaves your docker configuration as it is",
                **details,
            )
        blocked = [request for request in requests if request.refused is not None]
        if blocked:
            first = blocked[0]
            raise VerifyStop(
                ERROR,
                f"the {run.label} flow reached the Docker engine without the `docker` on PATH ({first.method} {first.path}), "
                f"which --verify refused: {first.refused}. --verify can intercept only the `docker` it puts first on PATH; "
                "run docker by its name, not by its path or through the Docker SDK, for what publishes",
                **details,
            )

    def _remove_containers(self, label: str, before: frozenset[str]) -> tuple[LeftContainer, ...]:
        containers = new_containers(self.engine, before, self.guard.present().values(), self.touches.container_names)
        for container in containers:
            removed = self.engine.run(["rm", "--force", "--volumes", container.container_id], check=False).returncode == 0
            verb = "removed" if removed else "could not remove"
            self.cleanup.append(f"{verb} container {container.name} ({container.state}), which the {label} flow left")
        return containers

    def _kept_ref(self, label: str) -> str:
        repository = self.touches.final_image.rsplit("@", 1)[0].rsplit(":", 1)[0].rsplit("/", 1)[-1]
        name = re.sub(r"[^a-z0-9._-]+", "-", repository.lower()).strip("._-") or "image"
        return f"{VERIFY_REPOSITORY}/{name}:{label}"


def _tail(run: FlowRun) -> str:
    tail = run.output_tail()
    return f"; its output ends with:\n{tail}" if tail else "; it printed nothing"
