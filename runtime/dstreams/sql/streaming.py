"""SQL over stream batches, as compositions of ``transform``/``foreachRDD`` and the session:
each batch becomes a DataFrame of the Context's one SparkSession, registered as a temporary
view, and queried.

>>> counts = sqlStream(words, "SELECT word, count(*) AS total FROM words GROUP BY word",
...                    view="words", schema="word STRING")                      # doctest: +SKIP
>>> counts.pprint()                                                              # doctest: +SKIP

These are the Spark Streaming guide's "DataFrame and SQL operations" written once; a program
can equally write them by hand in ``foreachRDD`` (see ``examples/sql_wordcount.py``).
"""
from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from .dataframe import DataFrame
from .functions import lit
from .session import SparkSession

__all__ = ["batchDataFrame", "sqlStream", "foreachBatch"]


def batchDataFrame(rdd: Any, schema: Any = None, time: datetime.datetime | None = None,
                   batchTimeColumn: str | None = None) -> DataFrame | None:
    """Return the DataFrame of one batch's RDD on the Context's session, or None for an empty
    batch when there is no ``schema`` to give its columns. With ``batchTimeColumn`` the batch
    ``time`` is added as a timestamp column of that name (for ``functions.window`` over batch
    times)."""
    spark = SparkSession.builder.config(conf=rdd.context.getConf()).getOrCreate()
    if schema is None and rdd.isEmpty():
        return None
    df = spark.createDataFrame(rdd, schema)
    if batchTimeColumn is not None:
        if time is None:
            raise ValueError("batchTimeColumn needs the batch time")
        df = df.withColumn(batchTimeColumn, lit(time))
    return df


def sqlStream(dstream: Any, query: str, view: str = "batch", schema: Any = None,
              batchTimeColumn: str | None = None) -> Any:
    """Return a DStream of the Rows of ``query`` run on every batch of ``dstream``, the batch
    being registered as temporary view ``view`` first (an empty batch without a ``schema``
    gives an empty result)."""

    def per_batch(time: datetime.datetime, rdd: Any) -> Any:
        df = batchDataFrame(rdd, schema, time, batchTimeColumn)
        if df is None:
            return rdd.context.emptyRDD()
        df.createOrReplaceTempView(view)
        return df.sparkSession.sql(query).rdd

    return dstream.transform(per_batch)


def foreachBatch(dstream: Any, func: Callable[[DataFrame, datetime.datetime], Any], schema: Any = None,
                 batchTimeColumn: str | None = None) -> None:
    """Call ``func(df, time)`` on the driver with every non-empty batch as a DataFrame (an output
    operation; empty batches are passed too when a ``schema`` is given)."""

    def out(time: datetime.datetime, rdd: Any) -> None:
        df = batchDataFrame(rdd, schema, time, batchTimeColumn)
        if df is not None:
            func(df, time)

    dstream.foreachRDD(out)
