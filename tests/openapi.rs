//! The committed OpenAPI document must be what the code generates.

#[test]
fn committed_openapi_document_is_current() {
    let generated = rampart::api::openapi::document_json();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi/openapi.json is stale; regenerate it with:\n    cargo run -- openapi > openapi/openapi.json"
    );
}
