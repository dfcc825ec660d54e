//! One IMAP connection: bytes through imap-codec's Fragmentizer into
//! commands, literals acknowledged (or refused) as they are announced,
//! STARTTLS, AUTHENTICATE continuations, IDLE, autologout and shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use imap_codec::decode::Decoder;
use imap_codec::fragmentizer::DecodeMessageError;
use imap_codec::imap_types::IntoStatic;
use imap_codec::imap_types::auth::AuthenticateData;
use imap_codec::imap_types::core::Tag;
use imap_codec::imap_types::response::Code;
use imap_codec::{AuthenticateDataCodec, CommandCodec, IdleDoneCodec};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use super::extended::Extra;
use super::framing::{Event, Limits, Reader};
use super::session::{After, Out, Session};
use crate::app::AppState;
use crate::net::stream::{Stream, handshake};

/// How often IDLE looks at the store for changes made on other nodes.
const IDLE_POLL: Duration = Duration::from_secs(1);

enum Mode {
    Command,
    Authenticate(Tag<'static>),
    Idle(Tag<'static>),
}

pub async fn serve(
    tcp: TcpStream,
    peer: SocketAddr,
    implicit_tls: bool,
    state: AppState,
    tls: Arc<rustls::ServerConfig>,
    shutdown: CancellationToken,
) {
    let _ = tcp.set_nodelay(true);
    let acceptor = TlsAcceptor::from(tls);
    let mut stream = if implicit_tls {
        match handshake(&acceptor, tcp).await {
            Ok(s) => Stream::Tls(Box::new(s)),
            Err(e) => {
                tracing::debug!(%peer, error = %e, "IMAP TLS handshake failed");
                return;
            }
        }
    } else {
        Stream::Plain(tcp)
    };
    let after_login = Limits::after_login(state.config.smtp.max_message_size as usize);
    let autologout = Duration::from_secs(state.config.access.imap_idle_timeout_seconds);
    let mut session = Session::new(state.clone(), peer, implicit_tls);
    let mut out = Out::new();
    session.greeting(&mut out);
    if stream.send(&mut out.buf).await.is_err() {
        return;
    }
    let mut reader = Reader::new(Limits::before_login(), after_login);
    let mut mode = Mode::Command;
    let mut changes = state.access.subscribe();
    let mut kicks = state.access.kicks();
    let mut buf = vec![0u8; 16 * 1024];
    'connection: loop {
        loop {
            // Re-read on every event: LOGIN may have just succeeded.
            reader.set_limits(match session.account_id_if_authed() {
                Some(_) => after_login,
                None => Limits::before_login(),
            });
            let Some(event) = reader.next_event() else {
                break;
            };
            match event {
                Event::Message => {}
                Event::Fatal { tag, text } => {
                    tracing::info!(%peer, text, "IMAP input over a limit; closing");
                    out.bad(tag.as_ref(), None, text);
                    out.bye(text);
                    let _ = stream.send(&mut out.buf).await;
                    break 'connection;
                }
                Event::LiteralRefused { tag, too_big, text } => {
                    let code = too_big.then_some(Code::TooBig);
                    match too_big {
                        true => out.no(tag.as_ref(), code, text),
                        false => out.bad(tag.as_ref(), None, text),
                    }
                    continue;
                }
                Event::Literal { length, sync } => {
                    if !sync {
                        continue;
                    }
                    if reader.command_is(b"APPEND")
                        && let Some(room) = session.quota_room().await
                        && u64::from(length) > room
                    {
                        // Refused before the client sends it (RFC 9208 OVERQUOTA).
                        let tag = reader.refuse_literal();
                        out.no(
                            tag.as_ref(),
                            Some(Code::OverQuota),
                            "Mailbox quota exceeded",
                        );
                        continue;
                    }
                    // The client waits for this before sending the literal.
                    out.continuation("Ready for literal data");
                    if stream.send(&mut out.buf).await.is_err() {
                        break 'connection;
                    }
                    continue;
                }
            }
            let frag = reader.fragmentizer();
            match std::mem::replace(&mut mode, Mode::Command) {
                Mode::Command => {
                    // Syntax imap-codec lacks is split off first (see `extended`).
                    let (extended, extra) = match super::extended::split(frag.message_bytes()) {
                        Ok((bytes, extra)) if extra != Extra::None => {
                            (Some(bytes.into_owned()), extra)
                        }
                        Ok(_) => (None, Extra::None),
                        Err(text) => {
                            let tag = frag.decode_tag().map(|t| t.into_static());
                            out.bad(tag.as_ref(), None, text);
                            continue;
                        }
                    };
                    let decoded = match &extended {
                        Some(bytes) => CommandCodec::default()
                            .decode(bytes)
                            .map(|(_, c)| c.into_static())
                            .map_err(|_| None),
                        None => frag
                            .decode_message(&CommandCodec::default())
                            .map(|c| c.into_static())
                            .map_err(Some),
                    };
                    let command = match decoded {
                        Ok(c) => c,
                        Err(Some(DecodeMessageError::MessageTooLong { .. })) => {
                            let tag = frag.decode_tag().map(|t| t.into_static());
                            out.no(
                                tag.as_ref(),
                                Some(Code::TooBig),
                                "Message exceeds the size limit",
                            );
                            continue;
                        }
                        Err(_) => {
                            let tag = frag.decode_tag().map(|t| t.into_static());
                            out.bad(tag.as_ref(), None, "Unknown command or syntax error");
                            continue;
                        }
                    };
                    match session.handle_extended(command, extra, &mut out).await {
                        After::Continue => {}
                        After::Close => {
                            let _ = stream.send(&mut out.buf).await;
                            break 'connection;
                        }
                        After::Authenticate(tag) => mode = Mode::Authenticate(tag),
                        After::Idle(tag) => mode = Mode::Idle(tag),
                        After::StartTls => {
                            if stream.send(&mut out.buf).await.is_err() {
                                break 'connection;
                            }
                            // Nothing pipelined in clear text survives the handshake.
                            reader.reset();
                            let Stream::Plain(tcp) = stream else {
                                break 'connection;
                            };
                            match handshake(&acceptor, tcp).await {
                                Ok(tls) => {
                                    stream = Stream::Tls(Box::new(tls));
                                    session.tls_started();
                                }
                                Err(e) => {
                                    tracing::debug!(%peer, error = %e, "IMAP STARTTLS handshake failed");
                                    return;
                                }
                            }
                            continue 'connection;
                        }
                    }
                }
                Mode::Authenticate(tag) => {
                    match frag.decode_message(&AuthenticateDataCodec::default()) {
                        Ok(AuthenticateData::Continue(data)) => {
                            let data = data.declassify().to_vec();
                            session.authenticate_data(&tag, Some(&data), &mut out).await;
                        }
                        Ok(AuthenticateData::Cancel) => {
                            session.authenticate_data(&tag, None, &mut out).await
                        }
                        Err(_) => out.bad(Some(&tag), None, "Malformed authentication data"),
                    }
                }
                Mode::Idle(tag) => match frag.decode_message(&IdleDoneCodec::default()) {
                    Ok(_) => out.ok(Some(&tag), None, "IDLE terminated"),
                    Err(_) => {
                        out.bad(Some(&tag), None, "Expected DONE");
                        mode = Mode::Idle(tag);
                    }
                },
            }
        }
        if stream.send(&mut out.buf).await.is_err() {
            break;
        }
        let idling = matches!(mode, Mode::Idle(_));
        tokio::select! {
            read = tokio::time::timeout(autologout, stream.read(&mut buf)) => match read {
                Ok(Ok(0)) | Ok(Err(_)) => break,
                Ok(Ok(n)) => reader.enqueue(&buf[..n]),
                Err(_) => {
                    out.bye("Autologout; idle for too long");
                    let _ = stream.send(&mut out.buf).await;
                    break;
                }
            },
            change = changes.recv(), if idling => {
                let mine = match change {
                    Ok(account) => Some(account) == session.account_id_if_authed(),
                    Err(_) => true,
                };
                if mine {
                    session.sync(&mut out, true).await;
                }
            }
            _ = tokio::time::sleep(IDLE_POLL), if idling => session.sync(&mut out, true).await,
            Ok(kicked) = kicks.recv() => {
                if Some(kicked) == session.account_id_if_authed() {
                    out.bye("Account is frozen or disabled; contact your administrator");
                    let _ = stream.send(&mut out.buf).await;
                    break;
                }
            }
            _ = shutdown.cancelled() => {
                out.bye("Server shutting down");
                let _ = stream.send(&mut out.buf).await;
                break;
            }
        }
    }
    let _ = stream.shutdown().await;
}
