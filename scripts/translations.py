"""Extract, update and compile Renkei's own translations (FAB ships its own).

    python scripts/translations.py

Then fill the empty ``msgstr`` entries in app/translations/ja_JP/LC_MESSAGES/messages.po
and run it again to compile.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
DIR = ROOT / "app" / "translations"
POT = DIR / "messages.pot"
PO = DIR / "ja_JP" / "LC_MESSAGES" / "messages.po"


def main() -> int:
    """Refresh messages.pot, merge it into the Japanese .po, compile the .mo."""
    pybabel = str(Path(sys.executable).with_name("pybabel"))
    subprocess.run(
        [
            pybabel,
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--no-location",
            "-o",
            str(POT),
            str(ROOT / "app"),
        ],
        check=True,
    )
    subprocess.run(
        [
            pybabel,
            "update",
            "-i",
            str(POT),
            "-d",
            str(DIR),
            "-l",
            "ja_JP",
            "--no-fuzzy-matching",
            "--ignore-obsolete",
        ],
        check=True,
    )
    with open(PO, "rb") as f:
        catalog = read_po(f)
    catalog.fuzzy = False  # the template's header is fuzzy; our catalogue is not
    with open(PO, "wb") as f:
        write_po(f, catalog, width=100)
    missing = [m.id for m in catalog if m.id and not m.string]
    if missing:
        print("untranslated:", *missing, sep="\n  ")
    subprocess.run([pybabel, "compile", "-d", str(DIR)], check=True)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
