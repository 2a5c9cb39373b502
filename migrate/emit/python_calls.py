"""Edit one call of a Python driver: the final build's new build args, a retargeted build.

A build arg is written in the form of the call it joins: list elements of
a ``subprocess`` argv, an entry of the SDK's ``buildargs=``, or words of a
shell string; its value as the Python expression the builder's call used,
or as the value it is known to have.  Trace decided that each can be
written (:mod:`migrate.trace.writable`); what cannot be found again stops
the emitter with an :class:`~migrate.emit.failure.EmitFailure`.
"""

from __future__ import annotations

import ast
import json
import posixpath
import re
import shlex

from migrate.plan import AddBuildArgs, BuildArgValue, RetargetBuild
from migrate.read.ops import Build

_SIMPLE_EXPRESSION = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
_BUILD_IN_STRING = re.compile(r"\bdocker\s+(?:image\s+|buildx\s+|builder\s+)?build\b")


def edit_call(emitter, edit: AddBuildArgs | RetargetBuild, call):
    """``call`` (a libcst node) with ``edit`` applied; ``emitter`` is the Python emitter, which knows the driver."""
    anchor = edit.site.anchor
    if anchor.form == "sdk":
        return _edit_sdk_build(emitter, edit, call)
    if anchor.form == "shell":
        return _edit_shell_string(emitter, edit, call)
    return _edit_argv(emitter, edit, call)


def _literal(node) -> str | None:
    import libcst as cst

    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def _elements_holder(emitter, edit: AddBuildArgs | RetargetBuild, call):
    """The node whose items are the command's words, and how to put items back: the call's args, or a list."""
    import libcst as cst

    positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
    if any(_literal(arg.value) == "build" for arg in positional):
        return "args", list(call.args)
    first = call.args[0].value if call.args else None
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "args":
            first = arg.value
    if isinstance(first, (cst.List, cst.Tuple)):
        return "list", list(first.elements)
    raise emitter.fail(edit.site.line, "the docker build's words are not written out at this call; dmigrate cannot add to them")


def _put_back(call, kind: str, items):
    if kind == "args":
        return call.with_changes(args=items)
    index = 0
    for position, arg in enumerate(call.args):
        if arg.keyword is not None and arg.keyword.value == "args":
            index = position
    holder = call.args[index].value
    return call.with_changes(args=[*call.args[:index], call.args[index].with_changes(value=holder.with_changes(elements=items)), *call.args[index + 1 :]])


def _new_items(kind: str, source: str, after=None):
    """Items to insert after ``after``, separated the way ``after`` is from the item that follows it."""
    import libcst as cst

    parsed = cst.parse_expression(f"f({source})" if kind == "args" else f"[{source}]")
    items = list(parsed.args if kind == "args" else parsed.elements)
    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    if after is not None and isinstance(after.comma, cst.Comma):
        comma = after.comma
    return [item.with_changes(comma=comma) for item in items]


def _edit_argv(emitter, edit: AddBuildArgs | RetargetBuild, call):
    kind, items = _elements_holder(emitter, edit, call)
    values = [_literal(item.value) for item in items]
    if "build" not in values:
        raise emitter.fail(edit.site.line, "cannot find the `build` word of this docker command to extend it")
    after = values.index("build") + 1
    if isinstance(edit, AddBuildArgs):
        source = ", ".join(emitter.readable_at(argv_elements(arg), arg, edit.site) for arg in edit.args)
        new = _new_items(kind, source, items[after - 1])
        return _put_back(call, kind, items[:after] + new + items[after:])
    dockerfile, target = edit.dockerfile, edit.stage
    replaced = False
    for index, value in enumerate(values):
        if value in ("-f", "--file") and index + 1 < len(items):
            items[index + 1] = items[index + 1].with_changes(value=_string(dockerfile))
            replaced = True
        elif value is not None and value.startswith(("-f=", "--file=")):
            items[index] = items[index].with_changes(value=_string(value.split("=", 1)[0] + "=" + dockerfile))
            replaced = True
    source = f'"--target", {json.dumps(target)}' + ("" if replaced else f', "-f", {json.dumps(dockerfile)}')
    return _put_back(call, kind, items[:after] + _new_items(kind, source, items[after - 1]) + items[after:])


