"""Keep database credentials out of everything BVP prints or stores.

libpq (and so SQLAlchemy with psycopg2) takes a password in four ways, and each is
masked here:

============================  ==================================================
user-info                     ``postgresql://user:secret@host/db``, also with an
                              unencoded ``@`` or ``:`` in the password
                              (``user:p@ss:w@host``: everything up to the *last*
                              ``@`` before the host is user-info)
query parameter               ``postgresql:///db?host=/run&user=u&password=secret``
keyword/value string          ``host=h dbname=bvp password='se cret'``
``PGPASSWORD``                the environment variable; its value is masked
                              wherever it appears in text
============================  ==================================================

:func:`mask_url` masks one URL (for ``bvp config``, ``bvp db status``, provenance);
:func:`mask_text` masks free text (error messages, log records, anything written to a
report): every URL in it, every ``password=`` pair, and every known secret value (the
passwords of the configured URLs, raw and percent-encoded, and ``PGPASSWORD``).
:func:`install_log_redaction` makes every log record pass through :func:`mask_text`.
"""

from __future__ import annotations

import logging
import os
import re
from urllib.parse import quote, unquote

MASK = "***"
URL_VARS = ("BVP_DATABASE_URL", "SQLALCHEMY_DATABASE_URI", "DATABASE_URL")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*://)(.*)$", re.S)
# keyword/value connection strings: password=secret or password = 'se cret' (libpq quoting)
_KV_PASSWORD = re.compile(r"""(?i)(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&;,)'"]+)""")
_URL_IN_TEXT = re.compile(r"""[A-Za-z][A-Za-z0-9+.\-]*://[^\s'"<>`]+""")


def secret_spans(url: str) -> list[tuple[int, int]]:
    """Where the passwords are in ``url``: ``(start, end)`` character spans, left to right.

    The user-info ends at the last ``@`` before the query (a password may hold ``@``,
    ``:``, ``/``; libpq wants them percent-encoded, but users paste them raw); a ``?``
    before that ``@`` counts as part of the password unless what follows it looks like
    a query (``key=value``). Query parameters named ``password`` count too. A string
    that is no URL is read as a keyword/value connection string.
    """
    m = _SCHEME.match(url or "")
    if m is None:
        return [k.span(2) for k in _KV_PASSWORD.finditer(url or "")]
    base = len(m.group(1))
    rest = m.group(2)
    q = rest.find("?")
    q = len(rest) if q < 0 else q
    at = rest.rfind("@", 0, q)
    last = rest.rfind("@")
    if last > q and "=" not in rest[q:last] and "&" not in rest[q:last]:
        at = last
    spans = []
    if at >= 0:
        colon = rest.find(":", 0, at)
        if colon >= 0:
            spans.append((base + colon + 1, base + at))
        q = rest.find("?", at)
        q = len(rest) if q < 0 else q
    pos = q + 1
    if q < len(rest):
        for pair in rest[q + 1 :].split("&"):
            key, eq, value = pair.partition("=")
            if eq and unquote(key).strip().lower() == "password":
                start = base + pos + len(key) + 1
                spans.append((start, start + len(value)))
            pos += len(pair) + 1
    return spans


def mask_url(url: str) -> str:
    """``url`` with every password (see :func:`secret_spans`) replaced by ``***``.

    Examples
    --------
    >>> mask_url("postgresql://bvp:p@ss@db:5432/bvp")
    'postgresql://bvp:***@db:5432/bvp'
    >>> mask_url("postgresql:///bvp?host=/run&user=u&password=secret")
    'postgresql:///bvp?host=/run&user=u&password=***'
    """
    if not url:
        return url
    out, i = [], 0
    for a, b in secret_spans(url):
        out += [url[i:a], MASK]
        i = b
    return "".join(out) + url[i:]


def known_secrets(extra_urls: tuple[str, ...] = ()) -> set[str]:
    """Password values that must never appear in output: ``PGPASSWORD`` and the passwords
    in the database URL variables (and ``extra_urls``), raw, percent-decoded and encoded."""
    found: set[str] = set()
    pg = os.environ.get("PGPASSWORD")
    if pg:
        found.add(pg)
    for url in [os.environ.get(v, "") for v in URL_VARS] + list(extra_urls):
        for a, b in secret_spans(url or ""):
            found.add(url[a:b].strip("'"))
    out: set[str] = set()
    for s in found:
        out |= {s, unquote(s), quote(s, safe=""), quote(unquote(s), safe="")}
    # masking two characters everywhere would mangle text more than it protects
    return {s for s in out if len(s) >= 3}


def mask_text(text: str, extra_urls: tuple[str, ...] = ()) -> str:
    """``text`` with every URL masked (:func:`mask_url`), every ``password=`` value and
    every :func:`known_secrets` value replaced by ``***``."""
    if not text:
        return text
    text = _URL_IN_TEXT.sub(lambda m: mask_url(m.group(0)), text)
    text = _KV_PASSWORD.sub(lambda k: k.group(1) + MASK, text)
    for s in sorted(known_secrets(extra_urls), key=len, reverse=True):
        text = text.replace(s, MASK)
    return text


_installed = False


def install_log_redaction() -> None:
    """Pass every log record's message through :func:`mask_text` (idempotent).

    Done with a record factory rather than a handler filter, so it covers handlers
    added later (a notebook's, papermill's) and loggers that do not propagate.
    """
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string is the logger's problem, not ours
            return record
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
