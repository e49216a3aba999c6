"""Reading a service's Prometheus counters (``/q/metrics``) around a run."""

from __future__ import annotations

import re

import aiohttp

# A sample line, with an optional OpenMetrics exemplar after the value (Quarkus adds trace exemplars to counters).
_SAMPLE = re.compile(r"^(\w+)(?:\{[^}]*\})?\s+(\S+)(?:\s+#.*)?$")


async def totals(base_url: str, names: tuple[str, ...]) -> dict[str, float]:
    """The sum over all label sets of each named sample (absent names: 0)."""
    async with aiohttp.ClientSession() as http, http.get(f"{base_url}/q/metrics") as response:
        text = await response.text()
    sums = dict.fromkeys(names, 0.0)
    for line in text.splitlines():
        match = _SAMPLE.match(line)
        if match and match.group(1) in sums:
            sums[match.group(1)] += float(match.group(2))
    return sums
