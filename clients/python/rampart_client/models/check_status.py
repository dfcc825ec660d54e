from enum import StrEnum


class CheckStatus(StrEnum):
    ERROR = "error"
    MISMATCH = "mismatch"
    MISSING = "missing"
    OK = "ok"
    WARNING = "warning"

    def __str__(self) -> str:
        return str(self.value)
