//! The customer context's notifications: what was sent to whom, which the
//! customer reads at `GET /notifications` (kept and sent by
//! [`framework::notification`]).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    pub notification_id: String,
    pub reservation_id: String,
    pub kind: String,
    pub message: String,
    pub sent_at: String,
}
