"""Reopen triggers: a small, safe expression language over live figures (no ``eval``).

A trigger is parsed by Python's :mod:`ast` in ``eval`` mode and compiled, node by node,
against a whitelist into a tiny typed tree that this module evaluates itself. Anything
not listed below is refused with an :class:`~controltower.errors.InputError` naming the
offending part.

Language:

- fields: the names of :data:`FIELDS` (``pattern.accounts``, ``candidate.value_p50`` …);
- ``at_decision``: the decision-time value of the one field in the same comparison
  (``candidate.value_p50 > 1.5 * at_decision``);
- numbers (``8``, ``2e6``, ``0.5``), ``+ - * /``, unary minus, parentheses;
- ``today``, dates ``date("2027-03-01")`` or a bare ``"2027-03-01"``;
- comparisons ``< <= > >= == !=`` (chains allowed) between two numbers or two dates;
- ``and``, ``or``, ``not`` over comparisons.

A trigger must be a condition (a comparison, or comparisons joined by and/or/not).
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

from controltower.decisions.models import Figure, TriggerCheck
from controltower.errors import InputError

__all__ = ["FIELDS", "MAX_CHARS", "MAX_DEPTH", "MAX_NODES", "Trigger", "parse_trigger"]

FIELDS: dict[str, str] = {
    "pattern.accounts": "distinct accounts in the pattern's evidence",
    "pattern.arr": "ARR of those accounts",
    "pattern.fde_hours": "FDE hours of the pattern's custom work",
    "pattern.signals": "signals in the pattern",
    "candidate.value_p10": "P10 of the candidate's simulated value",
    "candidate.value_p50": "P50 of the candidate's simulated value",
    "candidate.value_p90": "P90 of the candidate's simulated value",
    "candidate.accounts": "accounts whose evidence the candidate addresses",
    "candidate.arr": "ARR touched: ARR of the accounts whose signals it addresses",
    "candidate.fde_hours": "bespoke FDE hours of the patterns it addresses",
}
"""Every field a trigger may read, with its meaning."""

MAX_CHARS = 500
"""Longest trigger accepted (a condition on a few figures fits in far less)."""
MAX_NODES = 100
"""Most syntax-tree nodes in one trigger."""
MAX_DEPTH = 20
"""Deepest nesting of one trigger."""

Kind = Literal["number", "date", "bool"]
Value = float | date | bool

_ARITHMETIC: dict[type[ast.operator], tuple[str, Callable[[float, float], float]]] = {
    ast.Add: ("+", operator.add),
    ast.Sub: ("-", operator.sub),
    ast.Mult: ("*", operator.mul),
    ast.Div: ("/", operator.truediv),
}
_COMPARE: dict[type[ast.cmpop], tuple[str, Callable[[Value, Value], bool]]] = {
    ast.Lt: ("<", operator.lt),
    ast.LtE: ("<=", operator.le),
    ast.Gt: (">", operator.gt),
    ast.GtE: (">=", operator.ge),
    ast.Eq: ("==", operator.eq),
    ast.NotEq: ("!=", operator.ne),
}
_HELP = (
    "a trigger compares the documented fields, numbers and dates with < <= > >= == !=, "
    "+ - * /, and/or/not (see `tower decide --help` or docs/decisions.md)"
)


class Unavailable(Exception):
    """A figure the trigger reads is missing now (or it divides by zero)."""


@dataclass(frozen=True)
class Env:
    """What a trigger is evaluated against."""

    now: Mapping[str, float]
    then: Mapping[str, float]
    today: date


def _figure(values: Mapping[str, float], name: str, when: str) -> float:
    if name not in values:
        raise Unavailable(f"{name} is not available {when}")
    return float(values[name])


@dataclass(frozen=True)
class _Number:
    value: float
    kind: Kind = "number"

    def run(self, env: Env) -> Value:
        return self.value


@dataclass(frozen=True)
class _Field:
    name: str
    kind: Kind = "number"

    def run(self, env: Env) -> Value:
        return _figure(env.now, self.name, "now")


@dataclass(frozen=True)
class _AtDecision:
    name: str
    kind: Kind = "number"

    def run(self, env: Env) -> Value:
        return _figure(env.then, self.name, "at the decision")


@dataclass(frozen=True)
class _Today:
    kind: Kind = "date"

    def run(self, env: Env) -> Value:
        return env.today


@dataclass(frozen=True)
class _Date:
    value: date
    kind: Kind = "date"

    def run(self, env: Env) -> Value:
        return self.value


@dataclass(frozen=True)
class _Arithmetic:
    symbol: str
    function: Callable[[float, float], float]
    left: _Node
    right: _Node
    kind: Kind = "number"

    def run(self, env: Env) -> Value:
        left, right = self.left.run(env), self.right.run(env)
        assert isinstance(left, float) and isinstance(right, float)
        try:
            return self.function(left, right)
        except ZeroDivisionError as exc:
            raise Unavailable("it divides by zero") from exc


def _constant(node: _Node) -> float | None:
    """The value of a part that reads no figure (numbers and arithmetic on them), else None."""
    if isinstance(node, _Number):
        return node.value
    if isinstance(node, _Negative):
        inner = _constant(node.operand)
        return None if inner is None else -inner
    if isinstance(node, _Arithmetic):
        left, right = _constant(node.left), _constant(node.right)
        if left is None or right is None or (node.symbol == "/" and right == 0):
            return None
        return node.function(left, right)
    return None


@dataclass(frozen=True)
class _Negative:
    operand: _Node
    kind: Kind = "number"

    def run(self, env: Env) -> Value:
        value = self.operand.run(env)
        assert isinstance(value, float)
        return -value


@dataclass(frozen=True)
class _Comparison:
    first: _Node
    rest: tuple[tuple[Callable[[Value, Value], bool], _Node], ...]
    kind: Kind = "bool"

    def run(self, env: Env) -> Value:
        left = self.first.run(env)
        for compare, node in self.rest:
            right = node.run(env)
            if not compare(left, right):
                return False
            left = right
        return True


@dataclass(frozen=True)
class _Logic:
    all_of: bool
    operands: tuple[_Node, ...]
    kind: Kind = "bool"

    def run(self, env: Env) -> Value:
        values = (bool(node.run(env)) for node in self.operands)
        return all(values) if self.all_of else any(values)


@dataclass(frozen=True)
class _Not:
    operand: _Node
    kind: Kind = "bool"

    def run(self, env: Env) -> Value:
        return not self.operand.run(env)


_Node = (
    _Number
    | _Field
    | _AtDecision
    | _Today
    | _Date
    | _Arithmetic
    | _Negative
    | _Comparison
    | _Logic
    | _Not
)


def _iso_date(text: str) -> date | None:
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _field_name(node: ast.AST) -> str | None:
    """``pattern.accounts`` for an attribute on a bare name, else None."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return f"{node.value.id}.{node.attr}"
    return None


