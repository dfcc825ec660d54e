//! The responses of an IMAP session, encoded with imap-codec as they are
//! produced, for the connection to send.

use imap_codec::ResponseCodec;
use imap_codec::encode::Encoder;
use std::num::NonZeroU32;

use imap_codec::imap_types::core::{Tag, Vec1};
use imap_codec::imap_types::fetch::MessageDataItem;
use imap_codec::imap_types::response::{Code, CommandContinuationRequest, Data, Response, Status};

/// Responses are written here, encoded, as they are produced.
pub struct Out {
    pub buf: Vec<u8>,
}

impl Out {
    pub fn new() -> Self {
        Self {
            buf: Vec::with_capacity(4096),
        }
    }

    pub fn data(&mut self, data: Data<'_>) {
        self.buf.extend(
            ResponseCodec::default()
                .encode(&Response::Data(data))
                .dump(),
        );
    }

    /// A FETCH response of one `BINARY[section]` item that answers a
    /// partial request: imap-codec writes no `<origin>` for BINARY, so it is
    /// put in after the section (RFC 3516 4.2: `BINARY[1]<2> ...`). The
    /// response holds only this item, so the first `]` is the section's.
    pub fn binary_partial(&mut self, seq: NonZeroU32, item: MessageDataItem<'_>, origin: u32) {
        let Ok(items) = Vec1::try_from(vec![item]) else {
            return;
        };
        let encoded = ResponseCodec::default()
            .encode(&Response::Data(Data::Fetch { seq, items }))
            .dump();
        match encoded.iter().position(|b| *b == b']') {
            Some(i) => {
                self.buf.extend_from_slice(&encoded[..=i]);
                self.buf.extend_from_slice(format!("<{origin}>").as_bytes());
                self.buf.extend_from_slice(&encoded[i + 1..]);
            }
            None => self.buf.extend(encoded),
        }
    }

    /// A response with extended data after it (RFC 5258 LIST extended
    /// items such as CHILDINFO, which imap-codec does not write).
    pub fn with_extended_data(&mut self, data: Data<'_>, extended: &str) {
        let encoded = ResponseCodec::default()
            .encode(&Response::Data(data))
            .dump();
        let line = encoded.strip_suffix(b"\r\n").unwrap_or(&encoded);
        self.buf.extend_from_slice(line);
        self.buf.push(b' ');
        self.buf.extend_from_slice(extended.as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }

    fn status(&mut self, status: Option<Status<'_>>) {
        if let Some(s) = status {
            self.buf
                .extend(ResponseCodec::default().encode(&Response::Status(s)).dump());
        }
    }

    pub fn ok(&mut self, tag: Option<&Tag<'_>>, code: Option<Code<'_>>, text: &str) {
        self.status(Status::ok(tag.cloned(), code, text).ok());
    }

    pub fn no(&mut self, tag: Option<&Tag<'_>>, code: Option<Code<'_>>, text: &str) {
        self.status(Status::no(tag.cloned(), code, text).ok());
    }

    pub fn bad(&mut self, tag: Option<&Tag<'_>>, code: Option<Code<'_>>, text: &str) {
        self.status(Status::bad(tag.cloned(), code, text).ok());
    }

    pub fn bye(&mut self, text: &str) {
        self.status(Status::bye(None, text).ok());
    }

    pub fn continuation(&mut self, text: &str) {
        if let Ok(c) = CommandContinuationRequest::basic(None, text) {
            self.buf.extend(
                ResponseCodec::default()
                    .encode(&Response::CommandContinuationRequest(c))
                    .dump(),
            );
        }
    }

    pub fn continuation_empty(&mut self) {
        let c = CommandContinuationRequest::base64(&b""[..]);
        self.buf.extend(
            ResponseCodec::default()
                .encode(&Response::CommandContinuationRequest(c))
                .dump(),
        );
    }
}

impl Default for Out {
    fn default() -> Self {
        Self::new()
    }
}
