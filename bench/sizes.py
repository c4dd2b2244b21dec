"""Byte sizes as the README writes them, for every bench command:
'2GiB', '200MiB', '64KiB', '1.5GiB', '30MB', '4096' (binary units KiB MiB
GiB TiB and their one-letter forms K M G T; decimal kB MB GB TB; B or no
unit for bytes)."""
import argparse
import re

UNITS = {"": 1, "B": 1,
         "K": 1 << 10, "KIB": 1 << 10, "M": 1 << 20, "MIB": 1 << 20,
         "G": 1 << 30, "GIB": 1 << 30, "T": 1 << 40, "TIB": 1 << 40,
         "KB": 1000, "MB": 1000 ** 2, "GB": 1000 ** 3, "TB": 1000 ** 4}


class SizeError(argparse.ArgumentTypeError, ValueError):
    """Not a size (argparse prints the message; a ValueError to callers)."""


def parse_size(text):
    """Bytes of text (an int passes through); SizeError when it is not a
    size."""
    if isinstance(text, int):
        return text
    m = re.match(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$", str(text))
    if not m or m.group(2).upper() not in UNITS:
        raise SizeError("bad size %r (e.g. 2GiB, 200MiB, 4096)" % text)
    return int(float(m.group(1)) * UNITS[m.group(2).upper()])