def _string(text: str):
    import libcst as cst

    return cst.SimpleString(json.dumps(text))


def _edit_sdk_build(emitter, edit: AddBuildArgs | RetargetBuild, call):
    import libcst as cst

    line = edit.site.line
    args = list(call.args)
    keywords = {arg.keyword.value: index for index, arg in enumerate(args) if arg.keyword is not None}
    if isinstance(edit, AddBuildArgs):
        entries = [emitter.readable_at(dict_entry(arg), arg, edit.site) for arg in edit.args]
        if "buildargs" in keywords:
            index = keywords["buildargs"]
            current = args[index].value
            if not isinstance(current, cst.Dict):
                raise emitter.fail(line, "buildargs= is not written as a dict here; dmigrate cannot add to it")
            parsed = cst.parse_expression("{" + ", ".join(entries) + "}")
            elements = list(current.elements)
            if elements:
                last = elements[-1]
                if not isinstance(last.comma, cst.Comma):
                    elements[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
            new = [element.with_changes(comma=cst.MaybeSentinel.DEFAULT) for element in parsed.elements]
            args[index] = args[index].with_changes(value=current.with_changes(elements=elements + new))
        else:
            value = cst.parse_expression("{" + ", ".join(entries) + "}")
            args = _add_keyword(args, "buildargs", value)
        return call.with_changes(args=args)
    dockerfile, target = edit.dockerfile, edit.stage
    build = next((op for op in emitter.driver.operations if isinstance(op, Build) and op.site == edit.site), None)
    if build is None or not build.cwd.known or not build.context.known:
        raise emitter.fail(line, "cannot tell where this SDK build's context is to point it at the merged Dockerfile")
    # The SDK reads dockerfile= inside the context; the plan gives it from the working directory.
    context = posixpath.normpath(posixpath.join(build.cwd.key, build.context.key))
    dockerfile = posixpath.relpath(posixpath.normpath(posixpath.join(build.cwd.key, dockerfile)), context)
    for name, value in (("dockerfile", _string(dockerfile)), ("target", _string(target))):
        if name in keywords:
            args[keywords[name]] = args[keywords[name]].with_changes(value=value)
        else:
            args = _add_keyword(args, name, value)
    return call.with_changes(args=args)


def _add_keyword(args, name: str, value):
    import libcst as cst

    new = cst.Arg(value=value, keyword=cst.Name(name), equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")))
    if args:
        last = args[-1]
        if isinstance(last.comma, cst.Comma):
            return [*args, new.with_changes(comma=last.comma)]
        return [*args[:-1], last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))), new]
    return [new]


def _edit_shell_string(emitter, edit: AddBuildArgs | RetargetBuild, call):
    import libcst as cst

    line = edit.site.line
    if not isinstance(edit, AddBuildArgs):
        raise emitter.fail(line, "the build image is still used; dmigrate cannot yet retarget a build written as a shell string")
    words = " " + " ".join(shell_words(arg) for arg in edit.args)
    node = call.args[0].value if call.args else None
    if isinstance(node, cst.SimpleString):
        texts = [node.value]
    elif isinstance(node, cst.FormattedString):
        texts = [part.value for part in node.parts if isinstance(part, cst.FormattedStringText)]
    else:
        texts = []
    found = sum(len(_BUILD_IN_STRING.findall(text)) for text in texts)
    if found != 1:
        what = "more than one `docker build`" if found else "no `docker build` dmigrate can find"
        raise emitter.fail(line, f"this string holds {what}; dmigrate cannot tell where to add the build args")
    literal = node.value if isinstance(node, cst.SimpleString) else node.start + node.end
    escaped = _escape_for(literal, words)
    if escaped is None:
        raise emitter.fail(line, "the build args would need quotes or backslashes this raw string cannot hold")
    if isinstance(node, cst.SimpleString):
        match = _BUILD_IN_STRING.search(node.value)
        new = cst.SimpleString(node.value[: match.end()] + escaped + node.value[match.end() :])
    else:
        parts = list(node.parts)
        for index, part in enumerate(parts):
            match = _BUILD_IN_STRING.search(part.value) if isinstance(part, cst.FormattedStringText) else None
            if match:
                escaped = escaped.replace("{", "{{").replace("}", "}}")
                parts[index] = part.with_changes(value=part.value[: match.end()] + escaped + part.value[match.end() :])
        new = node.with_changes(parts=parts)
    return call.with_changes(args=[call.args[0].with_changes(value=new), *call.args[1:]])


