"""The strings of a Python driver, and which steps take each one away with them.

The tracer asks whether code that stays still names a file the migration
deletes (``hashlib.sha256(open("Dockerfile.build", "rb").read())``, a ``lint``
function nobody calls here).  A string leaves the driver with the statement
that runs a step when that step goes, and with a module-level function whose
every use goes: the emitter drops such an orphan.  Anything else stays.
"""

from __future__ import annotations

from pathlib import Path

from migrate.read.ops import Mention, Operation, Site

_MOST_ALTERNATIVES = 32
"""Beyond this many ways for a string to go, it is taken to stay: the answer only errs towards a refusal."""
_DEEPEST_ORPHANS = 4
"""The emitter drops orphans in a few rounds; a longer chain of helpers is taken to stay."""

Alternatives = tuple[frozenset[Site], ...]


def python_mentions(path: Path, module, positions: dict, operations: list[Operation]) -> tuple[Mention, ...]:
    import libcst as cst

    steps: dict[tuple, set[Site]] = {}
    for operation in operations:
        anchor = operation.site.anchor
        statement = getattr(anchor, "statement", None)
        if statement is None:
            continue
        for place in (statement, *getattr(anchor, "extra", ())):
            steps.setdefault(place, set()).add(operation.site)

    strings: list[tuple[str, int, tuple]] = []
    uses: dict[str, list[tuple]] = {}
    functions: dict[str, object] = {}

    class Walker(cst.CSTVisitor):
        def __init__(self) -> None:
            super().__init__()
            self.stack: list = []

        def on_visit(self, node) -> bool:
            if isinstance(node, cst.FunctionDef) and not any(isinstance(n, (cst.FunctionDef, cst.ClassDef)) for n in self.stack):
                functions.setdefault(node.name.value, node)
            elif isinstance(node, cst.Name) and not (self.stack and isinstance(self.stack[-1], cst.FunctionDef) and self.stack[-1].name is node):
                uses.setdefault(node.value, []).append(tuple(self.stack))
            elif isinstance(node, cst.SimpleString):
                value = node.evaluated_value
                if isinstance(value, str):
                    strings.append((value, positions.get(node, (0,))[0], tuple(self.stack)))
            elif isinstance(node, cst.FormattedStringText):
                strings.append((node.value, positions.get(node, (0,))[0], tuple(self.stack)))
            self.stack.append(node)
            return True

        def on_leave(self, original_node) -> None:
            self.stack.pop()

    module.visit(Walker())
    judge = _Judge(cst, steps, positions, uses, functions)
    return tuple(Mention(Site(path, line, None), text, goes_with=judge.ways(ancestors, 0)) for text, line, ancestors in strings)


class _Judge:
    def __init__(self, cst, steps, positions, uses, functions) -> None:
        self.cst = cst
        self.steps = steps
        self.positions = positions
        self.uses = uses
        self.functions = functions
        self.orphaning: dict[str, Alternatives] = {}

    def ways(self, ancestors: tuple, depth: int) -> Alternatives:
        """The sets of steps whose going takes a node with these ancestors along."""
        found: list[frozenset[Site]] = []
        outermost = None
        for node in ancestors:
            sites = self.steps.get(self.positions.get(node))
            if sites:
                found.append(frozenset(sites))
            if outermost is None and isinstance(node, self.cst.FunctionDef):
                outermost = node
            if isinstance(node, self.cst.ClassDef) and outermost is None:
                outermost = False
        if outermost:
            found.extend(self._orphaned(outermost.name.value, depth))
        return tuple(dict.fromkeys(found))[:_MOST_ALTERNATIVES]

    def _orphaned(self, name: str, depth: int) -> Alternatives:
        """How a module-level function goes as an orphan: every one of its uses goes."""
        if name in self.orphaning:
            return self.orphaning[name]
        self.orphaning[name] = ()  # a use inside itself goes only with a step around it
        uses = self.uses.get(name, [])
        if not uses or depth >= _DEEPEST_ORPHANS or self.functions.get(name) is None:
            return ()
        combined: list[frozenset[Site]] = [frozenset()]
        for ancestors in uses:
            ways = self.ways(ancestors, depth + 1)
            if not ways:
                return ()
            combined = list(dict.fromkeys(a | b for a in combined for b in ways))
            if len(combined) > _MOST_ALTERNATIVES:
                return ()
        result = tuple(combined)
        self.orphaning[name] = result
        return result
