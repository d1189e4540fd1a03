"""Reasons as codes: each check entry keeps its English ``reason`` and, in ``reasons``,
the same reason as codes with their parameters (numbers, table codes, rule settings; no
data values), which the portal words in the reader's language."""


def say(code: str, **params) -> list[dict]:
    """One reason: its code and parameters (a list, so merged entries concatenate)."""
    return [{"code": code, "params": params}]
