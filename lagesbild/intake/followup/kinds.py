"""The follow-up kinds of data for the intake pipeline: trainings and the activity plan (files
and the app's form) and context events (the app's form)."""

from __future__ import annotations

from lagesbild.domain.codelists import ColumnVocabulary
from lagesbild.domain.contracts import ACTIVITY, TRAINING, contract
from lagesbild.intake.followup.validation import (
    EVENT_VOCABULARY,
    VALIDATORS,
    validate_event,
)
from lagesbild.intake.kind import Context, Kind, Validated, declare
from lagesbild.intake.reading import Sheet
from lagesbild.store.schema import ACTIVITIES, EVENTS, TRAININGS, Dataset


def _followup(kind_name: str, dataset: Dataset, key: str) -> Kind:
    def vocabulary(context: Context) -> ColumnVocabulary:
        return contract(kind_name)

    def validate(sheet: Sheet, context: Context) -> Validated:
        return VALIDATORS[kind_name](sheet, contract(kind_name), context.today)

    spec = contract(kind_name)
    return declare(Kind(
        dataset.kind, spec.title, dataset, vocabulary, validate,
        audit_action=f"import {spec.title}", key_column=key, shown_key=(key,),
        removes_demo=True, file_label=f"en fil med {spec.title}",
        template_hint=f"Utgå från mallen för {spec.title} ({spec.template_name})."))


TRAINING_KIND = _followup(TRAINING, TRAININGS, "insats_id")
ACTIVITY_KIND = _followup(ACTIVITY, ACTIVITIES, "aktivitet_id")
EVENT_KIND = declare(Kind(
    EVENTS.kind, "omvärldshändelser", EVENTS, lambda context: EVENT_VOCABULARY,
    lambda sheet, context: validate_event(sheet, context.today),
    audit_action="omvärldshändelse", key_column="handelse_id", shown_key=("handelse_id",)))


def event_kind() -> Kind:
    return EVENT_KIND