class _Compiler:
    """Turns a parsed trigger into the typed tree, refusing anything not whitelisted."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.bound: str | None = None
        self.fields: set[str] = set()
        self.dates: list[date] = []
        self.uses_today = False

    def refuse(self, node: ast.AST, what: str, hint: str = "") -> InputError:
        segment = ast.get_source_segment(self.source, node) or type(node).__name__
        shown = segment if len(segment) <= 60 else segment[:57] + "..."
        hint = f" ({hint})" if hint else ""
        return InputError(
            f"trigger {self.source!r}: {what} `{shown}` is not allowed{hint}; {_HELP}"
        )

    def compile(self, node: ast.expr, depth: int = 0) -> _Node:
        if depth > MAX_DEPTH:
            raise self.refuse(node, "the nesting of", f"at most {MAX_DEPTH} levels")
        deeper = depth + 1
        if isinstance(node, ast.Constant):
            return self._constant(node)
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.Attribute):
            return self._attribute(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.BinOp):
            return self._binary(node, deeper)
        if isinstance(node, ast.UnaryOp):
            return self._unary(node, deeper)
        if isinstance(node, ast.Compare):
            return self._compare(node, deeper)
        if isinstance(node, ast.BoolOp):
            operands = tuple(self._expect(v, "bool", deeper) for v in node.values)
            return _Logic(isinstance(node.op, ast.And), operands)
        raise self.refuse(node, _describe(node))

    def _expect(self, node: ast.expr, kind: Kind, depth: int) -> _Node:
        compiled = self.compile(node, depth)
        if compiled.kind != kind:
            wanted = {"bool": "a condition", "number": "a number", "date": "a date"}[kind]
            raise self.refuse(node, f"the {compiled.kind}", f"{wanted} is expected here")
        return compiled

    def _constant(self, node: ast.Constant) -> _Node:
        value = node.value
        if isinstance(value, int | float) and not isinstance(value, bool):
            number = float(value)
            if not math.isfinite(number):
                raise self.refuse(node, "the number", "numbers must be finite")
            return _Number(number)
        if isinstance(value, str):
            day = _iso_date(value)
            if day is None:
                raise self.refuse(
                    node, "the string", 'strings are only ISO dates like "2027-03-01"'
                )
            self.dates.append(day)
            return _Date(day)
        raise self.refuse(node, f"the {type(value).__name__} constant")

    def _name(self, node: ast.Name) -> _Node:
        if node.id == "today":
            self.uses_today = True
            return _Today()
        if node.id == "at_decision":
            if self.bound is None:
                raise self.refuse(
                    node,
                    "the name",
                    "here: at_decision is the value when decided of the one field in the "
                    "same comparison",
                )
            return _AtDecision(self.bound)
        raise self.refuse(
            node, "the name", "names are today and at_decision; fields read pattern.accounts …"
        )

    def _attribute(self, node: ast.Attribute) -> _Node:
        name = _field_name(node)
        if name is None or name not in FIELDS:
            raise self.refuse(node, "the attribute", f"fields are {', '.join(FIELDS)}")
        self.fields.add(name)
        return _Field(name)

    def _call(self, node: ast.Call) -> _Node:
        is_date = isinstance(node.func, ast.Name) and node.func.id == "date"
        if not is_date or node.keywords or len(node.args) != 1:
            raise self.refuse(node, "the call", 'the only call is date("YYYY-MM-DD")')
        argument = node.args[0]
        day = (
            _iso_date(argument.value)
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str)
            else None
        )
        if day is None:
            raise self.refuse(node, "the call", 'date() takes one ISO date: date("2027-03-01")')
        self.dates.append(day)
        return _Date(day)

    def _binary(self, node: ast.BinOp, depth: int) -> _Node:
        known = _ARITHMETIC.get(type(node.op))
        if known is None:
            raise self.refuse(node, "the operator in", "arithmetic is + - * /")
        symbol, function = known
        left = self._expect(node.left, "number", depth)
        right = self._expect(node.right, "number", depth)
        if symbol == "/" and _constant(right) == 0:
            raise self.refuse(node, "the division by zero in", "it could never be evaluated")
        return _Arithmetic(symbol, function, left, right)

    def _unary(self, node: ast.UnaryOp, depth: int) -> _Node:
        if isinstance(node.op, ast.Not):
            return _Not(self._expect(node.operand, "bool", depth))
        if isinstance(node.op, ast.USub):
            return _Negative(self._expect(node.operand, "number", depth))
        if isinstance(node.op, ast.UAdd):
            return self._expect(node.operand, "number", depth)
        raise self.refuse(node, "the operator in", "arithmetic is + - * /")

    def _compare(self, node: ast.Compare, depth: int) -> _Node:
        names = {
            name
            for child in ast.walk(node)
            if (name := _field_name(child)) is not None and name in FIELDS
        }
        outer, self.bound = self.bound, next(iter(names)) if len(names) == 1 else None
        try:
            first = self.compile(node.left, depth)
            rest = []
            previous = first
            for op, comparator in zip(node.ops, node.comparators, strict=True):
                known = _COMPARE.get(type(op))
                if known is None:
                    raise self.refuse(node, "the comparison", "compare with < <= > >= == !=")
                right = self.compile(comparator, depth)
                if previous.kind == "bool" or previous.kind != right.kind:
                    raise self.refuse(
                        node,
                        f"comparing a {previous.kind} with a {right.kind} in",
                        "compare two numbers or two dates",
                    )
                rest.append((known[1], right))
                previous = right
        finally:
            self.bound = outer
        return _Comparison(first, tuple(rest))


def _describe(node: ast.AST) -> str:
    names = {
        ast.Subscript: "subscripting",
        ast.Lambda: "a lambda",
        ast.ListComp: "a comprehension",
        ast.SetComp: "a comprehension",
        ast.DictComp: "a comprehension",
        ast.GeneratorExp: "a comprehension",
        ast.IfExp: "a conditional expression",
        ast.NamedExpr: "assignment",
        ast.JoinedStr: "an f-string",
        ast.Starred: "unpacking",
    }
    return names.get(type(node), f"the construct {type(node).__name__}")


@dataclass(frozen=True)
class Trigger:
    """A compiled trigger.

    Attributes:
        text: The expression as written (stripped).
        fields: The fields it reads, sorted.
        dates: The date literals it names.
        uses_today: Whether it reads ``today``.
    """

    text: str
    fields: tuple[str, ...]
    dates: tuple[date, ...]
    uses_today: bool
    _root: _Node

    def check(
        self, now: Mapping[str, float], then: Mapping[str, float], *, today: date
    ) -> TriggerCheck:
        """Evaluate on the live figures ``now`` against the decision-time figures ``then``."""
        figures = [Figure(field=f, at_decision=then.get(f), now=now.get(f)) for f in self.fields]
        shown_today = today if self.uses_today else None
        try:
            fired = bool(self._root.run(Env(now=now, then=then, today=today)))
        except Unavailable as exc:
            return TriggerCheck(
                expression=self.text,
                status="unavailable",
                figures=figures,
                today=shown_today,
                reason=str(exc),
            )
        return TriggerCheck(
            expression=self.text,
            status="fired" if fired else "quiet",
            figures=figures,
            today=shown_today,
        )


def parse_trigger(text: str) -> Trigger:
    """Parse and check a trigger.

    Raises:
        InputError: It is empty, too long, not an expression, or uses anything outside the
            language (the message names the offending part).
    """
    source = text.strip()
    if not source:
        raise InputError("a trigger is empty; " + _HELP)
    if len(source) > MAX_CHARS:
        raise InputError(
            f"a trigger is {len(source):,} characters long; the limit is {MAX_CHARS}: {_HELP}"
        )
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        # Python gives offset 0 when the text ends before the expression does
        where = f"column {exc.offset}" if exc.offset else "it ends too early"
        raise InputError(
            f"trigger {source!r} is not a valid expression ({exc.msg}, {where}); " + _HELP
        ) from exc
    except (RecursionError, MemoryError, ValueError) as exc:
        raise InputError(f"trigger {source[:60]!r}… cannot be read: {_HELP}") from exc
    nodes = sum(1 for _ in ast.walk(tree))
    if nodes > MAX_NODES:
        raise InputError(f"trigger {source!r} has {nodes} parts; the limit is {MAX_NODES}")
    compiler = _Compiler(source)
    root = compiler.compile(tree.body)
    if root.kind != "bool":
        raise InputError(
            f"trigger {source!r} is a {root.kind}, not a condition: compare it, e.g. "
            "`pattern.accounts >= 8`"
        )
    if not compiler.fields and not compiler.uses_today:
        raise InputError(
            f"trigger {source!r} reads no field and not today: it never changes; {_HELP}"
        )
    return Trigger(
        text=source,
        fields=tuple(sorted(compiler.fields)),
        dates=tuple(compiler.dates),
        uses_today=compiler.uses_today,
        _root=root,
    )
