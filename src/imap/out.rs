//! The responses of an IMAP session, encoded with imap-codec as they are
//! produced, for the connection to send.

use imap_codec::ResponseCodec;
use imap_codec::encode::Encoder;
use imap_codec::imap_types::core::Tag;
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
