"""A learner's expression over named numbers, parsed by hand into Values (never eval'd)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from micrograd.engine import Value

MAX_LENGTH = 500
"""The longest text accepted, in characters."""

MAX_NODES = 100
"""The most operations and numbers an expression may make (its walk is a press per node)."""

MAX_DEPTH = 40
"""The deepest nesting of parentheses, unary minus and calls."""

FUNCTIONS = ("tanh", "relu", "exp", "log")

EXAMPLE = "a = 2; b = -3; c = 10; f = -2; L = (a*b + c) * f"
"""The tutorial's first expression."""

TOKEN = re.compile(
    r"(?:(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z_0-9]*)|(?P<op>\*\*|[-+*/()=;\n]))"
)


class ExprError(ValueError):
    """A bad expression: what is wrong, and where (a 0-based column)."""

    def __init__(self, message: str, position: int) -> None:
        self.message = message
        self.position = position
        super().__init__(f"{message} (at column {position + 1})")


@dataclass(frozen=True)
class Token:
    kind: str
    """"number", "name", "op" or "end"."""
    text: str
    position: int


def tokenize(text: str) -> list[Token]:
    """The text's numbers, names and operators, each with its column; an "end" token last."""
    if len(text) > MAX_LENGTH:
        raise ExprError(f"too long: {len(text)} characters, at most {MAX_LENGTH}", MAX_LENGTH)
    tokens = []
    at = 0
    while True:
        while at < len(text) and text[at] in " \t\r":
            at += 1
        if at >= len(text):
            break
        match = TOKEN.match(text, at)
        if match is None or match.end() == at:
            raise ExprError(f"unexpected character {text[at]!r}", at)
        kind = match.lastgroup
        assert kind is not None
        tokens.append(Token(kind, match.group(kind), match.start(kind)))
        at = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


@dataclass
class Expression:
    """What a text made: its variables' Values, and the last assignment's (the output)."""

    output: Value
    output_name: str
    variables: dict[str, Value]
    names: dict[int, str] = field(default_factory=dict)
    """id(Value) -> the name it was assigned to first (for the walk's labels)."""


def parse(text: str) -> Expression:
    """Statements `name = expression`, separated by `;` or new lines: numbers, names
    assigned before, + - * /, ** a number, unary minus, parentheses, tanh relu exp log.
    Raises ExprError (with the column) on anything else."""
    return Parser(tokenize(text)).program()


