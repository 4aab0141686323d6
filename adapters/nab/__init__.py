"""Files of the NAB corpus: the data CSVs, the label windows, and detector output CSVs.

Why an adapter: the benchmark's use case (``services.anomaly_benchmark``) works on
plain lists; reading and writing the corpus's file layout is I/O and stays here.
"""

from adapters.nab.files import (
    NabFile,
    find_labels,
    list_files,
    parse_timestamp_ms,
    read_series,
    read_windows,
    write_scores,
)

__all__ = ["NabFile", "find_labels", "list_files", "parse_timestamp_ms", "read_series", "read_windows", "write_scores"]
