"""The naive reference the map is compared with: a Dash-tutorial choropleth.

On every indicator change the callback filters the values and returns a plotly Express
choropleth figure *with its GeoJSON*: the whole geometry travels again in each response.
"""
from __future__ import annotations

import pandas as pd
import plotly.express as px


def naive_callback(indicator: str, quarter: str, geojson: dict, observations: pd.DataFrame):
    """``Output("graph", "figure")`` of the tutorial pattern (what bench/map.py measures)."""
    frame = observations[(observations["indicator"] == indicator) & (observations["period"] <= quarter)]
    frame = frame.drop_duplicates("territory", keep="last")
    fig = px.choropleth(frame, geojson=geojson, locations="territory", featureidkey="properties.code",
                        color="value", color_continuous_scale="YlGnBu", hover_data=["status"])
    fig.update_geos(fitbounds="locations", visible=False)
    fig.update_layout(margin={"l": 0, "r": 0, "t": 0, "b": 0})
    return fig
