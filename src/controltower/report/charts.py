"""The report's charts: Vega-Lite specs rendered offline to SVG by vl-convert.

Each ``*_spec`` function turns view rows into a Vega-Lite spec (pure data, testable);
:func:`render_svg` renders one and makes it responsive (no fixed width: it scales to its
container up to its natural width) with ids made unique, so several SVGs can be inlined in
one HTML page. Colours encode the same thing in every chart: the recommendation
(standardize / watch / keep-custom / reject) or the roadmap status.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from controltower.diagnose.models import Adoption, Economics, EconomicsPoint
from controltower.report.models import (
    CandidateRow,
    Chart,
    LensRow,
    PatternRow,
    ReportView,
    RoadmapRow,
)

__all__ = [
    "adoption_spec",
    "build_charts",
    "economics_spec",
    "pattern_map_spec",
    "render_svg",
    "stance_spec",
    "timeline_spec",
    "value_effort_spec",
]

Spec = dict[str, Any]

_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"


@dataclass(frozen=True)
class Layout:
    """Sizes of one rendering of the charts (the HTML has a wide and a narrow one).

    Attributes:
        name: ``wide`` (desktop, print, Markdown) or ``narrow`` (phones).
        width: Plot width of the full-width charts, in pixels.
        grid: Plot width of the timeline and capacity grids.
        labels: Longest category label (item and candidate names), in pixels.
        labelled: Points labelled by name in the scatter charts (the largest ones).
        step: Column width of the stance heatmap.
        legend_columns: Legend entries per row.
        bubble: Area, in square pixels, of the largest bubble.
        period_angle: Angle of the period labels under the timeline grids.
    """

    name: str
    width: int
    grid: int
    labels: int
    labelled: int
    step: int
    legend_columns: int
    bubble: int
    period_angle: int


WIDE = Layout(
    "wide",
    width=480,
    grid=300,
    labels=230,
    labelled=5,
    step=44,
    legend_columns=3,
    bubble=900,
    period_angle=0,
)
NARROW = Layout(
    "narrow",
    width=270,
    grid=170,
    labels=120,
    labelled=3,
    step=30,
    legend_columns=2,
    bubble=360,
    period_angle=-40,
)
LAYOUTS = (WIDE, NARROW)

_RECOMMENDATIONS = ["standardize", "watch", "keep-custom", "reject", "n/a"]
_RECOMMENDATION_COLOURS = ["#15803d", "#d97706", "#64748b", "#dc2626", "#a3a3a3"]
_TRENDS = ["emerging", "growing", "stable", "fading", "unknown"]
_CONFIG: Spec = {
    "font": "Helvetica, Arial, sans-serif",
    "background": "white",
    "padding": 8,
    "title": {
        "fontSize": 16,
        "fontWeight": 600,
        "anchor": "start",
        "subtitleFontSize": 12,
        "subtitleColor": "#475569",
        "offset": 10,
    },
    "axis": {
        "labelFontSize": 12,
        "titleFontSize": 13,
        "titleFontWeight": 500,
        "gridColor": "#e5e7eb",
        "domainColor": "#94a3b8",
        "tickColor": "#94a3b8",
        "labelColor": "#334155",
        "titleColor": "#0f172a",
    },
    "legend": {"labelFontSize": 12, "titleFontSize": 12, "orient": "bottom", "columns": 3},
    "view": {"stroke": None},
}
_OUTSIDE_STANCES = {"planned": "#15803d", "under review": "#a3a3a3"}
"""What an outside reader (the customer view) sees instead of a recommendation."""


def _recommendation_scale(shown: Sequence[str]) -> Spec:
    """The recommendation colours, for the values a chart shows (its legend lists only them)."""
    colours = dict(zip(_RECOMMENDATIONS, _RECOMMENDATION_COLOURS, strict=True)) | _OUTSIDE_STANCES
    domain = [v for v in colours if v in set(shown)]
    return {"domain": domain, "range": [colours[v] for v in domain]}


def _base(title: str, subtitle: str, layout: Layout) -> Spec:
    config = _CONFIG | {"legend": _CONFIG["legend"] | {"columns": layout.legend_columns}}
    return {"$schema": _SCHEMA, "title": {"text": title, "subtitle": subtitle}, "config": config}


def _top(rows: Sequence[Any], key: str, layout: Layout) -> set[str]:
    ranked = sorted(rows, key=lambda r: -float(getattr(r, key)))
    return {r.id for r in ranked[: layout.labelled]}


def value_effort_spec(candidates: Sequence[CandidateRow], layout: Layout = WIDE) -> Spec | None:
    """Value (P50, with P10–P90 bars) against effort; bubble size ARR touched."""
    rows = [c for c in candidates if c.effort_weeks is not None and c.p50_value > 0]
    if not rows:
        return None
    labelled = _top(rows, "p50_value", layout)
    data = [
        {
            "name": c.name,
            "id": c.id,
            "effort": c.effort_weeks,
            "p50": c.p50_value,
            "low": c.p10_value,
            "high": c.p90_value,
            "arr": c.arr_touched,
            "recommendation": c.recommendation,
            "label": c.id if c.id in labelled else "",
        }
        for c in rows
    ]
    x = {"field": "effort", "type": "quantitative", "title": "Effort (engineering weeks)"}
    colour = {
        "field": "recommendation",
        "type": "nominal",
        "title": "Recommendation",
        "scale": _recommendation_scale([c.recommendation for c in rows]),
    }
    return _base(
        "Value vs effort",
        "P50 value with its P10–P90 range; bubble size = ARR touched; top items labelled",
        layout,
    ) | {
        "width": layout.width,
        "height": 360,
        "data": {"values": data},
        "layer": [
            {
                "mark": {"type": "rule", "opacity": 0.45, "strokeWidth": 2},
                "encoding": {
                    "x": x,
                    "y": {"field": "low", "type": "quantitative"},
                    "y2": {"field": "high"},
                    "color": colour,
                },
            },
            {
                "mark": {"type": "circle", "opacity": 0.8, "stroke": "white", "strokeWidth": 1},
                "encoding": {
                    "x": x,
                    "y": {
                        "field": "p50",
                        "type": "quantitative",
                        "title": "Value (P50, P10–P90)",
                        "axis": {"format": "~s"},
                    },
                    "size": {
                        "field": "arr",
                        "type": "quantitative",
                        "title": "ARR touched",
                        "legend": {"format": "~s"},
                        "scale": {"range": [30, layout.bubble]},
                    },
                    "color": colour,
                },
            },
            {
                "mark": {"type": "text", "align": "left", "dx": 9, "fontSize": 11},
                "encoding": {
                    "x": x,
                    "y": {"field": "p50", "type": "quantitative"},
                    "text": {"field": "label"},
                    "color": {"value": "#1e293b"},
                },
            },
        ],
    }


def timeline_spec(
    rows: Sequence[RoadmapRow],
    periods: Sequence[str],
    capacity: Sequence[dict[str, float | str]],
    layout: Layout = WIDE,
) -> Spec | None:
    """Planned work by period (one row per item, coloured by team), then capacity use."""
    planned = [r for r in rows if r.load]
    if not planned or not periods:
        return None
    order = sorted(
        planned,
        key=lambda r: (r.team, periods.index(r.period) if r.period in periods else 0, r.name),
    )
    data = [
        {"item": f"{r.name} ({r.id})", "team": r.team, "period": period, "weeks": weeks}
        for r in order
        for period, weeks in r.load.items()
    ]
    x = {
        "field": "period",
        "type": "ordinal",
        "title": None,
        "sort": list(periods),
        "axis": {"labelAngle": layout.period_angle},
    }
    gantt: Spec = {
        "title": {"text": "Planned work by period", "fontSize": 13, "anchor": "start"},
        "width": layout.grid,
        "height": {"step": 22},
        "data": {"values": data},
        "layer": [
            {
                "mark": {"type": "rect", "cornerRadius": 3, "opacity": 0.9},
                "encoding": {
                    "x": x,
                    "y": {
                        "field": "item",
                        "type": "nominal",
                        "title": None,
                        "sort": [f"{r.name} ({r.id})" for r in order],
                        "axis": {"labelLimit": layout.labels},
                    },
                    "color": {"field": "team", "type": "nominal", "title": "Team"},
                },
            },
            {
                "mark": {"type": "text", "color": "white", "fontSize": 11},
                "encoding": {
                    "x": x,
                    "y": {"field": "item", "type": "nominal", "sort": None},
                    "text": {"field": "weeks", "type": "quantitative", "format": ".3~"},
                },
            },
        ],
    }
    spec = _base("Roadmap timeline", "weeks of work per item and period, by team", layout)
    if not capacity:
        return spec | gantt
    used = [
        dict(c, share=float(c["used"]) / float(c["usable"]) if float(c["usable"]) else 0.0)
        for c in capacity
    ]
    heat: Spec = {
        "title": {"text": "Capacity used / usable (weeks)", "fontSize": 13, "anchor": "start"},
        "width": layout.grid,
        "height": {"step": 26},
        "data": {"values": used},
        "encoding": {
            "x": x,
            "y": {"field": "team", "type": "nominal", "title": None},
        },
        "layer": [
            {
                "mark": "rect",
                "encoding": {
                    "color": {
                        "field": "share",
                        "type": "quantitative",
                        "title": "Share used",
                        "scale": {"domain": [0, 1], "scheme": "blues"},
                        "legend": {"format": "%"},
                    }
                },
            },
            {
                "mark": {"type": "text", "fontSize": 11},
                "encoding": {
                    "text": {"field": "label", "type": "nominal"},
                    "color": {
                        "condition": {"test": "datum.share > 0.6", "value": "white"},
                        "value": "#0f172a",
                    },
                },
                "transform": [
                    {
                        "calculate": "format(datum.used, '.3~') + '/' "
                        "+ format(datum.usable, '.3~')",
                        "as": "label",
                    }
                ],
            },
        ],
    }
    return spec | {
        "vconcat": [gantt, heat],
        "resolve": {"scale": {"color": "independent"}},
    }


def pattern_map_spec(
    patterns: Sequence[PatternRow], *, money: bool, layout: Layout = WIDE
) -> Spec | None:
    """Patterns by recurrence (distinct accounts) and trend; size ARR (or signals)."""
    if not patterns:
        return None
    labelled = _top(patterns, "accounts", layout)
    lanes: dict[str, int] = {}
    data = []
    for p in sorted(patterns, key=lambda p: -p.accounts):
        lane = lanes.get(p.trend, 0)
        lanes[p.trend] = lane + 1
        data.append(
            {
                "label": p.label,
                "accounts": p.accounts,
                "trend": p.trend,
                "lane": str(lane % 4),
                "size": p.arr if money else float(p.signals),
                "recommendation": p.recommendation,
                "text": p.label if p.id in labelled else "",
            }
        )
    y = {
        "field": "trend",
        "type": "nominal",
        "title": "Trend",
        "sort": _TRENDS,
        "scale": {"domain": [t for t in _TRENDS if t in lanes]},
    }
    offset = {"field": "lane", "type": "nominal", "scale": {"paddingOuter": 0.3}}
    x = {
        "field": "accounts",
        "type": "quantitative",
        "title": "Recurrence (distinct accounts)",
    }
    return _base(
        "Pattern map",
        "recurrence vs trend; size = " + ("ARR touched" if money else "number of signals"),
        layout,
    ) | {
        "width": layout.width - 40,
        "height": 80 * len(lanes),
        "data": {"values": data},
        "layer": [
            {
                "mark": {"type": "circle", "opacity": 0.8, "stroke": "white"},
                "encoding": {
                    "x": x,
                    "y": y,
                    "yOffset": offset,
                    "size": {
                        "field": "size",
                        "type": "quantitative",
                        "title": "ARR touched" if money else "Signals",
                        "legend": {"format": "~s"},
                        "scale": {"range": [30, int(layout.bubble * 0.8)]},
                    },
                    "color": {
                        "field": "recommendation",
                        "type": "nominal",
                        "title": "Recommendation",
                        "scale": _recommendation_scale([p.recommendation for p in patterns]),
                    },
                },
            },
            {
                "mark": {"type": "text", "align": "left", "dx": 10, "fontSize": 11},
                "encoding": {
                    "x": x,
                    "y": y,
                    "yOffset": offset,
                    "text": {"field": "text"},
                },
            },
        ],
    }


_ECONOMICS_METRICS: tuple[tuple[str, str, str], ...] = (
    ("fde_hours", "FDE hours", "~s"),
    ("fde_cost", "FDE cost (COGS)", "~s"),
    ("gross_margin", "Gross margin", ".0%"),
)


def economics_spec(economics: Economics, *, money: bool, layout: Layout = WIDE) -> Spec | None:
    """FDE hours, COGS and gross margin per period, with and without the plan."""
    if not economics.periods:
        return None
    metrics = [
        m
        for m in _ECONOMICS_METRICS
        if (money or m[0] == "fde_hours")
        and all(
            getattr(point, m[0]) is not None
            for p in economics.periods
            for point in (p.with_plan, p.without_plan)
        )
    ]
    periods = [p.period for p in economics.periods]
    charts = [_economics_panel(economics, metric, periods, layout) for metric in metrics]
    subtitle = "P50 lines with P10–P90 bands" + (
        f"; FDE hours per new deployment keep falling from {economics.escape_period}"
        if economics.escape_period
        else "; FDE hours per new deployment do not keep falling within the horizon"
    )
    return _base("Economics with and without the plan", subtitle, layout) | {
        "vconcat": charts,
        "resolve": {"scale": {"color": "shared"}},
    }


def _economics_panel(
    economics: Economics, metric: tuple[str, str, str], periods: list[str], layout: Layout
) -> Spec:
    name, title, fmt = metric
    data = []
    for period in economics.periods:
        for scenario, point in (
            ("with plan", period.with_plan),
            ("without plan", period.without_plan),
        ):
            band = _metric(point, name)
            data.append(
                {"period": period.period, "scenario": scenario, **band}
                | {"escape": period.period == economics.escape_period}
            )
    x = {
        "field": "period",
        "type": "ordinal",
        "title": None,
        "sort": periods,
        "axis": {"labelAngle": 0},
    }
    colour = {
        "field": "scenario",
        "type": "nominal",
        "title": None,
        "scale": {"domain": ["with plan", "without plan"], "range": ["#1d4ed8", "#94a3b8"]},
        "legend": {"symbolType": "stroke", "symbolStrokeWidth": 3},
    }
    y = {
        "field": "p50",
        "type": "quantitative",
        "title": title,
        "axis": {"format": fmt},
        "scale": {"zero": name != "gross_margin"},
    }
    return {
        "width": layout.width - 40,
        "height": 130,
        "data": {"values": data},
        "layer": [
            {
                "mark": {"type": "area", "opacity": 0.15},
                "encoding": {
                    "x": x,
                    "y": {
                        "field": "p10",
                        "type": "quantitative",
                        "scale": {"zero": name != "gross_margin"},
                    },
                    "y2": {"field": "p90"},
                    "color": colour,
                },
            },
            {
                "mark": {"type": "line", "point": True, "strokeWidth": 2.5},
                "encoding": {"x": x, "y": y, "color": colour},
            },
            {
                "transform": [{"filter": "datum.escape && datum.scenario == 'with plan'"}],
                "mark": {"type": "rule", "strokeDash": [4, 3], "color": "#15803d"},
                "encoding": {"x": x},
            },
            {
                "transform": [{"filter": "datum.escape && datum.scenario == 'with plan'"}],
                "mark": {
                    "type": "text",
                    "text": "escape",
                    "color": "#15803d",
                    "dy": -6,
                    "dx": 4,
                    "align": "left",
                    "baseline": "bottom",
                    "fontSize": 11,
                },
                "encoding": {"x": x, "y": {"value": 12}},
            },
        ],
    }


def _metric(point: EconomicsPoint, name: str) -> dict[str, float]:
    band = getattr(point, name)
    assert band is not None  # panels of undefined metrics are left out
    return {"p10": band.p10, "p50": band.p50, "p90": band.p90}


def stance_spec(
    roles: Sequence[str], lenses: Sequence[LensRow], layout: Layout = WIDE
) -> Spec | None:
    """Each role's stance (−2 … +2) on each candidate."""
    data = [
        {"candidate": f"{row.name} ({row.id})", "role": cell.role, "stance": cell.stance}
        for row in lenses
        for cell in row.cells
        if cell.stance is not None
    ]
    if not data:
        return None
    y = {
        "field": "candidate",
        "type": "nominal",
        "title": None,
        "sort": [f"{r.name} ({r.id})" for r in lenses],
        "axis": {"labelLimit": layout.labels},
    }
    x = {
        "field": "role",
        "type": "nominal",
        "title": None,
        "sort": list(roles),
        "axis": {"orient": "top", "labelAngle": -35, "labelAlign": "left", "labelLimit": 160},
    }
    return _base("Stances by role", "−2 blocks … +2 champions; conflicts first", layout) | {
        "width": {"step": layout.step},
        "height": {"step": 20},
        "data": {"values": data},
        "encoding": {"x": x, "y": y},
        "layer": [
            {
                "mark": {"type": "rect", "stroke": "white"},
                "encoding": {
                    "color": {
                        "field": "stance",
                        "type": "quantitative",
                        "title": "Stance",
                        "scale": {"domain": [-2, 2], "scheme": "redblue"},
                    }
                },
            },
            {
                "mark": {"type": "text", "fontSize": 11},
                "encoding": {
                    "text": {"field": "stance", "type": "quantitative", "format": "+d"},
                    "color": {
                        "condition": {"test": "abs(datum.stance) >= 2", "value": "white"},
                        "value": "#0f172a",
                    },
                },
            },
        ],
    }


