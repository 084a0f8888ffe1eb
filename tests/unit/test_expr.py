"""Expressions of the learner's own: parsed by hand into Values, grads by hand and by
central differences, and bad text as one ExprError with its column."""

from __future__ import annotations

import math

import pytest

from micrograd.expr import EXAMPLE, MAX_LENGTH, ExprError, parse, tokenize
from micrograd.stepper import walk_of


def grads_of(text: str) -> dict[str, float]:
    expr = parse(text)
    expr.output.backward()
    return {name: v.grad for name, v in expr.variables.items()}


def test_the_tutorials_first_expression_by_hand():
    expr = parse(EXAMPLE)
    assert expr.output_name == "L" and expr.output.data == -8.0  # (2 × -3 + 10) × -2
    g = grads_of(EXAMPLE)
    # dL/df = a b + c = 4; dL/dc = f = -2; dL/da = f b = 6; dL/db = f a = -4
    assert (g["a"], g["b"], g["c"], g["f"], g["L"]) == (6.0, -4.0, -2.0, 4.0, 1.0)


def test_the_walk_names_the_learners_variables():
    expr = parse("a = 2; b = -3; e = a*b; L = e + 1")
    walk = walk_of(expr.output, expr.names)
    walk.step(1)
    assert walk.describe() == "e = a × b = 2 × -3 = -6"
    walk.step(1)
    assert walk.describe() == "L = e + const = -6 + 1 = -5"


def test_precedence_unary_minus_and_powers_as_in_python():
    assert parse("x = 3; y = -x**2").output.data == -9.0
    assert parse("x = 2; y = 1 - x - 3").output.data == -4.0  # left to right
    assert parse("x = 8; y = x / 2 / 2").output.data == 2.0
    assert parse("x = 4; y = x ** -1 + 2 * 3").output.data == 6.25
    assert parse("x = 2\ny = (x + 1) * (x - 1)").output.data == 3.0  # a new line separates too
    assert parse("x = 2; y = x * .5e1;").output.data == 10.0


FUNCS = "x = 0.7; y = -1.3; z = 2.1; out = tanh(x*y + z) * exp(relu(y) + x) / log(z + 1) ** 2"


def f_float(x: float, y: float, z: float) -> float:
    return math.tanh(x * y + z) * math.exp(max(y, 0) + x) / math.log(z + 1) ** 2


def test_grads_match_central_differences():
    g = grads_of(FUNCS)
    point = {"x": 0.7, "y": -1.3, "z": 2.1}
    assert parse(FUNCS).output.data == pytest.approx(f_float(**point), rel=1e-14)
    h = 1e-6
    for name in point:
        up = dict(point, **{name: point[name] + h})
        down = dict(point, **{name: point[name] - h})
        numeric = (f_float(**up) - f_float(**down)) / (2 * h)
        assert g[name] == pytest.approx(numeric, rel=1e-6, abs=1e-9), name
    assert g["y"] != 0  # relu(y) is 0 there, but y reaches out through x*y


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        ("", "nothing to compute", 1),
        ("a = 2", "a is a number", 1),
        ("a = 2; L = a +", "expected a number, a name or (, found the end", 15),
        ("L = b * 2", "b is not assigned before it is used", 5),
        ("a = 1; L = (a + 2", "expected ) , found the end".replace(" ,", ","), 18),
        ("a = 1; L = a ^ 2", "unexpected character '^'", 14),
        ("a = 1; L = a ** a", "the exponent after ** must be a number, found 'a'", 17),
        ("a = 1; L = sin(a)", "sin is not assigned before it is used", 12),
        ("a = 1; L = tanh a", "expected ( after tanh, found 'a'", 17),
        ("tanh = 1", "tanh is a function, not a name to assign", 1),
        ("a = 0; L = log(a)", "log(0.0) is undefined", 12),
        ("a = 0; L = 1 / a", "divides by zero", 14),
        ("a = 1000; L = exp(a)", "overflows", 15),
        ("a = 1e999; L = a * 2", "1e999 is too large for a float", 5),
        ("a = 2 b = 3", "expected ; between statements, found 'b'", 7),
        ("2 = a", "a statement starts with a name", 1),
        ("a = 1; L = __import__('os')", "unexpected character", 23),
        ("a = 1; L = " + "(" * 50 + "a" + ")" * 50, "nested too deep", 52),
        ("a = 1; L = " + "+".join(["a"] * 150), "too big: more than 100 operations", None),
        ("a = 1; L = a" + " " * MAX_LENGTH, "too long", None),
    ],
)
def test_bad_text_is_one_error_with_its_column(text, message, column):
    with pytest.raises(ExprError) as caught:
        parse(text)
    error = caught.value
    assert message in error.message
    assert "\n" not in str(error)
    if column is not None:
        assert error.position + 1 == column
        assert str(error).endswith(f"(at column {column})")


def test_tokens_carry_their_columns():
    assert [(t.kind, t.text, t.position) for t in tokenize("ab=1.5e2*x")] == [
        ("name", "ab", 0),
        ("op", "=", 2),
        ("number", "1.5e2", 3),
        ("op", "*", 8),
        ("name", "x", 9),
        ("end", "", 10),
    ]
