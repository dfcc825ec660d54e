from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    DOMAIN_ADMIN = "domain-admin"
    USER = "user"

    def __str__(self) -> str:
        return str(self.value)
