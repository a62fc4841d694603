"""Flags and links told in the reader's language, from the evidence the matching run stored.

Nothing here is stored as text: a flag keeps figures (`FundingFlag.evidence`), a member keeps its
score and `Reason` bits, and the page writes them at display time — the engine's own wording for a
duplicated-funding pair and a link (`DuplicatePair.explanation`, `entities.describe`), gettext
for the two flags the matching run adds (over budget, omitted)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext

from grants.coordination.duplicates import DAYS_PER_MONTH, DuplicatePair
from grants.coordination.entities import Reason, describe
from grants.coordination.models import FlagKind
from grants.core.formatting import current_locale, money
from grants.core.money import round_cent


def language() -> str:
    return "en" if current_locale().startswith("en") else "fr"


def link_reasons(reasons: int, score: Decimal | float) -> str:
    """`même NEQ ; même ville` / `same NEQ; same town` (empty for a group's first member)."""
    return describe(Reason(int(reasons or 0)), float(score), language()) if reasons else ""


def _amount(value: Any) -> str:
    return money(Decimal(str(value or "0")))


def _period(days: int) -> str:
    months = round(days / DAYS_PER_MONTH)
    if months >= 1:
        return ngettext("%(num)s mois", "%(num)s mois", months)
    return ngettext("%(num)s jour", "%(num)s jours", days)


def explanation(flag: Any) -> str:
    """Why the flag was raised, in words a person can check."""
    evidence = flag.evidence or {}
    kind = FlagKind(flag.kind)
    if kind is FlagKind.DUPLICATE:
        pair = DuplicatePair(
            0,
            0,
            float(evidence.get("score", flag.score or 0)),
            float(evidence.get("purpose", 0)),
            int(evidence.get("overlap_days", 0)),
            float(evidence.get("organization_score", 0)),
            Reason(int(evidence.get("organization_reasons", 0))),
        )
        return pair.explanation(language())
    if kind is FlagKind.OVER_BUDGET:
        return _(
            "notre financement %(ours)s + autres financements déclarés %(declared)s + financements "
            "importés en double %(imported)s = %(total)s, soit %(excess)s de plus que le budget du "
            "projet (%(budget)s)",
            ours=_amount(evidence.get("ours")),
            declared=_amount(evidence.get("declared")),
            imported=_amount(evidence.get("imported")),
            total=_amount(evidence.get("total")),
            excess=_amount(evidence.get("excess")),
            budget=_amount(evidence.get("budget")),
        )
    organization = describe(
        Reason(int(evidence.get("organization_reasons", 0))),
        float(evidence.get("organization_score", 0)),
        language(),
    )
    declared = evidence.get("declared") or []
    text = _(
        "%(funder)s verse %(amount)s au même organisme (%(reasons)s) sur une période qui chevauche "
        "la demande sur %(period)s ; ce bailleur n'est pas parmi les autres sources de financement "
        "déclarées",
        funder=evidence.get("funder", ""),
        amount=_amount(evidence.get("amount")),
        reasons=organization,
        period=_period(int(evidence.get("overlap_days", 0))),
    )
    if declared:
        text += " " + _("(déclarées : %(funders)s)", funders=", ".join(declared))
    else:
        text += " " + _("(aucune déclarée)")
    return text


def request_flags(request_id: int) -> list[tuple[Any, str]]:
    """The flags of one of our requests (still found first, strongest first), each with its
    explanation: what the request's analysis page shows its officers."""
    from sqlalchemy import select

    from grants.coordination.models import FundingFlag
    from grants.core.db import db

    flags = db.session.scalars(
        select(FundingFlag)
        .where(FundingFlag.request_id == request_id)
        .order_by(FundingFlag.still_found.desc(), FundingFlag.score.desc(), FundingFlag.id)
    ).all()
    return [(flag, _with_other_line(flag, explanation(flag))) for flag in flags]


def _with_other_line(flag: Any, text: str) -> str:
    """A duplicated-funding flag on one of our requests names the other ministry's line it pairs
    the request with (the officer has no access to the cell's page that shows both)."""
    if FlagKind(flag.kind) is not FlagKind.DUPLICATE:
        return text
    other = next((key for key in (flag.key_a, flag.key_b) if key and key.startswith("ext:")), None)
    if other is None:
        return text
    _prefix, funder, record = other.split(":", 2)
    return _("%(funder)s, ligne %(record)s : %(why)s", funder=funder, record=record, why=text)


def score_text(value: Decimal | float | None) -> str:
    """A score as people read it, two decimals: `0,93` / `0.93`."""
    from babel.numbers import format_decimal

    from grants.core.formatting import current_locale

    if value is None:
        return ""
    rounded = round_cent(Decimal(str(value)))  # two decimals, half up, as money is
    return format_decimal(rounded, format="0.00", locale=current_locale())
