"""Data services: an approved aggregate query over a scenario's workspace, called with an
API key. engine (templates, parameters, runs; no database state), definitions (proposal
and review), keys (made, revoked, authenticated), quotas (daily quotas and rate limits,
taken from the shared counters), calls (the metered call and its differencing ledger)."""
