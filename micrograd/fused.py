"""Fused scalar nodes for the fast training path: w·x + b, an n-ary mean, softmax NLL.

Each is still one Value with data, grad, children and local derivatives, so the
engine's backprop() differentiates it; it only does in one node what the textbook
graph does in many. Arithmetic follows the textbook graph's order, so data match it
bit for bit and gradients to rounding.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from micrograd.engine import Value


def affine(
    w: Sequence[Value], wd: list[float], b: Value, x: Sequence[Value] | None, xd: list[float]
) -> Value:
    """b + sum_i w_i x_i as one node.

    wd and xd are the w and x data (w's are fixed for a whole batch, so the caller
    reads them once). x is None when the inputs are constants: they then get no
    gradient and are not children.
    """
    act = b.data
    for wi, xi in zip(wd, xd):
        act += wi * xi
    # d/dw_i = x_i, d/db = 1, d/dx_i = w_i
    if x is None:
        return Value(act, (*w, b), "w·x+b", xd + [1.0])
    return Value(act, (*w, b, *x), "w·x+b", xd + [1.0] + wd)


def mean(xs: Sequence[Value]) -> Value:
    """(0 + x_1 + ... + x_n) * (1 / n) as one node."""
    s = 0.0
    for x in xs:
        s += x.data
    k = 1.0 / len(xs)
    # d/dx_i = 1/n
    return Value(s * k, tuple(xs), "mean", [k] * len(xs))


def softmax_nll(logits: Sequence[Value], target: int) -> Value:
    """-log softmax(logits)[target] as one node (the max logit subtracted first)."""
    m = max(v.data for v in logits)
    ex = [math.exp(v.data - m) for v in logits]
    denom = 0.0
    for e in ex:
        denom += e
    inv = denom**-1
    p_target = ex[target] * inv
    loss = -math.log(p_target) if p_target > 0 else math.inf
    # d/dlogit_i = softmax_i - [i == target]
    local = [e * inv for e in ex]
    local[target] -= 1.0
    return Value(loss, tuple(logits), "softmax_nll", local)
