"""The question-vector cache both real embedders share."""

from assistant.indexing.embeddings import QueryCache


def test_a_repeated_question_is_not_embedded_again():
    calls = []
    cache = QueryCache(size=2)

    def embed(text):
        return lambda: calls.append(text) or [float(len(text))]

    assert cache.get("một", embed("một")) == [3.0]
    assert cache.get("một", embed("một")) == [3.0]
    assert calls == ["một"]


def test_the_least_recently_asked_question_goes_first():
    calls = []
    cache = QueryCache(size=2)
    for text in ["a", "b", "a", "c", "a", "b"]:
        cache.get(text, lambda text=text: calls.append(text) or [0.0])
    # "b" was dropped when "c" came (the cache held a, c), so it is embedded again.
    assert calls == ["a", "b", "c", "b"] and len(cache) == 2
