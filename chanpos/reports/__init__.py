"""What the report jobs make from the runs' result files: tables, figures, and the notes that
name each protocol's assumptions, one module per artefact.

These modules import pandas and matplotlib but never torch, so a report job starts in about a
second instead of eight; a test keeps it so. The experiments' modules take their shared names
(e.g. Table 2's :data:`~chanpos.reports.shift.MODELS`) from here.
"""
