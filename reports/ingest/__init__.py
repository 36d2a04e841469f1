"""Ingestion: bytes in, rows out, in this order.

Plain Python, no Django (tested with plain data):
  unpack.py     what a file is, from its bytes: XML, gzip, zip, email, mbox; limits on each
  parser.py     streaming report reader: header first, then records one at a time
  report.py     the plain data classes the parser returns (ParsedReport, ParsedRecord, ...)
  alignment.py  our own DKIM/SPF alignment beside the reporter's verdict
  days.py       a report's counts spread over the UTC days it covers
  errors.py     the errors that reject an input with a clear message

With the database:
  store.py      one parsed report written with COPY in one transaction, once
  rollup.py     the coarser rollups folded from a report's DailyRollup rows
  pipeline.py   ingest_bytes(): unpack, parse, store, and an Outcome per report
  files.py      import_reports' walk over files and directories, in parallel
  reprocess.py  parse stored originals or rejected inputs again
"""
