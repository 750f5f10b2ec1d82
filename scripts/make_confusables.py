"""Build src/loopdsl/linter/confusables.txt from Unicode's confusables.txt
(https://www.unicode.org/Public/security/latest/confusables.txt): the
prototype of every character that can stand in an identifier, for the TR39
skeletons of rule LD205 (confusable-id).

    python scripts/make_confusables.py path/to/confusables.txt

Not run by the build or the tests: the output is committed.
"""

from __future__ import annotations

import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "loopdsl" / "linter" / "confusables.txt"


def main(source: str) -> None:
    header = []
    pairs = []
    for raw in Path(source).read_text(encoding="utf-8-sig").splitlines():
        if raw.startswith("#") and len(header) < 5:
            header.append(raw)
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        src, target = (field.strip() for field in line.split(";")[:2])
        char = "".join(chr(int(h, 16)) for h in src.split())
        prototype = "".join(chr(int(h, 16)) for h in target.split())
        if len(char) == 1 and ("_" + char).isidentifier():
            pairs.append(f"{ord(char):X} {' '.join(f'{ord(c):X}' for c in prototype)}")
    OUT.write_text("\n".join([
        "# Prototypes of identifier characters, from Unicode's confusables.txt:",
        *header,
        "# Built by scripts/make_confusables.py; each line: CHAR PROTOTYPE... (hex).",
        *pairs]) + "\n", encoding="utf-8")
    print(f"wrote {len(pairs)} characters to {OUT}")


if __name__ == "__main__":
    main(sys.argv[1])
