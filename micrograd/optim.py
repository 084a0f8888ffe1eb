"""AdamW: Adam with decoupled weight decay; the optimizer owns its moment state."""

from __future__ import annotations

import math
from collections.abc import Sequence

from micrograd.engine import Value


class AdamW:
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
        for name, value, ok in (
            ("lr", lr, lr > 0),
            ("beta1", b1, 0 <= b1 < 1),
            ("beta2", b2, 0 <= b2 < 1),
            ("eps", eps, eps >= 0),
            ("weight_decay", weight_decay, weight_decay >= 0),
        ):
            if not (isinstance(value, (int, float)) and math.isfinite(value) and ok):
                raise ValueError(f"AdamW: bad {name} {value!r}")
        self.params = list(params)
        self.lr = lr
        self.beta1, self.beta2 = b1, b2
        self.eps = eps
        self.weight_decay = weight_decay
        self.t = 0  # step counter
        self.m = [0.0] * len(self.params)  # first moments
        self.v = [0.0] * len(self.params)  # second moments

    def step(self) -> None:
        """One update from the params' grads. Raises FloatingPointError, changing
        nothing, if any grad, moment or new value would not be finite."""
        t = self.t + 1
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
        if not all(map(math.isfinite, new)) or not all(map(math.isfinite, vs)):
            raise FloatingPointError(f"AdamW step {t}: the update is not finite (NaN or inf)")
        for p, x in zip(self.params, new):
            p.data = x
        self.m, self.v, self.t = ms, vs, t

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = 0
