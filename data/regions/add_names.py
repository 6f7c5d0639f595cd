#!/usr/bin/python3
"""Merge data/regions/names.csv (the sourced en/ja/ko name table, see SOURCES.md) into the
regions GeoJSON: sets properties.name_ja and properties.name_ko of every feature, and
name_local of the KR features to their Korean name. Checks that every feature has a row,
that the English name matches, and the script of each name (kana/kanji for ja, Hangul for
ko). Rewrites the file in its one-feature-per-line form; running it twice changes nothing.

usage: add_names.py [--names names.csv] [--regions northeast-asia.geojson]
"""
import argparse
import csv
import json
import re
import sys

JA = re.compile(r"^[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff ()（）・]+$")
KO = re.compile(r"^[\uac00-\ud7a3 ]+$")
KEY_ORDER = ["id", "name", "name_local", "name_ja", "name_ko", "country"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--names", default="data/regions/names.csv")
    ap.add_argument("--regions", default="data/regions/northeast-asia.geojson")
    a = ap.parse_args()
    with open(a.names, encoding="utf-8", newline="") as f:
        rows = {r["id"]: r for r in csv.DictReader(f)}
    with open(a.regions, encoding="utf-8") as f:
        doc = json.load(f)
    bad = []
    for feat in doc["features"]:
        p = feat["properties"]
        r = rows.pop(p["id"], None)
        if r is None:
            bad.append(f"{p['id']}: no row in {a.names}")
            continue
        if r["name_en"] != p["name"]:
            bad.append(f"{p['id']}: name_en {r['name_en']!r} != name {p['name']!r}")
        if not JA.match(r["name_ja"]):
            bad.append(f"{p['id']}: name_ja {r['name_ja']!r} is not kana/kanji")
        if not KO.match(r["name_ko"]):
            bad.append(f"{p['id']}: name_ko {r['name_ko']!r} is not Hangul")
        p["name_ja"] = r["name_ja"]
        p["name_ko"] = r["name_ko"]
        if p["country"] == "KR":
            p["name_local"] = r["name_ko"]
        feat["properties"] = {k: p[k] for k in KEY_ORDER}
    bad += [f"{i}: row matches no feature" for i in rows]
    if bad:
        sys.exit("\n".join(bad))
    out = ('{"type":"FeatureCollection","features":[\n'
           + ",\n".join(json.dumps(f, ensure_ascii=False, separators=(",", ":"))
                        for f in doc["features"])
           + "\n]}\n")
    with open(a.regions, "w", encoding="utf-8") as f:
        f.write(out)
    print(f"{len(doc['features'])} features named")


if __name__ == "__main__":
    main()
