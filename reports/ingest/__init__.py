"""Ingestion: bytes in, rows out, in this order.

Plain Python, no Django (tested with plain data):
  unpack.py       what a file is, from its bytes: XML, gzip, zip, email, mbox; limits on each
  parser.py       streaming report reader: header first, then records one at a time
  report.py       the plain data classes the parser returns (ParsedReport, ParsedRecord, ...)
  alignment.py    our own DKIM/SPF alignment beside the reporter's verdict
  days.py         a report's counts spread over the UTC days it covers
  reporter.py     who vouches for a report: its email's DKIM signature against its <email>
  errors.py       the errors that reject an input with a clear message

With the database:
  models.py       Report, Record, Rejection, Upload and its chunks, ForeignReport
  signatures.py   checking a report email's DKIM signature (DNS)
  store.py        one parsed report written with COPY in one transaction, once; deleting reports
                  (the coarser rollups follow through reports.rollups.fold)
  pipeline.py     ingest_bytes(): unpack, parse, store, an Outcome per report, and reports_changed
  files.py        import_reports' walk over files and directories, in parallel
  uploads.py      files uploaded on the status page, ingested by a task
  reprocess.py    parse stored originals or rejected inputs again
  retention.py    purging reports older than the retention period
  consistency.py  the stored counts against a rebuild from the records, and the repair
  views.py        the reports and uploads pages
"""
