"""Kiosk: start the client-side engine (assets/kiosque.js) once the page is rendered.

No server callback: rotation, pause, version polling and the connection notice run in the
browser, so the kiosk needs no round-trip per slide and keeps working while the server is away.
"""
from dash import ClientsideFunction, Input, Output, clientside_callback

clientside_callback(
    ClientsideFunction(namespace="kiosque", function_name="start"),
    Output("kiosque-engine", "data"),
    Input("kiosque-config", "data"),
)
