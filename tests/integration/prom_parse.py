#!/usr/bin/env python3
"""prom_parse.py -- read a metrics exposition with the Prometheus project's own
parsers (prometheus_client, Debian's python3-prometheus-client) and print its
samples as JSON lines, so the shell tests can check them with jq.

    prom_parse.py prometheus FILE      the text format 0.0.4 parser
    prom_parse.py openmetrics FILE     the strict OpenMetrics 1.0 parser

Each line: {"family": ..., "type": ..., "name": ..., "labels": {...}, "value": ...}.
A parse error exits 1 with the parser's message on stderr.
"""
import json
import sys


def main():
    fmt, path = sys.argv[1], sys.argv[2]
    if fmt == "prometheus":
        from prometheus_client.parser import text_string_to_metric_families
    elif fmt == "openmetrics":
        from prometheus_client.openmetrics.parser import text_string_to_metric_families
    else:
        sys.exit("usage: prom_parse.py prometheus|openmetrics FILE")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        families = list(text_string_to_metric_families(text))
    except Exception as e:  # the parsers raise ValueError and friends
        print("parse error: %s" % e, file=sys.stderr)
        sys.exit(1)
    for fam in families:
        for s in fam.samples:
            print(json.dumps({"family": fam.name, "type": fam.type, "name": s.name,
                              "labels": s.labels, "value": s.value}))


if __name__ == "__main__":
    main()
