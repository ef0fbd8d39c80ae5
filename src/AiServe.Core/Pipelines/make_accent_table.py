#!/usr/bin/python3
"""Writes AccentTable.txt: each code point whose NFD decomposition without non-spacing marks (category Mn) differs
from itself, as 'HEX<TAB>HEX HEX ...'. Hangul syllables are left out (AccentStripper decomposes them by formula).

Why: AiServe runs with InvariantGlobalization, where string.Normalize(FormD) does nothing for non-ASCII text, so
Microsoft.ML.Tokenizers' RemoveNonSpacingMarks cannot strip accents; the Python side (unicodedata) does.
Run:  /usr/bin/python3 src/AiServe.Core/Pipelines/make_accent_table.py
"""
import os
import sys
import unicodedata

out = []
for cp in range(sys.maxunicode + 1):
    if 0xAC00 <= cp <= 0xD7A3 or 0xD800 <= cp <= 0xDFFF:
        continue
    ch = chr(cp)
    stripped = "".join(c for c in unicodedata.normalize("NFD", ch) if unicodedata.category(c) != "Mn")
    if stripped != ch and unicodedata.category(ch) != "Mn":
        out.append(f"{cp:X}\t{' '.join(f'{ord(c):X}' for c in stripped)}")
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "AccentTable.txt")
with open(path, "w") as f:
    f.write(f"# unicodedata {unicodedata.unidata_version}; written by make_accent_table.py\n")
    f.write("\n".join(out) + "\n")
print(len(out), "entries")
