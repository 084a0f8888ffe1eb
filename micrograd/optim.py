"""The optimizers: AdamW, SGD and SGD with momentum; each owns its state."""

from __future__ import annotations

import math
from collections.abc import Sequence

from micrograd.engine import Value


def check(name: str, **bounds: tuple[float, bool]) -> None:
    """ValueError unless every value is a finite number within its bound."""
    for key, (value, ok) in bounds.items():
        if not (isinstance(value, (int, float)) and math.isfinite(value) and ok):
            raise ValueError(f"{name}: bad {key} {value!r}")


class Optimizer:
    """An update rule over params. Its state is t (updates made) and two lists of one
    number per parameter, m and v (AdamW's moments; momentum's velocity is m; plain SGD
    keeps zeros), so a run file and the params view read every optimizer alike."""

    def __init__(self, params: Sequence[Value], lr: float, weight_decay: float) -> None:
        self.params = list(params)
        self.lr = lr
        self.weight_decay = weight_decay
        self.t = 0  # step counter
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def updated(self, t: int) -> tuple[list[float], list[float], list[float]]:
        """The new values of the params, m and v for update t (nothing applied)."""
        raise NotImplementedError

    def step(self) -> None:
        """One update from the params' grads. Raises FloatingPointError, changing
        nothing, if any new value or state would not be finite."""
        t = self.t + 1
        new, ms, vs = self.updated(t)
        if not all(map(math.isfinite, new)) or not all(map(math.isfinite, ms + vs)):
            name = type(self).__name__
            raise FloatingPointError(f"{name} step {t}: the update is not finite (NaN or inf)")
        for p, x in zip(self.params, new):
            p.data = x
        self.m, self.v, self.t = ms, vs, t

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = 0


class AdamW(Optimizer):
    """p -= lr * (m_hat / (sqrt(v_hat) + eps) + weight_decay * p)."""

    def __init__(
        self,
        params: Sequence[Value],
        lr: float = 0.1,
        betas: tuple[float, float] = (0.9, 0.95),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        b1, b2 = betas
        check(
            "AdamW",
            lr=(lr, lr > 0),
            beta1=(b1, 0 <= b1 < 1),
            beta2=(b2, 0 <= b2 < 1),
            eps=(eps, eps >= 0),
            weight_decay=(weight_decay, weight_decay >= 0),
        )
        super().__init__(params, lr, weight_decay)
        self.beta1, self.beta2 = b1, b2
        self.eps = eps

    def updated(self, t: int) -> tuple[list[float], list[float], list[float]]:
        b1, b2, lr, eps, wd = self.beta1, self.beta2, self.lr, self.eps, self.weight_decay
        c1, c2 = 1 - b1**t, 1 - b2**t
        ms, vs, new = [], [], []
        for p, m, v in zip(self.params, self.m, self.v):
            g = p.grad
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * (g * g)
            m_hat = m / c1
            v_hat = v / c2
            ms.append(m)
            vs.append(v)
            denom = v_hat**0.5 + eps
            # v = 0 (no gradient yet, or eps = 0 and g * g underflowed): no adaptive step
            adaptive = m_hat / denom if denom > 0 else 0.0
            new.append(p.data - lr * (adaptive + wd * p.data))
        return new, ms, vs


class SGD(Optimizer):
    """p -= lr * (g + weight_decay * p): plain gradient descent, weight decay as L2."""

    def __init__(self, params: Sequence[Value], lr: float = 0.1, weight_decay: float = 0.0) -> None:
        check("SGD", lr=(lr, lr > 0), weight_decay=(weight_decay, weight_decay >= 0))
        super().__init__(params, lr, weight_decay)

    def updated(self, t: int) -> tuple[list[float], list[float], list[float]]:
        lr, wd = self.lr, self.weight_decay
        new = [p.data - lr * (p.grad + wd * p.data) for p in self.params]
        return new, self.m, self.v


class Momentum(Optimizer):
    """v = mu v + (g + weight_decay * p); p -= lr * v: SGD with momentum, its velocity
    kept in m (the heavy ball: a step keeps mu of the last one's direction)."""

    def __init__(
        self,
        params: Sequence[Value],
        lr: float = 0.1,
        momentum: float = 0.9,
        weight_decay: float = 0.0,
    ) -> None:
        check(
            "Momentum",
            lr=(lr, lr > 0),
            momentum=(momentum, 0 <= momentum < 1),
            weight_decay=(weight_decay, weight_decay >= 0),
        )
        super().__init__(params, lr, weight_decay)
        self.momentum = momentum

    def updated(self, t: int) -> tuple[list[float], list[float], list[float]]:
        lr, wd, mu = self.lr, self.weight_decay, self.momentum
        ms, new = [], []
        for p, m in zip(self.params, self.m):
            m = mu * m + (p.grad + wd * p.data)
            ms.append(m)
            new.append(p.data - lr * m)
        return new, ms, self.v


def make_optimizer(
    name: str,
    params: Sequence[Value],
    lr: float,
    betas: tuple[float, float],
    eps: float,
    weight_decay: float,
) -> Optimizer:
    """The named optimizer (adamw, sgd, momentum) over params; momentum's mu is betas[0]."""
    if name == "adamw":
        return AdamW(params, lr, betas, eps, weight_decay)
    if name == "sgd":
        return SGD(params, lr, weight_decay)
    if name == "momentum":
        return Momentum(params, lr, betas[0], weight_decay)
    raise ValueError(f"unknown optimizer {name!r}")


__all__ = ["SGD", "AdamW", "Momentum", "Optimizer", "make_optimizer"]
