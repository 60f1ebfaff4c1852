"""Everything that comes in: reading spreadsheets, the privacy guard, validation, the import
pipeline, problem reports, templates, reference data (code lists, population) and demo data.
"""
