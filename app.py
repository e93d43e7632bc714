"""Entry point: ``python app.py`` (development server) or ``gunicorn app:server`` (production).

Everything is built by ``dashboard.webapp.create_app`` from the settings (ACCES_SOINS_* variables).
"""
from dashboard import settings
from dashboard.webapp import create_app

app = create_app(settings.current())
server = app.server

if __name__ == "__main__":
    conf = settings.current()
    # Never debug mode: no dev tools, no tracebacks, even locally (see README "Sécurité").
    app.run(host=conf.host, port=conf.port, debug=False)
