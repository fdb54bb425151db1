"""A trained model as a versioned artefact: one JSON file holding the model itself (text,
never a pickle: loading an artefact must not run code), the hash of the data it was
trained on, its parameters and its evaluation. The database lists the artefacts
(``analytics_models``) so the console can say which version produced a score."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

FORMAT = 1


@dataclasses.dataclass
class ModelArtefact:
    kind: str  # "theft", "acorn", …
    version: str  # UTC timestamp + the first hex digits of the training-data hash
    created_at: str
    training_data_sha256: str
    training_rows: int
    params: dict[str, Any]
    features: list[str]
    evaluation: dict[str, Any]
    model: str  # the library's own text format (LightGBM model_to_string)

    def save(self, path: Path) -> Path:
        """Write atomically: a scorer reading the file never sees half of it."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps({"format": FORMAT, **dataclasses.asdict(self)}), "utf-8")
        os.replace(tmp, path)
        return path

    @classmethod
    def load(cls, path: Path) -> ModelArtefact:
        data = json.loads(path.read_text("utf-8"))
        if data.pop("format", None) != FORMAT:
            raise ValueError(f"{path}: not a SafeGrid model artefact (format {FORMAT})")
        return cls(**data)


def data_hash(frame: pd.DataFrame) -> str:
    """SHA-256 of the training data, independent of row order."""
    import pandas as pd

    ordered = frame.sort_values(list(frame.columns), kind="stable").reset_index(drop=True)
    rows = pd.util.hash_pandas_object(ordered, index=False).to_numpy()
    return hashlib.sha256(rows.tobytes()).hexdigest()


def new_version(sha256: str) -> tuple[str, str]:
    now = datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{sha256[:8]}", now.isoformat()
