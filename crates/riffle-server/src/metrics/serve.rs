//! A listener that serves only `GET /metrics`: `riffle serve --metrics-addr`, and the
//! `--metrics-addr` of the client-side commands (`riffle put`, `riffle tail`, the agent), which
//! reuse it so the binary has one HTTP stack.

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::graceful::GracefulShutdown;
use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// The content type of Prometheus's text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A scrape's answer: `body` as Prometheus text.
pub fn exposition(body: String) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    resp
}

fn status(code: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *resp.status_mut() = code;
    resp
}

fn answer<B>(req: &Request<B>, render: &(dyn Fn() -> String + Send + Sync)) -> Response<Full<Bytes>> {
    if req.uri().path() != "/metrics" {
        return status(StatusCode::NOT_FOUND, "only /metrics is served here\n");
    }
    match *req.method() {
        Method::GET => exposition(render()),
        Method::HEAD => exposition(String::new()),
        _ => status(StatusCode::METHOD_NOT_ALLOWED, "GET /metrics\n"),
    }
}

/// Serves `GET /metrics` with `render()`'s text on `listener` (HTTP/1.1 and h2c) until
/// `shutdown` completes; other paths get 404. Scrapes are rare and small, so rendering runs
/// on the connection's task.
pub async fn serve_metrics(
    listener: TcpListener,
    render: Arc<dyn Fn() -> String + Send + Sync>,
    shutdown: impl Future<Output = ()>,
) {
    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                let render = Arc::clone(&render);
                let svc = hyper::service::service_fn(move |req| {
                    let resp = answer(&req, &*render);
                    async move { Ok::<_, Infallible>(resp) }
                });
                let conn = graceful.watch(builder.serve_connection(TokioIo::new(stream), svc).into_owned());
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!(error = %e, "metrics connection ended with an error");
                    }
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(1), graceful.shutdown()).await;
}
