"""Follow-up of the action plan: trainings, the two-year activity plan and context events.

Engine only (never imports Streamlit). The pieces:

* `contracts` – the column files and code lists of the two follow-up spreadsheets;
* `validation`, `imports` – reading, privacy guard, validation and import of a trainings or
  activity-plan file, as for report files;
* `templates` – their Excel templates;
* `activities` – the activity plan: edits in the app, history, overdue, progress;
* `events` – context events: edits, history, `events_for_period`, `add_event_annotations`;
* `indicators` – training reach, and concern reports beside training reach per sector;
* `demo` – synthetic demo data, `seed_followup_demo(store)`.
"""

from __future__ import annotations

from lagesbild.followup.events import add_event_annotations, event_legend, events_for_period

__all__ = ["add_event_annotations", "event_legend", "events_for_period", "seed_followup_demo"]


def seed_followup_demo(store, until=None):  # noqa: ANN001, ANN201 – re-exported lazily
    """See `lagesbild.followup.demo.seed_followup_demo`."""
    from lagesbild.followup.demo import seed_followup_demo as seed

    return seed(store, until)
