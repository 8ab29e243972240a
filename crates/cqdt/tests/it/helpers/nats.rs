//! The platform with its asynchronous exchange on NATS JetStream, for the tests that run the
//! exchange's journeys on both backends: against `CQDT_TEST_NATS_URL` (set by `.ci/run`), each
//! on a stream of its own, removed at the end.

use super::Instance;

/// The platform on a fresh database with its exchange on a fresh JetStream stream; `None`
/// (the test says it was skipped) without `CQDT_TEST_NATS_URL`.
pub async fn start() -> Option<OnNats> {
    let Some(url) = std::env::var("CQDT_TEST_NATS_URL").ok().filter(|u| !u.is_empty()) else {
        println!("skipped: CQDT_TEST_NATS_URL is not set");
        return None;
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let stream = format!("T{}_{:x}", std::process::id(), nanos % (1 << 60));
    let app = Instance::start_with(
        &[],
        &[("CQDT_LGSP_NATS_URL", &url), ("CQDT_LGSP_NATS_STREAM", &stream)],
    )
    .await;
    Some(OnNats { app, url, stream })
}

/// An instance on its own stream.
pub struct OnNats {
    /// The platform.
    pub app: Instance,
    url: String,
    stream: String,
}

impl OnNats {
    /// The largest message the server takes.
    pub async fn max_payload(&self) -> usize {
        async_nats::connect(&self.url).await.expect("nats").server_info().max_payload
    }

    /// Messages in the stream (sent messages and markers of sending again), after which the
    /// stream and its status stream are removed.
    pub async fn finish(self) -> u64 {
        let client = async_nats::connect(&self.url).await.expect("nats");
        let js = async_nats::jetstream::new(client);
        let mut stream = js.get_stream(&self.stream).await.expect("stream");
        let messages = stream.info().await.expect("info").state.messages;
        js.delete_stream(&self.stream).await.expect("delete stream");
        js.delete_stream(format!("{}_STATUS", self.stream)).await.expect("delete status stream");
        messages
    }
}
