"""Baseline JPEG for images made of flat 8×8 blocks (a QR code drawn with 8-pixel modules), without
an imaging library.

A block of one grey level has a single DCT coefficient, the DC term ``8 × (level − 128)``; with a
quantisation table of ones that value is stored exactly, every AC term is zero (one end-of-block
code), so decoders reproduce the levels exactly. The entropy-coded data is then only the DC
differences from block to block, Huffman-coded with the standard luminance DC table.
"""
from __future__ import annotations

import struct
from typing import Dict, List, Sequence, Tuple

SOI, EOI = b"\xff\xd8", b"\xff\xd9"
JFIF = b"\xff\xe0" + struct.pack(">H5sBBBHHBB", 16, b"JFIF\x00", 1, 1, 0, 1, 1, 0, 0)
#: The standard luminance DC table (ITU T.81, K.3): code lengths 1-16, then the categories 0-11.
DC_BITS = (0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0)
DC_VALUES = tuple(range(12))
#: An AC table of one symbol, end-of-block (0x00), coded as the single bit 0.
AC_BITS = (1,) + (0,) * 15
AC_VALUES = (0,)
EOB = "0"


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def _huffman_codes(bits: Sequence[int], values: Sequence[int]) -> Dict[int, str]:
    """The canonical codes a DHT segment defines (T.81, C.2)."""
    codes, code, index = {}, 0, 0
    for length, count in enumerate(bits, start=1):
        for _ in range(count):
            codes[values[index]] = format(code, f"0{length}b")
            code, index = code + 1, index + 1
        code <<= 1
    return codes


DC_CODES = _huffman_codes(DC_BITS, DC_VALUES)


def _dc_difference(difference: int) -> str:
    """A DC difference: its category's code, then its value in that many bits (T.81, F.1.2.1)."""
    if difference == 0:
        return DC_CODES[0]
    category = abs(difference).bit_length()
    value = difference if difference > 0 else difference + (1 << category) - 1
    return DC_CODES[category] + format(value, f"0{category}b")


def _entropy_coded(bits: str) -> bytes:
    """Bits padded with ones to whole bytes, each 0xFF byte followed by a stuffed 0x00."""
    bits += "1" * (-len(bits) % 8)
    data = int(bits, 2).to_bytes(len(bits) // 8, "big") if bits else b""
    return data.replace(b"\xff", b"\xff\x00")


def encode_blocks(levels: List[List[int]]) -> bytes:
    """A greyscale JPEG of ``len(levels)`` rows of 8×8 blocks, ``levels[r][c]`` (0-255) the grey of each."""
    rows, columns = len(levels), len(levels[0])
    header = (SOI + JFIF
              + _segment(0xDB, b"\x00" + b"\x01" * 64)
              + _segment(0xC0, struct.pack(">BHHBBBB", 8, rows * 8, columns * 8, 1, 1, 0x11, 0))
              + _segment(0xC4, bytes((0x00, *DC_BITS, *DC_VALUES)))
              + _segment(0xC4, bytes((0x10, *AC_BITS, *AC_VALUES)))
              + _segment(0xDA, bytes((1, 1, 0x00, 0, 63, 0))))
    pieces: List[str] = []
    previous = 0
    cache: Dict[Tuple[int, int], str] = {}
    for row in levels:
        for level in row:
            dc = 8 * (level - 128)
            key = (previous, dc)
            piece = cache.get(key)
            if piece is None:
                piece = cache[key] = _dc_difference(dc - previous) + EOB
            pieces.append(piece)
            previous = dc
    return header + _entropy_coded("".join(pieces)) + EOI
