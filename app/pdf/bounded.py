"""Template rendering bounded in time and size, for templates people write in the console.

Jinja's sandbox keeps a template from reaching Python's insides, not from burning the
CPU or the memory: nested ``range(100000)`` loops, ``'a' * 10**8`` or ``'x'.ljust(10**9)``
are all allowed by it. Here:

- ``range`` yields at most ``MAX_ITEMS`` numbers; ``*`` and ``**`` refuse results larger
  than ``MAX_ITEMS`` items or characters (and are not folded at compile time); a call or
  filter given a whole number above ``MAX_ITEMS`` (a width, a count) is refused;
- the render stops after ``TIME_BUDGET`` seconds: a tracer on the template's own frames
  checks the clock on every line it runs, loops included;
- the output is counted while it is generated and refused beyond ``MAX_OUTPUT``
  characters; recursion too deep is refused too.

Every refusal is an ``InvalidInput`` that says what was too much, so the same sentence
reaches the person at propose, at preview and when printing.
"""

from __future__ import annotations

import functools
import itertools
import re
import sys
import time

from flask_babel import gettext as _
from jinja2 import Template
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from app.services.errors import InvalidInput

MAX_ITEMS = 100_000
MAX_OUTPUT = 2_000_000  # characters: an invoice is about 20 thousand
TIME_BUDGET = 1.0  # seconds
MAX_SOURCE = 200_000  # characters of template text


class TooMuch(SecurityError):
    """A template asked for more than a document needs."""


def _sized(value) -> int | None:
    return len(value) if isinstance(value, (str, bytes, list, tuple)) else None


def _check_int(value) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_ITEMS:
        raise TooMuch(f"the number {value} is larger than {MAX_ITEMS:,}")


def bounded_range(*args):
    """``range`` for templates: at most MAX_ITEMS numbers."""
    numbers = range(*args)
    if len(numbers) > MAX_ITEMS:
        raise TooMuch(f"range() of more than {MAX_ITEMS:,} numbers")
    return numbers


_WIDE_FORMAT = re.compile(r"\d{6,}")


def _text_len(value) -> int:
    return len(value) if isinstance(value, str) else len(str(value))


def _items(value):
    """An iterable as a list of at most MAX_ITEMS items (a generator is read once, here)."""
    if isinstance(value, (list, tuple, range, str)):
        items = value
    elif isinstance(value, (dict, set, frozenset)) or hasattr(value, "__iter__"):
        items = list(itertools.islice(iter(value), MAX_ITEMS + 1))
    else:
        return value
    if len(items) > MAX_ITEMS:
        raise TooMuch(f"more than {MAX_ITEMS:,} items")
    return items


def _check_join(separator, items) -> None:
    """A join whose result would exceed MAX_OUTPUT is refused before it is built."""
    total = len(str(separator)) * max(len(items) - 1, 0)
    if total > MAX_OUTPUT or total + sum(_text_len(x) for x in items) > MAX_OUTPUT:
        raise TooMuch(f"a joined text of more than {MAX_OUTPUT:,} characters")


def _check_replace(text, old, new) -> None:
    text, old, new = str(text), str(old), str(new)
    count = len(text) + 1 if old == "" else text.count(old)
    if len(text) + count * max(len(new) - len(old), 0) > MAX_OUTPUT:
        raise TooMuch(f"a replaced text of more than {MAX_OUTPUT:,} characters")


def _check_format(spec) -> None:
    if isinstance(spec, str) and _WIDE_FORMAT.search(spec):
        raise TooMuch("a format with a width of a million or more")


def _checked_str_call(func, args: tuple) -> tuple:
    """str.join, str.replace and str.format called from a template, bounded; returns the
    arguments to call with (a generator given to join is read into a list first)."""
    func = getattr(func, "__wrapped__", func)  # the sandbox wraps str.format
    owner, name = getattr(func, "__self__", None), getattr(func, "__name__", "")
    if not isinstance(owner, str):
        return args
    if name == "join" and args:
        items = _items(args[0])
        _check_join(owner, items)
        return (items, *args[1:])
    if name == "replace" and len(args) >= 2:
        _check_replace(owner, args[0], args[1])
    elif name in ("format", "format_map"):
        _check_format(owner)
    return args


