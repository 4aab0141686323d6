"""An import-linter contract type the built-in ones cannot express: "these modules
import only the standard library and a named list of packages" (an allow list; the
built-in ``forbidden`` contract can only deny the packages someone thought of).

Used by pyproject's "The domain is pure" contract (docs/adr/0011-re2.md: the domain may
import ``re2`` and nothing else outside the standard library). ``lint-imports`` puts the
working directory on ``sys.path``, so it finds this module as
``tests.support.import_contracts``.
"""

from __future__ import annotations

import sys

from importlinter import Contract, ContractCheck, fields, output


class StandardLibraryOnlyContract(Contract):
    """Options: ``source_modules`` (packages whose every module is checked) and
    ``allowed_packages`` (top-level names allowed besides the standard library)."""

    type_name = "standard_library_only"

    source_modules = fields.ListField(subfield=fields.ModuleField())
    allowed_packages = fields.ListField(subfield=fields.StringField(), required=False, default=[])

    def check(self, graph, verbose: bool) -> ContractCheck:
        allowed = set(sys.stdlib_module_names) | {"__future__"} | set(self.allowed_packages)
        violations: list[tuple[str, str]] = []
        for source in self.source_modules:
            own = source.name.split(".")[0]
            for module in sorted({source.name} | graph.find_descendants(source.name)):
                for imported in sorted(graph.find_modules_directly_imported_by(module)):
                    top = imported.split(".")[0]
                    if top != own and top not in allowed:
                        violations.append((module, imported))
        return ContractCheck(kept=not violations, metadata={"violations": violations})

    def render_broken_contract(self, check: ContractCheck) -> None:
        allowed = ", ".join(self.allowed_packages) or "nothing"
        for module, imported in check.metadata["violations"]:
            output.print_error(f"{module} imports {imported} (allowed: the standard library and {allowed})")
            output.new_line()
