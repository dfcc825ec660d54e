//! The `data` of each event type: one struct per type, used both to write
//! events and to document them (OpenAPI components and 3.1 `webhooks`).

use serde::Serialize;
use utoipa::ToSchema;

use super::EventType;

/// `account.created`
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccountCreated {
    pub address: String,
    pub domain: String,
}

/// `account.deleted`
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccountDeleted {
    pub address: String,
    /// Set when the account went with its domain (`domain deleted`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `account.frozen`
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccountFrozen {
    pub address: String,
    pub reason: String,
    /// Set when the hijack detector froze it: the limit, its window and the
    /// count that went over it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_seconds: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
}

/// `account.unfrozen`
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccountUnfrozen {
    pub address: String,
    /// The admin who unfroze it by replying to the notification, if so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

/// `message.received`: one per local recipient account.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MessageReceived {
    pub account: String,
    /// Our id for the message (in its `Received:` header).
    pub message_id: String,
    pub mailbox: String,
    pub uid: i64,
    pub size: u64,
    /// Envelope sender; empty for the null reverse-path.
    pub sender: String,
    pub client_ip: String,
    /// Whether it came from an authenticated session.
    pub authenticated: bool,
    /// The inbound sender-check score, for mail that was checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
}

/// `message.rejected`
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MessageRejected {
    /// `mail`, `rcpt` or `data`.
    pub stage: String,
    /// Machine-readable: `relay_denied`, `relay_trick`, `unknown_recipient`,
    /// `local_sender_unauthenticated`, `ip_shield`, `sender_mismatch`,
    /// `from_mismatch`, `message_too_big`, `bare_line_ending`, `line_too_long`,
    /// `sender_checks` (inbound SPF/DKIM/DMARC/PTR score or policy).
    pub reason: String,
    /// The address concerned, if any.
    pub address: Option<String>,
    pub client_ip: String,
    /// `smtp`, `submission` or `submissions`.
    pub listener: String,
    pub authenticated: bool,
    /// The inbound sender-check score, for refusals by those checks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
}

/// `message.queued`: one per message with remote recipients.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MessageQueued {
    pub message_id: String,
    /// The queue entry's id.
    pub queue_id: i64,
    pub sender: String,
    pub recipients: Vec<String>,
    pub size: u64,
    pub client_ip: String,
}

/// `message.delivered`: one per remote recipient.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MessageDelivered {
    pub message_id: String,
    /// The queue entry (`/v1/queue/{id}`).
    pub queue_id: i64,
    pub sender: String,
    pub recipient: String,
    /// `host:port` that accepted it.
    pub remote_host: String,
    /// Whether the session was encrypted (STARTTLS).
    pub tls: bool,
    pub tls_cipher: Option<String>,
    /// The remote server's reply to the end of data.
    pub reply: String,
    pub attempts: i64,
}

/// `message.deferred`: a temporary failure; another attempt is scheduled.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MessageDeferred {
    pub message_id: String,
    pub queue_id: i64,
    pub sender: String,
    pub recipient: String,
    pub reply: String,
    pub attempts: i64,
    /// RFC 3339.
    pub next_attempt_at: String,
}

/// `message.bounced`: a permanent failure (or too long in the queue).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MessageBounced {
    pub message_id: String,
    pub queue_id: i64,
    pub sender: String,
    pub recipient: String,
    pub reply: String,
    pub attempts: i64,
}

/// `auth.failed`: one per failed login on any protocol.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuthFailed {
    pub ip: String,
    /// `smtp`, `submission`, `imap`, `pop3` or `api`.
    pub protocol: String,
    pub username: String,
    /// `bad_credentials`, `account_frozen`, `account_disabled`, `blocked_ip`, `bad_token`.
    pub reason: String,
}

/// `ip.blocked`
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IpBlocked {
    /// An address or CIDR network.
    pub network: String,
    /// RFC 3339.
    pub until: String,
    pub reason: String,
    /// How many times this network has been blocked.
    pub offenses: i64,
    /// Blocked through the API rather than by failed logins.
    pub manual: bool,
}

/// `ip.unblocked`
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IpUnblocked {
    pub network: String,
}

/// `attachment.linked`: an attachment was replaced by a download link.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttachmentLinked {
    pub link_id: i64,
    pub account: String,
    pub file_name: String,
    pub size: i64,
    pub sha256: String,
    /// RFC 3339.
    pub expires_at: String,
}

/// `attachment.downloaded`
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttachmentDownloaded {
    pub link_id: i64,
    pub account: String,
    pub file_name: String,
    pub ip: String,
    pub user_agent: String,
    /// Octets sent (less than the size for a range request).
    pub bytes: i64,
}

/// `webhook.test`
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookTest {
    pub webhook_id: i64,
    pub message: String,
}

/// `webhook.disabled`
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookDisabled {
    pub webhook_id: i64,
    pub reason: String,
}

/// `dns.check.failed`: records of a domain that were `ok` at the previous
/// periodic check and are not now.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DnsCheckFailed {
    pub domain: String,
    pub failures: Vec<crate::domain_dns::DnsCheckResult>,
}

/// The data as JSON; these plain structs always serialise.
pub fn to_data<T: Serialize>(payload: &T) -> serde_json::Value {
    serde_json::to_value(payload).unwrap_or(serde_json::Value::Null)
}

impl EventType {
    /// The schema of this type's `data`, for the types the server emits now.
    pub fn payload_schema(self) -> Option<&'static str> {
        Some(match self {
            Self::AccountCreated => "AccountCreated",
            Self::AccountDeleted => "AccountDeleted",
            Self::AccountFrozen => "AccountFrozen",
            Self::AccountUnfrozen => "AccountUnfrozen",
            Self::MessageReceived => "MessageReceived",
            Self::MessageRejected => "MessageRejected",
            Self::MessageQueued => "MessageQueued",
            Self::AuthFailed => "AuthFailed",
            Self::AttachmentLinked => "AttachmentLinked",
            Self::AttachmentDownloaded => "AttachmentDownloaded",
            Self::IpBlocked => "IpBlocked",
            Self::IpUnblocked => "IpUnblocked",
            Self::MessageDelivered => "MessageDelivered",
            Self::MessageDeferred => "MessageDeferred",
            Self::MessageBounced => "MessageBounced",
            Self::WebhookTest => "WebhookTest",
            Self::WebhookDisabled => "WebhookDisabled",
            Self::DnsCheckFailed => "DnsCheckFailed",
        })
    }
}