def adoption_spec(adoption: Adoption, layout: Layout = WIDE) -> Spec | None:
    """Share of eligible accounts using each shipped capability, over time."""
    data = [
        {"capability": c.name, "date": point.date.isoformat(), "share": point.share}
        for c in adoption.capabilities
        for point in c.curve
    ]
    if not data:
        return None
    targets = [{"capability": c.name, "target": c.target_share} for c in adoption.capabilities]
    colour = {
        "field": "capability",
        "type": "nominal",
        "title": None,
        "legend": {"columns": 1, "labelLimit": layout.width},
    }
    return _base(
        "Adoption of shipped capabilities", "share of eligible accounts using each", layout
    ) | {
        "width": layout.width,
        "height": 260,
        "layer": [
            {
                "data": {"values": data},
                "mark": {"type": "line", "point": True, "interpolate": "step-after"},
                "encoding": {
                    "x": {
                        "field": "date",
                        "type": "temporal",
                        "title": None,
                        "axis": {"format": "%b %Y", "tickCount": "month", "labelAngle": 0},
                    },
                    "y": {
                        "field": "share",
                        "type": "quantitative",
                        "title": "Share of eligible accounts",
                        "axis": {"format": "%"},
                        "scale": {"domain": [0, 1]},
                    },
                    "color": colour,
                },
            },
            {
                "data": {"values": targets},
                "mark": {"type": "rule", "strokeDash": [4, 3], "opacity": 0.7},
                "encoding": {"y": {"field": "target", "type": "quantitative"}, "color": colour},
            },
        ],
    }


