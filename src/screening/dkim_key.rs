//! RFC 6376 3.2 and 3.6.1 rules for DKIM key records that mail-auth does
//! not apply: "if a tag name does occur more than once, the entire
//! tag-list is invalid", and `v=`, when present, must be the first tag
//! and say `DKIM1`. Such a key is unusable, and the signature's result
//! `permerror` (RFC 8601 2.7.1). Found by comparing verdicts with dkimpy
//! (tests/dkim_vectors).

use std::collections::HashSet;

use mail_auth::MessageAuthenticator;

/// Whether the key record at `selector._domainkey.domain` is a valid
/// tag-list; true when it cannot be read (mail-auth reports that itself).
pub async fn record_is_valid(
    resolver: &MessageAuthenticator,
    selector: &str,
    domain: &str,
) -> bool {
    let name = format!("{selector}._domainkey.{}.", domain.trim_end_matches('.'));
    let Ok(answer) = resolver.resolver().txt_lookup(name).await else {
        return true;
    };
    answer.answers().iter().all(|r| match &r.data {
        mail_auth::hickory_resolver::proto::rr::RData::TXT(txt) => {
            let joined: Vec<u8> = txt
                .txt_data
                .iter()
                .flat_map(|s| s.iter().copied())
                .collect();
            tag_list_is_valid(&String::from_utf8_lossy(&joined))
        }
        _ => true,
    })
}

/// RFC 6376 3.2 tag-list: each tag once; a `v=` first and `DKIM1`.
pub fn tag_list_is_valid(record: &str) -> bool {
    let mut seen = HashSet::new();
    for (i, spec) in record
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .enumerate()
    {
        let Some((name, value)) = spec.split_once('=') else {
            return false;
        };
        let name = name.trim();
        if !seen.insert(name.to_string()) {
            return false;
        }
        if name == "v" && (i != 0 || value.trim() != "DKIM1") {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_lists() {
        assert!(tag_list_is_valid("v=DKIM1; k=rsa; p=MIIB"));
        assert!(tag_list_is_valid("k=ed25519; p=abc;"));
        assert!(!tag_list_is_valid(
            "v=DKIM1; k=rsa; p=v=DKIM1; g=*; k=rsa; p=MIIB"
        ));
        assert!(!tag_list_is_valid("k=rsa; v=DKIM1; p=MIIB"));
        assert!(!tag_list_is_valid("v=DKIM2; p=MIIB"));
        assert!(!tag_list_is_valid("v=DKIM1; garbage"));
    }
}
