"""Run the benchmarks:
``python -m tests.bench [pull] [onedoc] [create] [csv] [pdf] [pdfzip] [money] [customers]
[receivables] [pace]`` (default: all but scale, pdfzip and pace), with sizes as options:
``customers --companies 10000 --products 2000``, ``pace --writes 300``; or
``python -m tests.bench scale [options]`` (tests/bench/scale.py: pages at 100,000 deals
next to stock Flask-AppBuilder; ``--help`` for its options).

Results are printed as small tables and written to bench-results/ (git-ignored).
"""

from __future__ import annotations

import sys


def split(argv: list[str]) -> tuple[list[str], dict[str, int]]:
    """Benchmark names, and ``--name number`` options (``--companies 10000``)."""
    names, options, rest = [], {}, list(argv)
    while rest:
        word = rest.pop(0)
        if word.startswith("--"):
            if not rest:
                raise SystemExit(f"{word} needs a number")
            options[word[2:].replace("-", "_")] = int(rest.pop(0))
        else:
            names.append(word)
    return names, options


def main(argv: list[str]) -> int:
    """Run the chosen benchmarks in order."""
    if argv[:1] == ["scale"]:
        from tests.bench import scale

        scale.run(argv[1:])
        return 0
    chosen, options = split(argv)
    chosen = chosen or ["pull", "onedoc", "create", "csv", "pdf", "money"]
    for name in chosen:
        if name == "pull":
            from tests.bench import sync_pull

            sync_pull.run()
        elif name == "onedoc":
            from tests.bench import one_document_pull

            one_document_pull.run()
        elif name == "create":
            from tests.bench import sync_create

            sync_create.run()
        elif name == "csv":
            from tests.bench import csv_bench

            print("CSV download:", csv_bench.run())
        elif name == "pdf":
            from tests.bench import pdf_bench

            pdf_bench.run()
            pdf_bench.bare()
        elif name == "pdfzip":
            from tests.bench import pdf_bundle_bench

            pdf_bundle_bench.run()
        elif name == "customers":
            from tests.bench import customer_sync

            customer_sync.run(
                **{k: v for k, v in options.items() if k in ("companies", "products")}
            )
        elif name == "receivables":
            from tests.bench import receivables_bench

            receivables_bench.run()
        elif name == "money":
            from tests.bench import money_agreement

            money_agreement.run()
        elif name == "pace":
            from tests.bench import pace

            pace.run(**{k: v for k, v in options.items() if k == "writes"})
        else:
            print(f"unknown benchmark {name!r}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
