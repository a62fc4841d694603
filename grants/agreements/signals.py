"""What agreements announce to the packages built on them: payments, indexation, accountability.

Agreements import none of those packages (the arrows point one way: payments → agreements). They
send these signals from their operations, and each package above connects its receivers when it
is imported (`grants.payments.receivers`, connected by `grants/payments/__init__.py`; page
sections by the packages' views). The sender is always the `Agreement`. Receivers run inside the
operation's transaction: they may change their own tables and flush, never commit.

Two kinds of signals:
- moments (`agreement_created`, `agreement_countersigned`, `agreement_in_force`,
  `agreement_amended`): receivers act; what they return is ignored;
- questions (`agreement_terms`, `amendment_checked`, `agreement_page`): agreements ask, every
  receiver answers, `collect()` gathers the answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from blinker import Namespace, Signal
from markupsafe import Markup

_signals = Namespace()

agreement_created = _signals.signal("agreement-created")
"""A new agreement (an approved request), its years set, before its first version is rendered.
kwargs: `actor`. Payments builds the schedule here, so the first version's terms carry it."""

agreement_countersigned = _signals.signal("agreement-countersigned")
"""The ministry countersigned a version (the original or an amendment): that version is in force.
kwargs: `version` (AgreementVersion), `actor`, `signed_on` (the date in Quebec)."""

agreement_in_force = _signals.signal("agreement-in-force")
"""The agreement comes into force: its first countersignature (sent once per agreement, right after
`agreement_countersigned`). kwargs: `version`, `actor`, `signed_on`. Payments dates the installments
due at signature; accountability starts the agreement's reporting calendar here."""

agreement_amended = _signals.signal("agreement-amended")
"""An amendment changed the amounts of some fiscal years (before its version's terms are frozen).
kwargs: `years` (list of FiscalYear), `actor`, `reason`. Payments rebalances those years."""

agreement_terms = _signals.signal("agreement-terms")
"""Question: what other packages add to a version's frozen terms. Receivers answer a dict merged
into the terms (payments: `{"schedule": [...]}`)."""

amendment_checked = _signals.signal("amendment-checked")
"""Question: why an amendment's amounts cannot stand, by another package's rule. kwargs: `amounts`
({FiscalYear: Decimal}). Receivers answer {FiscalYear: message} (payments: not below what is
already paid or authorized)."""

agreement_page = _signals.signal("agreement-page")
"""Question: the sections other packages show on the agreement's page. kwargs: `user`. Receivers
answer a list of `PageSection`."""


@dataclass(frozen=True)
class PageSection:
    """A piece of the agreement page another package renders (its own template, its own data);
    `order` places it: 10 amounts, 20 indexation, 30 payment schedule (before reports and versions)."""

    order: int
    html: Markup


def collect(signal: Signal, sender: Any, **kwargs: Any) -> list[Any]:
    """Every receiver's answer to a question signal, in connection order (None answers dropped)."""
    return [answer for _receiver, answer in signal.send(sender, **kwargs) if answer is not None]
