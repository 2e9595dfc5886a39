"""What a failed Spark step says: the JVM's message, not Py4J's wrapper (no Spark needed)."""

from __future__ import annotations

from sentinella.engine._spark import _first_line


def test_a_java_error_is_reported_by_its_own_message_not_py4j_s_first_line() -> None:
    java = RuntimeError(
        "An error occurred while calling o78.getResult.\n"
        ": org.apache.spark.SparkException: Job aborted due to stage failure: Total size of "
        "serialized results of 12 tasks (1024.3 MiB) is bigger than spark.driver.maxResultSize\n"
        "\tat org.apache.spark.scheduler.DAGScheduler.failJobAndIndependentStages(DAGScheduler.scala:2856)"
    )
    assert _first_line(java) == (
        "An error occurred while calling o78.getResult. org.apache.spark.SparkException: Job aborted "
        "due to stage failure: Total size of serialized results of 12 tasks (1024.3 MiB) is bigger "
        "than spark.driver.maxResultSize"
    )
    assert _first_line(ValueError("no such column: x\nmore")) == "no such column: x"
    assert _first_line(ValueError("")) == "ValueError"
