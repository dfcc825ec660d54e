//! Stripping forged Authentication-Results: after stripping, no header
//! field that an independent parser (mail-parser) sees in the header
//! section claims our authserv-id, and stripping twice changes nothing.
//! Input reaches this over SMTP only, where bare CR and LF are refused, so
//! line endings are made CRLF first.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mail_parser::MessageParser;
use rampart::screening::sender::strip_forged_results;

const HOST: &str = "mx.example.com";

fn crlf_only(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 16);
    for &b in data {
        match b {
            b'\r' => {}
            b'\n' => out.extend_from_slice(b"\r\n"),
            _ => out.push(b),
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let message = crlf_only(data);
    let once = strip_forged_results(&message, HOST);
    assert_eq!(strip_forged_results(&once, HOST), once, "not idempotent");
    let Some(parsed) = MessageParser::new().parse_headers(&once) else {
        return;
    };
    for header in parsed.headers() {
        if !header.name().eq_ignore_ascii_case("Authentication-Results") {
            continue;
        }
        let raw = &once[header.offset_start() as usize..header.offset_end() as usize];
        let value = String::from_utf8_lossy(raw);
        let id = value
            .split(';')
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .next()
            .unwrap_or_default();
        assert!(
            !id.eq_ignore_ascii_case(HOST),
            "a forged header survived: {value:?}"
        );
    }
});
