"""Remove metadata from uploaded PDFs and videos, each in a resource-limited child process.

Pure library code like `hotline.hashing.video`: no Django, no database, no translations (the
reporter-facing messages are chosen in `intake.evidence` from the exception raised here).
"""
