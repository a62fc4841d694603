"""Form fields shared by every capability, and the one reader of amounts typed in a form.

Every money input of the product is a text box (`type="text" inputmode="decimal"`): a
`type="number"` box lets the browser drop the Quebec decimal comma (`50 000,00` became
5 000 000 $). Amounts are read by `grants.core.money.parse_money_text` (the Quebec way, within the
bounds of NUMERIC(14, 2)); `parse_amount` says why one is refused, in the reader's language.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import DecimalField, FieldList, HiddenField, SelectMultipleField
from wtforms.utils import unset_value
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from grants.core import formatting
from grants.core.concurrency import parse_version
from grants.core.money import MONEY_MAX, MoneyTextInvalid, parse_money_text

MONEY_RENDER_KW = {
    "inputmode": "decimal",
    "autocomplete": "off",
    "class": "money-input",
    "spellcheck": "false",
}


class AmountInvalid(InvalidOperation):
    """What was typed is not an amount we accept; `message` says why, in the reader's language."""

    def __init__(self, text: str, message: object) -> None:
        super().__init__(text)
        self.text = text
        self.message = message


def parse_amount(text: str, *, allow_negative: bool = False, maximum: Decimal = MONEY_MAX) -> Decimal:
    """Read `175 000,00`, `175000`, `175 000 $` or `175000.00` as a Decimal.

    Refused with AmountInvalid: a comma and a period together (`175,000.00` is the English way
    and `175,000` would be read 175 $ in French: too easy to get wrong by a factor of 1 000),
    more than two decimals, a negative amount (unless the field allows it), anything beyond
    NUMERIC(14, 2).
    """
    try:
        return parse_money_text(text, allow_negative=allow_negative, maximum=maximum)
    except MoneyTextInvalid as error:
        original = error.text
        if error.reason == "mixed":
            message = _l(
                "« %(text)s » mêle virgule et point. Écrivez le montant à la québécoise : une espace "
                "entre les milliers et une virgule avant les cents, par exemple 175 000,00.",
                text=original.strip(),
            )
        elif error.reason == "negative":
            message = _l("Le montant ne peut pas être négatif.")
        elif error.reason == "too_large":
            from grants.core.formatting import money

            message = _l("Le montant dépasse le maximum permis (%(max)s).", max=money(maximum))
        else:
            message = _l("Entrez un montant en dollars, par exemple 175 000,00.")
        raise AmountInvalid(original, message) from None


def amount_text(value: Decimal | None) -> str:
    """An amount as it is put back in a text box: `175 000` or `175 000,50` (plain spaces)."""
    if value is None:
        return ""
    whole, cents = f"{abs(value):.2f}".split(".")
    grouped = f"{int(whole):,}".replace(",", " ")
    sign = "-" if value < 0 else ""
    return f"{sign}{grouped}" if cents == "00" else f"{sign}{grouped},{cents}"


