#!/usr/bin/env python3
"""Checks tests/reference/reference.py against tiny inputs whose results were computed by hand,
so the differential test can trust it. Exits 1 on the first mismatch."""

import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference as ref  # noqa: E402


def rec(ts=1000, status="200", severity="High", ip="10.0.0.1", user="user_a", content="app crash"):
    """A record line with every field in the lab's schema; ts/user/... may be raw JSON text."""
    def js(v):
        return v if isinstance(v, RawJson) else json.dumps(v, ensure_ascii=False)
    return ('{"timestamp": %s, "status": %s, "severity": %s, "source_ip": %s, "user_id": %s, '
            '"content": %s}' % (js(ts), js(status), js(severity), js(ip), js(user), js(content))).encode()


class RawJson(str):
    """JSON text written as is (for escapes, wrong types, NaN)."""


FAILURES = []


def check(name, got, want):
    if got != want:
        FAILURES.append(name)
        print(f"FAIL {name}\n  got:  {got!r}\n  want: {want!r}")
    else:
        print(f"ok   {name}")


def edge_lines():
    """Lines probing the parsing and matching rules; results in parsing_and_matching()."""
    return [
        rec(ts=1000, user="user_a", content="app crash detected"),                     # 1 Q2 a
        b"   \t",                                                                      # blank
        rec(ts=1500, severity="Critical", user="user_a", content=RawJson('"\\u0063RASH"')),  # 2 a
        rec(ts=RawJson('"1500"'), user="user_a"),                     # 3 Q2 malformed (string)
        rec(ts=RawJson("1.5e3"), user="user_a"),                      # 4 Q2 malformed (float)
        rec(ts=RawJson("1500.0"), user="user_a"),                     # 5 Q2 malformed (float)
        rec(ts=RawJson("true"), user="user_a"),                       # 6 Q2 malformed (bool)
        rec(ts=RawJson("9223372036854775808"), user="user_a"),        # 7 Q2 malformed (> int64)
        rec(severity=RawJson("NaN")),                                 # 8 both malformed
        rec() + b" x",                                                # 9 both malformed
        rec(status=RawJson('"2\xff0"')).replace("ÿ".encode(), b"\xff"),  # 10 both (bad UTF-8)
        b"[" + rec() + b"]",                                          # 11 both malformed
        # 12 duplicate key, the last wins: High -> counts for user_a
        b'{"severity": "Low", "timestamp": 2000, "status": "200", "source_ip": "10.0.0.3", '
        b'"user_id": "user_a", "content": "Crash!", "severity": "High"}',
        rec(severity="Medium", user="user_a", content="Crash in module"),   # 13 filtered out
        rec(user=RawJson("null")),                                    # 14 Q2 malformed only
        b'{"timestamp": 3000, "severity": "High", "user_id": "user_b", "content": "CRASH"}',  # 15
        rec(ts=4000, severity="Critical", user="user_b", content="crash café"),  # 16 b
        rec(ts=5000, user="user_b", content=RawJson('"said \\"cRaSh\\" twice\\n"')) + b"  \r",  # 17 b
        rec(ts=6000, user="user_c", content="ｃｒａｓｈ"),  # 18 full-width: no ASCII match
        rec(ts=6000, user="user_c", content="İcrash"),    # 19 matches (ASCII substring)
        rec(ts=-1, user="user_e"),                        # 20 window [-10000, 0)
        rec(ts=-5000, user="user_e"),                     # 21
        rec(ts=-10000, user="user_e"),                    # 22
        # Q1
        rec(ip="10.0.0.1", content="Security VULNERABILITY found"),                  # V1
        rec(ts=RawJson('"abc"'), ip="10.0.0.1", content=RawJson('"vuln\\u0065rability"')),  # V2
        rec(ip="10.0.0.2", severity="high", content="vulnerability"),                # V3 no
        rec(ip="10.0.0.2", user=RawJson("null"), content="vulnerability scan"),      # V4
        rec(ip="10.0.0.2", content="vulnerab\u0131lity"),                            # V5 no
        b"{}",                                                                       # both
        b"",                                                                         # blank
        b'"just a string"',                                                          # both
        rec(content=RawJson("{\"text\": \"crash\"}")),                               # both
        rec(ts=253_402_300_800_000, user="user_a"),  # Q2 malformed: after 9999-12-31T23:59:59.999Z
        rec(status=RawJson("tru")),                  # both: bad JSON in a field neither reads
    ]


