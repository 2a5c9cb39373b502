"""Hold the user's images under the names both flows tag, and put every name back afterwards."""

from __future__ import annotations

from collections.abc import Sequence

from migrate.verify.engine import Engine, EngineError, first_line

VERIFY_REPOSITORY = "dmigrate-verify"
HELD_REPOSITORY = f"{VERIFY_REPOSITORY}/held"

class TagGuard:
    """Hold the user's images under the flows' tags, clear the tags for each flow, put them back after.

    Every flow starts with none of its tags present, so what it built is
    exactly what carries them afterwards, and both flows start alike.  The
    user's images stay alive meanwhile under a ``dmigrate-verify/held`` tag.
    """

    def __init__(self, engine: Engine, tags: Sequence[str], token: str) -> None:
        self.engine = engine
        self.tags = tuple(tags)
        self.token = token
        self.before: dict[str, str | None] = {}
        self.held: dict[str, str] = {}

    def image_id(self, ref: str) -> str | None:
        done = self.engine.run(["image", "inspect", "--format", "{{.Id}}", ref], check=False)
        found = done.stdout.decode().strip()
        return found if done.returncode == 0 and found else None

    def present(self) -> dict[str, str]:
        """The flows' tags that exist now: tag → image id."""
        found = {}
        for tag in self.tags:
            image_id = self.image_id(tag)
            if image_id is not None:
                found[tag] = image_id
        return found

    def hold(self) -> None:
        for index, tag in enumerate(self.tags):
            found = self.image_id(tag)
            if found is not None:
                holding = f"{HELD_REPOSITORY}:{self.token}-{index}"
                self.engine.run(["tag", found, holding])
                self.held[tag] = holding
            # Recorded once held: should holding a later tag fail, restore() leaves that one alone.
            self.before[tag] = found

    def clear(self, actions: list[str], made_by: str | None) -> None:
        """Untag every flow tag, so that the next flow starts without them; the images the user had stay held.

        Raises when a tag stays: what the next flow builds could not be told
        from what was there.
        """
        for tag, image_id in self.present().items():
            reason = self._untag(tag)
            if made_by is not None:
                actions.append(self._untagged(tag, image_id, made_by, reason))
            if reason is not None and self.image_id(tag) is not None:
                raise EngineError(f"could not remove the tag {tag} before a flow runs: {reason}")

    def restore(self, actions: list[str], made_by: str | None) -> None:
        """Put every tag held back as it was before; say what was done.

        Each tag is tried whatever happened to the others, so this never
        raises for one of them: what cannot be done is said instead.
        """
        unrestored = self._restore_once(actions, made_by)
        for tag, holding in self.held.items():
            if tag not in unrestored:
                self.engine.run(["image", "rm", holding], check=False)

    def _restore_once(self, actions: list[str], made_by: str | None) -> set[str]:
        """Remove what the flows tagged, put the user's images back; the tags that could not be put back."""
        unrestored: set[str] = set()
        for tag, original in self.before.items():
            try:
                self._remove_built(tag, original, actions, made_by)
            except EngineError as error:
                actions.append(self._not_restored(tag, error))
        for tag, original in self.before.items():
            try:
                if not self._put_back(tag, original, actions):
                    unrestored.add(tag)
            except EngineError as error:
                actions.append(self._not_restored(tag, error))
                unrestored.add(tag)
        return unrestored

    def _not_restored(self, tag: str, error: EngineError) -> str:
        kept = f" (your image is kept as {self.held[tag]})" if tag in self.held else ""
        return f"could not restore {tag}{kept}: {error}"

    def _remove_built(self, tag: str, original: str | None, actions: list[str], made_by: str | None) -> None:
        current = self.image_id(tag)
        if current is not None and current != original:
            actions.append(self._untagged(tag, current, made_by, self._untag(tag)))

    def _put_back(self, tag: str, original: str | None, actions: list[str]) -> bool:
        """Whether ``tag`` names the user's image again (or nothing, as before)."""
        if original is None or self.image_id(tag) == original:
            return True
        done = self.engine.run(["tag", self.held[tag], tag], check=False)
        if done.returncode == 0:
            actions.append(f"restored {tag} to your image {short_id(original)}")
            return True
        reason = first_line(done.stderr.decode(errors="replace"))
        actions.append(f"could not restore {tag} to your image {short_id(original)} (kept as {self.held[tag]}): {reason}")
        return False

    def _untag(self, tag: str) -> str | None:
        """Remove ``tag``; why it failed, or None."""
        done = self.engine.run(["image", "rm", tag], check=False)
        return None if done.returncode == 0 else first_line(done.stderr.decode(errors="replace"))

    @staticmethod
    def _untagged(tag: str, image_id: str, made_by: str | None, reason: str | None) -> str:
        built = f", which the {made_by} flow built" if made_by else ""
        if reason is None:
            return f"removed {tag} ({short_id(image_id)}){built}"
        return f"could not remove {tag} ({short_id(image_id)}){built}: {reason}"


def short_id(image_id: str) -> str:
    return image_id.removeprefix("sha256:")[:12]
