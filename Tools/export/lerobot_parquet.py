"""Parquet writing for the export, with pyarrow: snappy compression, dictionary encoding.

Contract:
- `frame_table(columns, features)`: an Arrow table with one column per feature, in order:
  d-wide vectors as fixed-size lists (size d) of the declared dtype, shape-[1] features as
  scalars of the declared dtype. This is what LeRobot's loaders cast to `Sequence(length=d)`
  and `Value`.
- `write_table(table, path)`: one file (row groups of `row_group_size` rows when given).
- `RollingParquetWriter`: the v3.0 data files: `append(table)` adds one episode's rows as a
  row group of the current `data/chunk-CCC/file-FFF.parquet` and returns its (chunk, file);
  a new file is started first when the current one is not empty and adding the episode (its
  uncompressed Arrow size, an overestimate) would pass `limit_bytes`. After `chunks_size` files
  the chunk number advances.
- `tasks_table(tasks)`: meta/tasks.parquet as pandas writes a frame indexed by `task` with one
  column `task_index`: columns `task_index`, `task`, and pandas metadata naming `task` the
  index, so `pandas.read_parquet` gives LeRobot the frame it expects."""

import json
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from lerobot_features import Feature

ARROW_TYPES = {"float32": pa.float32(), "float64": pa.float64(), "int64": pa.int64(), "int32": pa.int32(),
               "bool": pa.bool_()}
WRITE_OPTIONS = {"compression": "snappy", "use_dictionary": True}


def arrow_type(f: Feature) -> pa.DataType:
    t = ARROW_TYPES[f.dtype]
    return t if f.is_scalar else pa.list_(t, f.shape[0])


def frame_schema(features: List[Feature]) -> pa.Schema:
    return pa.schema([pa.field(f.key, arrow_type(f)) for f in features])


def frame_table(columns: Dict[str, np.ndarray], features: List[Feature]) -> pa.Table:
    arrays = []
    for f in features:
        values = columns[f.key]
        t = ARROW_TYPES[f.dtype]
        if f.is_scalar:
            arrays.append(pa.array(values, type=t))
        else:
            flat = pa.array(np.ascontiguousarray(values).reshape(-1), type=t)
            arrays.append(pa.FixedSizeListArray.from_arrays(flat, f.shape[0]))
    return pa.Table.from_arrays(arrays, schema=frame_schema(features))


def write_table(table: pa.Table, path: Path, row_group_size: Optional[int] = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, str(path), row_group_size=row_group_size, **WRITE_OPTIONS)


class RollingParquetWriter:
    """Episodes appended into size-limited parquet files named by `template`."""

    def __init__(self, root: Path, template: str, schema: pa.Schema, limit_bytes: int, chunks_size: int) -> None:
        self.root, self.template, self.schema = root, template, schema
        self.limit_bytes, self.chunks_size = limit_bytes, chunks_size
        self.chunk, self.file = 0, 0
        self._fh = None
        self._writer: Optional[pq.ParquetWriter] = None
        self.paths: List[Path] = []

    def append(self, table: pa.Table) -> Tuple[int, int]:
        if self._writer is not None and self._fh.tell() + table.nbytes > self.limit_bytes:
            self._close_current()
            self.file += 1
            if self.file == self.chunks_size:
                self.chunk, self.file = self.chunk + 1, 0
        if self._writer is None:
            path = self.root / self.template.format(chunk_index=self.chunk, file_index=self.file)
            path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(path, "wb")
            self._writer = pq.ParquetWriter(self._fh, self.schema, **WRITE_OPTIONS)
            self.paths.append(path)
        self._writer.write_table(table)
        return self.chunk, self.file

    def _close_current(self) -> None:
        self._writer.close()
        self._fh.close()
        self._writer, self._fh = None, None

    def close(self) -> None:
        if self._writer is not None:
            self._close_current()


def tasks_table(tasks: List[str]) -> pa.Table:
    pandas_meta = {
        "index_columns": ["task"],
        "column_indexes": [{"name": None, "field_name": None, "pandas_type": "unicode", "numpy_type": "object",
                            "metadata": {"encoding": "UTF-8"}}],
        "columns": [
            {"name": "task_index", "field_name": "task_index", "pandas_type": "int64", "numpy_type": "int64", "metadata": None},
            {"name": "task", "field_name": "task", "pandas_type": "unicode", "numpy_type": "object", "metadata": None},
        ],
        "creator": {"library": "pyarrow", "version": pa.__version__},
        "pandas_version": "2.2.3",
    }
    schema = pa.schema([pa.field("task_index", pa.int64()), pa.field("task", pa.string())],
                       metadata={b"pandas": json.dumps(pandas_meta).encode()})
    return pa.Table.from_arrays([pa.array(range(len(tasks)), type=pa.int64()), pa.array(tasks, type=pa.string())],
                                schema=schema)