def edge_file():
    return b"\n".join(edge_lines())  # no newline after the last line: it still counts


def parsing_and_matching():
    data = edge_file()
    parsed = ref.Parsed(data)
    # 34 lines, 2 of them blank.
    check("lines", len(parsed.lines), 34)
    check("input_records", parsed.input_records(), 32)

    rows, s = ref.q2(parsed)
    # Q2 malformed: 3,4,5,6,7 (timestamp), 8,9,10,11 (both), 14 (user null),
    # V2 (timestamp), V4 (user null), {}, "just a string", content object, timestamp out of
    # range, status tru = 17.
    check("q2 malformed", s["malformed_records"], 17)
    check("q2 late", s["late_records"], 0)
    want = [
        {"window_start": "1969-12-31 23:59:50", "window_end": "1970-01-01 00:00:00",
         "user_id": "user_e", "crash_count": 3},
        # user_a: 1, 2, 12; user_b: 15, 16, 17; user_c: only 19 (1) -> below HAVING.
        {"window_start": "1970-01-01 00:00:00", "window_end": "1970-01-01 00:00:10",
         "user_id": "user_a", "crash_count": 3},
        {"window_start": "1970-01-01 00:00:00", "window_end": "1970-01-01 00:00:10",
         "user_id": "user_b", "crash_count": 3},
    ]
    check("q2 rows", rows, want)

    rows, s = ref.q1(parsed)
    # Q1 malformed: 8,9,10,11, 15 (no source_ip), {}, "just a string", content object,
    # status tru = 9.
    check("q1 malformed", s["malformed_records"], 9)
    # 10.0.0.1: V1, V2; 10.0.0.2: V4 (V3 severity is "high", V5 has a dotless i).
    check("q1 rows", rows, [{"source_ip": "10.0.0.1", "match_count": 2},
                            {"source_ip": "10.0.0.2", "match_count": 1}])


def lateness_batches():
    """Three batches (for the default batch size, without the blank padding) probing lateness."""
    batch0 = [rec(ts=100_000, user="user_c")]
    batch1 = [
        rec(ts=65_000, user="user_c"),    # window [60 s, 70 s): end 70 s <= watermark 70 s: late
        rec(ts=69_999, user="user_c"),    # same window: late
        rec(ts=70_000, user="user_d"),    # window [70 s, 80 s): on time
        rec(ts=75_000, user="user_d", severity="Critical"),
        rec(ts=79_999, user="user_d", content="CRASH"),
        rec(ts=RawJson('"500000"'), user="user_d"),  # malformed: does not move the watermark
        rec(ts=200_000, severity="Low", content="all good"),  # WHERE rejects it; it moves it
        rec(ts=65_000, severity="Low", user="user_c"),  # old but not matching: not late
    ]
    batch2 = [
        rec(ts=165_000, user="user_f"),  # window end 170 s <= 200 s - 30 s: late
        rec(ts=170_000, user="user_f"),  # window [170 s, 180 s): on time
    ]
    return batch0, batch1, batch2


def lateness_file(by_lines=False):
    """The three batches, each padded with blank lines to fill its batch: of lines, or the byte
    grid's cell (a blank line of spaces up to the cell's last byte)."""
    batch0, batch1, batch2 = lateness_batches()
    if by_lines:
        pad = lambda b: [b""] * (ref.BATCH_LINES - len(b))  # blank lines count, not records
    else:
        pad = lambda b: [b" " * (ref.BATCH_BYTES - sum(len(l) + 1 for l in b) - 1)]
    return b"\n".join(batch0 + pad(batch0) + batch1 + pad(batch1) + batch2) + b"\n"


def lateness_across_batches():
    for by_lines in (False, True):
        lateness_in_batches(by_lines)
    # One byte less of padding in batch 0 starts batch 1's first line on cell 0's last byte (it
    # joins batch 0), and batch 2's first line on cell 1's (it joins batch 1).
    shifted = ref.Parsed(lateness_file(False).replace(b"  \n", b" \n", 1))
    check("late: grid shifted", [len(b) for b in ref.batches(shifted)], [3, 9, 1])


