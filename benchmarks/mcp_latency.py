"""Warm `ask` through `qa mcp` (the SDK's stdio client, a real server process) against the
same questions answered in-process by `Workspace.ask`, interleaved, on the seeds.

    python -m benchmarks.mcp_latency [ROUNDS]

Prints p50/p95 per path and the ratio. Both refresh before answering (a stat walk), as
`qa ask` does by default.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time

import anyio

from benchmarks.common import QA, ROOT, SEED_QUESTIONS

QUESTIONS = [
    json.loads(line)["question"] for line in SEED_QUESTIONS.read_text().splitlines() if line.strip()
]


def p(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))] * 1000


async def main(rounds: int) -> None:
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    from qa.workspace import Workspace

    ws = Workspace.resolve(ROOT / "seeds", None)
    if ws.needs_build():
        ws.build()
    ws.retriever()
    params = StdioServerParameters(
        command=QA, args=["mcp", "--docs", str(ROOT / "seeds")], env=dict(os.environ)
    )
    through, inside = [], []
    async with Client(params) as client:
        await client.call_tool("ask", {"question": QUESTIONS[0]})  # warm both paths
        ws.refresh()
        ws.ask([QUESTIONS[0]])
        for _ in range(rounds):
            for q in QUESTIONS:
                t = time.perf_counter()
                await client.call_tool("ask", {"question": q})
                through.append(time.perf_counter() - t)
                t = time.perf_counter()
                ws.refresh()
                ws.ask([q])
                inside.append(time.perf_counter() - t)
    print(f"{len(through)} questions each, warm, seeds (2-core VM)\n")
    print("| path | p50 ms | p95 ms | p50 vs in-process |")
    print("|---|---|---|---|")
    base = statistics.median(inside)
    for name, times in (("in-process `Workspace.ask`", inside), ("`qa mcp` tool call", through)):
        ratio = statistics.median(times) / base
        print(f"| {name} | {p(times, 0.5):.1f} | {p(times, 0.95):.1f} | {ratio:.2f}× |")


if __name__ == "__main__":
    anyio.run(main, int(sys.argv[1]) if len(sys.argv) > 1 else 5)