class MoneyField(DecimalField):
    """An amount in dollars typed the Quebec way (`175 000,00`), in a text box, never `type=number`."""

    widget = TextInput()

    def __init__(self, *args: Any, allow_negative: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("places", 2)
        kwargs.setdefault("render_kw", dict(MONEY_RENDER_KW))
        super().__init__(*args, **kwargs)
        self.allow_negative = allow_negative

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None or self.data == "":
            return ""
        try:
            return self.shown(Decimal(str(self.data)))
        except InvalidOperation:
            return str(self.data)

    @staticmethod
    def shown(value: Decimal) -> str:
        """How a stored amount pre-fills the box: `30 000,00`, as in the tables."""
        return formatting.money_input(value)

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = parse_amount(valuelist[0], allow_negative=self.allow_negative)
        except AmountInvalid as error:
            self.data = None
            raise ValueError(error.message) from error


# -- grids keyed by what their rows are (reqrev) ---------------------------------------------------
class KeyedFieldList(FieldList):
    """A FieldList whose entries are named by a key, not by position: `amount-2026` for a fiscal
    year, `grid-17-score` for criterion 17. A grid's cell keeps its name whatever the other rows,
    so an error, a confirmation or a test names the cell it means.

    The keys come from the page, never from the posted form (a forged `amount-1999` is ignored):
    the keys of the `data` mapping the form is built with, or `set_keys()` once they are known.
    `data` is then a dict {key: entry data}.
    """

    def __init__(self, unbound_field: Any, *args: Any, key_name: Any = str, **kwargs: Any) -> None:
        super().__init__(unbound_field, *args, **kwargs)
        self.key_name = key_name
        self.keys: list[Any] = []

    def process(self, formdata: Any, data: Any = unset_value, extra_filters: Any = None) -> None:
        if extra_filters:
            raise TypeError("KeyedFieldList takes no filters: put them on the enclosed field.")
        self._formdata = formdata
        self.object_data = dict(data) if isinstance(data, Mapping) else {}
        self.set_keys(list(self.object_data))

    def set_keys(self, keys: Iterable[Any], data: Mapping[Any, Any] | None = None) -> None:
        """(Re)build one entry per key, in order, reading the posted value of each again."""
        if data is not None:
            self.object_data = dict(data)
        self.keys = list(dict.fromkeys(keys))
        self.entries = []
        for key in self.keys:
            text = self.key_name(key)
            field = self.meta.bind_field(
                self._form,
                self.unbound_field,
                {
                    "name": f"{self.name}{self._separator}{text}",
                    "id": f"{self.id}{self._separator}{text}",
                    "_meta": self.meta,
                    "translations": self._translations,
                },
            )
            field.key, field.short_name = key, str(text)
            field.process(self._formdata, self.object_data.get(key, unset_value))
            field.post_process(self._formdata)
            self.entries.append(field)

    def post_process(self, formdata: Any = None) -> None:
        """Entries are post-processed as they are built (set_keys may run after the form's pass)."""

    def entry(self, key: Any) -> Any:
        """The entry of `key` (KeyError when the grid has no such row)."""
        try:
            return self.entries[self.keys.index(key)]
        except ValueError:
            raise KeyError(key) from None

    def typed(self, key: Any) -> bool:
        """Whether something was typed in the entry of `key` (any cell of it, for a row form)."""
        if key not in self.keys:
            return False
        return any(str(value).strip() for value in _raw_values(self.entry(key)))

    @property
    def data(self) -> dict[Any, Any]:  # type: ignore[override]
        return {key: entry.data for key, entry in zip(self.keys, self.entries, strict=True)}


def input_errors(form: Any) -> dict[str, str]:
    """Every error of a form by the name of the input it belongs to (`amount-2026`,
    `other-0-funder`, `decision-reasons`), grids and rows included: for a page's error summary."""
    return {
        leaf.name: " ".join(str(message) for message in leaf.errors)
        for field in form
        for leaf in _leaves(field)
        if leaf.errors
    }


def attach_errors(form: Any, errors: Mapping[str, Any]) -> None:
    """Give each input of `form` (grids and rows included) the message found for its name in
    `errors` (messages a page got from an operation rather than from the form's own checks), so the
    shared macros show it next to that input and tie it with aria-describedby."""
    for field in form:
        for leaf in _leaves(field):
            message = errors.get(leaf.name)
            if message and str(message) not in [str(m) for m in leaf.errors]:
                leaf.errors = [*leaf.errors, str(message)]


def error_links(form: Any) -> list[tuple[str | None, str, str]]:
    """The errors of `form` for its error summary: (the id of the input to link to, its label, the
    message), grids and rows included; an expired form (CSRF) has no input to link to (None)."""
    links: list[tuple[str | None, str, str]] = []
    for field in form:
        for leaf in _leaves(field):
            if not leaf.errors:
                continue
            message = " ".join(str(m) for m in leaf.errors)
            if leaf.type == "CSRFTokenField":
                links.append((None, "", str(_l("Le formulaire a expiré. Envoyez-le de nouveau."))))
            else:
                links.append((leaf.id, str(leaf.label.text) if leaf.label else "", message))
    return links


def input_values(form: Any) -> dict[str, str]:
    """What each input of a form shows, by its name, grids and rows included (a refused value as it
    was typed): for pages that lay their grid out by hand. A ticked box shows "1", an unticked one ""."""
    values: dict[str, str] = {}
    for field in form:
        for leaf in _leaves(field):
            if leaf.type == "BooleanField":
                values[leaf.name] = "1" if leaf.data else ""
            elif leaf.type not in {"FileField", "MultipleFileField"}:
                shown = leaf._value() if hasattr(leaf, "_value") else leaf.data
                values[leaf.name] = "" if shown is None else str(shown)
    return values


def _leaves(field: Any) -> list[Any]:
    """The input fields under `field`: itself, or the cells of its rows (FieldList, FormField)."""
    if hasattr(field, "entries"):
        return [leaf for entry in field.entries for leaf in _leaves(entry)]
    if hasattr(field, "form") and hasattr(field.form, "_fields"):
        return [leaf for sub in field.form._fields.values() for leaf in _leaves(sub)]
    return [field]


def _raw_values(field: Any) -> list[Any]:
    return [value for leaf in _leaves(field) for value in (leaf.raw_data or [])]


class VersionField(HiddenField):
    """The hidden field that carries an object's version through a form (`data` is int or None)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = parse_version(valuelist[0]) if valuelist else None

    def _value(self) -> str:
        return "" if self.data is None else str(self.data)


class CheckboxListField(SelectMultipleField):
    """A group of checkboxes (accessible, no JavaScript) for a multiple choice."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()
