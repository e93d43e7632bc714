"""Entry point: ``python app.py`` (development server) or ``gunicorn app:server`` (production).

Everything is built by ``dashboard.webapp.create_app`` from the settings (ACCES_SOINS_* variables).
"""
import sys

from dashboard import settings
from dashboard.webapp import create_app

try:
    settings.current()
except settings.SettingsError as exc:      # a bad ACCES_SOINS_* value: one French line, exit code 2, no traceback
    print(f"erreur : {exc}", file=sys.stderr)
    sys.exit(2)
app = create_app(settings.current())
server = app.server

if __name__ == "__main__":
    conf = settings.current()
    # Never debug mode: no dev tools, no tracebacks, even locally (see README "Sécurité").
    app.run(host=conf.host, port=conf.port, debug=False)
