"""Builds the optional C extension of the remote-write hot path (docs/adr/0013-ingest-hot-path.md).

Everything else is configured in pyproject.toml. The extension is optional: without a
C compiler the install still succeeds, and ``remote_write_columns`` uses its pure-Python
scanner (the same results, slower).
"""

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class OptionalBuildExt(build_ext):
    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # no compiler, no headers: the Python fallback is used
            print(f"warning: the optional C extension was not built ({exc}); using the pure-Python scanner")

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:
            print(f"warning: {ext.name} was not built ({exc}); using the pure-Python scanner")


setup(
    ext_modules=[Extension("adapters.http.ingest_formats._rwscan", ["adapters/http/ingest_formats/_rwscan.c"],
                           extra_compile_args=["-O2"], optional=True)],
    cmdclass={"build_ext": OptionalBuildExt},
)
