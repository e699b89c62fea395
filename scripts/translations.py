"""Extract, update and compile Renkei's own translations (FAB ships its own).

python scripts/translations.py          # extract, merge into ja_JP, compile
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIR = ROOT / "app" / "translations"
POT = DIR / "messages.pot"


def main() -> int:
    """Refresh messages.pot, merge it into each language's .po, compile the .mo files."""
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
            "--omit-header",
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
            "--omit-header",
        ],
        check=True,
    )
    subprocess.run([pybabel, "compile", "-d", str(DIR)], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
