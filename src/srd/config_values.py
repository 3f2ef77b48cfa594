"""Config values cast to the type of the setting they override, refusing what a plain cast would silently mangle."""

from __future__ import annotations

from typing import Any


def typed(section: str, key: str, value: Any, kind: type) -> Any:
    """`value` as `kind` (the preset's type): 2.7 is no int, "false" no bool, 5 no str; a tuple takes a list of ints.

    The workflow's JSON schema already checks types; this guards the Python API and names `section.key`.
    """
    try:
        if kind is bool or kind is str:
            if not isinstance(value, kind):
                raise ValueError
            return value
        if kind is int:
            number = float(value)
            if isinstance(value, bool) or not number.is_integer():
                raise ValueError
            return int(number)
        if kind is tuple:
            return tuple(typed(section, key, v, int) for v in value)
        return kind(value)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{section}.{key}={value!r} is not a valid {kind.__name__}") from err
