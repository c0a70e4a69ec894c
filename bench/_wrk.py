"""wrk runs against a route and /healthz, interleaved, so a shared machine's load falls on
both sides of each ratio alike; shared by bench/week_page.py and bench/console_poll.py."""

from __future__ import annotations

import re
import statistics
import subprocess
import tempfile
from pathlib import Path

# Each request a URL of its own (an unused `&n=` parameter), so every one is a cache miss.
UNIQUE = """
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, wrk.path .. "&n=" .. n .. "-" .. math.random(1, 1000000000))
end
"""


def wrk(url: str, seconds: int, connections: int, headers=(), script: str | None = None) -> dict:
    """Requests/s, p50/p99 (ms) and the responses wrk counts as errors (not 2xx/3xx)."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for header in headers:
        command += ["-H", header]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script or "")
    if script:
        command += ["-s", lua.name]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    Path(lua.name).unlink()
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    failed = re.search(r"Socket errors: .*?timeout (\d+)", out)

    def pct(p):
        value, unit = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": pct(50),
        "p99": pct(99),
        "errors": int(errors.group(1)) if errors else 0,
        "timeouts": int(failed.group(1)) if failed else 0,
    }


def spread(ratios: list[float]) -> str:
    """ "median 61 % (57–66 %, 3 pairs)"."""
    return (
        f"median {statistics.median(ratios):.0%} ({min(ratios):.0%}–{max(ratios):.0%}, "
        f"{len(ratios)} pairs)"
    )


def row(name: str, runs: list[dict]) -> str:
    rps = ", ".join(f"{r['rps']:.0f}" for r in runs)
    p99 = max(r["p99"] for r in runs)
    errors = sum(r["errors"] for r in runs)
    timeouts = sum(r["timeouts"] for r in runs)
    return f"| {name} | {rps} | {p99:.1f} ms | {errors} | {timeouts} |"


def load_average() -> str:
    return Path("/proc/loadavg").read_text().split()[0]
