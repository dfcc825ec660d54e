//! Delivery status notifications (RFC 3464): one multipart/report per
//! message, to its envelope sender, listing every recipient that failed.
//! Sent with the null reverse-path, so a DSN never causes another.

/// A failed recipient and the reply that settled it.
pub struct Failure {
    pub recipient: String,
    pub reply: String,
    pub remote_host: Option<String>,
}

/// The enhanced status code in a reply (`550 5.1.1 ...` → `5.1.1`), or a
/// generic one from its basic code.
fn status_of(reply: &str) -> String {
    let mut words = reply.split_whitespace();
    let code = words.next().unwrap_or("554");
    match words.next() {
        Some(w)
            if w.split('.').count() == 3 && w.chars().all(|c| c.is_ascii_digit() || c == '.') =>
        {
            w.to_string()
        }
        _ => format!("{}.0.0", code.chars().next().unwrap_or('5')),
    }
}

/// Builds the DSN message.
pub fn build(
    hostname: &str,
    sender: &str,
    queue_id: &str,
    failures: &[Failure],
    original: &[u8],
) -> Vec<u8> {
    let boundary = format!("rampart-dsn-{queue_id}-{:08x}", rand::random::<u32>());
    let date = chrono::Utc::now().to_rfc2822();
    let mut text = format!(
        "This is the mail system at {hostname}.\r\n\r\nYour message could not be delivered to one or more recipients.\r\n\r\n"
    );
    for f in failures {
        text.push_str(&format!(
            "<{}>: {}\r\n",
            f.recipient,
            f.reply.replace(['\r', '\n'], " ")
        ));
    }
    let mut status =
        format!("Reporting-MTA: dns; {hostname}\r\nX-Rampart-Queue-ID: {queue_id}\r\n");
    for f in failures {
        status.push_str(&format!(
            "\r\nFinal-Recipient: rfc822; {}\r\nAction: failed\r\nStatus: {}\r\n",
            f.recipient,
            status_of(&f.reply)
        ));
        if let Some(host) = &f.remote_host {
            status.push_str(&format!("Remote-MTA: dns; {host}\r\n"));
        }
        status.push_str(&format!(
            "Diagnostic-Code: smtp; {}\r\n",
            f.reply.replace(['\r', '\n'], " ")
        ));
    }
    let header_end = crate::imap::mime::header_end(original);
    let headers = &original[..header_end.min(original.len())];
    let mut out = format!(
        "From: Mail Delivery System <MAILER-DAEMON@{hostname}>\r\nTo: <{sender}>\r\n\
         Subject: Undelivered Mail Returned to Sender\r\nDate: {date}\r\n\
         Message-ID: <dsn-{queue_id}-{:08x}@{hostname}>\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"{boundary}\"\r\n\r\n\
         --{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n\
         --{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n{status}\r\n\
         --{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n",
        rand::random::<u32>()
    )
    .into_bytes();
    out.extend_from_slice(headers);
    if !headers.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dsn_lists_every_failure_with_its_status() {
        let dsn = build(
            "mx.example.test",
            "alice@example.test",
            "ABC",
            &[
                Failure {
                    recipient: "x@remote.test".into(),
                    reply: "550 5.1.1 no such user".into(),
                    remote_host: Some("mx.remote.test".into()),
                },
                Failure {
                    recipient: "y@remote.test".into(),
                    reply: "554 rejected".into(),
                    remote_host: None,
                },
            ],
            b"Subject: hi\r\nFrom: alice@example.test\r\n\r\nbody\r\n",
        );
        let text = String::from_utf8(dsn).unwrap();
        assert!(text.contains("Content-Type: multipart/report; report-type=delivery-status;"));
        assert!(text.contains("Final-Recipient: rfc822; x@remote.test\r\nAction: failed\r\nStatus: 5.1.1\r\nRemote-MTA: dns; mx.remote.test"));
        assert!(
            text.contains(
                "Final-Recipient: rfc822; y@remote.test\r\nAction: failed\r\nStatus: 5.0.0"
            )
        );
        assert!(text.contains("Subject: hi\r\nFrom: alice@example.test\r\n\r\n"));
        assert!(
            !text.contains("body\r\n"),
            "only the original's headers are returned"
        );
        let parsed = mail_parser::MessageParser::default()
            .parse(text.as_bytes())
            .unwrap();
        assert_eq!(parsed.parts.len(), 4);
    }
}
