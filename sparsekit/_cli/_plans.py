"""The plans ``auto`` would follow, as ``info``, ``solve`` and ``demo`` show them."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.text import Text

import sparsekit as sk

from ..errors import SparsekitError
from ..results import Plan
from ._output import fmt_bytes

__all__ = ["PlanView", "plans_for", "plan_rows", "plan_dict", "plan_text"]


def plan_dict(p: Plan | None) -> dict | None:
    """A :class:`~sparsekit.Plan` as plain values."""
    if p is None:
        return None
    return {"task": p.task, "method": p.method, "precond": p.precond, "backend": p.backend,
            "reasons": list(p.reasons), "properties": dict(p.properties),
            "memory": dict(p.memory)}


@dataclass(frozen=True)
class PlanView:
    """A plan, or why there is none."""

    task: str
    plan: Plan | None = None
    unavailable: str | None = None
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        """JSON-ready form."""
        d = plan_dict(self.plan) or {"task": self.task}
        if self.unavailable:
            d["unavailable"] = self.unavailable
        return d


def _safe(task: str, fn) -> PlanView:
    try:
        return PlanView(task, fn())
    except NotImplementedError:
        return PlanView(task, unavailable="sk.plan is not available in this build")
    except SparsekitError as exc:
        return PlanView(task, unavailable=str(exc))


def plans_for(A, stats: dict) -> dict[str, PlanView]:
    """The solve plan, and the eigsh plan for square symmetric matrices."""
    plans = {"solve": _safe("solve", lambda: sk.plan(A))}
    if stats.get("square") and stats.get("symmetric"):
        plans["eigsh"] = _safe("eigsh", lambda: sk.plan(A, task="eigsh"))
    return plans


def plan_rows(task: str, view: PlanView) -> list[tuple[str, str]]:
    """Rows for a key/value table."""
    label = f"plan ({task})" if task != "auto" else 'plan ("auto")'
    if view.plan is None:
        return [(label, f"unavailable: {view.unavailable}")]
    p = view.plan
    what = f"method={p.method}, precond={p.precond}, backend={p.backend}"
    rows = [(label, what)]
    rows += [("", f"- {r}") for r in p.reasons]
    if p.memory:
        rows.append(("", "estimated memory: "
                     + ", ".join(f"{k} {fmt_bytes(v)}" for k, v in p.memory.items())))
    return rows


def plan_text(view: PlanView, heading: str = "plan") -> Text:
    """The plan as a heading line and one bullet per reason."""
    if view.plan is None:
        return Text.assemble((f"{heading}: ", "bold"), f"unavailable ({view.unavailable})")
    p = view.plan
    t = Text.assemble((f"{heading}: ", "bold"),
                      f"method={p.method}, precond={p.precond}, backend={p.backend}")
    for r in p.reasons:
        t.append(f"\n  - {r}")
    if p.memory:
        t.append("\n  estimated memory: "
                 + ", ".join(f"{k} {fmt_bytes(v)}" for k, v in p.memory.items()))
    return t
