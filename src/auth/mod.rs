//! Authentication: password hashing and API tokens. SASL for the mail
//! protocols joins here with the SMTP and IMAP work.

pub mod password;
pub mod token;
