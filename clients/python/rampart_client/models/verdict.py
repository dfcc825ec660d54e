from enum import StrEnum


class Verdict(StrEnum):
    DELIVER = "deliver"
    JUNK = "junk"
    REJECT = "reject"
    TEMPFAIL = "tempfail"

    def __str__(self) -> str:
        return str(self.value)
