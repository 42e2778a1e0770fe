"""Jobs as library functions: each a short composition of the steps."""

from dataclasses import dataclass, field

from linkage.progress import Stages


@dataclass
class JobResult:
    """What every job returns: its output tables, ``summary.json`` and the model used."""

    tables: dict
    summary: dict
    model_json: str
    stages: Stages = field(repr=False, default_factory=Stages)
