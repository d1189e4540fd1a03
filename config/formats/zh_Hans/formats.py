"""Simplified Chinese pages group counts by thousands with a comma (87,600), as Chinese
statistics and government pages do; Django's own zh_Hans formats group nothing."""

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
