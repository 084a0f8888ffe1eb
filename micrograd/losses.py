"""cross_entropy, the softmax negative log-likelihood of one sample's logits, and softmax."""

from __future__ import annotations

import math
from collections.abc import Sequence

from micrograd.engine import Value


def cross_entropy(logits: Sequence[Value], target: int) -> Value:
    """-log softmax(logits)[target], building only the nodes the loss uses."""
    if not 0 <= target < len(logits):
        raise ValueError(f"cross_entropy: target {target} is not a class of {len(logits)} logits")
    # 0) subtract the max logit for numerical stability (exp never overflows)
    max_val = max(v.data for v in logits)
    logits = [v - max_val for v in logits]
    # 1) evaluate elementwise e^x
    ex = [v.exp() for v in logits]
    # 2) compute the sum of the above
    denom = sum(ex)
    # 3) normalize by the sum to get the probability of the target
    prob = ex[target] / denom
    # 4) log the probability at the target
    logp = prob.log()
    # 5) the negative log likelihood loss (lower is better)
    return -logp


def softmax(logits: Sequence[float]) -> list[float]:
    """Probabilities from plain-float logits, the max logit subtracted first."""
    m = max(logits)
    ex = [math.exp(v - m) for v in logits]
    s = sum(ex)
    return [e / s for e in ex]
