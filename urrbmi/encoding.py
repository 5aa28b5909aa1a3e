"""The one text-encoding detector for files officers, departments and channels send (department
lists, payment files, refund results, task tables): a UTF-8 byte-order mark, UTF-16, then UTF-8
and GB18030 (what Chinese Excel and bank systems write), else charset-normalizer's best guess."""

from __future__ import annotations

from charset_normalizer import from_bytes

from urrbmi.errors import InvalidInput


def decode(data: bytes, name: str = "") -> tuple[str, str]:
    """(encoding, text) of a text file's bytes; ``name`` is the file's, for the error."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16", data.decode("utf-16", errors="replace")
    for enc in ("utf-8", "gb18030"):
        try:
            return enc, data.decode(enc)
        except UnicodeDecodeError:
            pass
    best = from_bytes(data[:200_000]).best()
    if best is not None:
        return best.encoding, data.decode(best.encoding, errors="replace")
    shown = f"{name}的" if name else ""
    raise InvalidInput(f"无法识别文件{shown}编码", f"cannot tell the text encoding of {name or 'the file'}")
