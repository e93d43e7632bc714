"""Sending e-mail through the SMTP server of ``ACCES_SOINS_SMTP_URL`` (standard library only: smtplib, email).

``smtp://`` must upgrade with STARTTLS before anything else is said (credentials or content never cross the
network in clear: a server that does not offer it is an error, not a silent fallback); ``smtps://`` is TLS from
the first byte. Certificates are checked against the system's authorities (``SSL_CERT_FILE`` may name others).
"""
from __future__ import annotations

import base64
import contextlib
import email.utils
import smtplib
import ssl
from email.message import EmailMessage

from ..settings import SmtpServer

TIMEOUT = 30     # seconds per SMTP command: a cron job must end even when the server hangs


class MailError(Exception):
    """The SMTP server could not be reached, refused us or a message; the text is French."""


def message(sender: str, to: str, subject: str, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg["Date"] = email.utils.formatdate(localtime=True)
    domain = email.utils.parseaddr(sender)[1].rpartition("@")[2] or None
    msg["Message-ID"] = email.utils.make_msgid("acces-soins", domain=domain)
    msg["Auto-Submitted"] = "auto-generated"            # RFC 3834: no vacation reply loops
    msg.set_content(body)                               # text/plain; UTF-8 (accents) chosen by email itself
    return msg


@contextlib.contextmanager
def connection(server: SmtpServer):
    """One SMTP session for a whole run (signed in once), closed on exit."""
    where = f"{server.host}:{server.port}"
    context = ssl.create_default_context()
    try:
        if server.implicit_tls:
            client = smtplib.SMTP_SSL(server.host, server.port, timeout=TIMEOUT, context=context)
        else:
            client = smtplib.SMTP(server.host, server.port, timeout=TIMEOUT)
            client.ehlo()
            if not client.has_extn("starttls"):
                client.quit()
                raise MailError(f"le serveur SMTP {where} ne propose pas STARTTLS : rien n'est envoyé en clair "
                                "(smtps:// pour TLS dès la connexion)")
            client.starttls(context=context)
            client.ehlo()
        if server.user:
            _login(client, server)
    except MailError:
        raise
    except smtplib.SMTPAuthenticationError:
        raise MailError(f"le serveur SMTP {where} refuse l'identifiant ou le mot de passe") from None
    except (OSError, smtplib.SMTPException) as exc:     # ssl.SSLError and refused connections are OSErrors
        raise MailError(f"serveur SMTP {where} injoignable ou refusant la connexion ({_why(exc)})") from None
    try:
        yield client
    finally:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            client.quit()


def _login(client: smtplib.SMTP, server: SmtpServer) -> None:
    """``login`` for ASCII credentials; AUTH PLAIN in UTF-8 (RFC 4616) otherwise, which smtplib cannot encode
    (« mot de passe à accents » would crash it with a UnicodeEncodeError)."""
    if (server.user + server.password).isascii():
        client.login(server.user, server.password)
        return
    client.ehlo_or_helo_if_needed()              # as login() does; an smtps:// session has not greeted yet
    token = base64.b64encode(f"\0{server.user}\0{server.password}".encode("utf-8")).decode("ascii")
    code, answer = client.docmd("AUTH", f"PLAIN {token}")
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, answer)


def send(client: smtplib.SMTP, msg: EmailMessage) -> None:
    try:
        client.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"envoi à {msg['To']} refusé par le serveur SMTP ({_why(exc)})") from None


def _why(exc: BaseException) -> str:
    return f"{type(exc).__name__} : {exc}" if str(exc) else type(exc).__name__
