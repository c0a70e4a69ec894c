"""Single-line text: names, numbers and addresses carry no line breaks or control characters.

Such values end up in plain-text emails, SMS and `.ics` lines, where a line break in a name
starts a new line that can pass for a header or a sentence of ours. So the forms refuse them
(with a message, changing nothing) instead of silently stripping them.
"""

from __future__ import annotations

import re

# C0 and C1 controls (tab, CR and LF among them), DEL, and the Unicode line/paragraph separators.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def is_single_line(value: str) -> bool:
    return CONTROL.search(value) is None


def offending_fields(values, *, exempt: tuple[str, ...] = ()) -> list[str]:
    """The names of the form fields (all but `exempt`) whose value is not a single line."""
    return [
        name
        for name in values
        if name not in exempt and not all(is_single_line(v) for v in values.getlist(name))
    ]
