"""Text for a terminal: names and messages from a repository shown as text, never as terminal commands.

A file name (or a quoted line of a file) can hold escape sequences that
would recolour, retitle or rewrite the user's terminal, newlines that would
forge lines of the report, right-to-left overrides that would show it out of
order, and bytes that are no UTF-8 at all.  Text output passes each such
piece through :func:`printable`; JSON and SARIF escape them by themselves.
"""

from __future__ import annotations

import unicodedata

_NAMED = {"\n": "\\n", "\r": "\\r", "\x1b": "\\e"}


def printable(text: str) -> str:
    """``text`` with every control, format and undecodable character written as an escape (``\\e``, ``\\x07``, ``\\u202e``)."""
    if text.isprintable():
        return text
    out = []
    for char in text:
        if char == "\t" or char == " ":
            out.append(char)
        elif char in _NAMED:
            out.append(_NAMED[char])
        elif 0xDC80 <= ord(char) <= 0xDCFF:  # a byte that was no UTF-8, kept by surrogateescape
            out.append(f"\\x{ord(char) - 0xDC00:02x}")
        elif unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            out.append(f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return "".join(out)
