//! A first sample event for every function of a board that has none yet
//! (`events/<system>/<function>.json`, `relay-<context>.json`,
//! `health.json`), in the shape Lambda hands it over: an API Gateway HTTP
//! API request, an SQS batch, a DynamoDB stream batch, an Invoke payload.
//! `cargo board generate` writes the missing ones and never overwrites one:
//! a sample is a starting point that people then make telling (a real body,
//! the data of a real event), and the tests feed every sample to its function.

use serde_json::{Value, json};

use crate::{Board, Kind};

const ID: &str = "0192f0c4-2b1e-7c3a-9a51-4e3b2f1d0a11";
const EVENT_ID: &str = "0192f0c4-2c00-7b20-9c31-2d3e4f5a6b04";

/// Every sample the boards call for, by its path in the repository.
pub fn all(boards: &[Board]) -> Vec<(String, String)> {
    let mut samples = Vec::new();
    for board in boards {
        let at = |name: &str| format!("events/{}/{name}.json", board.system);
        samples.push((at("health"), text(&http_request(&board.system, "GET", "/health", false, None))));
        for (context_name, context) in &board.contexts {
            for function in context.functions() {
                let sample = match function.kind {
                    Kind::Command | Kind::Query => {
                        let route = function.route.expect("commands and queries have a route");
                        let body = (route.method != "GET" && route.method != "DELETE").then_some("{}");
                        let staff = function.who == Some(crate::Who::Staff);
                        http_request(&board.system, &route.method, &route.path, staff, body)
                    }
                    Kind::Policy | Kind::View => {
                        let events: Vec<(String, &str)> = function
                            .on
                            .into_iter()
                            .flatten()
                            .flat_map(|(producer, types)| types.iter().map(move |t| (producer.clone(), t.as_str())))
                            .collect();
                        sqs_batch(&board.system, function.name, &events)
                    }
                    Kind::Internal => json!({}),
                };
                samples.push((at(function.name), text(&sample)));
            }
            if let Some(first) = context.published().first() {
                samples.push((at(&format!("relay-{context_name}")), text(&stream_batch(context_name, first))));
            }
        }
    }
    samples
}

fn text(value: &Value) -> String {
    serde_json::to_string_pretty(value).expect("a sample always serializes") + "\n"
}

fn envelope(event_type: &str, source: &str) -> String {
    json!({
        "eventId": EVENT_ID, "type": event_type, "source": source, "occurredAt": "2026-11-22T10:00:00.000Z",
        "correlationId": ID, "version": 1, "data": {}
    })
    .to_string()
}

/// `/{reservationId}/cancel` → `/<id>/cancel`, with the path parameters.
fn path_with_ids(path: &str) -> (String, serde_json::Map<String, Value>) {
    let mut parameters = serde_json::Map::new();
    let raw = path
        .split('/')
        .map(|segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => {
                parameters.insert(name.to_owned(), json!(ID));
                ID.to_owned()
            }
            None => segment.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/");
    (raw, parameters)
}

fn http_request(system: &str, method: &str, path: &str, staff: bool, body: Option<&str>) -> Value {
    let (raw_path, parameters) = path_with_ids(path);
    let route_key = format!("{method} {path}");
    let mut claims = json!({
        "sub": "alice", "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example1",
        "aud": format!("{system}-client"), "iat": "1795341541", "exp": "1795345141"
    });
    if staff {
        claims["sub"] = json!("bob");
        claims["cognito:groups"] = json!("[staff]");
    }
    let mut request = json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": "",
        "headers": {
            "accept": "application/json",
            "authorization": "Bearer eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJzYW1wbGUifQ.c2lnbmF0dXJl",
            "content-type": "application/json",
            "host": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "a1b2c3d4e5",
            "authorizer": {"jwt": {"claims": claims, "scopes": null}},
            "domainName": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "a1b2c3d4e5",
            "http": {"method": method, "path": raw_path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7", "userAgent": "curl/8.5.0"},
            "requestId": "Yb8AahT3oAMEb5g=",
            "routeKey": route_key,
            "stage": "$default",
            "time": "22/Nov/2026:10:00:01 +0000",
            "timeEpoch": 1795341601500u64
        },
        "isBase64Encoded": false
    });
    if path == "/health" {
        request["headers"].as_object_mut().expect("headers").remove("authorization");
        request["requestContext"].as_object_mut().expect("context").remove("authorizer");
    }
    if !parameters.is_empty() {
        request["pathParameters"] = Value::Object(parameters);
    }
    if let Some(body) = body {
        request["body"] = json!(body);
    }
    request
}

fn sqs_batch(system: &str, function: &str, events: &[(String, &str)]) -> Value {
    let records: Vec<Value> = events
        .iter()
        .enumerate()
        .map(|(i, (producer, event_type))| {
            json!({
                "messageId": format!("c0a80101-0000-4000-8000-{:012}", i + 1),
                "receiptHandle": format!("AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a+{}EXAMPLE==", i + 1),
                "body": envelope(event_type, producer),
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1795341600447"},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": format!("arn:aws:sqs:us-east-1:123456789012:{system}-{}Queue", crate::pascal(function)),
                "awsRegion": "us-east-1"
            })
        })
        .collect();
    json!({ "Records": records })
}

fn stream_batch(context: &str, event_type: &str) -> Value {
    let key = format!("OUTBOX#{EVENT_ID}");
    json!({
        "Records": [{
            "eventID": "5fb5f1296a566922b5935f7ff2937296",
            "eventName": "INSERT",
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1",
            "dynamodb": {
                "ApproximateCreationDateTime": 1795341300u64,
                "Keys": {"pk": {"S": key}, "sk": {"S": "EVENT"}},
                "NewImage": {
                    "pk": {"S": key},
                    "sk": {"S": "EVENT"},
                    "version": {"N": "1"},
                    "body": {"S": envelope(event_type, context)}
                },
                "SequenceNumber": "5531684500000000023450439010",
                "SizeBytes": 347,
                "StreamViewType": "NEW_IMAGE"
            },
            "eventSourceARN": format!("arn:aws:dynamodb:us-east-1:123456789012:table/{}Table/stream/2026-11-01T00:00:00.000", crate::pascal(context))
        }]
    })
}
