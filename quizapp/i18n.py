"""Translation helpers usable from pure modules (no Flask import)."""


def N_(message: str) -> str:
    """Mark a message id for extraction; it is translated where it is shown."""
    return message
