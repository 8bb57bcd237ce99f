//! Synchronous calls between contexts, in-process: another context's
//! internal function called as Lambda Invoke would call it, through the
//! switch `/_local/<system>/contexts/<context>/calls` sets (up, down, slow).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

/// How a context's synchronous side behaves, as `/_local` set it.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum CallMode {
    #[default]
    Up,
    /// Every call fails at once, as if nothing listened.
    Down,
    /// Every call waits `delayMs` before the function runs.
    Slow,
}

#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CallControl {
    pub(crate) mode: CallMode,
    pub(crate) delay_ms: u64,
    /// Calls that arrived at the context (while down too).
    pub(crate) received: u64,
}

/// Another context's internal function, called in-process as Lambda Invoke
/// would call it: the callee runs to the end on its own task even when the
/// caller stops waiting, and `/_local` can make it fail or slow down.
pub(crate) struct LocalRemote {
    pub(crate) system: String,
    pub(crate) context: String,
    pub(crate) run: framework::call::InternalFn,
    /// The callee context's switch (`/_local/.../calls`).
    pub(crate) calls: Arc<Mutex<CallControl>>,
    /// Injected failures (`--faults calls=…`).
    pub(crate) dice: Mutex<crate::faults::Dice>,
}

/// Where an injected call failure strikes.
#[derive(Clone, Copy, PartialEq)]
enum Injected {
    /// Before the callee runs, as if nothing listened.
    Unreachable,
    /// After the callee ran: its answer is lost, as in a timeout.
    AnswerLost,
}

impl framework::call::Remote for LocalRemote {
    fn invoke(&self, request: Value) -> framework::store::BoxFuture<'_, Result<Value, framework::call::RemoteError>> {
        use framework::call::RemoteError;
        Box::pin(async move {
            let control = {
                let mut control = self.calls.lock().unwrap_or_else(|p| p.into_inner());
                control.received += 1;
                *control
            };
            let delay = match control.mode {
                CallMode::Down => {
                    return Err(RemoteError::Unreachable(format!(
                        "{}/{} is down (set by /_local)",
                        self.system, self.context
                    )));
                }
                CallMode::Slow => Duration::from_millis(control.delay_ms),
                CallMode::Up => Duration::ZERO,
            };
            let injected = {
                let mut dice = self.dice.lock().unwrap_or_else(|p| p.into_inner());
                let share = dice.plan().calls;
                dice.roll(share).then(|| {
                    dice.injected().calls_failed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if dice.roll(0.5) { Injected::AnswerLost } else { Injected::Unreachable }
                })
            };
            if injected == Some(Injected::Unreachable) {
                return Err(RemoteError::Unreachable(format!(
                    "{}/{} unreachable (injected by --faults)",
                    self.system, self.context
                )));
            }
            let run = self.run.clone();
            let call = tokio::spawn(async move {
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                run(request).await
            });
            let answer = call
                .await
                .map_err(|e| RemoteError::Failed(format!("{}/{} crashed: {e}", self.system, self.context)))?;
            if injected == Some(Injected::AnswerLost) {
                return Err(RemoteError::Failed(format!(
                    "{}/{} ran, but its answer was lost (injected by --faults)",
                    self.system, self.context
                )));
            }
            Ok(answer)
        })
    }
}
