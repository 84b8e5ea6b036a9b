"""Terms of a text: what the reader and the verifier match on. They are memoised by text
(a passage is read by several steps and by every question that retrieves it), so a caller
that changes the list it got must not change what the next caller gets."""

from __future__ import annotations

from assistant.answering.terms import text_terms

TEXT = "Năm 2025, hợp tác xã thu hoạch 1.250 tấn cà phê, tăng 12,5% so với năm trước."


def test_terms_keep_offsets_quantities_and_clauses():
    terms = text_terms(TEXT)
    assert [TEXT[t.start : t.end] for t in terms][:3] == ["Năm", "2025", "hợp"]
    tonnes = next(t for t in terms if t.quantity is not None and "1.250" in TEXT[t.start : t.end])
    assert tonnes.clause == 1  # after the comma
    assert (terms[0].key, terms[0].exact) == ("nam", "năm")


def test_a_caller_changing_its_list_changes_nothing_for_the_next():
    first = text_terms(TEXT)
    expected = list(first)
    first.clear()
    assert text_terms(TEXT) == expected
    assert text_terms(TEXT) is not text_terms(TEXT)
