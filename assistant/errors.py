"""The assistant's error hierarchy, and nothing else.

Library code raises these; the CLI and the UI turn them into one-line messages.
Anything else that escapes is a bug.
"""


class AssistantError(Exception):
    """Base of every error the assistant reports to a user."""


class ConfigError(AssistantError):
    """Settings are missing, malformed or contradict each other."""


class ArticleError(AssistantError):
    """An article file cannot be read or parsed (the message names the file)."""


class ModelError(AssistantError):
    """A model (embedding or LLM) is missing, corrupt or cannot be loaded."""


class EmbeddingServerError(ModelError):
    """An embedding server cannot be reached, refuses, or answers with something unusable."""


class ModelIntegrityError(ModelError):
    """Fetched model files do not match their published checksum."""


class IndexStoreError(AssistantError):
    """The index is missing, corrupt, or cannot be written."""


class IndexLockedError(IndexStoreError):
    """Another process holds the index writer lock."""


class LLMError(AssistantError):
    """The language model cannot be reached, timed out, or failed while answering."""


class QuestionError(AssistantError):
    """A question cannot be asked as given (empty, too long, malformed batch input)."""


class SuiteError(AssistantError):
    """An eval suite file (or a dataset to import) cannot be read or is invalid."""
