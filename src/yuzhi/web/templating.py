"""Jinja2 templates shared by every domain's pages, with translation and money formatting.

Templates are looked up in ``yuzhi/web/templates`` and then in each domain's ``templates``
folder, so a domain keeps its pages next to its code and extends ``base.html``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, pass_context, select_autoescape

from yuzhi import DOMAINS, fmt
from yuzhi.web import i18n, messages

_ROOT = Path(__file__).resolve().parent.parent


def fen(value: int | None, unit: str = "¥") -> str:
    """Integer fen → '¥1,234.56' (exact: integer arithmetic, no float). See :mod:`yuzhi.fmt`."""
    return fmt.fen_exact(value, symbol=unit)


@pass_context
def wan(ctx: Any, value: int | None) -> str:
    """Integer fen → an amount at a glance with its unit, in the page's language ('57.70 万元', '¥577.0k')."""
    return fmt.money_card(value, ctx.get("lang", i18n.DEFAULT))


#: Menu titles for each domain's group of pages (the first segment of their paths).
GROUP_LABELS = {"vouchers": "Vouchers", "compute": "Compute", "inspect": "Inspection", "schedule": "Scheduling",
                "monitor": "Monitoring", "assist": "Assistant", "awards": "Awards", "kpi": "Targets"}


def group_label(group: str) -> str:
    return GROUP_LABELS.get(group, group.title())


def nav_groups(nav: list[tuple[str, str, str]], actor: Any) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """The menu entries this caller may see, grouped by domain in registration order."""
    groups: dict[str, list[tuple[str, str, str]]] = {}
    for label, href, who in nav:
        visible = who == "public" or (actor is not None and (who == "any" or (who == "office" and actor.is_office)
                                                             or (who == "provider" and actor.is_provider)))
        if visible:
            groups.setdefault(href.strip("/").split("/")[0], []).append((label, href, who))
    order = list(GROUP_LABELS)
    return sorted(groups.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order))


def _env() -> Environment:
    paths = [str(_ROOT / "web" / "templates")]
    paths += [str(_ROOT / d / "templates") for d in DOMAINS if (_ROOT / d / "templates").is_dir()]
    env = Environment(loader=ChoiceLoader([FileSystemLoader(p) for p in paths]),
                      autoescape=select_autoescape(["html"]))
    env.filters["fen"] = fen
    env.filters["wan"] = wan
    env.filters["card"] = wan  # cards and charts: 万元/亿元 with the unit
    env.filters["exact"] = fmt.fen_exact  # tables whose header carries the unit (元): 1,234.56
    env.filters["bjt"] = fmt.local_time  # stored UTC → display zone (YUZHI_TIMEZONE), to the minute
    env.filters["local_date"] = fmt.local_date
    env.globals["nav_groups"] = nav_groups
    env.globals["group_label"] = group_label
    return env


templates = Jinja2Templates(env=_env())


def lang_of(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get("lang") or i18n.DEFAULT
    return lang if lang in i18n.LANGS else i18n.DEFAULT


def render(request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200,
           actor: Any = None):
    """Render a page with ``_`` (translate), ``lang``, ``actor`` and the navigation available."""
    lang = lang_of(request)
    ctx = {"request": request, "lang": lang, "_": lambda key: i18n.translate(key, lang), "actor": actor,
           "langs": i18n.LANGS, "say": lambda exc: messages.say(exc, lang),
           "role_name": lambda role: messages.role_name(role, lang), "zone_label": fmt.zone_label(lang)}
    ctx.update(context or {})
    response = templates.TemplateResponse(request, name, ctx, status_code=status_code)
    if request.query_params.get("lang") in i18n.LANGS:
        response.set_cookie("lang", lang, samesite="strict", max_age=365 * 86400)
    return response


i18n.register("zh", {"Times in {zone}": "时间均为{zone}"})  # the footer's zone line (issue 15)
i18n.register("ja", {"Times in {zone}": "時刻はすべて{zone}"})
