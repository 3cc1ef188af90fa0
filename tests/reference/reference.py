#!/usr/bin/env python3
"""Brute-force reference for sluice's two lab queries over a JSON-lines file.

Pure Python 3 standard library, written from the contract below and nothing else of sluice, so
that the differential test (tests/e2e/differential_test.py) compares two independent readings
of the same spec.

Spec
----
Input. The file is split on b"\\n"; a final line without "\\n" is a line too. Lines are cut into
batches on a grid of bytes: batch k holds the lines whose first byte lies in
[k * 1 MiB, (k + 1) * 1 MiB) of the file (every line counts, blank and malformed ones included;
a cell where no line starts is no batch). With --max-records-per-trigger sluice cuts a batch
every 10,000 lines instead (--batch-lines 10000 here). A line that is empty or
holds only JSON whitespace (space, \\t, \\r) is blank: ignored, neither a record nor malformed.
Every other line is an input record.

Malformed. A record is malformed for a query if
  - its bytes are not valid UTF-8 (strict: no overlongs, surrogates, or code points > U+10FFFF),
  - it is not exactly one JSON object (RFC 8259: no NaN/Infinity; JSON whitespace around the
    object is fine, anything else after it is not),
  - or a field the query reads is missing, null or of the wrong JSON type. Schema: timestamp is
    a JSON integer from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z in ms since the epoch
    (-62135596800000 to 253402300799999; not a float such as 1.0 or 1e3, not a bool, not a string);
    status, severity, source_ip, user_id, content are JSON strings.
Duplicate keys: the last one wins. Q1 reads content, severity, source_ip; Q2 reads timestamp,
content, severity, user_id. Malformed records are skipped entirely.

lower() folds the ASCII letters A-Z only; LIKE '%x%' on it is a substring test on the decoded
string (JSON escapes such as \\u0063 decoded first).

Q1 (complete mode, no window): records with 'vulnerability' in lower(content) and
severity = 'High', counted per source_ip: rows (source_ip, match_count), by count descending.

Q2 (append mode): records with 'crash' in lower(content) and severity in ('High', 'Critical'),
counted per (10-second tumbling window of timestamp, user_id). A window is
[start, start + 10 s) with start = ts - (ts mod 10 s) (floor mod, so negative times work).
Watermark before batch k: (max timestamp over the non-malformed records of batches 0..k-1) minus
the watermark delay, or -infinity while there is none (records the WHERE rejects move it too).
A record that passes WHERE is late if its window's end <= the watermark before its batch: it is
dropped from the aggregate and counted as late. At the end every window closes; rows
(window_start, window_end, user_id, crash_count) for the final counts > 2 (HAVING).
Timestamps are written "YYYY-MM-DD HH:MM:SS" in UTC, with ".mmm" only when the milliseconds
are not zero.

Projection (append mode, no aggregation): SELECT user_id, content, status FROM logs WHERE
severity IN ('High', 'Critical'): one row per record that passes, in input order. It reads
user_id, content, status and severity; nothing is ever late.

Summary: input_records = non-blank lines, malformed_records, late_records (Q1 never has late
records), output_rows = rows of the final result.

Not covered (the generator never produces them, the contract is silent): lone surrogate escapes
such as "\\ud800", "-0" as a timestamp, integers with more than 4300 digits.

Usage: reference.py --query q2 [--watermark 30s] FILE   (rows as JSON lines on stdout, the
summary line on stderr)
"""

import argparse
import datetime
import json
import re
import sys
from collections import Counter

BATCH_BYTES = 1 << 20  # the byte grid's cell
BATCH_LINES = 10_000  # batches of lines (sluice's --max-records-per-trigger)
WINDOW_MS = 10_000
HAVING_MIN = 3  # HAVING count(*) > 2
EVENT_TIME_MIN = -62_135_596_800_000  # 0001-01-01T00:00:00Z in ms since the epoch
EVENT_TIME_MAX = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z
JSON_WHITESPACE = b" \t\r\n"

Q1_FIELDS = ("content", "severity", "source_ip")
PROJECTION_FIELDS = ("user_id", "content", "status", "severity")
Q2_FIELDS = ("timestamp", "content", "severity", "user_id")
_STRING_FIELDS = {"status", "severity", "source_ip", "user_id", "content"}

_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}


def _reject_constant(name):
    raise ValueError(f"{name} is not JSON")


# parse_constant rejects NaN/Infinity/-Infinity, which Python's json accepts by default.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def ascii_lower(s):
    """lower() as sluice defines it: A-Z only (str.lower() would fold Unicode too)."""
    return s.translate(_ASCII_LOWER)


def split_lines(data):
    """The lines of a file's bytes; a trailing "\\n" does not start another line."""
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def is_blank(line):
    return line.strip(JSON_WHITESPACE) == b""


def parse_object(line):
    """The JSON object of a line, or None if the line is not exactly one valid JSON object."""
    try:
        text = line.decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        return None
    try:
        obj = _DECODER.decode(text)  # dict keeps the last of duplicate keys
    except (ValueError, RecursionError):
        return None
    return obj if type(obj) is dict else None


def field_ok(obj, name):
    v = obj.get(name)
    if name == "timestamp":
        # type(): bool is not int here. Spark's timestamp range, years 0001 to 9999.
        return type(v) is int and EVENT_TIME_MIN <= v <= EVENT_TIME_MAX
    assert name in _STRING_FIELDS, name
    return type(v) is str


def valid_for(obj, fields):
    return obj is not None and all(field_ok(obj, f) for f in fields)


