"""How values are written for a reader: dates the way Vietnamese articles write them.

Shared by everything that shows an article's metadata to a person or checks a reply
against it: the extractive reply ("được đăng ngày 11/10/2022"), verification of a
publication date, the CLI's and the UI's source lines, the UI's article table.

Not here: reading dates and figures out of text (`quantities.py`, `figures.py`), markup
and escaping for a terminal or a browser (the CLI and `ui/`).
"""

from __future__ import annotations


def display_date(iso: str | None) -> str | None:
    """`2022-10-11` -> `11/10/2022`, the way Vietnamese articles write dates.

    None or empty stays None; anything that is not an ISO date is returned as it is.
    """
    if not iso:
        return None
    parts = iso[:10].split("-")
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        return iso
    year, month, day = parts
    return f"{int(day)}/{int(month)}/{year}"
