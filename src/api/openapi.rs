//! The OpenAPI 3.1 document, derived from the handlers with utoipa. The
//! committed `openapi/openapi.json` must equal [`document_json`]; a test
//! checks it and `rampart openapi > openapi/openapi.json` regenerates it.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::v1;
use crate::events::{EventType, payloads};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Rampart",
        description = "A headless, API-first mail server. Errors are RFC 9457 problem documents \
                       (`application/problem+json`). Lists are paginated with `limit` and `cursor`.",
        license(name = "Apache-2.0"),
    ),
    paths(
        super::healthz,
        super::openapi_json,
        v1::tokens::create_token,
        v1::domains::create_domain,
        v1::domains::list_domains,
        v1::domains::get_domain,
        v1::domains::delete_domain,
        v1::domain_dns::dns_records,
        v1::domain_dns::dns_check,
        v1::domain_dns::mta_sts,
        super::downloads::download_get,
        super::downloads::download_head,
        v1::accounts::create_account,
        v1::accounts::list_accounts,
        v1::accounts::get_account,
        v1::accounts::update_account,
        v1::accounts::delete_account,
        v1::accounts::freeze_account,
        v1::accounts::unfreeze_account,
        v1::aliases::create_alias,
        v1::aliases::list_aliases,
        v1::aliases::get_alias,
        v1::aliases::delete_alias,
        v1::settings::get_notifications,
        v1::settings::put_notifications,
        v1::settings::get_relay,
        v1::settings::put_relay,
        v1::settings::get_ip_shield,
        v1::settings::put_ip_shield,
        v1::events::list_events,
        v1::dkim::create_key,
        v1::dkim::list_keys,
        v1::dkim::delete_key,
        v1::dkim::activate_key,
        v1::screening::get_hijack,
        v1::screening::put_hijack,
        v1::screening::get_screening,
        v1::screening::put_screening,
        v1::screening::list_failures,
        v1::screening::list_blocks,
        v1::screening::block,
        v1::screening::unblock,
        v1::attachment_links::list_links,
        v1::attachment_links::get_link,
        v1::attachment_links::revoke_link,
        v1::attachment_links::get_settings,
        v1::attachment_links::put_settings,
        v1::sender_checks::get_settings,
        v1::sender_checks::put_settings,
        v1::sender_checks::sender_check,
        v1::dmarc_reports::list_reports,
        v1::dmarc_reports::get_report,
        v1::dmarc_reports::send_reports,
        v1::queue::list_queue,
        v1::queue::get_entry,
        v1::queue::delete_entry,
        v1::queue::retry_entry,
        v1::webhooks::create_webhook,
        v1::webhooks::list_webhooks,
        v1::webhooks::get_webhook,
        v1::webhooks::update_webhook,
        v1::webhooks::delete_webhook,
        v1::webhooks::list_deliveries,
        v1::webhooks::test_webhook,
        v1::webhooks::rotate_secret,
    ),
    components(schemas(
        v1::queue::QueueStatus,
        crate::events::EventType,
        payloads::AccountCreated,
        payloads::AccountDeleted,
        payloads::AccountFrozen,
        payloads::AccountUnfrozen,
        payloads::MessageReceived,
        payloads::MessageRejected,
        payloads::MessageQueued,
        payloads::AuthFailed,
        payloads::AttachmentLinked,
        payloads::AttachmentDownloaded,
        payloads::IpBlocked,
        payloads::IpUnblocked,
        payloads::MessageDelivered,
        payloads::MessageDeferred,
        payloads::MessageBounced,
        payloads::WebhookTest,
        payloads::WebhookDisabled,
        payloads::DnsCheckFailed,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "meta", description = "Health and this document"),
        (name = "tokens", description = "Scoped API tokens"),
        (name = "domains", description = "Local domains"),
        (name = "accounts", description = "Mailboxes, limits and freezing"),
        (name = "aliases", description = "Addresses delivering to accounts"),
        (name = "settings", description = "Cluster-wide settings"),
        (name = "events", description = "The event log"),
        (name = "queue", description = "The outbound queue"),
        (name = "attachments", description = "Attachment links"),
        (name = "screening", description = "Failed logins and blocked networks"),
        (name = "dmarc", description = "DMARC aggregate reports, received and sent"),
        (name = "tools", description = "Diagnostics: run the server's checks on demand"),
        (name = "webhooks", description = "Signed deliveries of the event log (Standard Webhooks)"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Error responses as the server sends them: every 4xx/5xx body is an
/// RFC 9457 problem document under `application/problem+json` (utoipa
/// files them under `application/json`), and operations that read a JSON
/// body or a query document the rejections of the extractors in front of
/// them: 400 (malformed), 413 (over the body limit) and 415 (not JSON);
/// operations with a query document 400.
fn problem_responses(doc: &mut serde_json::Value) {
    let problem = serde_json::json!({
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
    });
    let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) else {
        return;
    };
    for item in paths.values_mut().filter_map(|i| i.as_object_mut()) {
        for op in item.values_mut().filter_map(|o| o.as_object_mut()) {
            let has_body = op.contains_key("requestBody");
            let has_param = |place: &str| {
                op.get("parameters")
                    .and_then(|p| p.as_array())
                    .is_some_and(|ps| ps.iter().any(|p| p["in"] == place))
            };
            let has_query = has_param("query");
            let Some(responses) = op.get_mut("responses").and_then(|r| r.as_object_mut()) else {
                continue;
            };
            let mut added: Vec<(&str, &str)> = Vec::new();
            // A blocked client address (failed-login screening, or an
            // admin's block) gets 403 from every path (`refuse_blocked`).
            added.push(("403", "Forbidden, or the client's address is blocked"));
            if has_body || has_query {
                added.push(("400", "The request is malformed"));
            }
            if has_body {
                added.push(("413", "The body is over the size limit"));
                added.push(("415", "The body is not `application/json`"));
            }
            for (code, description) in added {
                responses.entry(code).or_insert_with(
                    || serde_json::json!({"description": description, "content": problem}),
                );
            }
            // utoipa files Problem bodies under application/json; other
            // error bodies (plain text, none) stay as declared.
            for (code, response) in responses.iter_mut() {
                let Some(content) = response.get_mut("content").and_then(|c| c.as_object_mut())
                else {
                    continue;
                };
                if code.as_str() >= "400"
                    && let Some(json) = content.remove("application/json")
                {
                    content.insert("application/problem+json".into(), json);
                }
            }
        }
    }
}

/// utoipa inlines the item type of each `Paginated<T>` schema
/// (`Paginated_T`); generated clients then carry a second copy of every
/// listed model. Where `T` is a component of its own, the items refer to it.
fn shared_list_items(doc: &mut serde_json::Value) {
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(|s| s.as_object_mut())
    else {
        return;
    };
    let names: Vec<String> = schemas.keys().cloned().collect();
    for name in names {
        let Some(item) = name.strip_prefix("Paginated_") else {
            continue;
        };
        if !schemas.contains_key(item) {
            continue;
        }
        let reference = serde_json::json!({"$ref": format!("#/components/schemas/{item}")});
        if let Some(items) = schemas
            .get_mut(&name)
            .and_then(|s| s.pointer_mut("/properties/items/items"))
        {
            *items = reference;
        }
    }
}

/// A property whose schema is another model keeps no `default` of its
/// own: the model's fields carry theirs, and openapi-python-client drops a
/// model with such a property (`InboundScreening.weights` was missing from
/// the Python client).
fn no_model_defaults(doc: &mut serde_json::Value) {
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(|s| s.as_object_mut())
    else {
        return;
    };
    for schema in schemas.values_mut() {
        let Some(properties) = schema.get_mut("properties").and_then(|p| p.as_object_mut()) else {
            continue;
        };
        for property in properties.values_mut().filter_map(|p| p.as_object_mut()) {
            let refers = property.contains_key("$ref")
                || ["oneOf", "allOf", "anyOf"].iter().any(|k| {
                    property
                        .get(*k)
                        .and_then(|v| v.as_array())
                        .is_some_and(|v| v.iter().any(|s| s.get("$ref").is_some()))
                });
            if refers {
                property.remove("default");
            }
        }
    }
}

/// RFC 5321 mailbox as `EmailAddress::parse` takes it (dot-atom local part
/// of at most 64 octets, a domain of letters, digits and inner hyphens
/// whose last label is no number); with `maxLength` 254.
const ADDRESS_PATTERN: &str = "^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,32}(\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,31})?@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$";
/// A domain name as `Domain::parse` takes it; with `maxLength` 253.
const DOMAIN_PATTERN: &str = "^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)*[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.?$";
const OCTET: &str = "(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])";
const HEXTET: &str = "[0-9A-Fa-f]{1,4}";
/// Text without control characters (`char::is_control`).
const NO_CONTROLS: &str = "[^\\u0000-\\u001f\\u007f-\\u009f]";

/// An IPv6 address in any RFC 4291 text form Rust parses and prints: full,
/// `::`-compressed, and IPv4-mapped (`::ffff:192.0.2.1`).
fn ipv6_pattern() -> String {
    let h = HEXTET;
    let v4 = format!("({OCTET}\\.){{3}}{OCTET}");
    [
        format!("({h}:){{7}}{h}"),
        format!("({h}:){{1,7}}:"),
        format!("({h}:){{1,6}}:{h}"),
        format!("({h}:){{1,5}}(:{h}){{1,2}}"),
        format!("({h}:){{1,4}}(:{h}){{1,3}}"),
        format!("({h}:){{1,3}}(:{h}){{1,4}}"),
        format!("({h}:){{1,2}}(:{h}){{1,5}}"),
        format!("{h}:(:{h}){{1,6}}"),
        format!(":((:{h}){{1,7}}|:)"),
        format!("::[fF]{{4}}:{v4}"),
    ]
    .join("|")
}

/// An IPv4 or IPv6 address with a prefix length, required or optional.
fn network_pattern(prefix_required: bool) -> String {
    let v4 = format!("({OCTET}\\.){{3}}{OCTET}");
    let v6 = format!("({})", ipv6_pattern());
    let (p4, p6) = ("/(3[0-2]|[12]?[0-9])", "/(12[0-8]|1[01][0-9]|[1-9]?[0-9])");
    let q = if prefix_required { "" } else { "?" };
    format!("^({v4}({p4}){q}|{v6}({p6}){q})$")
}

/// Constraints the server enforces on strings that utoipa cannot state
/// from the Rust types: patterns for addresses, domains and networks,
/// the event names a webhook takes, and an IP address of either family.
fn string_constraints(doc: &mut serde_json::Value) {
    let events: Vec<String> = doc
        .pointer("/components/schemas/EventType/enum")
        .and_then(|e| e.as_array())
        .map(|e| {
            e.iter()
                .filter_map(|v| v.as_str())
                .map(|v| v.replace('.', "\\."))
                .collect()
        })
        .unwrap_or_default();
    let event = format!("^(\\*|{})$", events.join("|"));
    let address =
        serde_json::json!({"type": "string", "maxLength": 254, "pattern": ADDRESS_PATTERN});
    let domain = serde_json::json!({"type": "string", "maxLength": 253, "pattern": DOMAIN_PATTERN});
    let cidr = serde_json::json!({"type": "string", "pattern": network_pattern(true)});
    let network = serde_json::json!({"type": "string", "pattern": network_pattern(false)});
    let ip = serde_json::json!({"oneOf": [
        {"type": "string", "format": "ipv4"},
        {"type": "string", "format": "ipv6"}
    ]});
    let event = serde_json::json!({"type": "string", "pattern": event});
    let password = serde_json::json!({
        "type": "string",
        "minLength": crate::auth::password::MIN_PASSWORD_LEN,
        "maxLength": crate::auth::password::MAX_PASSWORD_LEN,
        "pattern": format!("^{NO_CONTROLS}*$"),
    });
    let mail_from = serde_json::json!({
        "type": "string",
        "maxLength": 320,
        "pattern": format!("^({NO_CONTROLS}*@{NO_CONTROLS}*)?$"),
    });
    let url = serde_json::json!({
        "type": "string",
        "format": "uri",
        "maxLength": 2048,
        "pattern": "^https?://",
    });
    // (schema, property, constraint, applies to the array's items)
    let rules = [
        ("CreateAccountRequest", "address", &address, false),
        ("CreateAliasRequest", "address", &address, false),
        ("CreateAliasRequest", "targets", &address, true),
        ("NotificationSettings", "admin_addresses", &address, true),
        ("HijackSettings", "exempt_accounts", &address, true),
        ("IpShieldEntry", "domain", &domain, false),
        ("IpShieldEntry", "networks", &cidr, true),
        ("RelaySettings", "trusted_networks", &cidr, true),
        ("ScreeningSettings", "never_block", &cidr, true),
        ("BlockRequest", "network", &network, false),
        ("SenderCheckRequest", "ip", &ip, false),
        ("SenderCheckRequest", "mail_from", &mail_from, false),
        ("CreateAccountRequest", "password", &password, false),
        ("UpdateAccountRequest", "password", &password, false),
        ("CreateWebhookRequest", "url", &url, false),
        ("UpdateWebhookRequest", "url", &url, false),
        ("CreateWebhookRequest", "events", &event, true),
        ("UpdateWebhookRequest", "events", &event, true),
    ];
    // `DELETE /v1/blocked-ips/{network}`: the network as blocks list it.
    if let Some(params) = doc.pointer_mut("/paths/~1v1~1blocked-ips~1{network}/delete/parameters")
        && let Some(list) = params.as_array_mut()
    {
        for param in list.iter_mut().filter(|p| p["name"] == "network") {
            param["schema"] = network.clone();
        }
    }
    // (schema, array property, minItems, maxItems) as the handlers check.
    let sizes = [
        ("CreateAliasRequest", "targets", 1, Some(100)),
        ("NotificationSettings", "admin_addresses", 0, Some(50)),
        ("IpShieldEntry", "networks", 1, None),
        ("CreateWebhookRequest", "events", 1, None),
        ("UpdateWebhookRequest", "events", 1, None),
    ];
    for (schema, property, min, max) in sizes {
        let path = format!("/components/schemas/{schema}/properties/{property}");
        if let Some(target) = doc.pointer_mut(&path).and_then(|t| t.as_object_mut()) {
            if min > 0 {
                target.insert("minItems".into(), min.into());
            }
            if let Some(max) = max {
                target.insert("maxItems".into(), max.into());
            }
        }
    }
    for (schema, property, constraint, items) in rules {
        let path = format!("/components/schemas/{schema}/properties/{property}");
        let Some(target) = doc.pointer_mut(&path).and_then(|t| t.as_object_mut()) else {
            continue;
        };
        let description = target.get("description").cloned();
        let place = if items {
            target.get_mut("items").and_then(|i| i.as_object_mut())
        } else {
            Some(target)
        };
        if let Some(place) = place {
            // An optional field stays nullable.
            let nullable = place
                .get("type")
                .and_then(|t| t.as_array())
                .is_some_and(|t| t.iter().any(|v| v == "null"));
            place.remove("type");
            place.remove("example");
            if let Some(c) = constraint.as_object() {
                place.extend(c.clone());
            }
            if nullable {
                place.insert("type".into(), serde_json::json!(["string", "null"]));
            }
            if !items && let Some(d) = description {
                place.insert("description".into(), d);
            }
        }
    }
}

/// The document as pretty JSON with a trailing newline: the exact bytes
/// committed at `openapi/openapi.json`.
pub fn document_json() -> String {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    let mut value = serde_json::to_value(&doc).unwrap_or_default();
    problem_responses(&mut value);
    shared_list_items(&mut value);
    no_model_defaults(&mut value);
    string_constraints(&mut value);
    if let Some(root) = value.as_object_mut() {
        root.insert("webhooks".into(), webhooks_section());
    }
    let mut text =
        serde_json::to_string_pretty(&value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}

/// The OpenAPI 3.1 `webhooks` section (utoipa does not generate it): one
/// POST per event type the server emits, with the Standard Webhooks headers
/// and the `{type, timestamp, data}` body.
fn webhooks_section() -> serde_json::Value {
    let header = |name: &str, description: &str| serde_json::json!({"name": name, "in": "header", "required": true, "description": description, "schema": {"type": "string"}});
    let mut section = serde_json::Map::new();
    for kind in EventType::ALL {
        let Some(schema) = kind.payload_schema() else {
            continue;
        };
        let name = kind.as_str();
        section.insert(
            name.to_string(),
            serde_json::json!({
                "post": {
                    "summary": name,
                    "operationId": format!("webhook_{}", name.replace('.', "_")),
                    "tags": ["webhooks"],
                    "parameters": [
                        header("webhook-id", "The message id; the same on every retry of one event."),
                        header("webhook-timestamp", "Unix seconds when this attempt was signed."),
                        header("webhook-signature", "Space-separated `v1,<base64 HMAC-SHA256 of id.timestamp.body>`, one per active secret."),
                    ],
                    "requestBody": {
                        "required": true,
                        "content": {"application/json": {"schema": {
                            "type": "object",
                            "required": ["type", "timestamp", "data"],
                            "properties": {
                                "type": {"type": "string", "const": name},
                                "timestamp": {"type": "string", "format": "date-time"},
                                "data": {"$ref": format!("#/components/schemas/{schema}")},
                            },
                        }}},
                    },
                    "responses": {
                        "2XX": {"description": "Delivered."},
                        "410": {"description": "Gone: the subscription is disabled."},
                        "default": {"description": "Retried later (429 and 503 may send Retry-After)."},
                    },
                },
            }),
        );
    }
    serde_json::Value::Object(section)
}
