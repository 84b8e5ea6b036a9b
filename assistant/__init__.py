"""Vietnamese report assistant: cited answers from Vietnamese news and report articles."""

__version__ = "0.1.0"
