"""Fixed-window counters for data-service quotas and rate limits, the differencing
ledger's copy and the call log's stream, shared by every web worker in Redis
(SERVICES_REDIS_URL: the broker's Redis by default, the embedded default's too).

A call settles in one script, one round trip: it stores the result it computed (for a
cached service; the results are under the same prefix), counts the key's rate and the
organization's daily quota only below their limits (a refused call is never counted, so
raising a limit takes effect at once; each window expires on its own), checks the answer's
cells against the organization's earlier answers and records the new ones, and appends the
call to the log's stream before the caller answers (``calllog`` drains it into the
database). Scripts run one at a time: two calls never see the ledger half-written."""

from functools import cache

import orjson
from django.conf import settings

from core.kv import kv_client as client
from core.kv import kv_name as name_of

# KEYS: the rate's window, the quota's window (or an empty name: a refused call takes no
# quota), the call log's stream, the ledger's marker (loaded from the database), a result
# to cache (or an empty name).
# ARGV: rate limit, its seconds, quota limit, its seconds, the call (JSON), the ledger's
# key prefix, the threshold, the cells to check ("key:units:values;..."; values: the
# fingerprint of the cell's answered values), the result to cache and its seconds.
# Answers {outcome, log length, positions of the cells suppressed...}: outcome 0 counted,
# 1 the rate is full, 2 the quota is full (both logged as refused), 3 the ledger is not
# loaded (nothing counted or logged).
_CALL = """
if KEYS[5] ~= '' then redis.call('SET', KEYS[5], ARGV[9], 'EX', ARGV[10]) end
if ARGV[8] ~= '' and redis.call('EXISTS', KEYS[4]) == 0 then return {3, 0} end
local function taken(key, limit, seconds)
  local count = tonumber(redis.call('GET', key) or '0')
  if count >= tonumber(limit) then return false end
  if redis.call('INCR', key) == 1 then redis.call('EXPIRE', key, seconds) end
  return true
end
local function log(outcome, hidden, shown)
  redis.call('XADD', KEYS[3], '*', 'call', ARGV[5], 'outcome', outcome,
             'hidden', hidden, 'ledger', shown)
  return redis.call('XLEN', KEYS[3])
end
if not taken(KEYS[1], ARGV[1], ARGV[2]) then return {1, log('rate', 0, '')} end
if KEYS[2] ~= '' and not taken(KEYS[2], ARGV[3], ARGV[4]) then
  return {2, log('quota', 0, '')}
end
local threshold = tonumber(ARGV[7])
local answer = {0, 0}
local shown = {}
local position = 0
for cell, units, values in string.gmatch(ARGV[8], '([^;:]+):([^;:]+):([^;:]*)') do
  local key = ARGV[6] .. cell
  local count = tonumber(units)
  local clash, seen = false, false
  for _, earlier in ipairs(redis.call('SMEMBERS', key)) do
    local earlier_units, earlier_values = string.match(earlier, '^([^:]+):?(.*)$')
    local apart = math.abs(count - tonumber(earlier_units))
    if apart == 0 and (earlier_values == values or earlier_values == '') then
      -- the same answer; or one recorded before fingerprints, whose values are unknown:
      -- this answer's are recorded beside it, and later other values clash with them
      if earlier_values == values then seen = true end
    elseif apart < threshold then clash = true break end
  end
  if clash then
    table.insert(answer, position)
  elseif not seen then
    redis.call('SADD', key, units .. ':' .. values)
    table.insert(shown, cell .. ':' .. units .. ':' .. values)
  end
  position = position + 1
end
answer[2] = log('ok', #answer - 2, table.concat(shown, ';'))
return answer
"""


@cache
def _script(url: str):
    return client().register_script(_CALL)


def call_settle(
    *,
    rate: tuple[str, int, int],
    quota: tuple[str, int, int] | None,
    record: dict,
    ledger: str,
    threshold: int,
    cells: list[tuple[str, int, str]],
    store: tuple[str, bytes, int] | None = None,
) -> list[int]:
    """One round trip: cache a result (``store``: its Redis key, value and seconds), take the
    rate (name, limit, seconds), then the quota (or none for a refused call), check and
    record ``cells`` (key, units, values' fingerprint) in the ledger ``ledger`` and log
    ``record``. [outcome, log length, positions suppressed...]; see _CALL.

    A cell clashes with the same cell answered before when their units differ by fewer
    than ``threshold``, or when they have as many units but other values (the same units
    seen again, with more rows: a subtraction would give the rows in between); it is seen
    when units and values are the same. A cell recorded before fingerprints (its values
    unknown) takes the fingerprint of the first answer with as many units after it."""
    script = _script(settings.SERVICES_REDIS_URL)
    quota_name, quota_limit, quota_seconds = quota or ("", 0, 0)
    store_name, store_value, store_seconds = store or ("", b"", 0)
    return script(
        keys=[
            name_of(rate[0]),
            name_of(quota_name) if quota_name else "",
            name_of("calls"),
            name_of(ledger),
            store_name,
        ],
        args=[
            rate[1],
            rate[2],
            quota_limit,
            quota_seconds,
            orjson.dumps(record),
            name_of(ledger + ":"),
            threshold,
            ";".join(f"{key}:{units}:{values}" for key, units, values in cells),
            store_value,
            store_seconds,
        ],
    )


def ledger_load(ledger: str, cells) -> None:
    """Copy the database's ledger (cells as (key, units, values' fingerprint)) into Redis,
    then mark it loaded. Only adds: a call recording meanwhile loses nothing."""
    pipe = client().pipeline(transaction=False)
    for index, (key, units, values) in enumerate(cells, start=1):
        pipe.sadd(name_of(f"{ledger}:{key}"), f"{units}:{values}")
        if index % 10_000 == 0:
            pipe.execute()
    pipe.set(name_of(ledger), 1)
    pipe.execute()
