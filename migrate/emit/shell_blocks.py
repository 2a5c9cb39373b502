"""What bash's grammar says about the blocks a removal leaves: which bodies must not be empty, and which do nothing.

The shell emitter asks these of the tree-sitter tree of the driver it rewrites.
"""

from __future__ import annotations

import re

from migrate.read.shell import _statements, parse_bash

# Nodes whose statements make up a body; bash rejects most of them empty.
BODIES = ("compound_statement", "do_group", "if_statement", "elif_clause", "else_clause", "subshell")


def handler_statements(tree, inner: tuple[int, int]):
    """The statements of a trap handler's code, in the block the ``trap`` stood in."""
    node = tree.root_node.descendant_for_byte_range(*inner)
    while node is not None and not any(inside((c.start_byte, c.end_byte), inner) for c in node.named_children):
        node = node.parent
    while node is not None and node.type not in ("program", *BODIES, "case_item"):
        node = node.parent
    if node is None:
        return
    for child, span in _statements(node.children):
        if inside((child.start_byte, child.end_byte), inner):
            yield span


def statement_node(tree, start: int):
    node = tree.root_node.descendant_for_byte_range(start, start + 1)
    while node is not None and node.parent is not None and node.parent.type not in ("program", *BODIES, "case_item"):
        node = node.parent
    return node if node is not None and node.start_byte == start and node.parent is not None else None


def body_of(node) -> list | None:
    """The statements of the body ``node`` stands in, when that body must not be empty."""
    siblings = statements_of(node.parent)
    return siblings if siblings and any(sibling.start_byte == node.start_byte for sibling in siblings) else None


def statements_of(node) -> list | None:
    """The statements of a body bash rejects empty (an ``if``'s: of its own branch); None for other nodes."""
    if node.type in ("if_statement", "elif_clause"):
        body, after_then = [], False
        for child in node.children:
            if child.type == "then":
                after_then = True
            elif child.type in ("elif_clause", "else_clause", "fi"):
                break
            elif after_then and child.is_named and child.type != "comment":
                body.append(child)
        return body
    if node.type not in ("compound_statement", "do_group", "else_clause", "subshell"):
        return None
    if node.type == "compound_statement" and node.children and node.children[0].type == "((":
        return None
    return [child for child in node.named_children if child.type != "comment"]


def idle_compound(body, source: bytes):
    """The statement of the loop, group or subshell whose body ``body`` is, when it does nothing but run that body.

    A ``for`` over words that run no command and whose variable nothing else
    reads, a ``{ }`` group or a ``( )`` subshell, with redirections only to
    ``/dev/null`` or between descriptors.  A ``while`` runs its condition and
    an ``if`` its test, so they keep ``:``; so does a compound that is part of
    a pipeline or an ``&&`` list, or a function's body.
    """
    owner = body
    if body.type == "do_group":
        owner = body.parent
        if owner is None or owner.type != "for_statement" or owner.children[0].type != "for":
            return None
        variable = owner.child_by_field_name("variable")
        if variable is None or not all(_idle_words(value, source) for value in owner.children_by_field_name("value")):
            return None
        if _read_outside(variable.text, (owner.start_byte, owner.end_byte), source):
            return None
    elif body.type not in ("compound_statement", "subshell") or body.children[0].type == "((":
        return None
    statement = owner
    if owner.parent is not None and owner.parent.type == "redirected_statement":
        statement = owner.parent
        if not all(_idle_redirect(redirect) for redirect in statement.children_by_field_name("redirect")):
            return None
    if statement.parent is None or statement.parent.type not in ("program", *BODIES, "case_item"):
        return None
    return statement


_NOUNSET = re.compile(rb"(?:^|[\s;&|(])set\s+(?:(?:[-+][A-Za-z]+|[-+]o\s+\w+)\s+)*(?:-[A-Za-z]*u|-o\s+nounset)|^#!.*\s-[A-Za-z]*u", re.M)
_ASSIGNS_OR_FAILS = re.compile(rb"^\$\{!?[A-Za-z_0-9]\w*(?:\[[^]]*\])?:?[=?]")
"""``${NAME:=word}`` assigns, ``${NAME:?word}`` may stop the script."""
_EXPANDED_NAME = re.compile(rb"^\$\{?[#!]?([A-Za-z_]\w*|[0-9@*#?$!-])")
_DEFAULTED = re.compile(rb"^\$\{[A-Za-z_]\w*(?:\[[^]]*\])?:?[-+]")


def _idle_words(node, source: bytes) -> bool:
    """Whether expanding a ``for`` loop's word runs nothing and changes nothing, so skipping it changes nothing."""
    for part in walk(node):
        if part.type in ("command_substitution", "process_substitution", "arithmetic_expansion"):
            return False
        if part.type == "expansion" and _ASSIGNS_OR_FAILS.match(part.text):
            return False
        if part.type in ("simple_expansion", "expansion") and not _defined_here(part, source):
            return False
    return True


def _defined_here(expansion, source: bytes) -> bool:
    """Under ``set -u`` an unset variable stops the script: one the script never assigns may be unset."""
    if not _NOUNSET.search(source) or _DEFAULTED.match(expansion.text):
        return True
    named = _EXPANDED_NAME.match(expansion.text)
    if named is None or named.group(1) in (b"@", b"*", b"#", b"?", b"$", b"!", b"-", b"0"):
        return named is not None
    name = named.group(1)
    return re.search(rb"(?:^|[\s;&|(])(?:(?:export|readonly|local|declare|typeset)\s+(?:-\w+\s+)*)?" + re.escape(name) + rb"\+?=", source, re.M) is not None


def _read_outside(name: bytes, span: tuple[int, int], source: bytes) -> bool:
    """Whether the script may use the variable ``name`` outside ``span``: the loop leaves its last word in it.

    Any word ``name`` counts (``$b``, ``(( b > 1 ))``, ``export b``), not only an expansion.
    """
    mention = re.compile(rb"(?<![\w./-])" + re.escape(name) + rb"(?![\w./-])")
    return any(not span[0] <= match.start() < span[1] for match in mention.finditer(source))


def _idle_redirect(node) -> bool:
    """A redirection that creates, reads or truncates no file: to ``/dev/null``, or a descriptor copied or closed."""
    if node.type != "file_redirect":
        return False
    destination = node.child_by_field_name("destination")
    if destination is None:
        return False
    if destination.text == b"/dev/null":
        return True
    operator = next((child.type for child in node.children if not child.is_named), "")
    return operator in (">&", "<&") and (destination.text.isdigit() or destination.text == b"-")


def has_empty_body(text: bytes) -> bool:
    """An empty function, loop or ``if`` body: tree-sitter accepts it, bash does not."""
    return any(statements_of(node) == [] for node in walk(parse_bash(text).root_node))


def walk(node):
    """``node`` and all below it, in source order (a tree cursor makes no list of children at every node)."""
    cursor = node.walk()
    while True:
        yield cursor.node
        if cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return


def inside(span: tuple[int, int], outer: tuple[int, int]) -> bool:
    return outer[0] <= span[0] and span[1] <= outer[1]
