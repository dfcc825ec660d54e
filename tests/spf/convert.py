#!/usr/bin/env python3
"""Converts the openspf RFC 7208 test suite (rfc7208-tests.yml, from the
pyspf sdist on PyPI; licence in rfc7208-tests.LICENSE) into
rfc7208-tests.json for tests/spf_suite.rs, applying the zone conventions
of pyspf's own harness (test/testspf.py):

- a name whose data is the string TIMEOUT never answers;
- TIMEOUT in a name's list makes queries of every type the name has no
  record of time out (pyspf yields the records listed before TIMEOUT
  first); a record value TIMEOUT does the same;
- SPF-type records are also served as TXT when the name has no TXT;
- the value NONE means "no record of this type";
- a missing name starting with `error.` times out.

  python3 convert.py   (needs PyYAML)
"""
import json, yaml

scenarios = []
for doc in yaml.safe_load_all(open("rfc7208-tests.yml")):
    zone = {}
    for name, records in doc.get("zonedata", {}).items():
        out, txt_seen, generated = [], False, []
        for r in records:
            if r == "TIMEOUT":
                out.append(["TIMEOUT", ""])
                continue
            for kind, value in r.items():
                if value == "TIMEOUT":
                    out.append(["TIMEOUT", ""])
                    continue
                if kind in ("TXT", "SPF"):
                    strings = [value] if isinstance(value, str) else list(value)
                    if strings == ["NONE"]:
                        if kind == "TXT":
                            txt_seen = True
                        continue
                    if kind == "TXT":
                        txt_seen = True
                        out.append(["TXT", strings])
                    else:
                        generated.append(["TXT", strings])
                elif kind == "MX":
                    out.append(["MX", [value[0], value[1]]])
                else:
                    out.append([kind, value])
        if not txt_seen:
            out.extend(generated)
        zone[name.lower()] = out
    tests = []
    for test_id, t in doc["tests"].items():
        result = t["result"]
        tests.append({
            "id": test_id,
            "host": t["host"],
            "mailfrom": t.get("mailfrom", ""),
            "helo": t.get("helo", ""),
            "result": [result] if isinstance(result, str) else result,
        })
    scenarios.append({"description": doc["description"], "zone": zone, "tests": tests})

with open("rfc7208-tests.json", "w") as f:
    json.dump(scenarios, f, indent=1, sort_keys=True)
    f.write("\n")
print(len(scenarios), "scenarios,", sum(len(s["tests"]) for s in scenarios), "tests")