class Parsed:
    """Every line of a file parsed once: blank flags and objects (None when not an object)."""

    def __init__(self, data):
        self.lines = split_lines(data)
        self.first_bytes = []  # each line's first byte in the file
        at = 0
        for line in self.lines:
            self.first_bytes.append(at)
            at += len(line) + 1
        self.blank = [is_blank(l) for l in self.lines]
        self.objects = [None if b else parse_object(l) for l, b in zip(self.lines, self.blank)]

    @classmethod
    def from_file(cls, path):
        with open(path, "rb") as f:
            return cls(f.read())

    def input_records(self):
        return sum(1 for b in self.blank if not b)


def format_timestamp(ms):
    """ "YYYY-MM-DD HH:MM:SS" in UTC, ".mmm" appended only when the milliseconds are not 0."""
    seconds, millis = divmod(ms, 1000)
    t = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=seconds)
    text = t.strftime("%Y-%m-%d %H:%M:%S")
    if t.year < 1000:  # strftime does not pad years below 1000 everywhere
        text = f"{t.year:04d}" + text[text.index("-"):]
    return text + (f".{millis:03d}" if millis else "")


def parse_duration_ms(text):
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*", text)
    if not m:
        raise ValueError(f"duration like 30s, 500ms, 2m, 1h expected, got {text!r}")
    scale = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000}[m.group(2)]
    return round(float(m.group(1)) * scale)


def summary(parsed, malformed, late, rows):
    return {
        "input_records": parsed.input_records(),
        "malformed_records": malformed,
        "late_records": late,
        "output_rows": len(rows),
    }


def valid_records(parsed, fields):
    """The records valid for a query reading `fields`, in input order, and how many are not."""
    records = []
    malformed = 0
    for blank, obj in zip(parsed.blank, parsed.objects):
        if blank:
            continue
        if valid_for(obj, fields):
            records.append(obj)
        else:
            malformed += 1
    return records, malformed


def q1(parsed):
    """Vulnerabilities per source IP. Returns (rows, summary)."""
    counts = Counter()
    records, malformed = valid_records(parsed, Q1_FIELDS)
    for obj in records:
        if "vulnerability" in ascii_lower(obj["content"]) and obj["severity"] == "High":
            counts[obj["source_ip"]] += 1
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    rows = [{"source_ip": ip, "match_count": n} for ip, n in ordered]
    return rows, summary(parsed, malformed, 0, rows)


def batches(parsed, batch_lines=None):
    """The lines of each batch, as ranges: on the byte grid, or every batch_lines lines."""
    n = len(parsed.lines)
    if batch_lines:
        return [range(first, min(first + batch_lines, n)) for first in range(0, n, batch_lines)]
    out = []
    first = 0
    for i in range(1, n + 1):
        if i == n or parsed.first_bytes[i] // BATCH_BYTES != parsed.first_bytes[first] // BATCH_BYTES:
            out.append(range(first, i))
            first = i
    return out


def q2(parsed, watermark_ms=30_000, batch_lines=None):
    """Crash monitoring per user in 10-second windows. Returns (rows, summary)."""
    counts = Counter()
    malformed = late = 0
    max_ts = None  # over non-malformed records of the batches before the current one
    for batch in batches(parsed, batch_lines):
        watermark = None if max_ts is None else max_ts - watermark_ms  # None: -infinity
        batch_max = None
        for i in batch:
            if parsed.blank[i]:
                continue
            obj = parsed.objects[i]
            if not valid_for(obj, Q2_FIELDS):
                malformed += 1
                continue
            ts = obj["timestamp"]
            batch_max = ts if batch_max is None else max(batch_max, ts)
            if "crash" not in ascii_lower(obj["content"]):
                continue
            if obj["severity"] not in ("High", "Critical"):
                continue
            start = ts - ts % WINDOW_MS  # Python's % is a floor mod for a positive divisor
            if watermark is not None and start + WINDOW_MS <= watermark:
                late += 1
                continue
            counts[(start, obj["user_id"])] += 1
        if batch_max is not None:
            max_ts = batch_max if max_ts is None else max(max_ts, batch_max)
    rows = [
        {
            "window_start": format_timestamp(start),
            "window_end": format_timestamp(start + WINDOW_MS),
            "user_id": user,
            "crash_count": c,
        }
        for (start, user), c in sorted(counts.items())
        if c >= HAVING_MIN
    ]
    return rows, summary(parsed, malformed, late, rows)


def projection(parsed):
    """High and Critical records' user_id, content and status, in input order."""
    records, malformed = valid_records(parsed, PROJECTION_FIELDS)
    rows = [{k: obj[k] for k in ("user_id", "content", "status")} for obj in records
            if obj["severity"] in ("High", "Critical")]
    return rows, summary(parsed, malformed, 0, rows)


def run(query, parsed, watermark_ms=30_000, batch_lines=None):
    if query == "q1":
        return q1(parsed)
    if query == "projection":
        return projection(parsed)
    if query == "q2":
        return q2(parsed, watermark_ms, batch_lines)
    raise ValueError(f"unknown query {query!r} (q1, q2 or projection)")


def summary_line(s):
    return "summary " + " ".join(f"{k}={v}" for k, v in s.items())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--query", choices=("q1", "q2", "projection"), required=True)
    ap.add_argument("--watermark", default="30s", help="watermark delay (Q2), e.g. 30s")
    ap.add_argument("--batch-lines", type=int, default=None,
                    help="batches of this many lines (sluice --max-records-per-trigger), not "
                         "the byte grid")
    ap.add_argument("file")
    args = ap.parse_args(argv)
    rows, s = run(args.query, Parsed.from_file(args.file), parse_duration_ms(args.watermark),
                  args.batch_lines)
    for row in rows:
        print(json.dumps(row, ensure_ascii=False))
    print(summary_line(s), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
