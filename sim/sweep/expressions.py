"""A small, safe expression language for derived sweep values.

Linked and derived sweep parameters (:mod:`sim.sweep.links`) compute a field's value
from the sweep's variables with an expression such as ``1 - keep * 1.012`` or
``base * budget_factor``. The text is parsed with Python's :mod:`ast` and every node
is checked against a short whitelist; it is then evaluated by walking the tree. Nothing
is ever passed to ``eval`` or ``compile``, so an expression can name only the variables
it is given and the functions below, and cannot reach attributes, imports, indexing or
any other Python feature.

The language:

- numbers (``0.75``, ``3``, ``2.5e7``), variable names, parentheses;
- ``+``, ``-``, ``*``, ``/``, ``**`` and unary ``-`` and ``+``, with Python's precedence
  (``-x ** 2`` is ``-(x ** 2)``);
- the functions :data:`FUNCTIONS`: ``min(a, b, ...)``, ``max(a, b, ...)``,
  ``clip(x, low, high)``, ``abs(x)``, ``round(x)`` (to a whole number), ``exp(x)``,
  ``log(x)`` (natural) and ``sqrt(x)``.

Arithmetic is in floating point. A division by zero, a logarithm of a non-positive
number, an overflow or a result that is not finite is an :class:`ExpressionError`.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

#: Longest expression text accepted.
MAX_LENGTH = 1000


def _clip(x: float, low: float, high: float) -> float:
    if low > high:
        raise ValueError(f"clip needs low <= high; found {low:g} > {high:g}")
    return min(max(x, low), high)


def _log(x: float) -> float:
    if x <= 0:
        raise ValueError(f"log needs a positive number; found {x:g}")
    return math.log(x)


def _sqrt(x: float) -> float:
    if x < 0:
        raise ValueError(f"sqrt needs a number >= 0; found {x:g}")
    return math.sqrt(x)


#: Functions an expression may call: name -> (function, least and most arguments).
FUNCTIONS: dict[str, tuple[Callable[..., float], int, int | None]] = {
    "min": (min, 2, None),
    "max": (max, 2, None),
    "clip": (_clip, 3, 3),
    "abs": (abs, 1, 1),
    "round": (lambda x: float(round(x)), 1, 1),
    "exp": (math.exp, 1, 1),
    "log": (_log, 1, 1),
    "sqrt": (_sqrt, 1, 1),
}

_OPERATORS: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}
_SYMBOLS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}


class ExpressionError(ValueError):
    """An expression that cannot be parsed or evaluated; the message says why."""


@dataclass(frozen=True)
class Expression:
    """A parsed, checked expression.

    Attributes:
        text: The expression as written.
        names: The variable names it uses, in order of first use.
    """

    text: str
    names: tuple[str, ...]
    _tree: ast.expr

    def __call__(self, values: Mapping[str, float]) -> float:
        """Evaluate with the given variable values.

        Raises:
            ExpressionError: For a missing variable, a failing operation or a result
                that is not a finite number.
        """
        try:
            result = _evaluate(self._tree, values)
        except ExpressionError:
            raise
        except (ArithmeticError, ValueError, TypeError) as exc:
            raise ExpressionError(f"'{self.text}' cannot be evaluated: {_reason(exc)}") from None
        if not math.isfinite(result):
            raise ExpressionError(f"'{self.text}' gives {result}, not a finite number")
        return result


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ZeroDivisionError):
        return "division by zero"
    if isinstance(exc, OverflowError):
        return "the result is too large"
    return str(exc)


def parse_expression(text: str) -> Expression:
    """Parse and check an expression (see the module's description of the language).

    Args:
        text: The expression.

    Returns:
        The expression, ready to evaluate.

    Raises:
        ExpressionError: Naming what is not allowed and where.

    >>> parse_expression("1 - keep * (1 + 0.012)")({"keep": 0.5})
    0.494
    >>> parse_expression("clip(base * f, 0, 1)").names
    ('base', 'f')
    """
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("an expression must be non-empty text")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"an expression may have at most {MAX_LENGTH} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        where = f" at character {exc.offset}" if exc.offset else ""
        raise ExpressionError(f"'{text}' is not a valid expression{where}") from None
    names: list[str] = []
    _check(tree, text, names)
    return Expression(text, tuple(names), tree)


def _check(node: ast.AST, text: str, names: list[str]) -> None:
    """Raise unless every node is one the language allows; collect variable names."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise ExpressionError(f"'{text}': only numbers are allowed, not {node.value!r}")
        return
    if isinstance(node, ast.Name):
        if node.id in FUNCTIONS:
            raise ExpressionError(f"'{text}': {node.id} is a function; call it as {node.id}(...)")
        if node.id not in names:
            names.append(node.id)
        return
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        _check(node.left, text, names)
        _check(node.right, text, names)
        return
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        _check(node.operand, text, names)
        return
    if isinstance(node, ast.Call):
        _check_call(node, text, names)
        return
    raise ExpressionError(
        f"'{text}': {_describe(node)} is not allowed (numbers, names, + - * / **, "
        f"parentheses and {', '.join(FUNCTIONS)} only)"
    )


def _check_call(node: ast.Call, text: str, names: list[str]) -> None:
    if not isinstance(node.func, ast.Name):
        raise ExpressionError(
            f"'{text}': only the functions {', '.join(FUNCTIONS)} may be called; found a "
            f"call of {_describe(node.func)}"
        )
    if node.func.id not in FUNCTIONS:
        raise ExpressionError(
            f"'{text}': unknown function '{node.func.id}'; the functions are {', '.join(FUNCTIONS)}"
        )
    if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
        raise ExpressionError(f"'{text}': give {node.func.id}'s arguments by position only")
    _, least, most = FUNCTIONS[node.func.id]
    n = len(node.args)
    if n < least or (most is not None and n > most):
        wanted = f"{least}" if least == most else f"at least {least}"
        raise ExpressionError(f"'{text}': {node.func.id} takes {wanted} argument(s); found {n}")
    for arg in node.args:
        _check(arg, text, names)


def _describe(node: ast.AST) -> str:
    if isinstance(node, ast.BinOp | ast.UnaryOp | ast.BoolOp | ast.Compare):
        op = getattr(node, "op", None) or getattr(node, "ops", [None])[0]
        return f"the operator {type(op).__name__}"
    return f"{type(node).__name__} ({ast.unparse(node)})"


def _evaluate(node: ast.expr, values: Mapping[str, float]) -> float:
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        if node.id not in values:
            raise ExpressionError(f"no value for '{node.id}'")
        return float(values[node.id])
    if isinstance(node, ast.BinOp):
        a, b = _evaluate(node.left, values), _evaluate(node.right, values)
        result = _OPERATORS[type(node.op)](a, b)
        if isinstance(result, complex):
            raise ValueError(f"{a:g} {_SYMBOLS[type(node.op)]} {b:g} is not a real number")
        return float(result)
    if isinstance(node, ast.UnaryOp):
        x = _evaluate(node.operand, values)
        return -x if isinstance(node.op, ast.USub) else x
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    function = FUNCTIONS[node.func.id][0]
    return float(function(*(_evaluate(a, values) for a in node.args)))
