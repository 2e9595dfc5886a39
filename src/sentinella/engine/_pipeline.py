"""A pipeline of named SQL steps rendered as one ``WITH ... SELECT`` query.

Algorithms are written as a sequence of small readable steps; the engine sees one statement it
can optimise as a whole. ``materialise`` marks a step to be written out as a table first: it
keeps Spark lineage short and stops DuckDB from recomputing a step used many times.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SqlStep:
    name: str
    sql: str
    materialise: bool = False


@dataclass
class CTEPipeline:
    steps: list[SqlStep] = field(default_factory=list)

    def add(self, name: str, sql: str, *, materialise: bool = False) -> CTEPipeline:
        if any(step.name == name for step in self.steps):
            raise ValueError(f"pipeline already has a step named {name!r}")
        self.steps.append(SqlStep(name, sql.strip(), materialise))
        return self

    @property
    def output_name(self) -> str:
        if not self.steps:
            raise ValueError("empty pipeline")
        return self.steps[-1].name

    def render(self, final_select: str | None = None) -> str:
        """One query: every step but the last as a CTE, then the last step (or ``final_select``)."""
        if not self.steps:
            raise ValueError("empty pipeline")
        if final_select is None:
            *ctes, last = self.steps
            body = last.sql
        else:
            ctes, body = list(self.steps), final_select
        if not ctes:
            return body
        with_clause = ",\n".join(f"{step.name} AS (\n{step.sql}\n)" for step in ctes)
        return f"WITH {with_clause}\n{body}"

    def split_at_materialised(self) -> list[CTEPipeline]:
        """Cut the pipeline after each materialised step: each part becomes one table."""
        parts: list[CTEPipeline] = []
        current = CTEPipeline()
        for step in self.steps:
            current.steps.append(step)
            if step.materialise:
                parts.append(current)
                current = CTEPipeline()
        if current.steps:
            parts.append(current)
        return parts
