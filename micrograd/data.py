"""RNG (xorshift*) and the taichi (yin-yang) dataset, exactly as in the tutorial."""

from __future__ import annotations

Point = tuple[list[float], int]  # ([x, y], class)

MASK64 = 0xFFFFFFFFFFFFFFFF


class RNG:
    """A tiny seeded xorshift* generator, so every run draws the same numbers."""

    def __init__(self, seed: int) -> None:
        self.state = seed & MASK64

    def random_u32(self) -> int:
        self.state ^= self.state >> 12
        self.state ^= (self.state << 25) & MASK64
        self.state ^= self.state >> 27
        return ((self.state * 0x2545F4914F6CDD1D) & MASK64) >> 32

    def random(self) -> float:
        """A float in [0, 1) with 24 random bits."""
        return (self.random_u32() >> 8) / 16777216.0

    def uniform(self, a: float = 0.0, b: float = 1.0) -> float:
        """A float in [a, b)."""
        return a + (b - a) * self.random()


def taichi_class(x: float, y: float, r_small: float = 0.1, r_big: float = 0.5) -> int:
    """The class of a point of the unscaled disk: 2 the dots, 0 yin, 1 yang."""
    d_r = ((x - 1.5 * r_big) ** 2 + (y - r_big) ** 2) ** 0.5
    d_l = ((x - 0.5 * r_big) ** 2 + (y - r_big) ** 2) ** 0.5
    if d_r < r_small or d_l < r_small:
        return 2
    is_yin = d_r <= r_small or r_small < d_l <= 0.5 * r_big or (y > r_big and d_r > 0.5 * r_big)
    return 0 if is_yin else 1


def taichi(
    rng: RNG, n: int, r_small: float = 0.1, r_big: float = 0.5
) -> tuple[list[Point], list[Point], list[Point]]:
    """n points in the disk of radius 2, classes 0, 1, 2 in turn; (train, val, test)."""
    if n < 3:
        raise ValueError(f"taichi: n must be at least 3 (one point per class), got {n}")
    pts: list[Point] = []
    for i in range(n):
        goal = i % 3
        while True:
            x = rng.uniform(0, 2 * r_big)
            y = rng.uniform(0, 2 * r_big)
            if ((x - r_big) ** 2 + (y - r_big) ** 2) ** 0.5 > r_big:
                continue
            if taichi_class(x, y, r_small, r_big) == goal:
                break
        pts.append(([(x / r_big - 1) * 2, (y / r_big - 1) * 2], goal))
    return pts[: int(0.8 * n)], pts[int(0.8 * n) : int(0.9 * n)], pts[int(0.9 * n) :]