def lateness_in_batches(by_lines):
    batch0, batch1, batch2 = lateness_batches()
    parsed = ref.Parsed(lateness_file(by_lines))
    lines = ref.BATCH_LINES if by_lines else None
    check("late: batches", [len(b) for b in ref.batches(parsed, lines)],
          [ref.BATCH_LINES, ref.BATCH_LINES, 2] if by_lines else [2, 9, 2])
    q2 = lambda p, watermark_ms=30_000: ref.q2(p, watermark_ms, lines)
    rows, s = q2(parsed, watermark_ms=30_000)
    check("late: count", s["late_records"], 3)
    check("late: malformed", s["malformed_records"], 1)
    check("late: input", s["input_records"], 11)
    check("late: rows", rows, [{"window_start": "1970-01-01 00:01:10",
                                "window_end": "1970-01-01 00:01:20",
                                "user_id": "user_d", "crash_count": 3}])
    # 10 s: watermark 90 s before batch 1 (all five matching records late), 190 s before batch 2
    # (both late). 100 s: watermarks 0 s and 100 s, nothing late. Without the blank padding
    # everything is in batch 0, whose watermark is -infinity: nothing late.
    check("late: 10 s delay", q2(parsed, watermark_ms=10_000)[1]["late_records"], 7)
    check("late: 100 s delay", q2(parsed, watermark_ms=100_000)[1]["late_records"], 0)
    parsed_one_batch = ref.Parsed(b"\n".join(batch0 + batch1 + batch2))
    check("late: one batch", q2(parsed_one_batch)[1]["late_records"], 0)


def helpers():
    check("format ms", ref.format_timestamp(1500), "1970-01-01 00:00:01.500")
    check("format s", ref.format_timestamp(1_769_538_590_000), "2026-01-27 18:29:50")
    check("duration", [ref.parse_duration_ms(t) for t in ("30s", "500ms", "2m")],
          [30_000, 500, 120_000])
    check("split", ref.split_lines(b"a\n\nb\n"), [b"a", b"", b"b"])
    check("utf8 surrogate", ref.parse_object(b'{"a": "\xed\xa0\x80"}'), None)
    check("utf8 overlong", ref.parse_object(b'{"a": "\xc0\xaf"}'), None)
    check("infinity", ref.parse_object(b'{"a": Infinity}'), None)
    check("leading ws", ref.parse_object(b' \t{"a": 1}\r'), {"a": 1})
    check("vertical tab is not JSON whitespace", ref.is_blank(b"\x0b"), False)


def projection():
    lines = [rec(severity="Critical", user="u1", content="a \\u0063rash", status="500"),
             rec(severity="Low", user="u2"),
             b"oops",
             rec(severity="High", user="u3", content=RawJson("7")),  # content not a string
             rec(severity="High", user="u4", ts=RawJson('"late"'), status="404"),  # ts not read
             b"  ",
             rec(severity="High", user="u5", content="caf\u00e9")]
    rows, s = ref.projection(ref.Parsed(b"\n".join(lines)))
    check("projection rows in input order", rows, [
        {"user_id": "u1", "content": "a \\u0063rash", "status": "500"},
        {"user_id": "u4", "content": "app crash", "status": "404"},
        {"user_id": "u5", "content": "caf\u00e9", "status": "200"}])
    check("projection summary", s, {"input_records": 6, "malformed_records": 2, "late_records": 0,
                                    "output_rows": 3})


def command_line():
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "in.jsonl")
        with open(path, "wb") as f:
            f.write(b"\n".join([rec(ts=1000), rec(ts=2000), rec(ts=3000), b"oops"]) + b"\n")
        p = subprocess.run([sys.executable, ref.__file__, "--query", "q2", "--watermark", "10s", path],
                           capture_output=True, text=True)
        check("cli exit", p.returncode, 0)
        check("cli rows", p.stdout, '{"window_start": "1970-01-01 00:00:00", "window_end": '
                                    '"1970-01-01 00:00:10", "user_id": "user_a", "crash_count": 3}\n')
        check("cli summary", p.stderr.strip().splitlines()[-1],
              "summary input_records=4 malformed_records=1 late_records=0 output_rows=1")


def main():
    parsing_and_matching()
    lateness_across_batches()
    helpers()
    projection()
    command_line()
    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed: {', '.join(FAILURES)}")
        return 1
    print("reference self-test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
