"""The officer's forms: assignment, assessment grid, information request, recommendation, decision,
reopening. Each carries the version of the request the page showed (grants.core.concurrency)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Form, FormField, IntegerField, RadioField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError
from wtforms.widgets import NumberInput

from grants.core.fields import CheckboxListField, KeyedFieldList, MoneyField, VersionField
from grants.fiscal import FiscalYear
from grants.requests.models import FundingRequest, Recommendation, RequestSection
from grants.review.models import Assessment, AssessmentCriterion
from grants.review.operations import score_message


class AssignForm(FlaskForm):
    version = VersionField()
    assignee_id = SelectField(_l("Agent·e responsable"), coerce=int)


class ScoreField(IntegerField):
    """A score in a number box (blank: not scored yet); `ScoreWithin` says what is accepted."""

    widget = NumberInput(min=0)
    unreadable = False

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = (valuelist[0] if valuelist else "").strip()
        self.data = int(text) if text.isdigit() and len(text) <= 6 else None
        self.unreadable = bool(text) and self.data is None


class ScoreWithin:
    """A score from 0 to the criterion's maximum."""

    def __init__(self, criterion: AssessmentCriterion) -> None:
        self.maximum, self.message = criterion.max_score, score_message(criterion)

    def __call__(self, form: Any, field: ScoreField) -> None:
        if field.unreadable or (field.data is not None and not 0 <= field.data <= self.maximum):
            raise ValidationError(str(self.message))


class ScoreRow(Form):
    """One criterion of the grid: its score and the officer's comment."""

    score = ScoreField(_l("Note"))
    comment = TextAreaField(
        _l("Commentaire"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 2}
    )


class AssessmentForm(FlaskForm):
    """The program's assessment grid, one row per criterion (`grid-17-score`, `grid-17-comment`)."""

    grid = KeyedFieldList(FormField(ScoreRow))

    @classmethod
    def of(
        cls, criteria: list[AssessmentCriterion], scores: dict[int, Assessment], **kwargs: Any
    ) -> AssessmentForm:
        saved = {
            c.id: {"score": scores[c.id].score, "comment": scores[c.id].comment} if c.id in scores else {}
            for c in criteria
        }
        form = cls(data={"grid": saved}, **kwargs)
        for criterion in criteria:
            score = form.grid.entry(criterion.id).form.score
            score.render_kw = {"max": criterion.max_score, "aria-describedby": "score-hint"}
            score.validators = [ScoreWithin(criterion)]
        return form

    def entries(self) -> dict[int, tuple[int | None, str]]:
        """The scores and comments typed, by criterion."""
        return {key: (row["score"], row["comment"] or "") for key, row in self.grid.data.items()}


class InfoRequestForm(FlaskForm):
    version = VersionField()
    sections = CheckboxListField(_l("Sections à rouvrir à l'organisme"))
    message = TextAreaField(_l("Votre question à l'organisme"), validators=[Optional(), Length(max=5000)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sections.choices = [(s.value, s.label) for s in RequestSection]


class RecommendForm(FlaskForm):
    version = VersionField()
    recommendation = RadioField(
        _l("Recommandation"),
        choices=[(r.value, label) for r, label in Recommendation.labels().items()],
        validators=[InputRequired(message=_l("Choisissez une recommandation."))],
    )
    comment = TextAreaField(_l("Justification"), validators=[Optional(), Length(max=10000)])


def _start_year(year: FiscalYear) -> int:
    return year.start_year


class DecisionForm(FlaskForm):
    """Approve with an amount per fiscal year (`decision-approved-2026`), or refuse with reasons."""

    version = VersionField()
    decision = RadioField(
        _l("Décision"),
        choices=[("approve", _l("Accepter")), ("refuse", _l("Refuser"))],
        validators=[InputRequired(message=_l("Choisissez la décision."))],
    )
    approved = KeyedFieldList(MoneyField(_l("Accordé ($)")), key_name=_start_year)
    conditions = TextAreaField(
        _l("Conditions de l'aide (acceptation)"), validators=[Optional(), Length(max=10000)]
    )
    reasons = TextAreaField(_l("Motifs du refus"), validators=[Optional(), Length(max=10000)])
    override_reason = TextAreaField(
        _l("Motif de dépassement de l'enveloppe (autorisation budgétaire)"),
        validators=[Optional(), Length(max=2000)],
    )

    def set_request(self, funding_request: FundingRequest) -> None:
        """One amount per fiscal year of the request: as decided, else as asked."""
        proposed: dict[FiscalYear, Decimal | None] = {year: None for year in funding_request.fiscal_years}
        for row in funding_request.years:
            amount = row.approved_amount if row.approved_amount is not None else row.requested_amount
            if row.fiscal_year in proposed:
                proposed[row.fiscal_year] = amount
        self.approved.set_keys(proposed, data=proposed)

    def amounts(self) -> dict[FiscalYear, Decimal]:
        return {year: amount for year, amount in self.approved.data.items() if amount is not None}


class ReopenForm(FlaskForm):
    version = VersionField()
