//! The STS endpoint: every request `route::is_sts` sends here is answered
//! here, errors included, so none gets an S3 error document. Order: path,
//! method (CORS preflight, 405), then the exchange.

use serde_json::{Map, Value};

use super::response::{error_response, wants_json};
use super::{exchange, Context, StsError};
use crate::cors;
use crate::http::{Request, Response};
use crate::platform::Platform;
use crate::route::is_sts_endpoint;

/// What the endpoint serves, as `Allow` and CORS preflights say it. AWS STS
/// takes GET and POST only; HEAD would mint credentials nobody sees.
pub const METHODS: &[&str] = &["GET", "POST", "OPTIONS"];

/// The answer, and for an exchange what the request's log line says of it.
pub async fn serve<P: Platform>(
    p: &P,
    cx: &Context<'_>,
    req: &Request,
    request_id: &str,
) -> (Response<P::Body>, Option<Map<String, Value>>) {
    let json = wants_json(req);
    if !is_sts_endpoint(req) {
        return (error_response(&StsError::NotFound, json, request_id), None);
    }
    let resp = match req.method.as_str() {
        "GET" | "POST" => {
            let (resp, fields) = exchange::handle(p, cx, req, request_id).await;
            return (resp, Some(fields));
        }
        "OPTIONS" => match cors::preflight(cx.cors, &req.headers, METHODS) {
            Ok(headers) => {
                let mut r = Response::new(204);
                r.headers = headers;
                r
            }
            Err(e) => error_response(&StsError::from_proxy(&e), json, request_id),
        },
        _ => error_response(&StsError::MethodNotAllowed, json, request_id),
    };
    (resp, None)
}
