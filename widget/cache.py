"""A shared cache for week pages and their grids: every visitor of a practice sees the same
free times, so a page is computed once per change, not once per visitor.

Entries are keyed by the practice's calendar and settings versions (versions.py raises them
after every commit that touches the practice; no other practice's change reaches them), never
by the clock. The clock enters only through the minimum lead time, which makes free times
drop off as it moves (a hidden time never comes back): a page therefore carries the moment
its earliest shown time falls into the lead time (or the next local midnight, when "today"
moves), and the lookup treats it as a miss from then on. A grid (free starts, for a 409's
alternatives) is filtered by `now` when read. Redis holds both, shared by all web
processes; without Redis nothing is cached. The version is read *before* a page is computed,
so a change committed meanwhile can only leave a page under the old, unread version.
Booking re-checks availability under the resource lock anyway: a stale page cannot
double-book.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app
from redis.exceptions import RedisError

import versions

TTL_SECONDS = 3600  # bounds what a version bump lost while Redis was away can leave behind
SLUG_SECONDS = 3600


@dataclass(frozen=True)
class Page:
    etag: str
    csp: str
    body: bytes
    valid_until: datetime  # when its earliest free time falls into the lead time


@dataclass(frozen=True)
class Miss:
    """What the lookup learnt on a miss: the practice and its versions, when Redis knew them
    (read before anything is computed: see the module's docstring)."""

    practice_id: int | None = None
    calendar: str | None = None
    settings: str | None = None

    @property
    def version(self) -> str | None:
        return f"{self.calendar}.{self.settings}" if self.calendar and self.settings else None


# One round trip: slug -> practice, its versions, then the page if still valid (a string);
# on a miss the practice and its versions (a list), or nothing for an unknown slug.
_LOOKUP = """
local id = redis.call('GET', 'slug:' .. ARGV[1])
if not id then return false end
local cal = redis.call('GET', 'calver:' .. id) or ''
local set = redis.call('GET', 'setver:' .. id) or ''
if cal == '' or set == '' then return {id, cal, set} end
local v = redis.call('GET', 'week:' .. id .. ':' .. cal .. '.' .. set .. ':' .. ARGV[2])
if not v then return {id, cal, set} end
local nl = string.find(v, '\\n', 1, true)
if tonumber(string.sub(v, 1, nl - 1)) < tonumber(ARGV[3]) then return {id, cal, set} end
return v
"""


def lookup(slug: str, query: bytes, now: datetime) -> Page | Miss:
    """The cached week page, or what a miss needs to know. A hit needs no database at all."""
    redis = current_app.extensions["redis"]
    try:
        cached = versions.script(redis, "_week_lookup", _LOOKUP)(
            args=[slug, _digest(query), math.ceil(now.timestamp())]
        )
    except RedisError:
        return Miss()
    if not cached:
        return Miss()
    if isinstance(cached, list):
        practice_id, calendar, settings = (v.decode() for v in cached)
        return Miss(int(practice_id), calendar or None, settings or None)
    valid_until, etag, csp, body = cached.split(b"\n", 3)
    return Page(etag.decode(), csp.decode(), body, datetime.fromtimestamp(int(valid_until), UTC))


_SETTINGS = """
local id = redis.call('GET', 'slug:' .. ARGV[1])
if not id then return false end
return {id, redis.call('GET', 'setver:' .. id) or ''}
"""


def settings_version(slug: str) -> tuple[int | None, str | None]:
    """The practice a slug names and its settings version, as far as Redis knows them."""
    try:
        found = versions.script(current_app.extensions["redis"], "_slug_settings", _SETTINGS)(
            args=[slug]
        )
    except RedisError:
        return None, None
    if not found:
        return None, None
    return int(found[0]), found[1].decode() or None


def version(practice_id: int) -> str | None:
    """The practice's calendar and settings version, read before computing what is stored
    under it; None when Redis does not answer (then nothing is stored)."""
    try:
        return versions.read(
            current_app.extensions["redis"], practice_id, versions.CALENDAR, versions.SETTINGS
        )
    except RedisError:
        return None


def etag_of(body: bytes) -> str:
    """The body's digest: a recomputed but unchanged week keeps its ETag (304 still)."""
    return hashlib.sha256(body).hexdigest()[:32]


def store_page(slug: str, practice_id: int, version: str, query: bytes, page: Page) -> None:
    """Remember the page (with its CSP, which names the practice's origins) until it is
    no longer valid, an hour at most."""
    redis = current_app.extensions["redis"]
    value = b"\n".join(
        (str(int(page.valid_until.timestamp())).encode(), page.etag.encode(), page.csp.encode())
    )
    try:
        with redis.pipeline() as pipe:
            pipe.set(f"slug:{slug}", practice_id, ex=SLUG_SECONDS)
            pipe.set(
                f"week:{practice_id}:{version}:{_digest(query)}",
                value + b"\n" + page.body,
                ex=TTL_SECONDS,
            )
            pipe.execute()
    except RedisError:
        pass


def _grid_key(practice_id: int, version: str, grid: str) -> str:
    return f"grid:{practice_id}:{version}:{grid}"


def store_grid(practice_id: int, version: str, grid: str, starts: list[datetime]) -> None:
    """The free starts (UTC) of one week of one choice, e.g. `grid` = "3.1.0.2026-11-23"."""
    text = ",".join(str(int(s.timestamp())) for s in starts)
    try:
        current_app.extensions["redis"].set(
            _grid_key(practice_id, version, grid), text or "-", ex=TTL_SECONDS
        )
    except RedisError:
        pass


def load_grid(practice_id: int, version: str, grid: str, earliest: datetime):
    """The stored free starts not before `earliest` (the lead time), or None on a miss."""
    try:
        raw = current_app.extensions["redis"].get(_grid_key(practice_id, version, grid))
    except RedisError:
        return None
    if raw is None:
        return None
    starts = [datetime.fromtimestamp(int(s), UTC) for s in raw.decode().split(",") if s != "-"]
    return [s for s in starts if s >= earliest]


def _digest(query: bytes) -> str:
    return hashlib.sha256(query).hexdigest()[:24]
