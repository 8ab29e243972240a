//! The bodies on their way through the gateway: counted, cut at the service's limit (the
//! request), digested with SHA-256 for the message log (both), never held whole.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;

use axum::body::Bytes;
use futures_util::{Stream, StreamExt};
use sha2::{Digest, Sha256};

use super::{micros, Gateway, Record};
use crate::model::{Call, Side};

/// The consumer's body on its way to the provider, counted and cut at the service's limit.
pub(super) struct Limited<S> {
    inner: S,
    sent: Arc<AtomicU64>,
    over: Arc<AtomicBool>,
    limit: u64,
    digest: Arc<Mutex<Sha256>>,
}

impl<S> Limited<S> {
    pub(super) fn new(
        inner: S,
        sent: Arc<AtomicU64>,
        over: Arc<AtomicBool>,
        limit: u64,
        digest: Arc<Mutex<Sha256>>,
    ) -> Self {
        Limited { inner, sent, over, limit, digest }
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
                self.digest.lock().unwrap_or_else(|p| p.into_inner()).update(&chunk);
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
    /// The request body's digest so far (complete once the provider has answered).
    pub(super) request_digest: Arc<Mutex<Sha256>>,
}

/// The provider's answer on its way back, counted; the call is recorded when it ends.
pub(super) struct Counted {
    inner: futures_util::stream::BoxStream<'static, reqwest::Result<Bytes>>,
    bytes: u64,
    digest: Sha256,
    done: Option<Done>,
}

impl Counted {
    pub(super) fn new(
        inner: futures_util::stream::BoxStream<'static, reqwest::Result<Bytes>>,
        done: Done,
    ) -> Self {
        Counted { inner, bytes: 0, digest: Sha256::new(), done: Some(done) }
    }
}

impl Stream for Counted {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.inner.poll_next_unpin(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                self.bytes += chunk.len() as u64;
                self.digest.update(&chunk);
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
            let request = d.request_digest.lock().unwrap_or_else(|p| p.into_inner()).clone();
            let response = std::mem::take(&mut self.digest);
            let digests = (hex::encode(request.finalize()), hex::encode(response.finalize()));
            d.gateway.record(Record {
                call: d.call,
                service_id: d.service_id,
                path: d.path,
                digests: Some(digests),
            });
        }
    }
}
