"""The follow-up spreadsheets of the action plan (trainings, activity plan) and edits made in the
app (activities, context events): their contracts, validation and import.
"""
