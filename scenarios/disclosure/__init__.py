"""Output checking: statistical disclosure control on evidence computed by trusted code.

The vocabulary follows ACRO's (MinimumThresholdCheck, PresenceOfZeroCheck, NKCheck,
PPercentCheck, dof) so that check records can be compared with ACRO's ``results.json``."""
