//! Events: the types of the append-only log that webhooks and admin
//! notifications consume. Each event is written in the same transaction as
//! the change it reports, so the log never claims what did not happen and
//! never misses what did.

pub mod notify;
pub mod payloads;
pub mod webhooks;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Every event type of CONTRACT.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum EventType {
    #[serde(rename = "account.created")]
    AccountCreated,
    #[serde(rename = "account.deleted")]
    AccountDeleted,
    #[serde(rename = "account.frozen")]
    AccountFrozen,
    #[serde(rename = "account.unfrozen")]
    AccountUnfrozen,
    #[serde(rename = "auth.failed")]
    AuthFailed,
    #[serde(rename = "ip.blocked")]
    IpBlocked,
    #[serde(rename = "ip.unblocked")]
    IpUnblocked,
    #[serde(rename = "message.received")]
    MessageReceived,
    #[serde(rename = "message.rejected")]
    MessageRejected,
    #[serde(rename = "message.queued")]
    MessageQueued,
    #[serde(rename = "message.delivered")]
    MessageDelivered,
    #[serde(rename = "message.deferred")]
    MessageDeferred,
    #[serde(rename = "message.bounced")]
    MessageBounced,
    #[serde(rename = "attachment.linked")]
    AttachmentLinked,
    #[serde(rename = "attachment.downloaded")]
    AttachmentDownloaded,
    #[serde(rename = "dns.check.failed")]
    DnsCheckFailed,
    #[serde(rename = "webhook.test")]
    WebhookTest,
    /// A subscription was switched off because its endpoint answered 410 Gone.
    #[serde(rename = "webhook.disabled")]
    WebhookDisabled,
}

impl EventType {
    pub const ALL: [EventType; 18] = [
        Self::AccountCreated,
        Self::AccountDeleted,
        Self::AccountFrozen,
        Self::AccountUnfrozen,
        Self::AuthFailed,
        Self::IpBlocked,
        Self::IpUnblocked,
        Self::MessageReceived,
        Self::MessageRejected,
        Self::MessageQueued,
        Self::MessageDelivered,
        Self::MessageDeferred,
        Self::MessageBounced,
        Self::AttachmentLinked,
        Self::AttachmentDownloaded,
        Self::DnsCheckFailed,
        Self::WebhookTest,
        Self::WebhookDisabled,
    ];

    /// The wire name, e.g. `account.created`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AccountCreated => "account.created",
            Self::AccountDeleted => "account.deleted",
            Self::AccountFrozen => "account.frozen",
            Self::AccountUnfrozen => "account.unfrozen",
            Self::AuthFailed => "auth.failed",
            Self::IpBlocked => "ip.blocked",
            Self::IpUnblocked => "ip.unblocked",
            Self::MessageReceived => "message.received",
            Self::MessageRejected => "message.rejected",
            Self::MessageQueued => "message.queued",
            Self::MessageDelivered => "message.delivered",
            Self::MessageDeferred => "message.deferred",
            Self::MessageBounced => "message.bounced",
            Self::AttachmentLinked => "attachment.linked",
            Self::AttachmentDownloaded => "attachment.downloaded",
            Self::DnsCheckFailed => "dns.check.failed",
            Self::WebhookTest => "webhook.test",
            Self::WebhookDisabled => "webhook.disabled",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

/// An event about to be appended.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub kind: EventType,
    /// The account the event concerns, if any (normalised address).
    pub account: Option<String>,
    /// The domain the event concerns, if any; scopes domain-admin reads.
    pub domain: Option<String>,
    pub data: serde_json::Value,
}

/// An event as stored.
#[derive(Debug, Clone)]
pub struct Event {
    pub id: i64,
    pub kind: String,
    pub at_ms: i64,
    pub account: Option<String>,
    pub domain: Option<String>,
    pub data: serde_json::Value,
}
