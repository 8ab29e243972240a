//! The bodies on their way through the gateway: counted, cut at the service's limit (the
//! request), digested with SHA-256 for the message log (both), never held whole — except,
//! up to the service's `keep_bodies_bytes`, the bodies a service keeps in the message log.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;

use axum::body::Bytes;
use futures_util::{Stream, StreamExt};
use sha2::{Digest, Sha256};

use super::{micros, Gateway, Record};
use crate::bodies::{BodySide, Keeping};
use crate::model::{Call, Side};

/// What the gateway takes from a body as it passes: its digest, and its bytes when the
/// service keeps them.
pub(super) struct Tap {
    digest: Sha256,
    keep: Option<Keeping>,
}

impl Tap {
    /// `keep`: the most bytes kept (0: none).
    pub(super) fn new(keep: usize) -> Self {
        Tap { digest: Sha256::new(), keep: (keep > 0).then(|| Keeping::new(keep)) }
    }

    fn take(&mut self, chunk: &[u8]) {
        self.digest.update(chunk);
        if let Some(k) = &mut self.keep {
            k.push(chunk);
        }
    }

    /// The hex digest, and the body to keep.
    fn finish(
        self,
        side: BodySide,
        content_type: Option<String>,
        bytes: i64,
    ) -> (String, Option<crate::bodies::Kept>) {
        let kept = self.keep.map(|k| k.finish(side, content_type, bytes));
        (hex::encode(self.digest.finalize()), kept)
    }
}

/// The consumer's body on its way to the provider, counted and cut at the service's limit.
pub(super) struct Limited<S> {
    inner: S,
    sent: Arc<AtomicU64>,
    over: Arc<AtomicBool>,
    limit: u64,
    tap: Arc<Mutex<Tap>>,
}

impl<S> Limited<S> {
    pub(super) fn new(
        inner: S,
        sent: Arc<AtomicU64>,
        over: Arc<AtomicBool>,
        limit: u64,
        tap: Arc<Mutex<Tap>>,
    ) -> Self {
        Limited { inner, sent, over, limit, tap }
    }
}

impl<S> Stream for Limited<S>
where
    S: Stream<Item = Result<Bytes, axum::Error>> + Unpin,
{
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                let total =
                    self.sent.fetch_add(chunk.len() as u64, Ordering::Relaxed) + chunk.len() as u64;
                if total > self.limit {
                    self.over.store(true, Ordering::Relaxed);
                    return Poll::Ready(Some(Err(std::io::Error::other(
                        "body over the service's limit",
                    ))));
                }
                self.tap.lock().unwrap_or_else(|p| p.into_inner()).take(&chunk);
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(std::io::Error::other(e)))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// What is recorded when the answer's body has been passed back (or dropped).
pub(super) struct Done {
    pub(super) gateway: Gateway,
    pub(super) call: Call,
    pub(super) service_id: Option<String>,
    pub(super) started: Instant,
    pub(super) path: String,
    /// What was taken of the request body (complete once the provider has answered).
    pub(super) request_tap: Arc<Mutex<Tap>>,
    /// The media types of the request and of the answer, for the bodies kept.
    pub(super) content_types: (Option<String>, Option<String>),
    /// The most bytes of each body the service keeps (0: none).
    pub(super) keep: usize,
}

/// The provider's answer on its way back, counted; the call is recorded when it ends.
pub(super) struct Counted {
    inner: futures_util::stream::BoxStream<'static, reqwest::Result<Bytes>>,
    bytes: u64,
    tap: Tap,
    done: Option<Done>,
}

impl Counted {
    pub(super) fn new(
        inner: futures_util::stream::BoxStream<'static, reqwest::Result<Bytes>>,
        done: Done,
    ) -> Self {
        let tap = Tap::new(done.keep);
        Counted { inner, bytes: 0, tap, done: Some(done) }
    }
}

impl Stream for Counted {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.inner.poll_next_unpin(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                self.bytes += chunk.len() as u64;
                self.tap.take(&chunk);
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(Some(Err(e))) => {
                if let Some(d) = &mut self.done {
                    d.call.failed_side = Some(Side::Provider.as_str().into());
                }
                Poll::Ready(Some(Err(std::io::Error::other(e))))
            }
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        if let Some(mut d) = self.done.take() {
            d.call.response_bytes = i64::try_from(self.bytes).unwrap_or(i64::MAX);
            d.call.duration_us = micros(d.started.elapsed());
            let request = std::mem::replace(
                &mut *d.request_tap.lock().unwrap_or_else(|p| p.into_inner()),
                Tap::new(0),
            );
            let response = std::mem::replace(&mut self.tap, Tap::new(0));
            let (request_type, response_type) = d.content_types;
            let (request_digest, request_kept) =
                request.finish(BodySide::Request, request_type, d.call.request_bytes);
            let (response_digest, response_kept) =
                response.finish(BodySide::Response, response_type, d.call.response_bytes);
            // A call without a body keeps no empty request.
            let bodies = [request_kept.filter(|k| k.bytes > 0), response_kept];
            d.gateway.record(Record {
                call: d.call,
                service_id: d.service_id,
                path: d.path,
                digests: Some((request_digest, response_digest)),
                bodies: bodies.into_iter().flatten().collect(),
            });
        }
    }
}
