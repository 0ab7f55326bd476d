"""The synthetic source's picture: a deterministic moving test pattern with the frame counter
drawn in. The same (index, width, height) always gives the same pixels, so tests can compare
frames byte for byte and read the counter back.

Contents: eight colour bars scrolling left by 4 px per frame, a grey square moving diagonally
(bouncing off the edges), and the frame index in black digits on a white box at the top left
(5x7 pixel font, scaled with the image height).
"""

import numpy as np

BARS_RGB = np.array(
    [
        [235, 235, 235],  # white
        [235, 235, 16],  # yellow
        [16, 235, 235],  # cyan
        [16, 235, 16],  # green
        [235, 16, 235],  # magenta
        [235, 16, 16],  # red
        [16, 16, 235],  # blue
        [16, 16, 16],  # black
    ],
    dtype=np.uint8,
)
SCROLL_PX_PER_FRAME = 4

# 5x7 digits, 7 rows of 5 columns each ('#' = ink).
_DIGITS = [
    [".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."],
    ["..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."],
    [".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"],
    ["#####", "...#.", "..#..", "...#.", "....#", "#...#", ".###."],
    ["...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."],
    ["#####", "#....", "####.", "....#", "....#", "#...#", ".###."],
    ["..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###."],
    ["#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."],
    [".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."],
    [".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.."],
]


def _glyphs() -> np.ndarray:
    return np.array([[[c == "#" for c in row] for row in rows] for rows in _DIGITS], dtype=bool)


GLYPHS = _glyphs()


def digit_scale(height: int) -> int:
    return max(1, height // 60)


def render(index: int, width: int, height: int) -> np.ndarray:
    """Frame `index` as an (height, width, 3) uint8 RGB array."""
    bar_w = max(1, width // len(BARS_RGB))
    cols = ((np.arange(width) + index * SCROLL_PX_PER_FRAME) // bar_w) % len(BARS_RGB)
    img = np.broadcast_to(BARS_RGB[cols], (height, width, 3)).copy()

    side = max(2, min(width, height) // 5)
    x = _bounce(index * 3, width - side)
    y = _bounce(index * 2, height - side)
    img[y : y + side, x : x + side] = 128

    _draw_counter(img, index)
    return img


def _bounce(t: int, span: int) -> int:
    if span <= 0:
        return 0
    p = t % (2 * span)
    return p if p < span else 2 * span - p


def _draw_counter(img: np.ndarray, index: int) -> None:
    s = digit_scale(img.shape[0])
    text = str(index)
    box_w = (len(text) * 6 + 1) * s
    box_h = 9 * s
    h, w = img.shape[:2]
    img[: min(box_h, h), : min(box_w, w)] = 255
    for k, ch in enumerate(text):
        glyph = np.kron(GLYPHS[int(ch)], np.ones((s, s), dtype=bool))
        y0, x0 = s, (1 + 6 * k) * s
        gh = min(glyph.shape[0], h - y0)
        gw = min(glyph.shape[1], w - x0)
        if gh <= 0 or gw <= 0:
            break
        region = img[y0 : y0 + gh, x0 : x0 + gw]
        region[glyph[:gh, :gw]] = 0


def read_counter(img: np.ndarray) -> int:
    """Reads the frame counter back from an unscaled, losslessly encoded frame (tests)."""
    s = digit_scale(img.shape[0])
    ink = img[..., 0] < 64
    value = ""
    k = 0
    while True:
        y0, x0 = s, (1 + 6 * k) * s
        cell = ink[y0 : y0 + 7 * s : s, x0 : x0 + 5 * s : s]
        if cell.shape != (7, 5):
            break
        match = [d for d in range(10) if np.array_equal(cell, GLYPHS[d])]
        if not match:
            break
        value += str(match[0])
        k += 1
    if not value:
        raise ValueError("no frame counter found")
    return int(value)
