#!/usr/bin/env python3
"""Scrapes a `pld run` metrics endpoint and parses it with prometheus_client's own text parser
(an independent implementation of the exposition format). Prints one JSON object:
{"samples": {"name{label=value,...}": value, ...}, "types": {"family": "counter"|...}}.
Exit 2 with one line on stderr when the endpoint does not answer or the text does not parse."""
import json
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: scrape_metrics.py URL", file=sys.stderr)
        return 2
    try:
        with urllib.request.urlopen(sys.argv[1], timeout=5) as response:
            content_type = response.headers.get("Content-Type", "")
            text = response.read().decode("utf-8")
    except Exception as error:  # noqa: BLE001 - one line for the test
        print(f"scrape_metrics: {sys.argv[1]}: {error}", file=sys.stderr)
        return 2
    samples, types = {}, {}
    try:
        for family in text_string_to_metric_families(text):
            types[family.name] = family.type
            for sample in family.samples:
                labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
                samples[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    except Exception as error:  # noqa: BLE001
        print(f"scrape_metrics: not Prometheus text: {error}", file=sys.stderr)
        return 2
    print(json.dumps({"content_type": content_type, "samples": samples, "types": types}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
