"""A bare Django app that is the ceiling for intake: the least work a report could cost.

It runs under the same settings, middleware, database and gunicorn command as OpenHotline and
does the irreducible part of accepting a report: validate a similar form (or a JSON batch),
encrypt one field with AES-GCM and insert one row. No receipt code, no template, no task.
"""