_SIZE = re.compile(r'^(<svg\b[^>]*?)\swidth="([\d.]+)"\sheight="([\d.]+)"')
_ID = re.compile(r'\bid="([^"]+)"')


def render_svg(spec: Spec, *, prefix: str, title: str) -> tuple[str, str]:
    """Render a spec to SVG: (inline responsive SVG, standalone SVG file text).

    The inline form has no fixed size (``width:100%``, height from the viewBox, at most
    its natural width) and its element ids prefixed, so that several charts can share one
    HTML page without their clip paths colliding.
    """
    import vl_convert

    svg = vl_convert.vegalite_to_svg(spec)
    inline = svg
    for identifier in sorted(set(_ID.findall(svg)), key=len, reverse=True):
        new = f"{prefix}-{identifier}"
        inline = inline.replace(f'id="{identifier}"', f'id="{new}"')
        inline = inline.replace(f"url(#{identifier})", f"url(#{new})")
        inline = inline.replace(f'href="#{identifier}"', f'href="#{new}"')
    match = _SIZE.match(inline)
    if match is not None:
        natural = float(match.group(2))
        inline = _SIZE.sub(
            rf'\1 style="width:100%;max-width:{natural:g}px;height:auto" '
            rf'role="img" aria-label="{_attr(title)}" preserveAspectRatio="xMinYMin meet"',
            inline,
            count=1,
        )
    return inline, svg


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def build_charts(
    view: ReportView,
    *,
    economics: Economics | None,
    adoption: Adoption | None,
) -> dict[str, Chart]:
    """Render every chart the view has data and an audience for, wide and narrow."""
    charts: dict[str, Chart] = {}
    for key, title, caption, make in _chart_plans(view, economics, adoption):
        wide, narrow = make(WIDE), make(NARROW)
        if wide is None or narrow is None:
            continue
        inline, standalone = render_svg(wide, prefix=f"chart-{key}-wide", title=title)
        small, _ = render_svg(narrow, prefix=f"chart-{key}-narrow", title=title)
        charts[key] = Chart(
            key=key,
            title=title,
            caption=caption,
            svg=inline,
            svg_narrow=small,
            file=f"charts/{key}.svg",
            file_svg=standalone,
        )
    return charts


