"""Controls and the frameworks they satisfy.

A control is one thing we can check about a tenant's deployment ("audit logging is
enabled"), mapped to the clauses of the frameworks it provides evidence for. One control
usually serves several frameworks (SOC 2 CC7.2, ISO 27001 A.8.15 and CIS 8.2 all ask for
audit logs), so controls are evaluated once and the result counted in every framework
they reference.

``applies_when`` is an optional check: when it evaluates to FAIL the control is
NOT_APPLICABLE (e.g. "MFA for local admins" when sign-in goes only through an SSO
provider that enforces MFA itself); when it cannot be evaluated the control is in ERROR.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from domain.compliance.checks import CHECK_TYPES, Check
from domain.errors import ValidationError
from domain.identity.tenants import validate_name

CONTROL_ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")
MAX_REFERENCE_LENGTH = 64
MAX_DESCRIPTION_LENGTH = 4000


class Framework(str, enum.Enum):
    SOC2 = "soc2"
    ISO27001 = "iso27001"
    CIS = "cis"
    NIST_CSF = "nist_csf"
    PCI_DSS = "pci_dss"
    HIPAA = "hipaa"

    @property
    def title(self) -> str:
        return _TITLES[self]


_TITLES = {
    Framework.SOC2: "SOC 2",
    Framework.ISO27001: "ISO/IEC 27001:2022",
    Framework.CIS: "CIS Controls v8",
    Framework.NIST_CSF: "NIST Cybersecurity Framework",
    Framework.PCI_DSS: "PCI DSS v4.0",
    Framework.HIPAA: "HIPAA Security Rule",
}


@dataclass(frozen=True, slots=True)
class FrameworkRef:
    """A clause of a framework, e.g. ``FrameworkRef(Framework.SOC2, "CC7.2")``."""

    framework: Framework
    reference: str

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "framework", Framework(self.framework))
        except ValueError:
            allowed = ", ".join(f.value for f in Framework)
            raise ValidationError(f"unknown framework {self.framework!r}; use one of {allowed}", field="framework") from None
        object.__setattr__(self, "reference", validate_name(self.reference, field="reference", max_length=MAX_REFERENCE_LENGTH))

    def __str__(self) -> str:
        return f"{self.framework.title} {self.reference}"


class Severity(str, enum.Enum):
    """How much a control weighs in the posture score (see ``domain.compliance.posture``)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def weight(self) -> int:
        return _WEIGHTS[self]


_WEIGHTS = {Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3, Severity.CRITICAL: 4}


@dataclass(frozen=True, slots=True)
class Control:
    id: str
    title: str
    description: str
    severity: Severity
    refs: tuple[FrameworkRef, ...]
    check: Check
    applies_when: Check | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not CONTROL_ID_RE.fullmatch(self.id):
            raise ValidationError(
                f"invalid control id {self.id!r}: start with a letter, then up to 63 letters, digits, '_', '.' or '-'",
                field="id",
            )
        object.__setattr__(self, "title", validate_name(self.title, field="title"))
        if not isinstance(self.description, str) or len(self.description) > MAX_DESCRIPTION_LENGTH:
            raise ValidationError(f"description must be a string of at most {MAX_DESCRIPTION_LENGTH} characters", field="description")
        try:
            object.__setattr__(self, "severity", Severity(self.severity))
        except ValueError:
            raise ValidationError(f"unknown severity {self.severity!r}; use low, medium, high or critical", field="severity") from None
        refs = tuple(self.refs) if not isinstance(self.refs, (str, FrameworkRef)) else ()
        if not refs:
            raise ValidationError("a control must reference at least one framework clause", field="refs")
        for i, ref in enumerate(refs):
            if not isinstance(ref, FrameworkRef):
                raise ValidationError("refs must be FrameworkRef values", field=f"refs[{i}]")
        if len(set(refs)) != len(refs):
            raise ValidationError("refs lists the same clause twice", field="refs")
        object.__setattr__(self, "refs", refs)
        if not isinstance(self.check, CHECK_TYPES):
            raise ValidationError("check must be a FactCheck, MetricCheck, AllOf or AnyOf", field="check")
        if self.applies_when is not None and not isinstance(self.applies_when, CHECK_TYPES):
            raise ValidationError("applies_when must be a check", field="applies_when")

    @property
    def frameworks(self) -> frozenset[Framework]:
        return frozenset(ref.framework for ref in self.refs)

    def references(self, framework: Framework) -> tuple[str, ...]:
        """The clauses of ``framework`` this control provides evidence for."""
        return tuple(ref.reference for ref in self.refs if ref.framework is framework)
