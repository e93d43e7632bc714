"""Shell behaviour: mark the current page on <body> (CSS hides the frame on the kiosk) and in the nav."""
from dash import ClientsideFunction, Input, Output, clientside_callback

clientside_callback(
    ClientsideFunction(namespace="shell", function_name="markPage"),     # assets/clientside.js
    Output("app-page", "data"),
    Input("app-url", "pathname"),
)
