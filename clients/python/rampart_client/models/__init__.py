"""Contains all the data models used in inputs/outputs"""

from .account_created import AccountCreated
from .account_deleted import AccountDeleted
from .account_dto import AccountDto
from .account_frozen import AccountFrozen
from .account_status import AccountStatus
from .account_unfrozen import AccountUnfrozen
from .alias_dto import AliasDto
from .attachment_downloaded import AttachmentDownloaded
from .attachment_link_dto import AttachmentLinkDto
from .attachment_linked import AttachmentLinked
from .attachment_linking import AttachmentLinking
from .auth_failed import AuthFailed
from .auth_failure_dto import AuthFailureDto
from .block_request import BlockRequest
from .blocked_ip_dto import BlockedIpDto
from .blocked_ip_list import BlockedIpList
from .check_result import CheckResult
from .check_status import CheckStatus
from .create_account_request import CreateAccountRequest
from .create_alias_request import CreateAliasRequest
from .create_dkim_key_request import CreateDkimKeyRequest
from .create_domain_request import CreateDomainRequest
from .create_token_request import CreateTokenRequest
from .create_webhook_request import CreateWebhookRequest
from .created_webhook import CreatedWebhook
from .delivery_attempt_dto import DeliveryAttemptDto
from .dkim_key_dto import DkimKeyDto
from .dmarc_report import DmarcReport
from .dmarc_report_report_type_0 import DmarcReportReportType0
from .dns_check import DnsCheck
from .dns_check_failed import DnsCheckFailed
from .dns_check_result import DnsCheckResult
from .dns_records import DnsRecords
from .domain_dto import DomainDto
from .event_dto import EventDto
from .event_dto_data import EventDtoData
from .event_type import EventType
from .expected_record import ExpectedRecord
from .freeze_request import FreezeRequest
from .health import Health
from .hijack_settings import HijackSettings
from .inbound_screening import InboundScreening
from .ip_blocked import IpBlocked
from .ip_shield_entry import IpShieldEntry
from .ip_shield_settings import IpShieldSettings
from .ip_unblocked import IpUnblocked
from .linking_settings import LinkingSettings
from .message_bounced import MessageBounced
from .message_deferred import MessageDeferred
from .message_delivered import MessageDelivered
from .message_queued import MessageQueued
from .message_received import MessageReceived
from .message_rejected import MessageRejected
from .notification_settings import NotificationSettings
from .paginated_account_dto import PaginatedAccountDto
from .paginated_alias_dto import PaginatedAliasDto
from .paginated_attachment_link_dto import PaginatedAttachmentLinkDto
from .paginated_auth_failure_dto import PaginatedAuthFailureDto
from .paginated_delivery_attempt_dto import PaginatedDeliveryAttemptDto
from .paginated_dkim_key_dto import PaginatedDkimKeyDto
from .paginated_dmarc_report import PaginatedDmarcReport
from .paginated_domain_dto import PaginatedDomainDto
from .paginated_event_dto import PaginatedEventDto
from .paginated_queue_entry_dto import PaginatedQueueEntryDto
from .paginated_webhook_dto import PaginatedWebhookDto
from .problem import Problem
from .queue_attempt_dto import QueueAttemptDto
from .queue_entry_dto import QueueEntryDto
from .queue_status import QueueStatus
from .relay_settings import RelaySettings
from .role import Role
from .rotated_secret import RotatedSecret
from .score_part import ScorePart
from .screening_settings import ScreeningSettings
from .send_summary import SendSummary
from .sender_check_request import SenderCheckRequest
from .sender_report import SenderReport
from .sending_limit import SendingLimit
from .test_sent import TestSent
from .token_response import TokenResponse
from .update_account_request import UpdateAccountRequest
from .update_webhook_request import UpdateWebhookRequest
from .verdict import Verdict
from .webhook_disabled import WebhookDisabled
from .webhook_dto import WebhookDto
from .webhook_test import WebhookTest
from .weights import Weights

__all__ = (
    "AccountCreated",
    "AccountDeleted",
    "AccountDto",
    "AccountFrozen",
    "AccountStatus",
    "AccountUnfrozen",
    "AliasDto",
    "AttachmentDownloaded",
    "AttachmentLinkDto",
    "AttachmentLinked",
    "AttachmentLinking",
    "AuthFailed",
    "AuthFailureDto",
    "BlockedIpDto",
    "BlockedIpList",
    "BlockRequest",
    "CheckResult",
    "CheckStatus",
    "CreateAccountRequest",
    "CreateAliasRequest",
    "CreateDkimKeyRequest",
    "CreateDomainRequest",
    "CreatedWebhook",
    "CreateTokenRequest",
    "CreateWebhookRequest",
    "DeliveryAttemptDto",
    "DkimKeyDto",
    "DmarcReport",
    "DmarcReportReportType0",
    "DnsCheck",
    "DnsCheckFailed",
    "DnsCheckResult",
    "DnsRecords",
    "DomainDto",
    "EventDto",
    "EventDtoData",
    "EventType",
    "ExpectedRecord",
    "FreezeRequest",
    "Health",
    "HijackSettings",
    "InboundScreening",
    "IpBlocked",
    "IpShieldEntry",
    "IpShieldSettings",
    "IpUnblocked",
    "LinkingSettings",
    "MessageBounced",
    "MessageDeferred",
    "MessageDelivered",
    "MessageQueued",
    "MessageReceived",
    "MessageRejected",
    "NotificationSettings",
    "PaginatedAccountDto",
    "PaginatedAliasDto",
    "PaginatedAttachmentLinkDto",
    "PaginatedAuthFailureDto",
    "PaginatedDeliveryAttemptDto",
    "PaginatedDkimKeyDto",
    "PaginatedDmarcReport",
    "PaginatedDomainDto",
    "PaginatedEventDto",
    "PaginatedQueueEntryDto",
    "PaginatedWebhookDto",
    "Problem",
    "QueueAttemptDto",
    "QueueEntryDto",
    "QueueStatus",
    "RelaySettings",
    "Role",
    "RotatedSecret",
    "ScorePart",
    "ScreeningSettings",
    "SenderCheckRequest",
    "SenderReport",
    "SendingLimit",
    "SendSummary",
    "TestSent",
    "TokenResponse",
    "UpdateAccountRequest",
    "UpdateWebhookRequest",
    "Verdict",
    "WebhookDisabled",
    "WebhookDto",
    "WebhookTest",
    "Weights",
)
