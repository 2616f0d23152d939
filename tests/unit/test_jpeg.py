"""The DC-only JPEG encoder: any grid of flat 8x8 blocks decodes (with Pillow's libjpeg) to exactly
the grey levels it was given, whatever bytes the entropy coding produces (0xFF stuffing included)."""
from __future__ import annotations

import io
import random

import pytest
from PIL import Image

from mockserver.wechat.jpeg import encode_blocks


@pytest.mark.parametrize("seed", range(5))
def test_random_levels_decode_exactly(seed):
    rng = random.Random(seed)
    rows, columns = rng.randint(1, 12), rng.randint(1, 12)
    levels = [[rng.choice((0, 255, rng.randint(0, 255))) for _ in range(columns)] for _ in range(rows)]
    picture = Image.open(io.BytesIO(encode_blocks(levels)))
    assert (picture.format, picture.mode, picture.size) == ("JPEG", "L", (columns * 8, rows * 8))
    pixels = picture.load()
    assert all(pixels[x, y] == levels[y // 8][x // 8] for y in range(rows * 8) for x in range(columns * 8))


def test_extreme_differences_take_the_largest_category():
    levels = [[0, 255] * 8, [255, 0] * 8]  # DC differences of ±2040 (category 11)
    pixels = Image.open(io.BytesIO(encode_blocks(levels))).load()
    assert [pixels[8 * c, 0] for c in range(16)] == [0, 255] * 8
    assert [pixels[8 * c, 8] for c in range(16)] == [255, 0] * 8


def test_the_last_byte_is_padded_with_ones():
    """T.81 F.1.2.3: one mid-grey block is a DC difference of 0 (``00``) and end-of-block (``0``),
    then five 1 bits to the byte."""
    data = encode_blocks([[128]])
    assert data.endswith(b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00" + b"\x1f" + b"\xff\xd9")
