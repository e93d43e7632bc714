"""Flask-level routes and hooks around the Dash app (health check, friendly errors)."""
from __future__ import annotations

import dash
from flask import Response, jsonify

from . import store
from .settings import Settings


def install(app: dash.Dash, conf: Settings) -> None:
    server = app.server

    @server.route("/healthz")
    def healthz():
        try:
            data = store.get()
        except store.StoreUnavailable:
            return jsonify({"status": "indisponible", "version": None}), 503
        return jsonify({"status": "ok", "version": data.version, "built_at": data.built_at})

    @server.errorhandler(500)
    def internal_error(_exc):  # never a traceback in a response
        return Response("<!doctype html><html lang='fr'><title>Erreur</title><h1>Une erreur est survenue</h1>"
                        "<p>Le service n'a pas pu répondre. Réessayez dans un instant.</p></html>",
                        status=500, mimetype="text/html")