def _checked_filter_args(name: str, args: tuple, kwargs: dict) -> tuple:
    for value in (*args, *kwargs.values()):
        _check_int(value)
    # The value is the first argument after a passed context or environment, if any.
    first = 1 if args and hasattr(args[0], "environment") else 0
    values = args[first:]
    if name == "join" and values:
        items = _items(values[0])
        separator = values[1] if len(values) > 1 else kwargs.get("d", "")
        _check_join(separator, items)
        return (*args[:first], items, *values[1:])
    if name == "replace" and len(values) >= 3:
        _check_replace(values[0], values[1], values[2])
    elif name == "format" and values:
        _check_format(values[0])
    return args


def _bounded_filter(name: str, func):
    """A filter that refuses a whole-number argument (width, count …) above MAX_ITEMS
    and a join, replace or format whose result would be too large."""

    @functools.wraps(func)  # keeps jinja_pass_arg: the compiler reads it
    def wrapper(*args, **kwargs):
        return func(*_checked_filter_args(name, args, kwargs), **kwargs)

    return wrapper


class BoundedSandbox(SandboxedEnvironment):
    """Jinja's sandbox with the bounds above on ranges, operators, calls and filters."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, **options):
        super().__init__(**options)
        self.globals["range"] = bounded_range
        self.filters = {name: _bounded_filter(name, f) for name, f in self.filters.items()}

    def call_binop(self, context, operator, left, right):
        if operator == "**":
            if isinstance(right, (int, float)) and abs(right) > 64:
                raise TooMuch(f"a power of {right}")
        elif operator == "*":
            size = _sized(left) if _sized(left) is not None else _sized(right)
            times = right if _sized(left) is not None else left
            if size is not None and isinstance(times, int) and size * times > MAX_ITEMS:
                raise TooMuch(f"a text or list of more than {MAX_ITEMS:,} items")
        elif operator == "%":
            _check_format(left)
        elif operator == "+":
            left_size, right_size = _sized(left), _sized(right)
            if left_size is not None and right_size is not None:
                if left_size + right_size > MAX_OUTPUT:
                    raise TooMuch(f"a text of more than {MAX_OUTPUT:,} characters")
        return super().call_binop(context, operator, left, right)

    def call(__self, __context, __obj, *args, **kwargs):  # Jinja's own signature
        for value in (*args, *kwargs.values()):
            _check_int(value)
        args = _checked_str_call(__obj, args)
        return super().call(__context, __obj, *args, **kwargs)


def _deadline_tracer(deadline: float, code_files: frozenset[str]):
    """A tracer that raises once ``deadline`` passes, on the template's own frames only."""

    def local(frame, event, arg):
        if event == "line" and time.monotonic() > deadline:
            raise TimeoutError
        return local

    def global_(frame, event, arg):
        if frame.f_code.co_filename in code_files:
            return local
        return None

    return global_


def render_bounded(template: Template, context: dict) -> str:
    """Render ``template`` within TIME_BUDGET and MAX_OUTPUT, or InvalidInput in words."""
    deadline = time.monotonic() + TIME_BUDGET
    files = frozenset({template.filename or "<template>", "<template>"})
    previous = sys.gettrace()
    sys.settrace(_deadline_tracer(deadline, files))
    parts: list[str] = []
    size = 0
    try:
        for chunk in template.generate(context):
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise InvalidInput(
                    _(
                        "The template produces more than %(size)s characters; "
                        "a document never needs so much.",
                        size=f"{MAX_OUTPUT:,}",
                    ),
                    field="body",
                )
            parts.append(chunk)
            if time.monotonic() > deadline:
                raise TimeoutError
    except TimeoutError:
        raise InvalidInput(
            _(
                "The template takes longer than %(seconds)s s to fill in; "
                "a loop in it is probably too large.",
                seconds=f"{TIME_BUDGET:g}",
            ),
            field="body",
        ) from None
    except TooMuch as exc:
        raise InvalidInput(
            _("The template asks for too much: %(what)s.", what=str(exc)), field="body"
        ) from None
    except RecursionError:
        raise InvalidInput(_("The template calls itself too deeply."), field="body") from None
    except MemoryError:
        raise InvalidInput(_("The template needs too much memory."), field="body") from None
    finally:
        sys.settrace(previous)
    return "".join(parts)


def check_source_size(source: str) -> None:
    """A template text longer than MAX_SOURCE is refused before compiling it."""
    if len(source or "") > MAX_SOURCE:
        raise InvalidInput(
            _("The template is longer than %(size)s characters.", size=f"{MAX_SOURCE:,}"),
            field="body",
        )
