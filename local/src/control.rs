//! The runner's switches: which contexts have their consumers (and relay)
//! stopped, how each context's internal functions answer calls, and which
//! faults are injected. The
//! control API (`control_api`) sets them; consumers, relays and in-process
//! remotes read them.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use crate::calls::{CallControl, CallMode};

/// `(system, context)`.
type SystemContext = (String, String);

/// Which contexts have their consumers stopped (`/_local/.../stop`), and
/// how each context's internal functions answer calls (`/_local/.../calls`).
#[derive(Default)]
pub(crate) struct Control {
    pub(crate) stopped: Mutex<HashSet<(String, String)>>,
    pub(crate) resumed: tokio::sync::Notify,
    /// One switch per context, shared with the remotes that call into it.
    pub(crate) calls: Mutex<HashMap<SystemContext, Arc<Mutex<CallControl>>>>,
    /// What `--faults` or `/_local/faults` asked to inject, and the counts.
    pub(crate) faults: Arc<crate::faults::Faults>,
}

impl Control {
    /// Asked on every poll: a scan of the (tiny) set, without allocating.
    pub(crate) fn is_stopped(&self, system: &str, context: &str) -> bool {
        self.stopped.lock().unwrap_or_else(|p| p.into_inner()).iter().any(|(s, c)| s == system && c == context)
    }

    pub(crate) fn set_consuming(&self, system: &str, context: &str, consuming: bool) {
        let mut stopped = self.stopped.lock().unwrap_or_else(|p| p.into_inner());
        if consuming {
            stopped.retain(|(s, c)| !(s == system && c == context));
        } else {
            stopped.insert((system.to_owned(), context.to_owned()));
        }
        drop(stopped);
        if consuming {
            self.resumed.notify_waiters();
        }
    }
}

impl Control {
    /// Counts a call arriving at `context` and says how to answer it.
    /// The call switch of `context`, made on first use.
    pub(crate) fn calls(&self, system: &str, context: &str) -> Arc<Mutex<CallControl>> {
        let mut calls = self.calls.lock().unwrap_or_else(|p| p.into_inner());
        calls.entry((system.to_owned(), context.to_owned())).or_default().clone()
    }

    pub(crate) fn set_calls(&self, system: &str, context: &str, mode: CallMode, delay_ms: u64) -> CallControl {
        let calls = self.calls(system, context);
        let mut control = calls.lock().unwrap_or_else(|p| p.into_inner());
        control.mode = mode;
        control.delay_ms = delay_ms;
        *control
    }

    pub(crate) fn calls_of(&self, system: &str, context: &str) -> CallControl {
        *self.calls(system, context).lock().unwrap_or_else(|p| p.into_inner())
    }
}
