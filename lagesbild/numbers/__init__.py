"""Every number the dashboard shows: filters and queries over the current reports, indicators,
disclosure control (the one place that protects numbers), signals, population and rates, the
summary, and the follow-up figures.
"""
