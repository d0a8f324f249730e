"""Batch word count over a text file, directory, glob or any fsspec URL.

    dstreams run examples/wordcount_batch.py --master 'local[4]' -- README.md [top]

Prints ``word: count`` lines, most frequent first (ties alphabetically), all of them or the
``top`` N. The same program runs on PySpark by importing ``SparkContext`` from ``pyspark``.
"""
from __future__ import annotations

import sys
from operator import add

from dstreams import Context


def main(argv: list[str]) -> int:
    if not 1 <= len(argv) <= 2:
        print("Usage: wordcount_batch.py <file> [top]", file=sys.stderr)
        return 2
    path = argv[0]
    top = int(argv[1]) if len(argv) == 2 else None
    with Context(appName="wordcount-batch") as ctx:
        counts = (ctx.textFile(path)
                  .flatMap(str.split)
                  .map(lambda word: (word, 1))
                  .reduceByKey(add)
                  .sortBy(lambda wc: (-wc[1], wc[0])))
        output = counts.take(top) if top is not None else counts.collect()
        for word, count in output:
            print(f"{word}: {count}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
