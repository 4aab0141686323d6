"""PromQL's evaluation model, independent of any parser: the expression tree the engine
evaluates (``ast``), the functions Prometheus 2.42 knows (``catalogue``), label rules
(``labels``), time arithmetic (``timing``) and Go's number formatting (``gofloat``).

The numeric kernels that evaluate this model over arrays live in ``services/promql``
(they need numpy, which the domain does not import; see docs/adr/0012-promql-engine.md).
"""
