"""A Makefile has goals besides the one dmigrate follows; what they need must stay.

Two things the migration takes away can be needed by a rule the followed goal
does not run (``make test``, the default goal under ``--target-rule``):

- the build image: a rule whose recipe names its tag still runs it, so its
  build is kept and built from its stage of the merged Dockerfile;
- the extracted files: a rule that makes a rule whose recipe extracted them,
  without making the runtime image, or whose own recipe names them, would find
  them gone.  That is refused.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable

from migrate.errors import Location, Refusal
from migrate.read.ops import DriverReading, MakeTarget, Mention, Site


def recipes_naming(driver: DriverReading, tags: Iterable[str]) -> list[Mention]:
    """The recipe lines of rules the goal does not make that name one of these image tags (``app:build``, or ``app`` for ``app:latest``)."""
    recipes = [mention for reading in (driver, *driver.parts) for mention in reading.mentions if mention.rule is not None]
    if not recipes:
        return []
    patterns = []
    for tag in tags:
        patterns.append(re.compile(r"(?<![\w./:-])" + re.escape(tag) + r"(?![\w.:-])"))
        if tag.endswith(":latest"):
            patterns.append(re.compile(r"(?<![\w./:-])" + re.escape(tag[: -len(":latest")]) + r"(?![\w.:-])"))
    return [mention for mention in recipes if any(pattern.search(mention.text) for pattern in patterns)]


def check_other_goals(driver: DriverReading, extracting: dict[Site, str], final_build: Site, removed: set[Site]) -> None:
    """Refuse a goal the followed one does not make that still needs what a removed extraction put on the host.

    ``extracting``: the site of each step that put an artifact on the host, with the artifact's absolute path.
    """
    targets = {target.name: target for target in driver.make_targets}
    if not targets:
        return
    changed: dict[str, tuple[Site, str]] = {}
    for target in targets.values():
        for site in target.steps:
            if site in removed and site in extracting:
                changed.setdefault(target.name, (site, posixpath.relpath(extracting[site], str(driver.start_dir))))
    if not changed:
        return
    final_targets = {target.name for target in targets.values() if final_build in target.steps}
    for target in targets.values():
        if target.made:
            continue
        needed = _made_for(target.name, targets)
        reached = [name for name in needed if name in changed]
        if not reached:
            continue
        site, artifact = changed[reached[0]]
        if not needed & final_targets:
            raise Refusal(
                Location(driver.path, target.line),
                f"`make {target.name}` makes {reached[0]}, whose recipe puts {artifact} on the host (line {site.line}); the migration "
                f"takes that step away, so `make {target.name}` would no longer make it; have {target.name} make the image instead, "
                "or move what it needs out of the migrated rules",
            )
        line = _recipe_naming(driver, needed, artifact)
        if line is not None:
            raise Refusal(
                Location(line.site.file, line.site.line),
                f"this recipe of {line.rule} reads {artifact}, which the migrated build no longer puts on the host; "
                "change it, or move what it needs out of the migrated rules",
            )


def _made_for(goal: str, targets: dict[str, MakeTarget]) -> set[str]:
    """Every target ``make GOAL`` makes: the goal and its prerequisites, all the way down."""
    seen: set[str] = set()
    pending = [goal]
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        target = targets.get(name)
        if target is not None:
            pending.extend(target.prerequisites)
    return seen


def _recipe_naming(driver: DriverReading, rules: set[str], artifact: str) -> Mention | None:
    pattern = re.compile(r"(?<![\w./-])(?:\./)?" + re.escape(artifact) + r"(?![\w.-])")
    for mention in driver.mentions:
        if mention.rule in rules and pattern.search(mention.text):
            return mention
    return None
