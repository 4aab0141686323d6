"""Compliance: controls mapped to frameworks, checks over facts and metrics,
evaluations with evidence, and a severity-weighted posture per framework."""

from domain.compliance.catalogue import default_controls
from domain.compliance.checks import (
    AllOf,
    AnyOf,
    Check,
    CheckOperator,
    CheckResult,
    Evidence,
    FactCheck,
    MetricCheck,
    leaves,
    required_facts,
    required_metrics,
)
from domain.compliance.context import MISSING, EvaluationContext, MetricResolver, resolve_fact
from domain.compliance.controls import Control, Framework, FrameworkRef, Severity
from domain.compliance.evaluation import ControlStatus, Evaluation, evaluate_control, evaluate_controls
from domain.compliance.posture import PostureScore, latest_evaluations, posture

__all__ = [
    "MISSING",
    "AllOf",
    "AnyOf",
    "Check",
    "CheckOperator",
    "CheckResult",
    "Control",
    "ControlStatus",
    "Evaluation",
    "EvaluationContext",
    "Evidence",
    "FactCheck",
    "Framework",
    "FrameworkRef",
    "MetricCheck",
    "MetricResolver",
    "PostureScore",
    "Severity",
    "default_controls",
    "evaluate_control",
    "evaluate_controls",
    "latest_evaluations",
    "leaves",
    "posture",
    "required_facts",
    "required_metrics",
    "resolve_fact",
]
