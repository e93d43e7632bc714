"""Errors of the pipeline: every bad input names file, row, column and what was expected."""
from __future__ import annotations

import os


class InputError(Exception):
    """A raw file cannot be read as its format requires.

    Printed as ``file:row:column: message`` (row and column are 1-based; row is the
    line in a text file or the row in a sheet; column is the column name or letter).
    """

    def __init__(self, file: str | os.PathLike, message: str, row: int | None = None,
                 column: str | int | None = None):
        self.file = str(file)
        self.row = row
        self.column = column
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.file}:{self.row if self.row is not None else '-'}:" \
               f"{self.column if self.column is not None else '-'}: {self.message}"


class BuildError(Exception):
    """A build cannot be published (inconsistent data across files)."""