def _escape_for(literal: str, text: str) -> str | None:
    """``text`` written inside the Python string literal ``literal`` so that it evaluates to itself; None when it cannot be."""
    prefix = literal[: len(literal) - len(literal.lstrip("rRbBuUfF"))].lower()
    body = literal[len(prefix) :]
    quote = body[:3] if body[:3] in ('"""', "'''") else body[:1]
    if "r" in prefix:
        return None if "\\" in text or quote[0] in text else text
    return text.replace("\\", "\\\\").replace(quote[0], "\\" + quote[0])


# -- build args in the call's own form ----------------------------------------------------------------


def argv_elements(arg: BuildArgValue) -> str:
    """``arg`` as elements of a ``subprocess`` argv list."""
    form = arg.origin.anchor.form
    if form == "argv" and arg.written is not None:
        return arg.written
    if arg.value is None:
        return f'"--build-arg", {json.dumps(arg.name)}'
    if form == "shell":
        return f'"--build-arg", {json.dumps(f"{arg.name}={known_value(arg)}")}'
    return f'"--build-arg", {prefixed(arg.name, arg.value.text)}'


def dict_entry(arg: BuildArgValue) -> str:
    """``arg`` as an entry of the SDK's ``buildargs=`` dict."""
    form = arg.origin.anchor.form
    if form == "sdk" and arg.written is not None:
        return arg.written
    if form in ("shell", "argv") or arg.value is None:
        return f"{json.dumps(arg.name)}: {json.dumps(known_value(arg))}"
    return f"{json.dumps(arg.name)}: {arg.value.text}"


def shell_words(arg: BuildArgValue) -> str:
    """``arg`` as words of a shell string."""
    if arg.origin.anchor.form == "shell" and arg.written is not None:
        return arg.written
    if arg.value is None:
        return f"--build-arg {shlex.quote(arg.name)}"
    return f"--build-arg {shlex.quote(f'{arg.name}={known_value(arg)}')}"


def known_value(arg: BuildArgValue) -> str:
    if arg.value is None or arg.value.value is None:
        from migrate.emit.failure import EmitFailure

        raise EmitFailure.at(arg.origin.file, arg.origin.line, f"the plan carries the build arg {arg.name}, whose value is not known, as a literal")
    return arg.value.value


def prefixed(name: str, expression: str) -> str:
    """``NAME=`` followed by the value of ``expression``, as one Python string expression."""
    try:
        tree = ast.parse(expression, mode="eval").body
    except SyntaxError:
        tree = None
    if isinstance(tree, ast.Constant) and isinstance(tree.value, str):
        return json.dumps(f"{name}={tree.value}")
    if isinstance(tree, ast.JoinedStr):
        return ast.unparse(ast.JoinedStr(values=[ast.Constant(f"{name}=")] + tree.values))
    if _SIMPLE_EXPRESSION.match(expression):
        return f'f"{name}={{{expression}}}"'
    return f'"{name}=" + str({expression})'
