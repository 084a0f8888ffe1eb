"""RNG (xorshift*), the datasets (taichi, the tutorial's, first) and the input features."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

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

    def gauss(self, sd: float = 1.0) -> float:
        """A normal draw of mean 0 (Box-Muller, from two uniforms)."""
        u, v = self.random(), self.random()
        return sd * math.sqrt(-2 * math.log(1 - u)) * math.cos(2 * math.pi * v)


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


# ------------------------------------------------------------------ the other datasets
#
# Each makes n points, point i of class i % k (so the classes take turns and stay
# balanced), from the run's seeded RNG; then every coordinate gets gaussian noise of
# standard deviation `noise` and is clipped to the plot's square [-2, 2]. taichi takes
# no noise at 0 and draws nothing for it, so the tutorial's numbers stay exact.

LIMIT = 2.0
"""Every point lies in the square [-LIMIT, LIMIT]²: the plot's."""


def spiral_point(rng: RNG, k: int) -> tuple[float, float]:
    """Arm k of 3: t uniform in [0, 1), radius 1.8 t, angle 2πk/3 + 4t (a third of a
    turn apart, each arm winding 4 radians outwards)."""
    t = rng.random()
    r, a = 1.8 * t, 2 * math.pi * k / 3 + 4 * t
    return r * math.cos(a), r * math.sin(a)


def blobs_point(rng: RNG, k: int) -> tuple[float, float]:
    """Blob k of 3: a gaussian of sd 0.35 around the point at radius 1.1, angle
    π/2 + 2πk/3."""
    a = math.pi / 2 + 2 * math.pi * k / 3
    return 1.1 * math.cos(a) + rng.gauss(0.35), 1.1 * math.sin(a) + rng.gauss(0.35)


def moons_point(rng: RNG, k: int) -> tuple[float, float]:
    """Two interleaved half circles, t uniform in [0, π): class 0 (cos t, sin t), the
    upper; class 1 (1 - cos t, 0.5 - sin t), the lower; moved by (-0.5, -0.25) and
    scaled by 1.2 to fill the square."""
    t = rng.uniform(0, math.pi)
    x, y = (math.cos(t), math.sin(t)) if k == 0 else (1 - math.cos(t), 0.5 - math.sin(t))
    return 1.2 * (x - 0.5), 1.2 * (y - 0.25)


def circles_point(rng: RNG, k: int) -> tuple[float, float]:
    """Two rings around the centre, angle uniform: class 0 of radius 1.6, class 1 of
    radius 0.8. No line separates them; x² + y² does."""
    a = rng.uniform(0, 2 * math.pi)
    r = 1.6 if k == 0 else 0.8
    return r * math.cos(a), r * math.sin(a)


def xor_point(rng: RNG, k: int) -> tuple[float, float]:
    """x, y uniform in [-1.8, 1.8), drawn again until the class fits: class 0 where x
    and y have the same sign (x y > 0), class 1 where they differ; points within 0.1 of
    an axis are drawn again too, so the quadrants stay apart."""
    while True:
        x, y = rng.uniform(-1.8, 1.8), rng.uniform(-1.8, 1.8)
        if abs(x) > 0.1 and abs(y) > 0.1 and (x * y < 0) == k:
            return x, y


GENERATORS: dict[str, tuple[int, Callable[[RNG, int], tuple[float, float]]]] = {
    "spiral": (3, spiral_point),
    "blobs": (3, blobs_point),
    "moons": (2, moons_point),
    "circles": (2, circles_point),
    "xor": (2, xor_point),
}
"""Each dataset but taichi: its number of classes and the point generator of a class."""


def clip(v: float) -> float:
    return min(LIMIT, max(-LIMIT, v))


def dataset(
    name: str, rng: RNG, n: int, noise: float = 0.0, split: float = 0.8
) -> tuple[list[Point], list[Point], list[Point]]:
    """n points of the named dataset from rng, split into (train, validation, test): the
    first int(split n), then half the rest each (80/10/10 at 0.8, as the tutorial)."""
    if name == "taichi":
        pts = [*sum(taichi(rng, n), [])]
    elif name in GENERATORS:
        classes, point = GENERATORS[name]
        pts = []
        for i in range(n):
            x, y = point(rng, i % classes)
            pts.append(([x, y], i % classes))
    else:
        raise ValueError(f"dataset: unknown dataset {name!r}")
    if noise:
        pts = [([clip(x + rng.gauss(noise)), clip(y + rng.gauss(noise))], c) for (x, y), c in pts]
    a, b = int(split * n), int((1 + split) / 2 * n)
    return pts[:a], pts[a:b], pts[b:]


# ------------------------------------------------------------------------ features

FEATURE_FUNCTIONS: dict[str, Callable[[float, float], float]] = {
    "x": lambda x, y: x,
    "y": lambda x, y: y,
    "x2": lambda x, y: x * x,
    "y2": lambda x, y: y * y,
    "xy": lambda x, y: x * y,
    "sinx": lambda x, y: math.sin(x),
    "siny": lambda x, y: math.sin(y),
}
"""What each input feature makes of a point (x, y)."""

FEATURE_BOUNDS = {"x": 2.0, "y": 2.0, "x2": 4.0, "y2": 4.0, "xy": 4.0, "sinx": 1.0, "siny": 1.0}
"""The largest |feature| over the plot's square [-2, 2]²."""


def featurize(features: Sequence[str], point: Sequence[float]) -> list[float]:
    """The model's inputs at a point: each feature of (x, y), in the order given."""
    x, y = float(point[0]), float(point[1])
    if len(features) == 2 and features[0] == "x" and features[1] == "y":  # the tutorial's
        return [x, y]
    return [FEATURE_FUNCTIONS[f](x, y) for f in features]
