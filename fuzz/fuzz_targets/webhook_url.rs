//! Webhook target validation: a URL that passes has an http(s) scheme, a
//! host, a port and no credentials; and an address is private whether it
//! is written as IPv4 or as IPv4-mapped IPv6 (no way around the check).
#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use libfuzzer_sys::fuzz_target;
use rampart::events::webhooks::{is_private, parse_target};

fuzz_target!(|data: &[u8]| {
    if data.len() >= 4 {
        let v4 = Ipv4Addr::new(data[0], data[1], data[2], data[3]);
        assert_eq!(
            is_private(IpAddr::V4(v4)),
            is_private(IpAddr::V6(v4.to_ipv6_mapped())),
            "{v4}"
        );
    }
    if data.len() >= 16 {
        let octets: [u8; 16] = data[..16].try_into().unwrap();
        let _ = is_private(IpAddr::V6(Ipv6Addr::from(octets)));
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok((url, host, port)) = parse_target(text) {
        assert!(matches!(url.scheme(), "http" | "https"));
        assert!(url.username().is_empty() && url.password().is_none());
        assert!(!host.is_empty(), "{text:?}");
        assert!(port > 0 || url.port() == Some(0));
    }
});