SpecMaker = Callable[[Layout], Spec | None]


def _chart_plans(
    view: ReportView, economics: Economics | None, adoption: Adoption | None
) -> list[tuple[str, str, str, SpecMaker]]:
    """(key, title, caption, spec maker) of each chart the view calls for."""
    planned = [r for team in view.teams for r in (*team.now, *team.next, *team.later)]
    plans: list[tuple[str, str, str, SpecMaker]] = [
        (
            "timeline",
            "Roadmap timeline",
            "Each bar is an item's weeks of work in a period, coloured by team"
            + ("; below, each team's capacity use." if view.capacity else "."),
            lambda layout: timeline_spec(planned, view.periods, view.capacity, layout),
        )
    ]
    if view.patterns:
        plans.append(
            (
                "patterns",
                "Pattern map",
                "Patterns by how many accounts raise them and where their trend is heading.",
                lambda layout: pattern_map_spec(view.patterns, money=view.money, layout=layout),
            )
        )
    if view.candidates and view.money:
        plans.append(
            (
                "value",
                "Value vs effort",
                "Top left is high value for little effort; colour is the standardization "
                "recommendation; labels are candidate ids (see the table).",
                lambda layout: value_effort_spec(view.candidates, layout),
            )
        )
    if view.lenses:
        plans.append(
            (
                "stances",
                "Stances by role",
                "Computed and entered stances (entered ones win); red blocks, blue supports.",
                lambda layout: stance_spec(view.roles, view.lenses, layout),
            )
        )
    if view.economics is not None and economics is not None:
        plans.append(
            (
                "economics",
                "Economics with and without the plan",
                "The dashed line marks the escape from the high-touch trap, when there is one.",
                lambda layout: economics_spec(economics, money=view.money, layout=layout),
            )
        )
    if view.adoption is not None and adoption is not None:
        plans.append(
            (
                "adoption",
                "Adoption curves",
                "Dashed lines are each capability's adoption target.",
                lambda layout: adoption_spec(adoption, layout),
            )
        )
    return plans