class Parser:
    """Recursive descent over the tokens, building Values with the engine's ops."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.at = 0
        self.variables: dict[str, Value] = {}
        self.names: dict[int, str] = {}
        self.made = 0
        self.depth = 0

    # ------------------------------------------------------------ tokens

    @property
    def token(self) -> Token:
        return self.tokens[self.at]

    def take(self, text: str | None = None, kind: str | None = None) -> Token | None:
        """The next token if it is text (or of kind), consumed; else None."""
        token = self.token
        if (text is not None and token.kind == "op" and token.text == text) or (
            kind is not None and token.kind == kind
        ):
            self.at += 1
            return token
        return None

    def expect(self, text: str, what: str) -> Token:
        token = self.take(text)
        if token is None:
            raise ExprError(
                f"expected {what}, found {self.describe(self.token)}", self.token.position
            )
        return token

    @staticmethod
    def describe(token: Token) -> str:
        if token.kind == "end":
            return "the end"
        return "a new line" if token.text == "\n" else repr(token.text)

    # -------------------------------------------------------- statements

    def program(self) -> Expression:
        last: tuple[str, Value] | None = None
        while self.token.kind != "end":
            if self.take(";") or self.take("\n"):
                continue
            last = self.statement()
            if self.token.kind != "end" and not (self.take(";") or self.take("\n")):
                raise ExprError(
                    f"expected ; between statements, found {self.describe(self.token)}",
                    self.token.position,
                )
        if last is None:
            raise ExprError("nothing to compute: write e.g. " + EXAMPLE, 0)
        name, value = last
        if not value._prev:
            raise ExprError(f"{name} is a number: the last statement must compute something", 0)
        return Expression(value, name, dict(self.variables), self.names)

    def statement(self) -> tuple[str, Value]:
        token = self.token
        if token.kind != "name":
            raise ExprError(
                f"a statement starts with a name, e.g. a = 2; found {self.describe(token)}",
                token.position,
            )
        if token.text in FUNCTIONS:
            raise ExprError(f"{token.text} is a function, not a name to assign", token.position)
        self.at += 1
        self.expect("=", "= after " + token.text)
        value = self.expression()
        self.variables[token.text] = value
        self.names.setdefault(id(value), token.text)
        return token.text, value

    # ------------------------------------------------------- expressions

    def node(self, make, position: int) -> Value:
        """A Value made by an engine op, counted; the engine's own errors become ExprError."""
        try:
            value = make()
        except (ArithmeticError, ValueError) as e:
            raise ExprError(str(e), position) from None
        self.made += 1
        if self.made > MAX_NODES:
            raise ExprError(f"too big: more than {MAX_NODES} operations and numbers", position)
        if not math.isfinite(value.data):
            raise ExprError(f"the value is {value.data}", position)
        return value

    def expression(self) -> Value:
        left = self.term()
        while True:
            token = self.take("+") or self.take("-")
            if token is None:
                return left
            right = self.term()
            if token.text == "+":
                left = self.node(lambda a=left, b=right: a + b, token.position)
            else:
                left = self.node(lambda a=left, b=right: a - b, token.position)

    def term(self) -> Value:
        left = self.unary()
        while True:
            token = self.take("*") or self.take("/")
            if token is None:
                return left
            right = self.unary()
            if token.text == "*":
                left = self.node(lambda a=left, b=right: a * b, token.position)
            else:
                left = self.node(lambda a=left, b=right: a / b, token.position)

    def nested(self, position: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprError(f"nested too deep: more than {MAX_DEPTH} levels", position)

    def unary(self) -> Value:
        token = self.take("-")
        if token is None:
            return self.power()
        if self.token.kind == "number":  # -3 is a number, not a negation of 3
            return self.power(negative=True)
        self.nested(token.position)
        operand = self.unary()
        self.depth -= 1
        return self.node(lambda: -operand, token.position)

    def power(self, negative: bool = False) -> Value:
        base = self.atom(negative)
        token = self.take("**")
        if token is None:
            return base
        sign = -1.0 if self.take("-") else 1.0
        number = self.take(kind="number")
        if number is None:
            raise ExprError(
                f"the exponent after ** must be a number, found {self.describe(self.token)}",
                self.token.position,
            )
        exponent = sign * self.number(number)
        n: int | float = int(exponent) if exponent.is_integer() else exponent
        return self.node(lambda: base**n, token.position)

    def number(self, token: Token) -> float:
        x = float(token.text)
        if not math.isfinite(x):
            raise ExprError(f"{token.text} is too large for a float", token.position)
        return x

    def atom(self, negative: bool = False) -> Value:
        token = self.token
        if token.kind == "number":
            self.at += 1
            x = self.number(token)
            return self.node(lambda: Value(-x if negative else x), token.position)
        if token.kind == "name" and token.text in FUNCTIONS:
            self.at += 1
            self.expect("(", f"( after {token.text}")
            self.nested(token.position)
            arg = self.expression()
            self.depth -= 1
            self.expect(")", f") to close {token.text}(")
            op = {"tanh": Value.tanh, "relu": Value.relu, "exp": Value.exp, "log": Value.log}
            return self.node(lambda: op[token.text](arg), token.position)
        if token.kind == "name":
            self.at += 1
            if token.text not in self.variables:
                raise ExprError(f"{token.text} is not assigned before it is used", token.position)
            return self.variables[token.text]
        if self.take("("):
            self.nested(token.position)
            inner = self.expression()
            self.depth -= 1
            self.expect(")", ")")
            return inner
        raise ExprError(
            f"expected a number, a name or (, found {self.describe(token)}", token.position
        )


__all__ = ["EXAMPLE", "MAX_LENGTH", "MAX_NODES", "ExprError", "Expression", "parse", "tokenize"]
