"""Display helpers: dates written as Vietnamese articles write them."""

import pytest

from assistant.text.display import display_date


@pytest.mark.parametrize(
    ("iso", "shown"),
    [
        ("2022-10-11", "11/10/2022"),
        ("2022-03-05T08:00:00", "5/3/2022"),
        ("", None),
        (None, None),
        ("tháng 10", "tháng 10"),  # not an ISO date: shown as it is
        ("2022-10", "2022-10"),
    ],
)
def test_display_date(iso, shown):
    assert display_date(iso) == shown
