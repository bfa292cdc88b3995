#!/usr/bin/env python3
"""Draws BENCHMARKS.md's summary as an SVG bar chart (no plotting library:
this machine has none): one row per workload, the ratio vyrefs / best CPU
peer measured in the same run on a log scale, 1x marked, wins and losses in
two colours.

  tools/plot-summary.py bench/summary.csv > bench/summary.svg
"""
import csv
import html
import math
import sys


def main():
    rows = []
    with open(sys.argv[1]) as f:
        for r in csv.reader(line for line in f if not line.startswith("#")):
            name, machine, date, ours, peer, theirs, unit = r
            rows.append((name, machine, date, float(ours), peer, float(theirs), unit))
    left, width, bar, gap = 230, 420, 22, 10
    lo, hi = math.log10(0.05), math.log10(100)
    x = lambda ratio: left + (math.log10(ratio) - lo) / (hi - lo) * width
    height = 40 + len(rows) * (bar + gap) + 30
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'font-family="sans-serif" font-size="12">' % (left + width + 190, height),
           '<text x="10" y="20" font-weight="bold">vyrefs / best CPU peer, same run (log scale)</text>']
    for tick in (0.1, 0.3, 1, 3, 10, 30, 100):
        out.append('<line x1="%.1f" y1="30" x2="%.1f" y2="%d" stroke="%s"/>' %
                   (x(tick), x(tick), height - 25, "#000" if tick == 1 else "#ddd"))
        out.append('<text x="%.1f" y="%d" text-anchor="middle">%gx</text>' % (x(tick), height - 10, tick))
    for i, (name, machine, date, ours, peer, theirs, unit) in enumerate(rows):
        y = 40 + i * (bar + gap)
        ratio = ours / theirs
        x0, x1 = sorted((x(1), x(ratio)))
        out.append('<text x="%d" y="%d" text-anchor="end">%s (%s)</text>' % (left - 6, y + 15, html.escape(name), machine))
        out.append('<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"/>' %
                   (x0, y, max(x1 - x0, 1), bar, "#2a7" if ratio >= 1 else "#c44"))
        out.append('<text x="%.1f" y="%d">%.2fx vs %s (%g vs %g %s)</text>' %
                   (max(x(ratio), x(1)) + 4, y + 15, ratio, html.escape(peer), ours, theirs, unit))
    out.append("</svg>")
    print("\n".join(out))


if __name__ == "__main__":
    main()
