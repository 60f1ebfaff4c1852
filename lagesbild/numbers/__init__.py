"""Every number the dashboard shows: filters and queries over the current reports, indicators,
disclosure control (the one place that protects numbers), signals (the method in `signals`,
the panels every page, export and command reads its flags from in `panels`), population and
rates, the summary, and the follow-up figures.
"""
