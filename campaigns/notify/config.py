"""This site's notification settings: a YAML file named by ``RECTIFY_SITE_CONFIG``.

Addresses, webhook URLs and their signing secrets are the site's, never a definition's (whose
text is stored and printed): they live in this file, or in files it names (``url_file``,
``secret_file``, ``password_file``), which can be kept readable by the service alone.  The
file is read once per process and checked whole, every problem with its file:line:column::

    notifications:
      office: county                  # unit code that "office" means
      smtp: {host: 127.0.0.1, port: 25, sender: "县委督查室 <ducha@county.example>"}
      webhooks:
        office-robot: {format: wecom, url_file: /etc/rectify/office-robot.url}
      units:                          # who hears for a unit (its own, else its nearest parent's)
        czj: {email: [czj@county.example], webhooks: [office-robot], sms: ["13800000000"]}
      send:                           # which events are sent, and to whom
        - {rule: "escalation.*", to: [unit, office]}
        - {trigger: return, to: [unit]}
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field
from typing import Any

from engine.core.errors import DefinitionInvalid

from ..i18n import _

ENV = "RECTIFY_SITE_CONFIG"
FORMATS = ("wecom", "dingtalk", "feishu", "json", "sms")
TARGETS = ("unit", "office")


@dataclass(frozen=True)
class Webhook:
    name: str
    format: str
    url: str = ""
    url_file: str = ""
    secret_file: str = ""

    def resolved_url(self) -> str:
        return self.url or _read(self.url_file)

    def secret(self) -> str:
        return _read(self.secret_file) if self.secret_file else ""


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int = 25
    sender: str = "rectify@localhost"
    starttls: bool = False
    username: str = ""
    password_file: str = ""
    timeout: float = 30.0


@dataclass(frozen=True)
class Listeners:
    email: tuple[str, ...] = ()
    webhooks: tuple[str, ...] = ()
    sms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rule:
    """Events whose rule (``escalation.*``) or trigger (``return``) match go to ``to``."""

    rule: str | None
    trigger: str | None
    to: tuple[str, ...]

    def matches(self, rule: str | None, trigger: str) -> bool:
        if self.rule is not None and not (rule and fnmatch.fnmatchcase(rule, self.rule)):
            return False
        return self.trigger is None or self.trigger == trigger


@dataclass(frozen=True)
class Notifications:
    file: str
    office: str | None = None
    smtp: Smtp | None = None
    webhooks: dict[str, Webhook] = field(default_factory=dict)
    units: dict[str, Listeners] = field(default_factory=dict)
    send: tuple[Rule, ...] = ()

    def rules_for(self, rule: str | None, trigger: str) -> list[Rule]:
        return [r for r in self.send if r.matches(rule, trigger)]


_loaded: dict[str, Notifications | None] = {}


def site_notifications() -> Notifications | None:
    """The notification settings, read once per process; None when the site sets none."""
    path = os.environ.get(ENV, "").strip()
    if not path:
        return None
    if path not in _loaded:
        _loaded[path] = load(path)
    return _loaded[path]


def load(path: str) -> Notifications | None:
    from ..siteconfig import Section

    section = Section(path, "notifications")
    raw, found, bad = section.raw, section.found, section.bad
    if raw is None:
        return None
    if not isinstance(raw, dict):
        bad(("notifications",), _("notifications must be a mapping"))
        raise DefinitionInvalid(found)
    known = {"office", "smtp", "webhooks", "units", "send"}
    for key in raw:
        if key not in known:
            bad(("notifications", key), _("unknown key '{key}'").format(key=key),
                _("use one of {keys}").format(keys=", ".join(sorted(known))))
    smtp = _smtp(raw.get("smtp"), bad)
    hooks = _webhooks(raw.get("webhooks") or {}, bad)
    units = _units(raw.get("units") or {}, hooks, bad)
    send = _send(raw.get("send") or [], hooks, bad)
    if smtp is None and any(u.email for u in units.values()):
        bad(("notifications", "units"), _("e-mail addresses are given but no smtp server"),
            _("add notifications.smtp with host and sender"))
    if found:
        raise DefinitionInvalid(found)
    office = raw.get("office")
    return Notifications(path, str(office) if office else None, smtp, hooks, units, send)


Bad = Any


def _smtp(raw: Any, bad: Bad) -> Smtp | None:
    if raw is None:
        return None
    at = ("notifications", "smtp")
    if not isinstance(raw, dict) or not raw.get("host"):
        bad(at, _("smtp needs at least a host"),
            _("give its host and port, e.g. host: mail.county.example and port: 25"))
        return None
    try:
        port = int(raw.get("port", 25))
    except (TypeError, ValueError):
        bad((*at, "port"), _("port '{port}' is not a number").format(port=raw.get("port")))
        port = 25
    return Smtp(str(raw["host"]), port, str(raw.get("sender") or "rectify@localhost"),
                bool(raw.get("starttls", False)), str(raw.get("username") or ""),
                str(raw.get("password_file") or ""))


def _webhooks(raw: Any, bad: Bad) -> dict[str, Webhook]:
    out: dict[str, Webhook] = {}
    if not isinstance(raw, dict):
        bad(("notifications", "webhooks"), _("webhooks must map names to settings"))
        return out
    for name, spec in raw.items():
        at = ("notifications", "webhooks", name)
        if not isinstance(spec, dict):
            bad(at, _("webhook '{name}' must be a mapping").format(name=name))
            continue
        fmt = str(spec.get("format", "json"))
        if fmt not in FORMATS:
            bad((*at, "format"), _("unknown format '{format}'").format(format=fmt),
                _("use one of {formats}").format(formats=", ".join(FORMATS)))
        if bool(spec.get("url")) == bool(spec.get("url_file")):
            bad(at, _("webhook '{name}' needs one of url or url_file").format(name=name),
                _("keep the URL (it carries the robot's key) in a file: url_file: "
                  "/etc/rectify/x.url"))
        out[str(name)] = Webhook(str(name), fmt, str(spec.get("url") or ""),
                                 str(spec.get("url_file") or ""), str(spec.get("secret_file") or ""))
    return out


def _units(raw: Any, hooks: dict[str, Webhook], bad: Bad) -> dict[str, Listeners]:
    out: dict[str, Listeners] = {}
    if not isinstance(raw, dict):
        bad(("notifications", "units"), _("units must map unit codes to listeners"))
        return out
    for code, spec in raw.items():
        at = ("notifications", "units", code)
        if not isinstance(spec, dict):
            bad(at, _("unit '{code}' must map email, webhooks and sms to lists").format(code=code))
            continue
        lists: dict[str, tuple[str, ...]] = {}
        for kind in ("email", "webhooks", "sms"):
            values = spec.get(kind) or []
            if isinstance(values, str):
                values = [values]
            lists[kind] = tuple(str(v) for v in values)
        for i, name in enumerate(lists["webhooks"]):
            if name not in hooks:
                bad((*at, "webhooks", i), _("unknown webhook '{name}'").format(name=name),
                    _("define it under notifications.webhooks ({names})").format(
                        names=", ".join(hooks) or _("none yet")))
        for i, address in enumerate(lists["email"]):
            if "@" not in address:
                bad((*at, "email", i), _("'{address}' is not an e-mail address").format(address=address))
        out[str(code)] = Listeners(lists["email"], lists["webhooks"], lists["sms"])
    return out


def _send(raw: Any, hooks: dict[str, Webhook], bad: Bad) -> tuple[Rule, ...]:
    out: list[Rule] = []
    if not isinstance(raw, list):
        bad(("notifications", "send"), _("send must be a list of rule or trigger, and to"))
        return ()
    for i, spec in enumerate(raw):
        at = ("notifications", "send", i)
        if not isinstance(spec, dict) or not (spec.get("rule") or spec.get("trigger")):
            bad(at, _("each entry needs a rule (e.g. escalation.*) or a trigger (e.g. return)"))
            continue
        to = spec.get("to") or []
        to = [to] if isinstance(to, str) else list(to)
        for j, target in enumerate(to):
            name = str(target).removeprefix("webhook:")
            if target not in TARGETS and not (str(target).startswith("webhook:") and name in hooks):
                bad((*at, "to", j), _("unknown recipient '{target}'").format(target=target),
                    _("use unit, office or webhook:NAME of a defined webhook"))
        out.append(Rule(str(spec["rule"]) if spec.get("rule") else None,
                        str(spec["trigger"]) if spec.get("trigger") else None,
                        tuple(str(t) for t in to)))
    return tuple(out)


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read().strip()
    except OSError as exc:
        from engine.core.errors import EnvironmentProblem

        raise EnvironmentProblem(_("cannot read {path}: {reason}").format(path=path,
                                                                            reason=exc.strerror),
                                 _("check the file named in {file}").format(
                                     file=os.environ.get(ENV, ENV))) from None

